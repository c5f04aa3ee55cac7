"""Rug pulls: tools whose signature differs from the approved pin are withheld from the client
and calls to them refused, until ``mcpward pins approve``; the server's instructions (its
``initialize`` answer's text for the model) likewise. The registry entry's pins rule when the
server matched one; otherwise the local pin store (``inspect --pin`` writes it too)."""

from __future__ import annotations

import hashlib
import os
import re
import time
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward.dlp import redact_text
from mcpward.errors import McpwardError
from mcpward.gateway.interface import Exchange, Interceptor, PipelineContext, Refusal, SecurityEvent, Session
from mcpward.inspect import (
    SERVER_INFO_KEYS,
    Change,
    PinStore,
    PinStoreError,
    check_expected,
    chosen_pins,
    compare,
    forwarded,
    instructions_item,
    pin_record,
    pin_store_lock,
    readable_diff,
    signature,
)
from mcpward.model import Severity, ToolSignature

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig
    from mcpward.registry import Registry

#: "kind:name" -> {"sha256", "canonical"}: one server's pins.
PinRecord = dict[str, dict[str, str]]

_SEVERITY = {
    "tool-changed": Severity.HIGH,
    "tool-added": Severity.MEDIUM,
    "tool-renamed": Severity.MEDIUM,
    "tool-removed": Severity.LOW,
}
#: The pin of a server's instructions (one per server, see ``inspect``'s signatures).
INSTRUCTIONS = "instructions:instructions"
#: Lists other than tools, judged against the pins of their kind where the server has any
#: (``inspect --pin`` and registry reviews make them; the gateway pins none of them on first
#: use): the method, the list's key in its result, the pins' kind.
_OTHER_LISTS = {
    "prompts/list": ("prompts", "prompt"),
    "resources/list": ("resources", "resource"),
    "resources/templates/list": ("resourceTemplates", "resource-template"),
}


#: The list each kind of item is in, as ``notifications/LIST/list_changed`` names it.
_LIST_OF_KIND = {"prompt": "prompts", "resource": "resources", "resource-template": "resources"}
#: The capabilities whose lists the gateway may say changed.
_LIST_CHANGED = ("tools", "prompts", "resources")
#: How often a session with items withheld reads the pins for an approval given since.
APPROVAL_CHECK_SECONDS = 5.0

#: Tool names longer than this are withheld: the specification asks for at most 128
#: characters, a longer name is room for instructions to the model, and the shared pin table
#: keys on it.
MAX_TOOL_NAME = 256
#: The bytes, and the pages, of a tool list past which its later pages are withheld whole (and
#: the list ended for the client): each page judged may be pinned on first use or held for
#: review, so a server answering page after page would grow the pin store and the session
#: without bound, and write the pin file again whole at every page.
MAX_LIST_BYTES = 16 * 1024 * 1024
MAX_LIST_PAGES = 100
#: The tools' waits for review a page of a list not yet whole keeps (see ``_judge``); past
#: this many, its waits replace them (lists never whole would grow the pin store without bound).
MAX_KEPT_WAITS = 10_000
#: A cursor longer than this is keyed by its digest (a session keeps the keys of its pages).
_MAX_PAGE_KEY = 64


class PinSource(ABC):
    """Where a gateway's pins live: the pin file (one machine) or the registry database (every
    replica compares with the same pins, and a change approved once holds on all of them)."""

    @abstractmethod
    def pinned(self, server: str) -> PinRecord | None:
        """The pins of ``server``; None when it was never pinned."""

    @abstractmethod
    def pin_first(self, server: str, record: PinRecord) -> PinRecord | None:
        """Pin a never-pinned server's tools: None when ``record`` now stands, else the pins
        another gateway wrote first."""

    @abstractmethod
    def pin_more(self, server: str, record: PinRecord) -> PinRecord:
        """Pin the items of ``record`` that have no pin yet (the later pages of the first tool
        list, which this gateway pinned on first use): the pins of those items as they now
        stand (another gateway's where it pinned one first)."""

    @abstractmethod
    def hold(self, server: str, record: PinRecord, *, keep: int = 0) -> None:
        """Keep the signatures that differ from the pins for a reviewer, replacing the earlier
        ones of the same kinds (a tool list's wait does not drop the instructions' wait); up to
        ``keep`` of those earlier ones, they stay (but for the items ``record`` holds)."""


#: The pin files read, by path: the file's identity when it was read, and the store read.
#: Each session read the pins at every list judged and every 5 s while something waited, and
#: parsed the whole file each time: one server's first list (pinned on first use, 16 MiB) and
#: its waits made it large enough to keep a core busy (tests/adversarial/test_pins_store_read_again.py).
#: What is kept is never changed in place: a write reads the store anew (a file replaced within
#: one tick of the clock by one of the same size could reuse the inode and look the same).
_PARSED: dict[Path, tuple[tuple[int, ...], PinStore]] = {}
#: Pin files kept parsed (a gateway uses one; tests many).
_PARSED_FILES = 8


def _current(path: Path) -> PinStore:
    """The store in the file at ``path``, parsed again only when the file changed: each write
    replaces it (a new file), and any change moves its modification time."""
    try:
        facts = os.stat(path)
    except OSError:
        return PinStore(path)  # none yet (or the reader says what is wrong)
    seen = (facts.st_dev, facts.st_ino, facts.st_size, facts.st_mtime_ns, facts.st_ctime_ns)
    kept = _PARSED.get(path)
    if kept is not None and kept[0] == seen:
        return kept[1]
    # Read after the look: what is kept is the file as it was then or newer.
    store = PinStore(path)
    if len(_PARSED) >= _PARSED_FILES:
        _PARSED.clear()
    _PARSED[path] = (seen, store)
    return store


class PinFile(PinSource):
    def __init__(self, path: Path) -> None:
        self.path = path

    def pinned(self, server: str) -> PinRecord | None:
        record = _current(self.path).data.get(server)
        return None if record is None else dict(record)

    def pin_first(self, server: str, record: PinRecord) -> PinRecord | None:
        with pin_store_lock(self.path):
            store = PinStore(self.path)
            if server in store.data:
                return store.data[server]
            store.data[server] = record
            store.save()
            return None

    def pin_more(self, server: str, record: PinRecord) -> PinRecord:
        with pin_store_lock(self.path):
            store = PinStore(self.path)
            pinned = store.data.setdefault(server, {})
            missing = {key: pin for key, pin in record.items() if key not in pinned}
            if missing:
                pinned.update(missing)
                store.save()
            return {key: pinned[key] for key in record}

    def hold(self, server: str, record: PinRecord, *, keep: int = 0) -> None:
        # Kept already (a list listed again, by any session): each page with a wait read and
        # wrote the whole file, a large one a second a page
        # (tests/adversarial/test_pins_store_read_again.py). Looked up in the store as last
        # read, without the lock: a wait this skips wrongly is one the store held a moment ago.
        pending = _current(self.path).pending.get(server, {})
        if _held(pending, record, keep) == pending:
            return
        with pin_store_lock(self.path):
            store = PinStore(self.path)  # as it is now, not as kept: a write must lose no other
            pending = store.pending.get(server, {})
            waits = _held(pending, record, keep)
            if waits == pending:
                return
            store.pending[server] = waits
            store.save()


def _held(pending: PinRecord, record: PinRecord, keep: int) -> PinRecord:
    """A server's waits once ``record`` is held (see ``PinSource.hold``)."""
    kinds = {key.split(":", 1)[0] for key in record}
    if sum(1 for k in pending if k.split(":", 1)[0] in kinds) <= keep:
        kinds = set()
    kept = {k: v for k, v in pending.items() if k.split(":", 1)[0] not in kinds}
    return {**kept, **record}


class PinDatabase(PinSource):
    def __init__(self, source: str) -> None:
        self.source = source  # "local" or a database URL

    def _registry(self) -> Registry:
        from mcpward.registry import shared_registry  # SQLAlchemy only for gateways that share pins

        return shared_registry(self.source)

    def pinned(self, server: str) -> PinRecord | None:
        return self._registry().gateway_pins(server)

    def pin_first(self, server: str, record: PinRecord) -> PinRecord | None:
        return self._registry().pin_on_first_use(server, record)

    def pin_more(self, server: str, record: PinRecord) -> PinRecord:
        return self._registry().pin_more_on_first_use(server, record)

    def hold(self, server: str, record: PinRecord, *, keep: int = 0) -> None:
        self._registry().hold_pins(server, record, keep=keep)


class Pins(Interceptor):
    name = "pins"

    def __init__(self, store: Path | PinSource, *, first_use: str = "pin") -> None:
        self.source = PinFile(store) if isinstance(store, Path) else store
        #: "pin" trusts a server's first tool list (and records that it did); "withhold" shows
        #: no tool of a server that was never pinned.
        self.first_use = first_use

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Pins | None:
        if not config.pins.enabled:
            return None
        if config.pins.database:
            return cls(PinDatabase(config.pins.database), first_use=config.pins.first_use)
        from mcpward.inspect import default_pin_store

        return cls(config.pins.store or default_pin_store(), first_use=config.pins.first_use)

    def response(self, session: Session, exchange: Exchange) -> None:
        if exchange.method == "initialize" and exchange.response is not None:
            self._offer_list_changes(exchange)
            self._judge_instructions(session, exchange)
            return
        if exchange.method in _OTHER_LISTS and exchange.response is not None:
            self._judge_other_list(session, exchange, *_OTHER_LISTS[exchange.method])
            return
        if exchange.method != "tools/list" or exchange.response is None:
            return
        result = exchange.response.get("result")
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return
        listing = self._listing(session, exchange)
        if listing.page is not None and (
            listing.received >= MAX_LIST_BYTES or listing.answered >= MAX_LIST_PAGES
        ):
            listing.first_use = False
            exchange.events.append(
                SecurityEvent(
                    "tool-list-too-long",
                    Severity.HIGH,
                    f"a page of {len(result['tools'])} tools withheld: the list's pages passed "
                    f"{MAX_LIST_BYTES} bytes or {MAX_LIST_PAGES} pages",
                )
            )
            exchange.note("alert", "a page of the tool list withheld: the list is too long")
            result.pop("nextCursor", None)
            result["tools"] = []
            exchange.response_changed = True
            return
        listing.received += exchange.response_bytes
        listing.answered += 1
        listed = [
            tool for tool in result["tools"] if isinstance(tool, dict) and isinstance(tool.get("name"), str)
        ]
        # A name listed twice (on one page, or on two pages of one list) is judged nowhere: pins
        # compare by name (the last copy would stand for all) while the client may show any
        # copy. Every copy is withheld, one an earlier page showed too (it cannot be taken back
        # from the client's list, but it is no longer called).
        counts = Counter(tool["name"] for tool in listed)
        earlier = listing.other_pages(listing.page)
        duplicated = sorted(name for name, count in counts.items() if count > 1 or name in earlier)
        listing.pages[listing.page] = set(counts)
        tools = [tool for tool in listed if tool["name"] not in duplicated]
        withheld: dict[str, str] = {}
        for tool in tools:
            if not tool["name"]:
                # Signed as "?", it would be withheld under that name and pass itself.
                withheld[""] = "no name"
                exchange.events.append(
                    SecurityEvent("tool-unnamed", Severity.HIGH, "a tool without a name withheld")
                )
            elif len(tool["name"]) > MAX_TOOL_NAME:
                withheld[tool["name"]] = "name too long"
                exchange.events.append(
                    SecurityEvent(
                        "tool-name-too-long",
                        Severity.HIGH,
                        f"a tool whose name has {len(tool['name'])} characters withheld "
                        f"(at most {MAX_TOOL_NAME})",
                    )
                )
        # Judged and forwarded as signed: a field outside the protocol's is dropped, not passed
        # on unpinned.
        tools = [forwarded("tool", tool) for tool in tools if tool["name"] not in withheld]
        signed = [signature(session.server, "tool", tool) for tool in tools]
        for name in duplicated:
            withheld[name] = "listed more than once under one name"
            exchange.events.append(
                SecurityEvent(
                    "tool-duplicated",
                    Severity.HIGH,
                    f"tool {name!r} withheld: listed {counts[name] + (name in earlier)} times under one name",
                    tool=name,
                )
            )
        more = _page_key(result.get("nextCursor") or None)
        try:
            self._judge(session, exchange, signed, tools, withheld, listing, last=more is None)
        except Exception as exc:  # noqa: BLE001 - the pin file or the database: fail closed
            listing.first_use = False
            withheld.update({tool["name"]: "the pins could not be read" for tool in tools})
            exchange.events.append(
                SecurityEvent("pins-unreadable", Severity.HIGH, f"every tool withheld: {_problem(exc)}")
            )
        if listing.first_use:
            # Only the page this one points to goes on with the first list; after the last, none.
            listing.next_page = more
            listing.first_use = more is not None
        if not listing.in_view:
            # Replaced only now, the judging done: a page whose judging failed (refused) left
            # the earlier list's withheld tools withheld.
            session.visible_tools, session.withheld_tools = {}, {}
            listing.in_view = True
        # The pages of one list add up (a later page replacing the visible tools took every
        # earlier page's tools away, and a tool an earlier page withheld became callable).
        session.withheld_tools.update(withheld)
        for name in withheld:
            session.visible_tools.pop(name, None)
        session.visible_tools.update((tool["name"], tool) for tool in tools if tool["name"] not in withheld)
        session.tools_listed = True
        # What is forwarded is the page rebuilt from the tools judged visible, never the page
        # as it came (same length means same tools: the visible ones are taken from it in order).
        visible = [tool for tool in tools if tool["name"] not in withheld]
        if withheld or len(visible) != len(result["tools"]):
            result["tools"] = visible
            exchange.response_changed = True
            exchange.note(
                "alert", f"withheld {len(withheld)} tool(s) pending approval: {', '.join(sorted(withheld))}"
            )
        elif _stripped(visible, result["tools"]):
            result["tools"] = visible
            exchange.response_changed = True

    def _listing(self, session: Session, exchange: Exchange) -> _ToolListing:
        """The tool list this page belongs to: a request without a ``cursor`` starts a new one
        (and, once its page is judged, the session's view of the tools with it), one with a
        cursor goes on with it."""
        state = session.state.setdefault(self.name, {})
        cursor = exchange.params.get("cursor")
        listing = state.get("tool-listing")
        if cursor is None or not isinstance(listing, _ToolListing):
            listing = state["tool-listing"] = _ToolListing(whole=cursor is None)
        listing.page = _page_key(cursor)
        return listing

    def _end_first_list(self, session: Session) -> None:
        """No later page is the server's first list any more: the client called a tool, listed
        anew or asked for a page the first list did not point to, or the server said its tools
        changed. A page answered from then on is judged against the pins, never pinned."""
        listing = session.state.get(self.name, {}).get("tool-listing")
        if isinstance(listing, _ToolListing):
            listing.first_use = False

    def _baseline(self, session: Session) -> PinRecord | None:
        """The pins to judge by: the registry entry's when it has any (even none of a tool:
        what was reviewed without tools or instructions has none approved), else the source's."""
        entry = _entry_pins(session)
        return entry if entry is not None else self.source.pinned(session.server)

    def _judge(
        self,
        session: Session,
        exchange: Exchange,
        signed: list[tuple[ToolSignature, str]],
        tools: list[dict[str, Any]],
        withheld: dict[str, str],
        listing: _ToolListing,
        *,
        last: bool,
    ) -> None:
        """Compare one page of the listed tools with the pins (pinning them on first use),
        recording in ``withheld`` the ones the client must not see. ``last``: no page follows."""
        # The instructions this session's handshake carried before the server had pins.
        first = session.state.get(self.name, {}).get("instructions")
        baseline = self._baseline(session)
        if listing.first_use and listing.page is not None and listing.page != listing.next_page:
            listing.first_use = False  # a page asked again, or one the first list never pointed to
        if listing.first_use and _entry_pins(session) is not None:
            # A review gave the registry entry pins since the first page (the registry check
            # reads the entry again mid-session): they rule, and first use pins nothing beside them.
            listing.first_use = False
        if listing.first_use and listing.page is not None and baseline is not None:
            # The next page of the list this session pinned on first use: it is the same first
            # list, trusted as its first page was; a pin another gateway wrote meanwhile stands.
            fresh = pin_record([pair for pair in signed if f"tool:{pair[0].name}" not in baseline])
            if fresh:
                baseline = {**baseline, **self.source.pin_more(session.server, fresh)}
                exchange.events.append(
                    SecurityEvent(
                        "pinned-on-first-use",
                        Severity.INFO,
                        f"{len(fresh)} more tools of {session.server} pinned (its first list's next page)",
                    )
                )
        if baseline is None and self.first_use == "pin":
            # They are pinned with the tools.
            baseline = self.source.pin_first(
                session.server, pin_record([*signed, *([first] if first else [])])
            )
            if baseline is None:
                listing.first_use = True
                if first is not None:
                    session.state[self.name].pop("instructions", None)
                exchange.events.append(
                    SecurityEvent(
                        "pinned-on-first-use",
                        Severity.INFO,
                        f"{len(signed)} tools of {session.server} pinned",
                    )
                )
                return
        if first is not None and baseline is not None:
            # Another session (or replica) set the pins first: the instructions this one passed
            # as the first ones are judged now, late (the client has them), for the record.
            self._judge_late_instructions(session, exchange, first, baseline)
        if baseline is None:
            withheld.update({tool["name"]: "never approved" for tool in tools})
        else:
            # A tool list is judged against the tool pins only: `inspect --pin` also pins the
            # server's prompts, resources and instructions, which no tool list carries.
            baseline = {key: pin for key, pin in baseline.items() if key.startswith("tool:")}
            if withheld:
                # A duplicated name's pin stays; it is neither removed nor the source of a rename.
                baseline = {key: pin for key, pin in baseline.items() if key[5:] not in withheld}
            details = _ChangeDetails(signed)
            for change in compare(baseline, signed):
                if change.kind == "tool-removed":
                    continue  # the list's other pages may hold it: told once the list is whole
                withheld[change.name] = change.kind
                exchange.events.append(
                    SecurityEvent(
                        change.kind,
                        _SEVERITY[change.kind],
                        f"tool {change.name!r} withheld: "
                        f"{change.kind.replace('tool-', '')} since it was approved",
                        tool=change.name,
                        detail=details.of(change),
                    )
                )
            if last and listing.whole:
                listed = listing.all_names()
                for key in sorted(baseline):
                    if key[5:] not in listed:
                        exchange.events.append(
                            SecurityEvent("tool-removed", Severity.LOW, f"tool {key[5:]!r} was removed")
                        )
        # A duplicated or too long name has nothing to approve (it is not signed).
        waiting = pin_record([pair for pair in signed if pair[0].name in withheld])
        listing.waiting.update(waiting)
        if last and listing.whole and listing.waiting:
            # The whole list's waits replace the tools' waits (a tool it no longer has waits no more).
            self.source.hold(session.server, listing.waiting)
        elif waiting:
            # A page's waits join those kept: replacing them dropped the waits of the pages the
            # list has not reached (and writing the list's so far at each page cost its square).
            self.source.hold(session.server, waiting, keep=MAX_KEPT_WAITS)

    @staticmethod
    def _offer_list_changes(exchange: Exchange) -> None:
        """The handshake tells the client that its lists may change (``listChanged``): the
        gateway says so itself when an approval frees what it withheld (see ``tick``)."""
        assert exchange.response is not None
        result = exchange.response.get("result")
        capabilities = result.get("capabilities") if isinstance(result, dict) else None
        if not isinstance(capabilities, dict):
            return
        for kind in _LIST_CHANGED:
            offered = capabilities.get(kind)
            if isinstance(offered, dict) and offered.get("listChanged") is not True:
                capabilities[kind] = {**offered, "listChanged": True}
                exchange.response_changed = True

    def tick(self, session: Session) -> list[dict[str, Any]]:
        """A list the client was shown with items withheld, of which a reviewer has approved
        one since (``pins approve``, or pins given through the registry): the client is told
        that the list changed, so that it lists again and the approved item appears in this
        session, not only in the next. The pins are read at most every
        ``APPROVAL_CHECK_SECONDS``, and only while something waits; each approval is told once."""
        state = session.state.get(self.name)
        if not state:
            return []
        listing = state.get("tool-listing")
        waiting: list[tuple[str, PinRecord]] = [
            ("tools", listing.waiting) if isinstance(listing, _ToolListing) else ("tools", {}),
            *((_LIST_OF_KIND[kind], record) for kind, record in state.get("waiting", {}).items()),
        ]
        if not any(record for _, record in waiting):
            return []
        now = time.monotonic()
        if now - state.get("approvals-checked", -APPROVAL_CHECK_SECONDS) < APPROVAL_CHECK_SECONDS:
            return []
        state["approvals-checked"] = now
        baseline = self._baseline(session) or {}
        changed: list[str] = []
        for name, record in waiting:
            approved = [
                key for key, pin in record.items() if baseline.get(key, {}).get("sha256") == pin["sha256"]
            ]
            for key in approved:
                del record[key]  # told once; the client's next listing judges it anew
            if approved and name not in changed:
                changed.append(name)
        return [{"jsonrpc": "2.0", "method": f"notifications/{name}/list_changed"} for name in changed]

    def _judge_instructions(self, session: Session, exchange: Exchange) -> None:
        """The server's instructions reach the model as they are (clients put them in its
        context for the whole session), so they are pinned as a tool's description is: changed
        or added since the approval, they are left out of the handshake (which passes
        otherwise) until ``mcpward pins approve SERVER --tool instructions``. A server never
        pinned has its instructions pinned with its first tool list (``first_use = "pin"``)."""
        assert exchange.response is not None
        result = exchange.response.get("result")
        if not isinstance(result, dict):
            return
        found = result.get("serverInfo")
        info: dict[str, Any] = found if isinstance(found, dict) else {}
        if not info.keys() <= _SERVER_INFO_FORWARDED:
            # A field outside the protocol's is covered by no pin (as for a tool's fields).
            info = result["serverInfo"] = {k: v for k, v in info.items() if k in _SERVER_INFO_FORWARDED}
            exchange.response_changed = True
        text = result.get("instructions")
        # Null spells out that there are none.
        if text is None and all(info.get(field) is None for field, _ in SERVER_INFO_KEYS):
            return
        if not isinstance(text, str | None) or not _server_info_well_formed(info):
            self._withhold_instructions(
                exchange, result, "instructions-malformed", Severity.MEDIUM, "they are not text"
            )
            return
        signed = signature(session.server, "instructions", instructions_item(session.server, text, info).raw)
        try:
            baseline = self._baseline(session)
        except Exception as exc:  # noqa: BLE001 - the pin file or the database: fail closed
            self._withhold_instructions(
                exchange,
                result,
                "pins-unreadable",
                Severity.HIGH,
                f"the pins could not be read: {_problem(exc)}",
            )
            return
        if baseline is None and self.first_use == "pin":
            session.state.setdefault(self.name, {})["instructions"] = signed
            return
        pinned = _instructions_pin(baseline)
        for change in compare(pinned, [signed]):
            if change.kind == "tool-changed":
                kind, severity, why = (
                    "instructions-changed",
                    Severity.HIGH,
                    "changed since they were approved",
                )
            else:
                kind, severity, why = "instructions-added", Severity.MEDIUM, "never approved"
            if _entry_pins(session) is not None:  # the entry's pins rule: a review approves them
                why += f" (registry entry {(session.entry or {}).get('id')}'s pins)"
            self._withhold_instructions(exchange, result, kind, severity, why, change.diff, signed[0].sha256)
            self._hold_withheld(session, exchange, pin_record([signed]))

    def _judge_late_instructions(
        self, session: Session, exchange: Exchange, first: tuple[ToolSignature, str], baseline: PinRecord
    ) -> None:
        """Instructions passed on first use that differ from the pins another session set first:
        recorded (they reached this session's client) and kept for a reviewer."""
        session.state[self.name].pop("instructions", None)
        pinned = _instructions_pin(baseline)
        for change in compare(pinned, [first]):
            exchange.events.append(
                SecurityEvent(
                    "instructions-changed" if change.kind == "tool-changed" else "instructions-added",
                    Severity.HIGH,
                    "the server's instructions this session passed before the server had pins "
                    "differ from the pins another session set first",
                    detail=_diff_detail(change.diff),
                )
            )
            exchange.note("alert", "the server's instructions this session passed differ from its pins")
            self.source.hold(session.server, pin_record([first]))

    def _judge_other_list(self, session: Session, exchange: Exchange, key: str, kind: str) -> None:
        """A prompt or resource list, where the server has pins of that kind: what changed,
        appeared or was renamed since the approval (or is listed twice under one name, or under
        none) is left out of the list, recorded with its diff and held for ``pins approve``;
        ``prompts/get`` or ``resources/read`` of it is refused. A server with no pins of the kind
        in the local pin store is not judged here (its texts still pass the injection check, as
        every answer's do); under a registry entry's pins every kind is judged.
        A list answered in pages is one list: a page asked for with a ``cursor`` adds to what
        the earlier pages withheld and to their wait for review (a page replacing them let a
        prompt withheld on the first page be fetched, and lost its wait); a list asked for
        without one starts over."""
        assert exchange.response is not None
        result = exchange.response.get("result")
        if not isinstance(result, dict) or not isinstance(result.get(key), list):
            return
        state = session.state.setdefault(self.name, {})
        withheld_items: dict[str, list[tuple[str, Any]]] = state.setdefault("withheld", {})
        waiting_pins: dict[str, PinRecord] = state.setdefault("waiting", {})
        #: What the session's lists showed of each kind: the URIs (or URI templates) that serve
        #: a read openly, so a read a withheld template would also produce is not refused.
        shown: dict[str, list[Any]] = state.setdefault("shown", {})
        # Per kind: the list's pages answered and their bytes (see ``MAX_LIST_BYTES``).
        sizes: dict[str, tuple[int, int]] = state.setdefault("list-sizes", {})
        #: Per kind: the cursor the list's next page is asked with while every page so far came
        #: in order from its start (the list is then whole at its last page); None once not.
        following: dict[str, Any] = state.setdefault("list-next", {})
        cursor = exchange.params.get("cursor")
        if cursor is None:
            withheld_items[kind], waiting_pins[kind], shown[kind], sizes[kind] = [], {}, [], (0, 0)
        in_order = cursor is None or (following.get(kind) is not None and following.get(kind) == cursor)
        following[kind] = result.get("nextCursor") if in_order else None
        whole = in_order and result.get("nextCursor") is None
        earlier = withheld_items.setdefault(kind, [])
        # A resource is read by its URI; a template by any URI it expands to.
        address = "uriTemplate" if kind == "resource-template" else "uri"
        try:
            baseline = self._baseline(session) or {}
        except Exception as exc:  # noqa: BLE001 - the pin file or the database: fail closed
            listed = [item for item in result[key] if isinstance(item, dict)]
            earlier.extend((str(item.get("name")), item.get(address)) for item in listed)
            result[key] = []
            exchange.response_changed = True
            exchange.events.append(
                SecurityEvent("pins-unreadable", Severity.HIGH, f"every {kind} withheld: {_problem(exc)}")
            )
            return
        pinned = {k: pin for k, pin in baseline.items() if k.startswith(f"{kind}:")}
        if not pinned and _entry_pins(session) is None:
            # Nothing of the kind to judge (under a registry entry's pins it is judged even with
            # none of the kind: its review saw none, so each one listed now was added since).
            # Still forwarded as a pinned list is (no field outside the protocol's), so that
            # pinning the kind later changes no item's shape.
            kept = [forwarded(kind, item) if isinstance(item, dict) else item for item in result[key]]
            if _stripped(kept, result[key]):
                result[key] = kept
                exchange.response_changed = True
            return
        answered, received = sizes.get(kind, (0, 0))
        if exchange.params.get("cursor") is not None and (
            answered >= MAX_LIST_PAGES or received >= MAX_LIST_BYTES
        ):
            # Each page holds the list's waits so far, writing the pin store again: a list in
            # pages without end cost the square of its pages.
            exchange.events.append(
                SecurityEvent(
                    f"{kind}-list-too-long",
                    Severity.HIGH,
                    f"a page of {len(result[key])} {kind}s withheld: the list's pages passed "
                    f"{MAX_LIST_BYTES} bytes or {MAX_LIST_PAGES} pages",
                )
            )
            exchange.note("alert", f"a page of the {kind} list withheld: the list is too long")
            result.pop("nextCursor", None)
            result[key] = []
            exchange.response_changed = True
            return
        sizes[kind] = (answered + 1, received + exchange.response_bytes)
        items = [item for item in result[key] if isinstance(item, dict)]
        # An item is judged by its name, and signed as "?" without one: withheld under that
        # name, the item itself would pass. One without a name is withheld, with nothing to approve.
        nameless = [item for item in items if not (isinstance(item.get("name"), str) and item["name"])]
        named = [item for item in items if isinstance(item.get("name"), str) and item["name"]]
        items = [forwarded(kind, item) for item in named]
        counts = Counter(item["name"] for item in items)
        unique = [item for item in items if counts[item["name"]] == 1]
        withheld = {name: "listed more than once" for name, count in counts.items() if count > 1}
        if nameless:
            exchange.events.append(
                SecurityEvent(
                    f"{kind}-unnamed", Severity.HIGH, f"{len(nameless)} {kind}(s) without a name withheld"
                )
            )
        signed = [signature(session.server, kind, item) for item in unique]
        details = _ChangeDetails(signed)
        for change in compare(pinned, signed):
            if change.kind == "tool-removed":
                continue
            what = change.kind.removeprefix("tool-")
            withheld[change.name] = what
            exchange.events.append(
                SecurityEvent(
                    f"{kind}-{what}",
                    _SEVERITY[change.kind],
                    f"{kind} {change.name!r} withheld: {what} since it was approved",
                    detail=details.of(change),
                )
            )
        waiting = pin_record([pair for pair in signed if pair[0].name in withheld])
        waiting_pins[kind] = {**waiting_pins.get(kind, {}), **waiting}
        if whole and waiting_pins[kind]:
            # The whole list's waits replace the kind's (one it no longer has waits no more).
            self._hold_withheld(session, exchange, waiting_pins[kind])
        elif waiting:
            # A page's waits join those kept: replacing them dropped the waits of the pages the
            # list has not reached (as a tool list's page does).
            self._hold_withheld(session, exchange, waiting, keep=MAX_KEPT_WAITS)
        earlier.extend((item["name"], item.get(address)) for item in items if item["name"] in withheld)
        earlier.extend(("", item.get(address)) for item in nameless)
        visible = [item for item in unique if item["name"] not in withheld]
        shown.setdefault(kind, []).extend(item.get(address) for item in visible)
        if len(visible) != len(result[key]):
            result[key] = visible
            exchange.response_changed = True
            names = sorted({*withheld, *(["(no name)"] if nameless else [])})
            exchange.note("alert", f"withheld {len(names)} {kind}(s) pending approval: {', '.join(names)}")
        elif _stripped(visible, result[key]):
            result[key] = visible
            exchange.response_changed = True

    def _hold_withheld(
        self, session: Session, exchange: Exchange, record: PinRecord, *, keep: int = 0
    ) -> None:
        """Keep what was withheld for a reviewer (``keep``: see ``PinSource.hold``); a store that
        cannot take it is recorded (what it holds is withheld already)."""
        try:
            self.source.hold(session.server, record, keep=keep)
        except Exception as exc:  # noqa: BLE001 - withheld already; the reviewer sees why
            exchange.events.append(
                SecurityEvent("pins-unreadable", Severity.HIGH, f"not kept for review: {_problem(exc)}")
            )

    @staticmethod
    def _withhold_instructions(
        exchange: Exchange,
        result: dict[str, Any],
        kind: str,
        severity: Severity,
        why: str,
        diff: str = "",
        sha256: str = "",
    ) -> None:
        result.pop("instructions", None)
        info = result.get("serverInfo")
        signed = {field for field, _ in SERVER_INFO_KEYS}
        if isinstance(info, dict) and not signed.isdisjoint(info):
            # Signed with the instructions, withheld with them (a 2026-07-28 client reads them
            # from server/discover, which is made from this answer).
            result["serverInfo"] = {key: value for key, value in info.items() if key not in signed}
        exchange.response_changed = True
        exchange.events.append(
            SecurityEvent(
                kind,
                severity,
                f"the server's instructions withheld: {why}",
                detail=_diff_detail(diff, sha256),
            )
        )
        exchange.note("alert", f"the server's instructions withheld ({why})")

    def request(self, session: Session, exchange: Exchange) -> None:
        if exchange.method in ("prompts/get", "resources/read"):
            self._refuse_withheld_item(session, exchange)
            return
        if exchange.method == "tools/list":
            # Only the page the first list points to next goes on with it (a cursorless list
            # has key None, which a first list that goes on never points to).
            listing = session.state.get(self.name, {}).get("tool-listing")
            if (
                not isinstance(listing, _ToolListing)
                or _page_key(exchange.params.get("cursor")) != listing.next_page
            ):
                self._end_first_list(session)
            return
        tool = exchange.tool
        if tool is None:
            return
        self._end_first_list(session)
        if tool in session.withheld_tools:
            raise Refusal(
                f"tool {tool!r} of {session.server} changed since it was approved "
                f"({session.withheld_tools[tool]}); {_how_approved(session, tool)}"
            )
        if not session.tools_listed:
            # The client called before listing: only tools pinned by name may pass.
            try:
                baseline = self._baseline(session) or {}
            except Exception as exc:  # noqa: BLE001 - the pin file or the database: fail closed
                raise Refusal(f"the pins of {session.server} could not be read: {_problem(exc)}") from None
            if f"tool:{tool}" not in baseline:
                raise Refusal(f"tool {tool!r} of {session.server} is not pinned; list the tools first")
        elif tool not in session.visible_tools:
            raise Refusal(f"{session.server} offers no tool {tool!r}")

    def _refuse_withheld_item(self, session: Session, exchange: Exchange) -> None:
        """``prompts/get`` of a withheld prompt, or of one the server has no pin of where it has
        prompt pins (fetched by name without being listed: a cached name, a 2026-07-28 client);
        ``resources/read`` of a withheld resource's URI."""
        withheld = session.state.get(self.name, {}).get("withheld", {})
        if exchange.method == "prompts/get":
            name = exchange.params.get("name")
            if not isinstance(name, str):
                return
            if name in {listed for listed, _uri in withheld.get("prompt", [])}:
                raise Refusal(
                    f"prompt {name!r} of {session.server} changed since it was approved; "
                    + _how_approved(session, f"prompt:{name}")
                )
            try:
                baseline = self._baseline(session) or {}
            except Exception as exc:  # noqa: BLE001 - the pin file or the database: fail closed
                raise Refusal(f"the pins of {session.server} could not be read: {_problem(exc)}") from None
            reviewed = _entry_pins(session) is not None  # a review that saw no prompt approved none
            if f"prompt:{name}" not in baseline and (
                reviewed or any(key.startswith("prompt:") for key in baseline)
            ):
                raise Refusal(
                    f"prompt {name!r} of {session.server} was never approved; "
                    + _how_approved(session, f"prompt:{name}")
                )
            return
        uri = exchange.params.get("uri")
        if not isinstance(uri, str):
            return
        for name, withheld_uri in withheld.get("resource", []):
            if uri == withheld_uri:
                raise Refusal(
                    f"resource {name!r} of {session.server} changed since it was approved; "
                    + _how_approved(session, f"resource:{name}")
                )
        shown = session.state.get(self.name, {}).get("shown", {})
        for name, template in withheld.get("resource-template", []):
            if (
                isinstance(template, str)
                and expands_to(template, uri)
                # A URI an approved resource or template serves is read as approved (the server,
                # not the gateway, picks which of two overlapping templates answers it).
                and uri not in shown.get("resource", [])
                and not any(
                    isinstance(t, str) and expands_to(t, uri) for t in shown.get("resource-template", [])
                )
            ):
                raise Refusal(
                    f"the URI fits resource template {name!r} of {session.server}, which changed since "
                    f"it was approved; " + _how_approved(session, f"resource-template:{name}")
                )

    def notification(self, session: Session, message: dict[str, Any], from_server: bool) -> None:
        if from_server and message.get("method") == "notifications/tools/list_changed":
            session.tools_listed = False  # the client lists again; the new list is checked then
            self._end_first_list(session)


@dataclass(slots=True)
class _ToolListing:
    """One tool list as a session received it, in pages (``nextCursor``)."""

    #: Begun with a request without a cursor (so its pages add up to the server's whole list).
    whole: bool
    #: The page being judged: the cursor that asked for it (None: the first).
    page: str | None = None
    #: The names on each page, by the cursor that asked for it (a page asked for again replaces
    #: what it listed before).
    pages: dict[str | None, set[str]] = field(default_factory=dict)
    #: This session pinned the list's first page on first use and the first list goes on: the
    #: page ``next_page`` points to is pinned too (see ``Pins._end_first_list`` for what ends it).
    first_use: bool = False
    #: The cursor the first list's latest page handed out (``nextCursor``), as ``page`` keys it.
    next_page: str | None = None
    #: The bytes of the answers its pages came in, and how many (a page asked again counts
    #: again): see ``MAX_LIST_BYTES``.
    received: int = 0
    answered: int = 0
    #: Its pages make the session's view of the tools (its first page judged replaced the last).
    in_view: bool = False
    #: What the pages withheld, kept for review together.
    waiting: PinRecord = field(default_factory=dict)

    def other_pages(self, page: str | None) -> set[str]:
        """The names the list's other pages listed."""
        return {name for cursor, names in self.pages.items() if cursor != page for name in names}

    def all_names(self) -> set[str]:
        return {name for names in self.pages.values() for name in names}


def expands_to(template: str, uri: str) -> bool:
    """Whether an RFC 6570 URI template may expand to ``uri``: its literal parts in order, each
    expression standing for any text (a superset of every operator's expansions, so a read is
    never missed). Literals are found left to right, each as early as it occurs, which decides
    a pattern of literals and wildcards exactly, in time linear in the parts (no regular
    expression a hostile template could make backtrack)."""
    parts = re.split(r"\{[^{}]*\}", template)
    if len(parts) == 1:
        return template == uri
    first, *middle, last = parts
    if not (uri.startswith(first) and uri.endswith(last) and len(first) + len(last) <= len(uri)):
        return False
    position, end = len(first), len(uri) - len(last)
    for literal in middle:
        found = uri.find(literal, position, end)
        if found < 0:
            return False
        position = found + len(literal)
    return True


def _stripped(visible: list[Any], listed: list[Any]) -> bool:
    """Whether an item of ``visible`` (the listed ones, in order) lost fields outside the
    protocol's: the page is then forwarded rebuilt."""
    return any(kept is not item for kept, item in zip(visible, listed, strict=True))


def _page_key(cursor: object) -> str | None:
    """A cursor as a page's key: None for the first page; one that is no string, as written; a
    long one, as its digest."""
    if cursor is None:
        return None
    key = cursor if isinstance(cursor, str) else repr(cursor)
    if len(key) <= _MAX_PAGE_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


#: What of ``serverInfo`` is forwarded: the protocol's fields (``Implementation``), its name and
#: version unsigned.
_SERVER_INFO_FORWARDED = frozenset({"name", "version", *(field for field, _ in SERVER_INFO_KEYS)})


def _server_info_well_formed(info: dict[str, Any]) -> bool:
    """Whether the signed fields of ``serverInfo`` have the protocol's types (null: none)."""
    return all(
        value is None or isinstance(value, list if field == "icons" else str)
        for field, _ in SERVER_INFO_KEYS
        for value in (info.get(field),)
    )


def _problem(exc: Exception) -> str:
    # Our errors name the file and what is wrong; a driver's may carry connection details.
    return str(exc) if isinstance(exc, McpwardError) else type(exc).__name__


#: Added items of one page whose whole text their event shows; past these, the texts wait in
#: the pin store only (a page of 60,000 added tools would otherwise write 60,000 texts).
_ADDED_SHOWN = 50


class _ChangeDetails:
    """The details of a page's change events: a changed item's diff; an added one's whole text
    (a diff from nothing: a reviewer approving by the sha256 must have read what it approves,
    and an added tool's event carried its name alone); each with its sha256."""

    def __init__(self, signed: list[tuple[ToolSignature, str]]) -> None:
        self._signed = {sig.name: (sig.sha256, text) for sig, text in signed}
        self._added = 0

    def of(self, change: Change) -> dict[str, Any]:
        sha256, text = self._signed.get(change.name, ("", ""))
        if change.kind != "tool-added":
            return _diff_detail(change.diff, sha256)
        self._added += 1
        if self._added > _ADDED_SHOWN:
            return {**_diff_detail("", sha256), "text": "not shown (past the page's first added items)"}
        return _diff_detail(readable_diff("", text), sha256)


def _diff_detail(diff: str, sha256: str = "") -> dict[str, Any]:
    """An event's detail for a change: its diff, masked (a description may quote a secret), and
    the sha256 of the version waiting for review (``pins approve --sha256`` approves that one
    only: the server may change what waits after the reviewer read this)."""
    return {**({"diff": redact_text(diff)} if diff else {}), **({"sha256": sha256} if sha256 else {})}


def _instructions_pin(baseline: PinRecord | None) -> PinRecord:
    """The instructions' pin of ``baseline`` alone (empty when it has none)."""
    return {INSTRUCTIONS: baseline[INSTRUCTIONS]} if baseline and INSTRUCTIONS in baseline else {}


def _how_approved(session: Session, pin: str) -> str:
    """Where the approval of ``pin`` lives, for a refusal: the registry entry's review when its
    pins rule, else ``pins approve``."""
    if _entry_pins(session) is not None:
        entry_id = (session.entry or {}).get("id")
        return f"registry entry {entry_id}'s pins rule: a new review of the server approves it"
    return f"review it and run `mcpward pins approve {session.server} --tool {pin}`"


def _entry_pins(session: Session) -> dict[str, dict[str, str]] | None:
    """The registry entry's pins (its tools', instructions', prompts' and resources'), when it
    has pins: a server reviewed with prompts or instructions but no tool has no tool approved,
    and one reviewed without instructions has none approved (neither is pinned again on first
    use here)."""
    pins = (session.entry or {}).get("pins")
    if isinstance(pins, dict) and pins:
        return {key: value for key, value in pins.items() if isinstance(value, dict)}
    return None


def approve(
    store_path: Path,
    server: str,
    tools: list[str] | None = None,
    *,
    database: str | None = None,
    actor: str = "",
    expected: list[str] | None = None,
) -> list[str]:
    """Move pending signatures of ``server`` (all, or the named tools) into its pins: in the pin
    file, or with ``database`` in the registry database the replicas share (an event in its
    audit trail names ``actor``). A name that fits two waiting signatures (a tool called
    ``instructions`` and the server's instructions) approves neither: give ``tool:NAME`` or
    ``instructions:instructions``. ``expected``: the sha256 digests of the versions the
    reviewer read; anything else waiting among those chosen refuses the whole approval."""
    if database is not None:
        from mcpward.registry import shared_registry

        return shared_registry(database).approve_gateway_pins(server, actor, tools, expected=expected)
    with pin_store_lock(store_path):
        store = PinStore(store_path)
        pending = store.pending.get(server, {})
        try:
            keys = list(pending) if tools is None else chosen_pins(pending, tools)
            check_expected({k: pending[k]["sha256"] for k in keys}, expected or ())
        except ValueError as exc:
            raise PinStoreError(f"pins of {server}: {exc}") from None
        chosen = {k: pending[k] for k in keys}
        if not chosen:
            return []
        store.data.setdefault(server, {}).update(chosen)
        remaining = {k: v for k, v in pending.items() if k not in chosen}
        if remaining:
            store.pending[server] = remaining
        else:
            store.pending.pop(server, None)
        store.save()
        return sorted(key.split(":", 1)[1] for key in chosen)
