"""Pinning what a server tells the model, and reporting rug pulls.

A signature is the sha256 of a canonical JSON (sorted keys, no insignificant space, UTF-8) of
everything the server tells the client of a tool: every field the protocol defines for it (name,
title, description, input and output schema, annotations, icons, execution, ``_meta``); of a
prompt or resource likewise; and of the server's instructions. The pin store
keeps the canonical text too, so that a change is shown as a readable diff. A tool whose content
is unchanged but whose name changed is one rename, not a removal and an addition.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import itertools
import json
import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpward._documents import DocumentError, read_raw
from mcpward._paths import changeable_by_others
from mcpward._regex import compiled
from mcpward.errors import McpwardError
from mcpward.inspect._surface import SERVER_INFO_KEYS
from mcpward.model import ToolSignature
from mcpward.output.text import visible_together

#: What is signed of each kind: every field the protocol defines for it (2026-07-28, and the
#: tasks extension's ``execution``), for each reaches the client: a tool's ``_meta`` (which MCP
#: Apps read a user interface from and some clients show the model) or its icons (URLs the
#: client fetches) left unsigned could change after approval. An item without the fields added
#: to this list signs as it did before them.
_SIGNED_KEYS = {
    "tool": (
        "name", "title", "description", "inputSchema", "outputSchema", "annotations", "icons",
        "execution", "_meta",
    ),
    "prompt": ("name", "title", "description", "arguments", "icons", "_meta"),
    "resource": ("name", "title", "description", "uri", "mimeType", "icons", "annotations", "_meta"),
    "resource-template": (
        "name", "title", "description", "uriTemplate", "mimeType", "icons", "annotations", "_meta",
    ),
    # What the server says of itself in ``serverInfo`` (its description, title, website and
    # icons: ``SERVER_INFO_KEYS``) is signed with its instructions, under their pin.
    "instructions": ("instructions", *(key for _, key in SERVER_INFO_KEYS)),
}  # fmt: skip
#: Fields forwarded unsigned: they change with the resource's content, which is not pinned
#: either (its size; ``lastModified`` of its annotations is left out of the signed annotations),
#: when they have the protocol's shape (see ``canonical``).
_UNSIGNED_KEYS = {"resource": ("size",)}
_FORWARDED_KEYS = {
    kind: frozenset(keys) | frozenset(_UNSIGNED_KEYS.get(kind, ())) for kind, keys in _SIGNED_KEYS.items()
}


class PinStoreError(McpwardError):
    """A pin store that cannot be read or written; the message names the file."""


_THREADS = threading.Lock()  # flock excludes other processes, not the threads of this one


@contextlib.contextmanager
def pin_store_lock(path: Path) -> Iterator[None]:
    """One read-modify-write of the pin store at ``path`` at a time: of this process's threads
    and of every other process writing it (a gateway per stdio server, ``pins approve``,
    ``inspect --pin``), each of which would otherwise save what it read before another's write
    and lose it (an approval, a server's pins, a change waiting for review). The lock is a file
    beside the store."""
    with _THREADS:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            if not stat.S_ISREG(os.stat(path).st_mode):
                # Before the lock beside it is made: --store /dev/zero made /dev/zero.lock.
                raise PinStoreError(f"{path}: cannot use the pin store: not a regular file")
        _refuse_others(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Never through a link, nor truncating: a link planted there had the file it named
            # emptied (a folder others may write is refused above; this is the last guard).
            flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            lock = os.fdopen(os.open(path.with_suffix(".lock"), flags, 0o600), "w")
        except OSError as exc:
            # A store under a file (ENOTDIR, EEXIST) or in a folder not writable was an
            # internal error (exit 70).
            raise PinStoreError(f"{path}: cannot use the pin store: {exc.strerror or exc}") from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


def _refuse_others(path: Path) -> None:
    """Refuse (:class:`PinStoreError`) a pin store that another local account can change: the
    file, a folder holding it (or the nearest that exists, for a store not yet made) or a link
    on the way. The store records what reviewers approved, so whoever can change it approves
    (tests/adversarial/test_pins_store_others_write.py)."""
    place = path.absolute()
    while not os.path.lexists(place) and place.parent != place:
        place = place.parent
    changeable = changeable_by_others(place)
    if changeable is not None:
        raise PinStoreError(
            f"{path}: cannot use the pin store: {changeable} can be changed by another account "
            "(whoever can change the store approves tools)"
        )


#: An ISO 8601 date or date and time, as the protocol writes ``lastModified``.
_ISO_DATE = compiled(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?", re.ASCII
)


def canonical(kind: str, item: dict[str, Any]) -> str:
    signed = {key: item[key] for key in _SIGNED_KEYS[kind] if key in item and item[key] is not None}
    if kind.startswith("resource"):
        # A resource's size and last modification are left unsigned only in the protocol's
        # shape (a number, an ISO 8601 date): any value was, and a text there (which a client
        # may show beside the resource, or give the model with it) changed after approval and
        # passed unpinned. Any other value is signed.
        annotations = signed.get("annotations")
        if isinstance(annotations, dict) and _a_date(annotations.get("lastModified")):
            signed["annotations"] = {k: v for k, v in annotations.items() if k != "lastModified"}
        size = item.get("size") if kind == "resource" else None  # a template has none
        if size is not None and not (isinstance(size, int | float) and not isinstance(size, bool)):
            signed["size"] = size
    return json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _a_date(value: Any) -> bool:
    """An ISO 8601 date (or null: it says nothing), as ``lastModified`` is left unsigned."""
    return value is None or (
        isinstance(value, str) and len(value) <= 40 and _ISO_DATE.fullmatch(value) is not None
    )


def forwarded(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` as the gateway forwards it: without the fields the protocol does not define for
    its kind, which no pin covers (a server's own top-level field could change after approval;
    extensions belong under ``_meta``). The item itself when it has none."""
    allowed = _FORWARDED_KEYS[kind]
    if item.keys() <= allowed:
        return item
    return {key: value for key, value in item.items() if key in allowed}


def signature(server: str, kind: str, item: dict[str, Any]) -> tuple[ToolSignature, str]:
    text = canonical(kind, item)
    name = str(item.get("name") or ("instructions" if kind == "instructions" else "?"))
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return ToolSignature(server=server, kind=kind, name=name, sha256=digest), text


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # tool-changed, tool-added, tool-removed, tool-renamed
    item_kind: str
    name: str
    previous_name: str | None = None
    diff: str = ""


#: The largest pin store read: far more than thousands of servers' tools.
MAX_STORE_BYTES = 256 * 1024 * 1024


class PinStore:
    """A JSON file of pins: server -> "kind:name" -> {sha256, canonical}."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, dict[str, dict[str, str]]] = {}
        #: Signatures seen by the gateway that differ from the pins, waiting for approval.
        self.pending: dict[str, dict[str, dict[str, str]]] = {}
        if path.exists():
            try:
                # The bounded reader: a FIFO blocked the command (or a gateway) forever and
                # /dev/zero ran it out of memory; JSON nested thousands of levels deep
                # exhausted the parser's stack (internal errors).
                loaded = json.loads(read_raw(path, MAX_STORE_BYTES).decode("utf-8"))
            except DocumentError as exc:
                raise PinStoreError(f"{path}: cannot read the pin store: {exc}") from None
            except (ValueError, RecursionError) as exc:
                raise PinStoreError(f"{path}: cannot read the pin store ({type(exc).__name__})") from None
            servers = loaded.get("servers") if isinstance(loaded, dict) else None
            if not isinstance(servers, dict):
                raise PinStoreError(f"{path}: not a pin store")
            pending = loaded.get("pending", {})
            for section in (servers, pending):
                problem = _malformed(section)
                if problem:
                    raise PinStoreError(f"{path}: not a pin store ({problem})")
            self.data = servers
            self.pending = pending
        _refuse_others(path)  # after the reader's own refusals (a FIFO, /dev/zero) say what they are

    def has(self, server: str) -> bool:
        return server in self.data

    def pin(self, server: str, pins: list[tuple[ToolSignature, str]]) -> None:
        self.data[server] = pin_record(pins)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=self.path.parent, delete=False, suffix=".tmp", encoding="utf-8"
        ) as handle:
            document: dict[str, Any] = {"version": 1, "servers": self.data}
            if self.pending:
                document["pending"] = self.pending
            json.dump(document, handle, indent=1, sort_keys=True)
        os.replace(handle.name, self.path)

    def compare(self, server: str, pins: list[tuple[ToolSignature, str]]) -> Iterator[Change]:
        return compare(self.data.get(server, {}), pins)


def _malformed(section: Any) -> str | None:
    """What is wrong with a section of a pin store (server -> "kind:name" -> {sha256,
    canonical}), or None."""
    if not isinstance(section, dict):
        return "a section is not an object"
    for server, record in section.items():
        if not isinstance(record, dict):
            return f"server {server!r} is not an object"
        for key, pin in record.items():
            if ":" not in key or not isinstance(pin, dict):
                return f"pin {key!r} of server {server!r} is malformed"
            if not isinstance(pin.get("sha256"), str) or not isinstance(pin.get("canonical"), str):
                return f"pin {key!r} of server {server!r} lacks its sha256 or canonical text"
    return None


def pin_record(pins: list[tuple[ToolSignature, str]]) -> dict[str, dict[str, str]]:
    """Signatures as they are stored: "kind:name" -> {sha256, canonical}."""
    return {f"{s.kind}:{s.name}": {"sha256": s.sha256, "canonical": text} for s, text in pins}


def chosen_pins(keys: Iterable[str], names: Iterable[str]) -> list[str]:
    """The pin keys ("kind:name") a reviewer's names choose: a name is an item's name
    (``get_weather``, ``instructions``) or its whole key (``tool:instructions``). A name that
    fits more than one key (the server's instructions and a tool the server named
    ``instructions``) chooses none: approving one must never approve the other unseen, so the
    whole choice is refused (:class:`ValueError`, naming the keys to choose between). So is a
    name that fits none while others wait (a misspelt name must not leave the reviewer believing
    it was approved, nor approve the other names alone), naming what waits."""
    keys = list(keys)
    chosen: list[str] = []
    for name in names:
        fits = [key for key in keys if key == name or key.split(":", 1)[1] == name]
        if len(fits) > 1:
            raise ValueError(f"{name!r} names {' and '.join(sorted(fits))}: give the one meant")
        if not fits and keys:
            waiting = sorted(key.removeprefix("tool:") for key in keys)
            shown = ", ".join(waiting[:10]) + (f" and {len(waiting) - 10} more" if len(waiting) > 10 else "")
            raise ValueError(f"{name[:80]!r} is not waiting for approval; waiting: {shown}")
        chosen.extend(key for key in fits if key not in chosen)
    return chosen


def check_expected(chosen: dict[str, str], expected: Iterable[str]) -> None:
    """Refuse (:class:`ValueError`) an approval whose chosen items ("kind:name" -> sha256) are
    not the versions the reviewer read: each must be one of the ``expected`` sha256 digests
    (all 64 hex digits, as the withheld item's event shows its ``sha256``). A server may change
    what waits between the review and the approval, and an approval by name alone takes what
    waits then. A prefix is not taken: the server writes both versions, so it can make a
    planted one share the read one's first 12 hex digits in about 2**24 tries (a birthday
    search, minutes on one core), and the approval took the planted one
    (tests/adversarial/test_pins_approval_digest_prefix.py)."""
    digests = [digest.lower() for digest in expected]
    bad = [d for d in digests if len(d) != 64 or not all(c in "0123456789abcdef" for c in d)]
    if bad:
        raise ValueError(f"{bad[0][:80]!r} is not a sha256 (all 64 hex digits, as the event shows it)")
    other = sorted(key for key, digest in chosen.items() if digest not in digests)
    if digests and other:
        raise ValueError(
            f"{', '.join(other)} waiting now is not the version given (sha256 "
            f"{chosen[other[0]][:16]}...): nothing approved; review what waits now"
        )


def compare(before: dict[str, dict[str, str]], pins: list[tuple[ToolSignature, str]]) -> Iterator[Change]:
    """What changed from the pinned record ``before`` to the signatures ``pins``."""
    now = {f"{s.kind}:{s.name}": (s, text) for s, text in pins}
    removed = {key: value for key, value in before.items() if key not in now}
    added = {key: value for key, value in now.items() if key not in before}
    # Removed items by their content without the name, each parsed once: a look-up per added
    # item (comparing every added item with every removed one was quadratic).
    by_content: dict[tuple[str, str], list[str]] = {}
    if added:
        for key, value in removed.items():
            content = (key.split(":", 1)[0], _without_name(value["canonical"]))
            by_content.setdefault(content, []).append(key)
    for _key, (sig, text) in sorted(added.items()):
        same = by_content.get((sig.kind, _without_name(text)))
        if same:
            renamed_from = same.pop(0)
            removed.pop(renamed_from, None)
            yield Change("tool-renamed", sig.kind, sig.name, previous_name=renamed_from.split(":", 1)[1])
        else:
            yield Change("tool-added", sig.kind, sig.name)
    for key in sorted(removed):
        kind, name = key.split(":", 1)
        yield Change("tool-removed", kind, name)
    for key in sorted(set(before) & set(now)):
        sig, text = now[key]
        if before[key]["sha256"] != sig.sha256:
            yield Change(
                "tool-changed", sig.kind, sig.name, diff=readable_diff(before[key]["canonical"], text)
            )


def _look_alikes_named(lines: list[str]) -> list[str]:
    """The diff's lines, each changed line that looks like the line it replaces (a letter of
    another script drawn as a Latin one, a space of another kind: a domain in a description
    respelled) followed by a note naming the characters that differ by code point: the diff
    showed two lines that read the same, and the reviewer approved what they could not see
    (tests/adversarial/test_pins_look_alike_diff.py)."""
    from mcpward.identity import skeleton

    named, at = lines[:2], 2  # past the "--- pinned" and "+++ now" lines
    while at < len(lines):
        removed = list(itertools.takewhile(lambda line: line.startswith("-"), lines[at:]))
        added = list(itertools.takewhile(lambda line: line.startswith("+"), lines[at + len(removed) :]))
        if not (removed and added):
            named.append(lines[at])
            at += 1
            continue
        named.extend(removed)
        for was, now in zip(removed, added, strict=False):
            named.append(now)
            if was[1:] == now[1:] or skeleton(was[1:]) != skeleton(now[1:]):
                continue
            differing = _differing(was[1:], now[1:])
            if differing:
                named.append(
                    f"(the line above and the one it replaces look alike; they differ in: {differing})"
                )
        named.extend(added[len(removed) :])
        at += len(removed) + len(added)
    return named


def _differing(was: str, now: str) -> str:
    """The characters of ``now`` that differ from those of ``was`` where one is not ASCII, each
    by code point ("U+0430 where U+0061 was"); empty when all that differs is ASCII (a case
    or a digit, which a reader sees)."""
    parts = []
    matcher = difflib.SequenceMatcher(None, was, now, autojunk=False)
    for operation, start, end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            continue
        old_part, new_part = was[start:end], now[new_start:new_end]
        if (old_part + new_part).isascii():
            continue

        def codes(part: str) -> str:
            return " ".join(f"U+{ord(char):04X}" for char in part) or "nothing"

        parts.append(f"{codes(new_part)} where {codes(old_part)} was")
    return "; ".join(parts[:10])


def _without_name(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    data.pop("name", None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


#: A diff reads at most this much of each text, in lines of at most ``_DIFF_WIDTH`` characters:
#: a description or instructions of megabytes (up to the message limit) would cost seconds of
#: diffing and redaction in the gateway for every session, and no reviewer reads past this.
_DIFF_CHARS = 65_536
_DIFF_WIDTH = 200
_DIFF_LINES = 200


def readable_diff(before: str, after: str) -> str:
    """A unified diff of the two canonical texts, pretty-printed so a person can read it (long
    lines wrapped; past the first ``_DIFF_CHARS`` of either pretty-printed text, or past
    ``_DIFF_LINES`` lines of diff, a note says that the rest is not shown: a reviewer reads it
    before approving, and a change after a cut must not look like no change)."""

    def pretty(text: str) -> str:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False)
        return text

    def wrapped(shown: str) -> list[str]:
        return [
            line[start : start + _DIFF_WIDTH]
            for line in shown.splitlines()
            for start in range(0, max(len(line), 1), _DIFF_WIDTH)
        ]

    old, new = pretty(before), pretty(after)
    # Both sides shown with their backslashes doubled alike: one side's doubled alone, its line
    # typing one read the same as the other side's typing two (a change shown as none).
    old_shown, new_shown = visible_together([old[:_DIFF_CHARS], new[:_DIFF_CHARS]])
    lines = _look_alikes_named(
        list(difflib.unified_diff(wrapped(old_shown), wrapped(new_shown), "pinned", "now", lineterm="", n=1))
    )
    cut = len(lines) > _DIFF_LINES
    lines = lines[:_DIFF_LINES]
    if cut:
        lines.append(
            f"(the diff goes on: read the whole text waiting for review before approving it; the "
            f"lines past its first {_DIFF_LINES} are not shown)"
        )
    # The pretty-printed texts are cut, not the canonical ones: indentation makes a deep schema
    # of 40,000 characters three times as long, and its tail was cut without a note.
    if max(len(old), len(new)) > _DIFF_CHARS:
        lines.append(
            f"(texts of {len(before)} and {len(after)} characters, {len(old)} and {len(new)} as shown: "
            f"the diff covers the first {_DIFF_CHARS} shown, the rest is not shown)"
        )
    return "\n".join(lines)
