"""One module per package source (registry or local files)."""
