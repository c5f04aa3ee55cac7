"""A server on probation whose read-only tool is named with a parenthesis (``files(read)``;
the MCP specification bounds a tool's name, not its characters). Gemini CLI enables an MCP
tool when an ``includeTools`` entry equals its name or begins with its name and ``(`` (the
``tool(args)`` form its settings take), so ``includeTools: ["files(read)"]``, which enforce
wrote for the confirmed reader, also enabled the server's tool ``files``, a writer no reviewer
confirmed, or one the server adds after its approval (a rug pull). ``excludeTools`` takes
precedence there, by exact name: enforce names each such prefix in it."""

from __future__ import annotations

import json
import re

from mcpward.enforce import Decision, Platform, Policy, PolicyServer, managed_files


def _gemini_enables(tool: str, entry: dict[str, object]) -> bool:
    """Whether Gemini CLI enables the MCP tool ``tool`` of a server with these settings (its
    ``isEnabled``: excludeTools by exact name first, then includeTools by name or ``name(``)."""
    if tool in entry.get("excludeTools", []):  # type: ignore[operator]
        return False
    include = entry.get("includeTools")
    return include is None or any(t == tool or t.startswith(f"{tool}(") for t in include)  # type: ignore[union-attr]


def _gemini_entry(tools: tuple[str, ...], read_only: tuple[str, ...]) -> dict[str, object]:
    server = PolicyServer(
        name="io.github.acme/files",
        key="io-github-acme-files",
        decision=Decision.PROBATION,
        command=("npx", "-y", "@acme/files@1.0.0"),
        direct_command=("npx", "-y", "@acme/files@1.0.0"),
        tools=tools,
        read_only_tools=read_only,
    )
    (file,) = managed_files(Policy(servers=(server,)), Platform.LINUX, ["gemini-cli"])
    entry: dict[str, object] = json.loads(file.content)["mcpServers"]["io-github-acme-files"]
    return entry


def test_a_reader_named_like_a_call_does_not_enable_the_writer_its_prefix_names() -> None:
    entry = _gemini_entry(("files(read)", "files", "db(x(y))", "db", "db(x"), ("files(read)", "db(x(y))"))
    assert _gemini_enables("files(read)", entry)
    assert _gemini_enables("db(x(y))", entry)
    for writer in ("files", "db", "db(x"):
        assert not _gemini_enables(writer, entry), (writer, entry)


def test_a_tool_added_after_the_approval_under_the_prefix_is_not_enabled() -> None:
    # The pins knew only the reader; the server later lists ``files`` too.
    entry = _gemini_entry(("files(read)",), ("files(read)",))
    assert _gemini_enables("files(read)", entry)
    assert not _gemini_enables("files", entry)


def test_a_prefix_that_is_itself_confirmed_read_only_stays_enabled() -> None:
    entry = _gemini_entry(("files(read)", "files"), ("files(read)", "files"))
    assert _gemini_enables("files", entry) and _gemini_enables("files(read)", entry)


def test_plain_tool_names_get_no_exclude_list() -> None:
    # The usual case: names without a parenthesis, as Gemini CLI was written before.
    entry = _gemini_entry(("read_file", "write_file", "files.list"), ("read_file", "files.list"))
    assert entry["includeTools"] == ["read_file", "files.list"]
    assert "excludeTools" not in entry
    assert not _gemini_enables("write_file", entry)
    assert not any(re.search(r"\(", t) for t in entry["includeTools"])  # type: ignore[union-attr]
