"""The detector of instructions planted in untrusted content (see ``mcpward.inspect.untrusted``)."""
