"""The texts a model reads of a tool result, and ``mcpward inspect --results``.

The gateway and the command line take the texts of a result with :func:`result_texts` and
judge them with :func:`~mcpward.inspect.untrusted.check_content`, so a file of saved results
gets exactly the verdict the gateway would have given each of them.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcpward import __version__
from mcpward._documents import DocumentError, read_text
from mcpward._regex import compiled
from mcpward.dlp import redact_text
from mcpward.errors import McpwardError
from mcpward.inspect.untrusted import check_answer
from mcpward.model import Category, Finding, Report

#: A results file larger than this is refused (a saved session's results, not a data dump).
MAX_RESULTS_BYTES = 32 * 1024 * 1024
MAX_RESULTS = 100_000
#: Nesting of ``structuredContent`` walked; deeper values are read as one JSON text.
_MAX_DEPTH = 32


class ResultsError(McpwardError):
    """A results file that cannot be used; the message says where, never quotes content."""


def result_texts(result: Any, *, strict: bool = False) -> list[tuple[str, str]]:
    """The texts of one result as (path, text): a string is itself; a ``CallToolResult`` (or
    a JSON-RPC answer carrying one) gives the text of its text items, the text of its embedded
    resources (and of their blobs, and images' and audio's data, that are base64 of text), the
    name, title, description and URI of its resource links and the strings of its
    ``structuredContent``. ``strict`` raises
    :class:`ResultsError` on a shape that is not a result; otherwise what is not text is skipped."""
    if isinstance(result, str):
        return [("", result)]
    if isinstance(result, dict) and result.get("jsonrpc") == "2.0" and isinstance(result.get("result"), dict):
        result = result["result"]
    if not isinstance(result, dict) or not isinstance(result.get("content"), list):
        if strict:
            raise ResultsError("expected a string or an object with a 'content' list")
        return []
    texts: list[tuple[str, str]] = []
    for position, part in enumerate(result["content"]):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            if strict:
                raise ResultsError(f"content[{position}] is not a content item (an object with a 'type')")
            continue
        where = f".content[{position}]"
        if part["type"] == "text" and isinstance(part.get("text"), str):
            texts.append((f"{where}.text", part["text"]))
        elif part["type"] == "resource" and isinstance(part.get("resource"), dict):
            text = part["resource"].get("text")
            if isinstance(text, str):
                texts.append((f"{where}.resource.text", text))
            decoded = decoded_text(part["resource"].get("blob"))
            if decoded is not None:
                texts.append((f"{where}.resource.blob", decoded))
        elif part["type"] == "resource_link":
            # Clients show a link to the model by its name, title and description.
            texts.extend(
                (f"{where}.{key}", part[key])
                for key in ("name", "title", "description", "uri")
                if isinstance(part.get(key), str)
            )
        elif part["type"] in ("image", "audio"):
            # The server names the media type: text under an image's type may be read as text.
            decoded = decoded_text(part.get("data"))
            if decoded is not None:
                texts.append((f"{where}.data", decoded))
    structured = result.get("structuredContent")
    if structured is not None:
        # SDK servers repeat a text result as {"result": text}: read once, checked once.
        seen = {text for _, text in texts}
        texts.extend(item for item in _strings(structured, ".structuredContent") if item[1] not in seen)
    return texts


def decoded_text(data: Any) -> str | None:
    """The text base64 ``data`` (a blob, an image's or audio's data) spells, or None when it is
    not base64 of UTF-8 text. Whatever its ``mimeType`` says (the server chooses it), text sent
    encoded can reach the model as text (clients decode text blobs), so it is read as text; real
    images and sound are not UTF-8 (a PNG starts with 0x89), and decoding costs one native pass."""
    if not isinstance(data, str) or not data:
        return None
    try:
        return base64.b64decode("".join(data.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None


#: A member name of one word of identifier characters, ASCII: no sentence (the rules read words
#: between spaces), no hidden character. Such names are most of them ("result", "user_id"), and
#: each text read means a pass over its seams with its neighbours (a 4 KB answer's
#: ``structuredContent`` key cost the gateway 160 us a call).
_ONE_WORD = compiled(r"[A-Za-z0-9_.$@-]{1,128}")


def member_name_read(key: str) -> bool:
    """Whether a JSON member name is read as text by the result check: any but one word."""
    return _ONE_WORD.fullmatch(key) is None


def _strings(value: Any, path: str) -> list[tuple[str, str]]:
    """The strings of a JSON value (member names but one-word ones, :func:`member_name_read`)
    with their paths, walked without recursion."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any, int]] = [(path, value, 0)]
    while stack:
        where, item, depth = stack.pop()
        if isinstance(item, str):
            found.append((where, item))
        elif depth >= _MAX_DEPTH and isinstance(item, dict | list):
            found.append((where, json.dumps(item)))
        elif isinstance(item, dict):
            # Each member's name before its value: a client that gives the model the structured
            # result gives it its JSON, keys and all.
            for key, child in reversed(item.items()):
                stack.append((f"{where}.{key}", child, depth + 1))
                if member_name_read(str(key)):
                    stack.append((f"{where}.{key}(key)", str(key), depth + 1))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child, depth + 1) for i, child in reversed(list(enumerate(item))))
    return found


def _lines(text: str, count: int) -> list[int]:
    """The line each of the list's ``count`` items starts on (the list already parsed whole):
    walked item by item, counting newlines once."""
    decoder = json.JSONDecoder()
    lines: list[int] = []
    position = text.index("[") + 1
    line, counted = 1, 0
    for _ in range(count):
        while text[position] in " \t\r\n,":
            position += 1
        line += text.count("\n", counted, position)
        counted = position
        lines.append(line)
        position = decoder.raw_decode(text, position)[1]
    return lines


def load_results(path: Path) -> tuple[list[Any], list[int]]:
    """The results of a JSON file holding a list of them, and the line each starts on;
    :class:`ResultsError` says why not."""
    try:
        text = read_text(path, MAX_RESULTS_BYTES)
    except DocumentError as exc:
        raise ResultsError(f"{path}: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise ResultsError(f"{path}: nested too deeply") from None
    if not isinstance(document, list):
        raise ResultsError(f"{path}: expected a JSON list of tool results")
    if len(document) > MAX_RESULTS:
        raise ResultsError(f"{path}: {len(document)} results; at most {MAX_RESULTS} are read")
    return document, _lines(text, len(document))


def inspect_results(path: Path) -> Report:
    """Every finding of the gateway's check in each result of the file at ``path``."""
    results, lines = load_results(path)
    findings: list[tuple[int, Finding]] = []
    for index, result in enumerate(results):
        try:
            texts = result_texts(result, strict=True)
        except ResultsError as exc:
            raise ResultsError(f"{path}: result {index}: {exc}") from None
        hits, together = check_answer([text for _, text in texts])
        for hit in hits:
            where = " (its texts read together)" if together else texts[hit.index][0]
            findings.append(
                (
                    index,
                    Finding(
                        rule=hit.family,
                        category=Category.INJECTED_INSTRUCTION,
                        severity=hit.severity,
                        message=f"result [{index}]{where}: {hit.family} (characters {hit.start}-{hit.end}).",
                        remediation="Do not pass this result to a model unreviewed; it carries instructions "
                        "for the model (the gateway's `[dlp] injection` setting alerts, blocks or holds it).",
                        config_path=str(path),
                        line=lines[index],
                        evidence=redact_text(hit.evidence),
                        field=f"[{index}]{where}",
                        start=hit.start,
                        end=hit.end,
                    ),
                )
            )
    return Report(
        tool_version=__version__,
        command="inspect",
        generated_at=datetime.now(UTC),
        subject=f"{path} ({len(results)} results)",
        findings=tuple(f for _, f in sorted(findings, key=lambda pair: (pair[0], -pair[1].severity.rank))),
    )
