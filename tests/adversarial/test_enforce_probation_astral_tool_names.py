"""A server on probation whose write tool's name holds a character past U+FFFF (an emoji, a
mathematical letter: the MCP specification bounds a tool's name, not its characters). Claude
Code names an MCP tool ``mcp__SERVER__TOOL`` with every character outside ``[A-Za-z0-9_-]``
made ``_`` by a JavaScript regular expression without the ``u`` flag, which replaces each UTF-16
code unit: such a character, two units, becomes ``__``. enforce replaced each code point, one
``_``, so the deny rule it wrote (``mcp__KEY__wipe_``) matched no tool (Claude Code's is
``mcp__KEY__wipe__``): the writer could be called on probation on every machine enforce
governs, while the gateway refused it."""

from __future__ import annotations

import json

from mcpward.enforce import Decision, Platform, Policy, PolicyServer, managed_files

_KEY = "io-github-acme-files"


def _claude_code_name(tool: str) -> str:
    """The name Claude Code gives an MCP tool (``normalizeNameForMCP``): each UTF-16 code unit
    outside ``[A-Za-z0-9_-]`` made ``_``, as ``String.replace`` without the ``u`` flag does."""
    units = tool.encode("utf-16-le", "surrogatepass")
    chars = (chr(int.from_bytes(units[i : i + 2], "little")) for i in range(0, len(units), 2))
    return f"mcp__{_KEY}__" + "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in chars)


def _denied(tools: tuple[str, ...], read_only: tuple[str, ...]) -> set[str]:
    server = PolicyServer(
        name="io.github.acme/files",
        key=_KEY,
        decision=Decision.PROBATION,
        command=("npx", "-y", "@acme/files@1.0.0"),
        direct_command=("npx", "-y", "@acme/files@1.0.0"),
        tools=tools,
        read_only_tools=read_only,
    )
    files = managed_files(Policy(servers=(server,)), Platform.LINUX, ["claude-code"])
    (settings,) = [f for f in files if f.path.endswith("managed-settings.json")]
    return set(json.loads(settings.content)["permissions"]["deny"])


def test_a_write_tool_with_an_astral_character_is_denied_under_claude_codes_name() -> None:
    writers = ("wipe\U0001f5d1", "\U0001d42d\U0001d428\U0001d42b\U0001d41c\U0001d41e", "a\U0001f600b")
    denied = _denied(("read_file", *writers), ("read_file",))
    for tool in writers:
        assert _claude_code_name(tool) in denied, (tool, denied)
    assert _claude_code_name("read_file") not in denied


def test_names_within_the_basic_plane_are_named_as_before() -> None:
    # The clean case: ASCII and accented names (one UTF-16 unit each) keep their rule.
    denied = _denied(("read_file", "files.delete", "supprimer_l'élément", "send mail"), ("read_file",))
    assert denied == {
        f"mcp__{_KEY}__files_delete",
        f"mcp__{_KEY}__supprimer_l__l_ment",
        f"mcp__{_KEY}__send_mail",
    }
