"""mcpward: govern the MCP servers your organisation's AI assistants use."""

__version__ = "0.1.0"
