"""Rich renderables, one module per domain; contact text always goes in as ``Text``."""
