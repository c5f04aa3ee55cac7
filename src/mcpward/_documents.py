"""Reading configuration documents from disk, safely.

Every config file mcpward reads comes through here so that the same limits apply everywhere:
only regular files, a size cap, no binary data, strict decoding, and parse errors that name a
position but never quote the document (a config file is full of secrets).
"""

from __future__ import annotations

import codecs
import contextlib
import enum
import errno
import json
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from mcpward._regex import compiled
from mcpward.errors import McpwardError

#: Larger than any real client config (~/.claude.json with a long history is a few MiB).
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


class DocumentFormat(enum.StrEnum):
    JSON = "json"
    JSONC = "jsonc"  # JSON with comments and trailing commas (VS Code, Zed, opencode)
    TOML = "toml"
    YAML = "yaml"
    #: Markdown and other text read as it is (``SKILL.md``): the document's data is its text.
    TEXT = "text"


class DocumentError(McpwardError):
    """A file that exists but cannot be used. The message is safe to show: it quotes nothing."""


_KEY_TOKEN = compiled(
    r"""["']([^"'\n]{1,256})["']\s*:"""  # JSON and quoted YAML keys
    # YAML "- name: x" (the name read whole, its white space cut by the caller; a name of white
    # space only, quoted or not, is the empty name)
    r"""|^[ \t]*-[ \t]+name:(?:[ \t]*+["']?([^"'\n#]{1,256}+)["']?|()(?:[ \t]++["']?|["'][ \t]))[ \t]*+$"""
    r"""|^[ \t]*(?:-[ \t]+)?([^\s:#"'\[\]{},][^:#\n]{0,255}?)[ \t]*:"""  # YAML keys
    r"""|^[ \t]*\[[^\]\n]*?\.(?:"([^"\n]{1,256})"|([^\]"'\n.]{1,256}))\]""",  # TOML [t.name]
    re.MULTILINE,
)


@dataclass(frozen=True)
class Document:
    path: Path
    text: str
    data: Any

    @cached_property
    def _key_lines(self) -> dict[str, int]:
        """First line of every key-like token, built in one pass so that looking up thousands
        of entries stays linear in the file size."""
        lines: dict[str, int] = {}
        line, cursor = 1, 0
        for match in _KEY_TOKEN.finditer(self.text):
            line += self.text.count("\n", cursor, match.start())
            cursor = match.start()
            key = next(g for g in match.groups() if g is not None)
            lines.setdefault(key.strip(), line)
        return lines

    def line_of(self, key: str) -> int | None:
        """The 1-based line where ``key`` first stands as a key (``"key":``, ``key:``,
        ``[table.key]``, ``- name: key``); None when it does not."""
        return self._key_lines.get(key)


#: The account whose files alone may be read, while ``owned_by`` says so.
_OWNER: ContextVar[int | None] = ContextVar("mcpward_read_owner", default=None)


@contextlib.contextmanager
def owned_by(owner: int | None) -> Iterator[None]:
    """Within it, every file read here (and a platform's database, see ``required_owner``) must
    be owned by ``owner`` (None: any). The agent scans each home with more rights than its
    owner: the client configs were checked, but a link or a hard link in the home to another
    account's platform database, skill, plugin file or installed package was read and reported
    as the home's."""
    token = _OWNER.set(owner)
    try:
        yield
    finally:
        _OWNER.reset(token)


def required_owner() -> int | None:
    """The account ``owned_by`` requires of what is read now, or None."""
    return _OWNER.get()


def read_text(path: Path | str, max_bytes: int = MAX_DOCUMENT_BYTES, owner: int | None = None) -> str:
    """Read a small text file, refusing anything that is not a plain, decodable text file (and,
    with ``owner`` or within ``owned_by``, a file that account does not own: checked on the open
    descriptor)."""
    return decode_text(read_raw(path, max_bytes, owner))


def read_raw(
    path: Path | str,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    owner: int | None = None,
    *,
    head: bool = False,
    no_link: bool = False,
    accept: Callable[[os.stat_result], str | None] | None = None,
) -> bytes:
    """The bytes of a small regular file, as ``read_text`` checks it (its text undecoded);
    ``head``: its first ``max_bytes``, however large it is. ``no_link``: a symbolic link at
    ``path`` is refused, not followed; ``accept``: the reason to refuse the file opened (its
    status), or None. Both are checked on what was opened, so that a name swapped between a
    caller's own check and this read changes nothing."""
    owner = owner if owner is not None else _OWNER.get()
    # O_NONBLOCK: opening a FIFO planted at a config path must not block the scan.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if no_link:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        if no_link and exc.errno == errno.ELOOP:
            raise DocumentError("a symbolic link (not followed); give the file itself") from None
        raise DocumentError(f"cannot read: {_os_reason(exc)}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise DocumentError("not a regular file")
        if owner is not None and info.st_uid != owner:
            raise DocumentError("not owned by the home's owner (a link to another account's file?); not read")
        refusal = accept(info) if accept is not None else None
        if refusal is not None:
            raise DocumentError(refusal)
        if info.st_size > max_bytes and not head:
            raise DocumentError(f"too large ({info.st_size} bytes; limit {max_bytes})")
        chunks = []
        remaining = max_bytes + (not head)
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise DocumentError(f"cannot read: {_os_reason(exc)}") from None
    finally:
        os.close(descriptor)
    raw = b"".join(chunks)
    if len(raw) > max_bytes:
        raise DocumentError(f"too large (over {max_bytes} bytes)")
    return raw


def decode_text(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # PowerShell's Out-File writes UTF-16 with a BOM; Windows users do edit configs that way.
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\x00" in raw[:8192]:
            raise DocumentError("binary file (contains NUL bytes)")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not valid {encoding} text (byte offset {exc.start})") from None
    if "\x00" in text:
        raise DocumentError("binary file (contains NUL characters)")
    return text


def parse_text(text: str, fmt: DocumentFormat) -> Any:
    """Parse ``text``; raise :class:`DocumentError` with a position, never with content."""
    try:
        if fmt is DocumentFormat.JSON:
            return _parse_json(text, lenient=False)
        if fmt is DocumentFormat.JSONC:
            return _parse_json(text, lenient=True)
        if fmt is DocumentFormat.TOML:
            return _parse_toml(text)
        if fmt is DocumentFormat.TEXT:
            return text
        return _parse_yaml(text)
    except RecursionError:
        raise DocumentError(f"{fmt.value.upper()} nested too deeply") from None
    except MemoryError:
        raise DocumentError(f"{fmt.value.upper()} too large to parse") from None
    except ValueError:
        # What the parsers' own errors leave: Python converts no decimal of more than 4,300
        # digits to an integer (sys.get_int_max_str_digits), and one such number ended the scan.
        raise DocumentError(f"{fmt.value.upper()} holds a number too long to read") from None


def load_document(path: Path, fmt: DocumentFormat, owner: int | None = None) -> Document:
    text = read_text(path, owner=owner)
    return Document(path=path, text=text, data=parse_text(text, fmt))


def string_values(value: object) -> Iterator[str]:
    """The strings of a parsed document's values, in document order (member names left out):
    as deep as the parser let the document be."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from string_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from string_values(item)


def _parse_json(text: str, *, lenient: bool) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if not lenient:
            raise DocumentError(
                f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
    import pyjson5  # only JSONC that plain JSON rejects needs it

    try:
        return pyjson5.loads(text)
    except pyjson5.Json5Exception as exc:
        raise DocumentError(_json5_message(text, exc, isinstance(exc, pyjson5.Json5EOF))) from None


_NEAR = compiled(r"near (\d+)")


def _json5_message(text: str, exc: Exception, at_end: bool) -> str:
    reason = "unexpected end of file" if at_end else "unexpected input"
    detail = str(exc.args[0]) if exc.args else ""
    match = _NEAR.search(detail)
    if match is None:
        return f"JSON syntax error: {reason}"
    offset = min(int(match.group(1)), len(text))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"JSON syntax error at line {line}, column {column}: {reason}"


_TOML_POSITION = compiled(r"\(at (line \d+, column \d+|end of document)\)")


def _parse_toml(text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's messages are fixed phrases plus a position; keep just those.
        message = str(exc)
        position = _TOML_POSITION.search(message)
        reason = _TOML_POSITION.sub("", message).strip()
        where = f" at {position.group(1)}" if position else ""
        raise DocumentError(f"TOML syntax error{where}: {reason}") from None


#: How deep a YAML document may nest: as deep as Python's JSON parser lets a JSON one. libyaml's
#: composer recurses in C: 100,000 levels (200 KB of "[") crashed the process.
MAX_YAML_DEPTH = 1_000
#: Nodes that one node of a YAML text may stand for, aliases and merge keys expanded, beyond
#: what the text could hold written out: a few aliases to aliases (a "billion laughs") or many
#: to one large node multiply what every reader of the document walks.
MAX_YAML_EXTRA_NODES = 10_000
#: The characters each level of nesting needs one of (flow brackets, block indicators).
_YAML_NESTING = ("[", "{", "-", ":", "?")
#: The longest scalar read as a number: as long as Python converts a decimal. YAML 1.1 reads
#: ``1:2:3`` as base 60, one multiplication per part of a growing number: the square of its length.
MAX_YAML_NUMBER_CHARS = 4_300
_YAML_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
#: Each byte that may spell part of a YAML number made "#", every other byte " ".
_NUMBER_BYTES = bytes(35 if chr(byte) in "0123456789abcdefABCDEFxXoObB_:.+-" else 32 for byte in range(256))


def _may_hold_long_number(text: str) -> bool:
    """Whether ``text`` has a run of characters long enough to spell a number past the limit
    (looked for in one pass of C: a pattern repeated that many times scans each run again)."""
    spelled = text.encode("utf-8", "surrogatepass").translate(_NUMBER_BYTES)
    return b"#" * (MAX_YAML_NUMBER_CHARS + 1) in spelled


def _parse_yaml(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        if "*" in text or sum(map(text.count, _YAML_NESTING)) > MAX_YAML_DEPTH or _may_hold_long_number(text):
            _check_yaml_shape(text, loader)
        return yaml.load(text, Loader=loader)  # noqa: S506 - CSafeLoader/SafeLoader only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        # PyYAML's str() quotes the offending line; keep only its short description.
        problem = (exc.problem or "invalid YAML").split(":")[0][:80]
        raise DocumentError(f"YAML syntax error{where}: {problem}") from None
    except yaml.YAMLError:
        raise DocumentError("YAML syntax error") from None


def _check_yaml_shape(text: str, loader: Any) -> None:
    """Refuse, before it is composed, a YAML text nested deeper than :data:`MAX_YAML_DEPTH`, with
    an alias inside the node it names (a cyclic document), or whose nodes with their aliases
    expanded outnumber twice its characters by more than :data:`MAX_YAML_EXTRA_NODES`. libyaml's event
    parser keeps its own stack, so reading the events costs the text's length and never
    recurses."""
    import yaml

    resolver = yaml.resolver.Resolver()
    budget = 2 * len(text) + MAX_YAML_EXTRA_NODES  # a text without aliases holds fewer: [?,?]
    expanded = 0  # nodes so far, each alias counted as the nodes of what it names
    sizes: dict[str, int] = {}  # anchor -> nodes its node stands for
    open_nodes: list[tuple[str | None, int]] = []  # collections entered: anchor, count before
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_nodes):
                raise DocumentError("YAML alias inside the node it names (a cyclic document)")
            expanded += sizes.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            expanded += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
            if len(event.value) > MAX_YAML_NUMBER_CHARS and _yaml_number(event, resolver):
                raise DocumentError("YAML holds a number too long to read")
        elif isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append((event.anchor, expanded))
            expanded += 1
            if len(open_nodes) > MAX_YAML_DEPTH:
                raise DocumentError(f"YAML nested too deeply (over {MAX_YAML_DEPTH} levels)")
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before = open_nodes.pop()
            if anchor is not None:
                sizes[anchor] = expanded - before
        if expanded > budget:
            raise DocumentError(f"YAML aliases expand to more than {budget} nodes")


def _yaml_number(event: Any, resolver: Any) -> bool:
    """Whether a scalar event is built as a number: tagged one, or plain and spelled as one."""
    import yaml

    if event.tag in _YAML_NUMBER_TAGS:
        return True
    return (
        bool(event.implicit[0])
        and resolver.resolve(yaml.ScalarNode, event.value, (True, False)) in _YAML_NUMBER_TAGS
    )


def _os_reason(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else type(exc).__name__
