"""What the DLP attacks on secrets spelled otherwise (encoded, parted, respelled) share: made-up
credentials in their issuers' formats, a test run for each secret in each spelling, a tool
call's arguments as the gateway's policy judges them, the official SDK's client through
``mcpward gateway run`` in front of the notes server, the native pass compared with the
pure-Python one, and the engine's time on a hostile piece repeated and on dense tokens."""

from __future__ import annotations

import json
import os
import random
import string
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from gateway_attack_kit import gateway_config

from mcpward.dlp._engine import Engine

SERVERS = Path(__file__).parents[1] / "servers"


def made_up_token(prefix: str, alphabet: str, length: int, seed: int) -> str:
    """``prefix`` and ``length`` characters of ``alphabet``, the same for the same ``seed``."""
    chooser = random.Random(seed)  # noqa: S311 - a made-up token in the issuer's format, seeded
    return prefix + "".join(chooser.choice(alphabet) for _ in range(length))


def made_up_credentials(seed: int) -> tuple[str, str, str]:
    """A GitHub token, an AWS access key id and its secret key, from ``seed`` and the two after."""
    return (
        made_up_token("ghp_", string.ascii_letters + string.digits, 36, seed),
        made_up_token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, seed + 1),
        made_up_token("", string.ascii_letters + string.digits + "+/", 40, seed + 2),
    )


def aws_credentials_file(key_id: str, secret_key: str) -> str:
    """The file an injection asks for, as the AWS CLI writes it."""
    return f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret_key}\n"


def each_secret_each_spelling(
    secrets: Mapping[str, str], spellings: Callable[[str], Mapping[str, str]], sample: str = "x"
) -> pytest.MarkDecorator:
    """A test run for each ``name`` of ``secrets`` and each ``spelling`` that ``spellings`` names
    (its names for ``sample``; one of them may fit only a kind of secret)."""
    pairs = [(name, spelling) for spelling in spellings(sample) for name in secrets]
    return pytest.mark.parametrize(("name", "spelling"), pairs, ids=[f"{s}-{n}" for n, s in pairs])


def sentences(secrets: Mapping[str, str], spellings: Callable[[str], Mapping[str, str]]) -> list[str]:
    """Each of ``secrets`` in each of its ``spellings``, in a sentence."""
    return [f"send {spelled} now" for secret in secrets.values() for spelled in spellings(secret).values()]


def forwarded_by_the_policy(data: str) -> dict[str, Any]:
    """The arguments of a tool call posting ``data`` (``body.data``, beside a note and the URL)
    as the gateway forwards them, its policy masking secrets: a secret found in ``data`` and
    nowhere else, each match masked, the note and the URL as they were."""
    from mcpward.dlp.policy import DlpPolicy
    from mcpward.dlp.scanning import redact_json

    arguments = {"url": "https://paste.example.net/new", "body": {"note": "backup", "data": data}}
    matches = DlpPolicy(actions={"secret": "redact"}).scan_json(arguments, tool="web.post")
    assert {m.path for m in matches} == {"$.body.data"}, (data[:60], matches)
    assert all(m.action == "redact" for m in matches), matches
    forwarded: dict[str, Any] = redact_json(arguments, matches)
    assert forwarded["url"] == arguments["url"] and forwarded["body"]["note"] == "backup", forwarded
    return forwarded


def notes_through_gateway(tmp_path: Path, kept: Sequence[str], written: Sequence[str]) -> tuple[str, str]:
    """The notes server holding a ``kept: VALUE`` line for each of ``kept`` (a blank line after
    each: a word on the line right after a run may be masked with it), read by the client
    through the gateway (``read_note``, when there are any), then each of ``written`` sent as a
    ``backup: VALUE`` line (``write_note``). What the client read, and the notes file after.
    The gateway's default policy; its audit log is ``tmp_path / "audit.jsonl"``."""
    import anyio
    from gateway_attack_kit import MCPWARD

    notes = tmp_path / "notes.txt"
    notes.write_text("".join(f"kept: {value}\n\n" for value in kept), encoding="utf-8")
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[pins]\nstore = "{tmp_path / "pins.json"}"\n[baseline]\nenabled = false\n', encoding="utf-8"
    )
    results: list[str] = []

    async def session() -> None:
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client
        from mcp.types import TextContent

        params = StdioServerParameters(
            command=MCPWARD[0],
            args=[*MCPWARD[1:], "gateway", "run", "--server", "notes", "--config", str(config),
                  "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable,
                  str(SERVERS / "notes_server.py"), str(notes)],
            env=dict(os.environ),
        )  # fmt: skip
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            await client.list_tools()
            if kept:
                result = await client.call_tool("read_note", {})
                results.extend(item.text for item in result.content if isinstance(item, TextContent))
            for value in written:
                await client.call_tool("write_note", {"line": f"backup: {value}"})

    anyio.run(session)
    return "".join(results), notes.read_text(encoding="utf-8")


def json_through_gateway(
    tmp_path: Path, kept: dict[str, Any], stored: Sequence[Any], policy: str = ""
) -> tuple[Any, list[Any]]:
    """The JSON server answering with ``kept`` as its tool result's ``structuredContent``, read
    by the client through the gateway (``read_kept``), then each of ``stored`` sent as a tool
    call's argument (``store``). The structured result the client read, and the values that
    reached the server. The gateway's default policy (or the DLP ``policy`` file's text); its
    audit log is ``tmp_path / "audit.jsonl"``."""
    import anyio
    from gateway_attack_kit import MCPWARD

    (tmp_path / "kept.json").write_text(json.dumps(kept), encoding="utf-8")
    received = tmp_path / "stored.jsonl"
    config = gateway_config(tmp_path, policy)
    read: list[Any] = []

    async def session() -> None:
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        params = StdioServerParameters(
            command=MCPWARD[0],
            args=[*MCPWARD[1:], "gateway", "run", "--server", "records", "--config", str(config),
                  "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable,
                  str(SERVERS / "json_server.py"), str(tmp_path / "kept.json"), str(received)],
            env=dict(os.environ),
        )  # fmt: skip
        async with stdio_client(params) as (reader, writer), ClientSession(reader, writer) as client:
            await client.initialize()
            await client.list_tools()
            result = await client.call_tool("read_kept", {})
            read.append(result.structured_content)
            for value in stored:
                await client.call_tool("store", {"value": value})

    anyio.run(session)
    lines = received.read_text(encoding="utf-8").splitlines() if received.exists() else []
    return read[0], [json.loads(line) for line in lines]


def assert_masked_through_gateway(
    tmp_path: Path, kept: Sequence[str], written: Sequence[str], leaks: Callable[[str], object]
) -> None:
    """:func:`notes_through_gateway` with ``kept`` and ``written`` (at least one): every note
    reaches each side, and nothing of a secret in the ones the client reads or in the ones the
    server receives (``leaks`` names what is left); the audit log counts a masked argument per
    written note, and masked results where the client read any."""
    import textwrap

    from gateway_attack_kit import audit_events

    read, notes = notes_through_gateway(tmp_path, kept, written)
    assert read.count("kept: ") == len(kept), read
    assert not leaks(read), read
    assert notes.count("backup: ") == len(written), notes
    received = notes.split("backup: ", 1)[1]
    assert not leaks(received), textwrap.shorten(received, 400)
    assert len(audit_events(tmp_path / "audit.jsonl", "dlp-argument")) == len(written)
    assert not kept or audit_events(tmp_path / "audit.jsonl", "dlp-result")


def assert_native_and_python_agree(texts: Iterable[str]) -> None:
    """The engine with Hyperscan's one pass and without it report the same matches (rule,
    place, encoding) in each of ``texts``."""
    native, python = Engine(), Engine(use_hyperscan=False)
    for text in texts:
        assert [(m.rule, m.start, m.end, m.encoding) for m in native.scan(text)] == [
            (m.rule, m.start, m.end, m.encoding) for m in python.scan(text)
        ], text


def assert_found_decoded_and_masked(spelled: str, leaks: Callable[[str], object]) -> None:
    """``spelled`` in a sentence: found as a GitHub token or an AWS access key id, each secret
    matched read through a decoding, and masked in place (:func:`assert_masked_in_place`)."""
    from mcpward.dlp.scanning import scan_text

    opening, closing = "Here is the file you asked for: ", " -- end"
    text = opening + spelled + closing
    matches = [m for m in scan_text(text) if m.kind == "secret"]
    assert matches, text[:100]
    assert all(m.encoding for m in matches), matches
    assert {"github-token", "aws-access-key-id"} & {m.rule for m in matches}, matches
    assert_masked_in_place(text, opening, closing, leaks)


def assert_masked_in_place(text: str, opening: str, closing: str, leaks: Callable[[str], object]) -> None:
    """``text`` (``opening``, a secret spelled otherwise, ``closing``) masked by ``redact`` and by
    ``redact_text``: nothing of the secret left in either (``leaks`` names what is), the words
    around it kept as they were."""
    from mcpward.dlp import redact_text
    from mcpward.dlp.scanning import redact

    masked = redact(text)
    assert not leaks(masked), masked
    assert masked.startswith(opening) and masked.endswith(closing), masked
    assert not leaks(redact_text(text)), redact_text(text)


def assert_repeated_piece_costs_linear_time(piece: str) -> None:
    """The engine's scan of ``piece`` repeated (to 20,000 characters and to four times that, each
    ended by ``!``) costs about four times as much for four times the text, and so does its scan
    of that text and the text reversed, as many strings."""
    from linear_time import superlinear

    from mcpward.dlp.scanning import default_engine

    engine = default_engine()
    single = piece * (20_000 // len(piece) + 1) + "!"
    quadruple = piece * (80_000 // len(piece) + 1) + "!"
    assert superlinear(engine.scan, single, quadruple) is None, piece
    assert superlinear(lambda text: engine.scan_many([text, text[::-1]]), single, quadruple) is None, piece


def assert_dense_tokens_cost_linear_time(lines: Sequence[str]) -> None:
    """``lines`` (a token spelled otherwise on each) over and over, to 40,000 characters and to
    four times that: the engine finds at least half the tokens, and the scan of four times the
    text costs about four times as much."""
    from linear_time import superlinear

    from mcpward.dlp.scanning import default_engine

    engine = default_engine()
    unit = "\n".join(lines)
    single = (unit * (40_000 // len(unit) + 1))[:40_000]
    quadruple = (unit * (160_000 // len(unit) + 1))[:160_000]
    assert len(engine.scan(single)) > 40_000 // (len(unit) // len(lines)) // 2
    assert superlinear(engine.scan, single, quadruple) is None, unit[:100]
