"""Import and export of contacts in other formats (vCard)."""
