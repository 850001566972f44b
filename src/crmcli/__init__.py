"""crmcli: a command-line CRM in one SQLite file."""

__version__ = "0.1.0"
