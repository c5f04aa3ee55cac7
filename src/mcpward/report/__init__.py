"""``mcpward report``: documents for the people who govern MCP servers."""
