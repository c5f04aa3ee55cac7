"""The reviewers' pages, rendered on the server: sign in, the review queue, an entry with its
findings and the diff of its tools against the approved version, decisions, the fleet view."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mcpward._bounded import keep_recent
from mcpward.inspect import Change, compare
from mcpward.model import ToolSignature
from mcpward.output.entries import advisories_text, change_text, worst_text
from mcpward.output.text import one_line, visible
from mcpward.output.words import counted
from mcpward.registry._fleet import STALE_DAYS, advised_first
from mcpward.registry._probation import suggested_read_only
from mcpward.registry._server_json import export
from mcpward.registry._service import Registry
from mcpward.registry.interface import (
    MAX_INT,
    Conflict,
    Decision,
    Entry,
    InvalidInput,
    NotFound,
    PolicyRefusal,
    Principal,
    Role,
    Status,
)
from mcpward.registry.web._auth import (
    SESSION_COOKIE,
    client_address,
    csrf_ok,
    delete_cookie,
    read_cookie,
    same_origin,
    session_of,
    set_cookie,
    sign_in_again,
    sign_in_again_link,
    throttle_of,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.filters["counted"] = counted  # {{ n|counted("machine") }}: "1 machine", "2 machines"
# Names a server or a machine chose (tools, fleet servers), with what a reviewer does not see
# escaped: a tool named "\u202eeton_daer" read as "read_note" among the read-only tools to tick,
# and its override reversed the names after it. The same for all a machine reports: the client
# a server is in and the version it runs (quoted in the fleet's "Detail") are checked for nothing.
templates.env.filters["visible"] = visible
# A name (a tool's, a prompt's, a person's) on one line: ``visible`` keeps line breaks, which HTML
# shows as spaces, so "get\nnotes" read as a tool "get notes" among the ticks and the confirmed
# lists; a name typing an escape ("get\\x0anotes") shows its backslash doubled; a space a reader
# cannot count (at an end, in a run, of another kind) is escaped (``one_line``).
templates.env.filters["one_line"] = one_line


# A tool's name as a read-only tick's value: percent-encoded, printable ASCII that a browser
# sends as written. The name itself was not: HTML reads a CR as LF (and NUL as U+FFFD) and a form
# sends each line break as CR LF, so ticking "get\nnotes" confirmed a tool "get\r\nnotes".
templates.env.filters["tick_value"] = lambda name: tick_value(str(name))
# The same words as ``registry list``: "update of 1.0 (entry 3)", "critical conceal-from-user".
templates.env.globals |= {
    "change_text": change_text,
    "worst_text": worst_text,
    "advisories_text": advisories_text,
}
_PAGE = 200
#: Fleet servers /fleet judges at most for its list of advisories and for a status filter (each
#: is matched against the approvals and the advisories when read); past it the page says how many
#: it did not read. A fleet holds up to a million servers per token, and every view read and
#: judged all of them.
_FLEET_READ = 20_000
#: (machine, home) records /fleet lists at most, in each of its two lists (counts are of all).
_HOMES_SHOWN = 1_000
#: Servers with known advisories /fleet lists at most (malicious first; the count is of all it
#: read): any machine's reporting token could send 20,000 of them with 2,000-character launch
#: lines, and every view of the page by anyone was 48 MB.
_ADVISED_SHOWN = 1_000
_EntryId = Annotated[int, PathParameter(ge=1, le=MAX_INT)]
#: What a fleet server's approval can be (:class:`mcpward.registry._matching.Judgement`).
_FLEET_STATUSES = (
    "approved",
    "unapproved",
    "version-drift",
    "integrity-mismatch",
    "review-expired",
    "revoked",
)


@dataclass(frozen=True, slots=True)
class _Choices:
    """What a decision refused for a new sign-in sent: the entry, the revision it was made on,
    its read-only ticks (of the entry's pinned tools; None: none sent) and its rationale."""

    entry_id: int
    revision: int
    chosen: tuple[str, ...] | None
    rationale: str


class KeptChoices:
    """The entry page's choices of a decision refused until the person signs in again, until
    that person next views the entry signed in anew: the sign-in goes through the identity
    provider, and the form in the browser's page is not kept on the way. A person's latest
    only, of at most ``limit`` persons (the oldest forgotten first): each holds a rationale
    (5,000 characters at most) and ticks that name the entry's pinned tools."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self._kept: OrderedDict[str, _Choices] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, person: str, choices: _Choices) -> None:
        with self._lock:
            keep_recent(self._kept, person, choices, self.limit)

    def take(self, person: str, entry_id: int) -> _Choices | None:
        """``person``'s choices for ``entry_id``, forgotten as they are given."""
        with self._lock:
            kept = self._kept.get(person)
            if kept is None or kept.entry_id != entry_id:
                return None
            del self._kept[person]
            return kept


def _kept_choices(request: Request) -> KeptChoices:
    kept = request.app.state.kept_choices
    assert isinstance(kept, KeptChoices)
    return kept


def _registry(request: Request) -> Registry:
    from mcpward.registry.web import registry_of

    return registry_of(request)


def _signed_in(request: Request) -> tuple[Principal, str] | RedirectResponse:
    found = session_of(request)
    if found is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return found


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    if name == "login.html":  # the single sign-on link, where it is set up
        context = {"sso": getattr(request.app.state, "oidc", None) is not None, **context}
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    """An error as a page, for an address no page has (shown signed out: it reads no session)."""
    return _render(request, "error.html", {"who": None, "csrf": "", "message": message}, status)


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/queue") -> Response:
    return _render(request, "login.html", {"next": _local(next), "error": None, "who": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, token: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/queue"
) -> Response:
    if not same_origin(request):
        return _render(
            request,
            "login.html",
            {"next": "/queue", "error": "Cross-site sign-in refused.", "who": None},
            403,
        )
    throttle, address = throttle_of(request), client_address(request)
    holder = _registry(request).authenticate(token.strip())
    # A right token signs in from an address held back for others' wrong ones (see ``bearer``).
    wait = throttle.retry_after(address) if holder is None else 0
    if wait:
        refused = _render(
            request,
            "login.html",
            {"next": _local(next), "error": "Too many failed sign-ins; try again later.", "who": None},
            429,
        )
        refused.headers["Retry-After"] = str(wait)
        return refused
    if holder is not None and not holder.role.allows(Role.VIEWER):
        return _render(
            request,
            "login.html",
            {
                "next": _local(next),
                "error": "That token sends fleet reports only; it opens no page.",
                "who": None,
            },
            403,
        )
    opened = _registry(request).open_session(token.strip())
    if opened is None:
        throttle.failed(address)
        return _render(
            request,
            "login.html",
            {"next": _local(next), "error": "That token is not valid.", "who": None},
            401,
        )
    session_id, _csrf = opened
    response = RedirectResponse(_local(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session_id, samesite="strict", max_age=8 * 3600)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    found = session_of(request)
    # A sign-out from another site (its Origin; SameSite keeps the cookie from it) or without
    # the form's token changes nothing: its answer cleared the cookie, so any site signed a
    # reviewer out at will.
    if not same_origin(request) or (found is not None and not csrf_ok(found[1], csrf)):
        return RedirectResponse("/queue" if found else "/login", status_code=303)
    if found is not None:
        _registry(request).close_session(read_cookie(request, SESSION_COOKIE) or "")
    response = RedirectResponse("/login", status_code=303)
    delete_cookie(response, SESSION_COOKIE)
    return response


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, status: str | None = None) -> Response:
    found = _signed_in(request)
    if isinstance(found, RedirectResponse):
        return found
    who, csrf = found
    registry = _registry(request)
    registry.expire_due()
    # What the queue shows of each entry, not the entries whole (a requester's pins and
    # server.json, up to the body limit each: a gigabyte for one look at 200 of them).
    if status in {s.value for s in Status}:
        entries, inspected = registry.summaries(status=Status(status), limit=_PAGE)
        title = f"{status.capitalize()} entries"
    else:
        entries, inspected = registry.summaries(status=(Status.REQUESTED, Status.EXPIRED), limit=_PAGE)
        title = "Review queue"
    return _render(
        request,
        "queue.html",
        {
            "who": who,
            "csrf": csrf,
            "entries": entries,
            "inspected": inspected,
            "title": title,
            "statuses": [s.value for s in Status],
        },
    )


@router.get("/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(request: Request, entry_id: _EntryId) -> Response:
    found = _signed_in(request)
    if isinstance(found, RedirectResponse):
        return found
    try:
        entry = _registry(request).get(entry_id)
    except NotFound as exc:
        return _render(request, "error.html", {"who": found[0], "csrf": found[1], "message": str(exc)}, 404)
    # Back from the sign-in a refused decision asked for: its choices, once.
    who = found[0]
    kept = None if sign_in_again(request, who) else _kept_choices(request).take(who.name, entry_id)
    if kept is None:
        return _entry_page(request, entry, found)
    note = "Your choices from before you signed in again are kept; decide again."
    if kept.revision != entry.revision:
        note += (
            f" The entry changed since (revision {kept.revision}, now {entry.revision}): read it again first."
        )
    chosen = list(kept.chosen) if kept.chosen is not None else None
    return _entry_page(request, entry, found, chosen=chosen, rationale=kept.rationale, note=note)


def _entry_page(
    request: Request,
    entry: Entry,
    found: tuple[Principal, str],
    error: str | None = None,
    status: int = 200,
    *,
    chosen: list[str] | None = None,
    rationale: str = "",
    note: str | None = None,
    sign_in: str | None = None,
) -> HTMLResponse:
    """``chosen`` and ``rationale``: what a refused decision sent, kept in the form shown again
    (None: no ticks sent, inspect's suggestion ticked); ``note``: said above the entry;
    ``sign_in``: the link to sign in again, with ``error``."""
    who, csrf = found
    registry = _registry(request)
    previous = registry.pinned_before(entry)
    changes = _changes(previous, entry) if previous else []
    return _render(
        request,
        "entry.html",
        {
            "who": who,
            "csrf": csrf,
            "entry": entry,
            "previous": previous,
            "changes": changes,
            "refusals": registry.refusals(entry),
            "error": error,
            "can_review": who.role.allows(Role.REVIEWER),
            "can_override": who.role.allows(Role.ADMIN),
            # inspect's judgement of each pinned tool, the starting point of the probation's
            # read-only tools the reviewer confirms
            "read_only": sorted(suggested_read_only(entry.pins).items()),
            "chosen": chosen,
            "rationale": rationale,
            "note": note,
            "sign_in": sign_in,
            "published": _what_clients_run(entry),
        },
        status,
    )


def _what_clients_run(entry: Entry) -> str:
    """The server.json /v0 publishes for ``entry``, as clients read it: its runtime command and
    arguments, title and links come from the requester's document (``"runtimeHint": "sh"`` with
    ``-c …`` runs anything), so the reviewer sees them before approving. Non-ASCII escaped: no
    invisible or reversed character hides part of a command."""
    return json.dumps(export(entry), indent=2, ensure_ascii=True)


def _changes(previous: Entry, entry: Entry) -> list[Change]:
    signed = []
    for key, pin in entry.pins.items():
        kind, _, name = key.partition(":")
        signed.append(
            (ToolSignature(server=entry.name, kind=kind, name=name, sha256=pin["sha256"]), pin["canonical"])
        )
    return list(compare(previous.pins, signed))


@router.post("/entries/{entry_id}/decide", response_class=HTMLResponse)
def decide(
    request: Request,
    entry_id: _EntryId,
    decision: Annotated[str, Form(pattern="^(approve|reject|revoke|grant)$")],
    rationale: Annotated[str, Form(max_length=5000)],
    revision: Annotated[int, Form(ge=1, le=MAX_INT)],
    csrf: Annotated[str, Form()] = "",
    override: Annotated[bool, Form()] = False,
    read_only: Annotated[list[str] | None, Form(max_length=2000)] = None,
) -> Response:
    found = _signed_in(request)
    if isinstance(found, RedirectResponse):
        return found
    who, expected_csrf = found
    if not csrf_ok(expected_csrf, csrf) or not same_origin(request):
        return _render(
            request,
            "error.html",
            {
                "who": who,
                "csrf": expected_csrf,
                "message": "The form expired or came from another site; reload the page.",
            },
            403,
        )
    registry = _registry(request)
    if not who.role.allows(Role.REVIEWER) or (override and not who.role.allows(Role.ADMIN)):
        needed = "admin" if override else "reviewer"
        return _render(
            request,
            "error.html",
            {"who": who, "csrf": expected_csrf, "message": f"This needs the {needed} role."},
            403,
        )
    stale = sign_in_again(request, who)
    if stale is not None:
        return _kept_for_sign_in(request, found, entry_id, stale, decision, revision, rationale, read_only)
    confirmed: list[str] | None = None
    try:
        if decision == "grant":
            registry.grant_write(
                entry_id, who.name, rationale, expected_revision=revision, token_id=who.token_id
            )
        else:
            # The form lists every pinned tool with inspect's suggestion ticked: what is sent is
            # the reviewer's confirmation (nothing ticked: no tool is read-only).
            confirmed = _tick_names(read_only or []) if decision == "approve" else None
            registry.decide(
                entry_id,
                Decision(decision),
                who.name,
                rationale,
                revision,
                override,
                token_id=who.token_id,
                read_only_tools=confirmed,
            )
    except NotFound as exc:
        return _render(request, "error.html", {"who": who, "csrf": expected_csrf, "message": str(exc)}, 404)
    except (Conflict, PolicyRefusal, InvalidInput) as exc:
        # A tick that names no pinned tool is the page again with why, not the API's JSON.
        code = 409 if isinstance(exc, Conflict) else 422
        # The form again as the reviewer sent it: shown anew, its ticks back at inspect's
        # suggestion, an approval made again with the override confirmed the tools unticked.
        return _entry_page(
            request, registry.get(entry_id), found, str(exc), code, chosen=confirmed, rationale=rationale
        )
    return RedirectResponse(f"/entries/{entry_id}", status_code=303)


def _kept_for_sign_in(
    request: Request,
    found: tuple[Principal, str],
    entry_id: int,
    why: str,
    decision: str,
    revision: int,
    rationale: str,
    read_only: list[str] | None,
) -> Response:
    """A decision refused until the person signs in again: the entry page with ``why``, the
    way to sign in, and the form as sent; its choices kept for the page after the sign-in."""
    who, csrf = found
    try:
        entry = _registry(request).get(entry_id)
    except NotFound as exc:
        return _render(request, "error.html", {"who": who, "csrf": csrf, "message": str(exc)}, 404)
    chosen: list[str] | None = None
    if decision == "approve":
        pinned = suggested_read_only(entry.pins)
        try:  # only ticks that name a pinned tool are kept (what the page can tick again)
            chosen = [name for name in _tick_names(read_only or []) if name in pinned]
        except InvalidInput:
            chosen = None
    link = sign_in_again_link(request, f"/entries/{entry_id}")
    if link is not None:
        why += " Your choices are kept."
        kept = _Choices(entry_id, revision, tuple(chosen) if chosen is not None else None, rationale)
        _kept_choices(request).keep(who.name, kept)
    return _entry_page(request, entry, found, why, 401, chosen=chosen, rationale=rationale, sign_in=link)


def tick_value(name: str) -> str:
    """A tool's name as a read-only tick's value (printable ASCII; ``read_file`` stays as it is)."""
    return quote(name, safe="")


def _tick_names(values: list[str]) -> list[str]:
    """The tool names the read-only ticks sent (the ``tick_value`` filter's encoding). A plain
    name is its own encoding; a value that is not UTF-8 once decoded names no tool."""
    try:
        return [unquote(value, errors="strict") for value in values]
    except UnicodeDecodeError:
        raise InvalidInput("a read-only tick names no tool; reload the page") from None


@router.get("/fleet", response_class=HTMLResponse)
def fleet(
    request: Request, status: str | None = None, page: Annotated[int, Query(le=MAX_INT // _PAGE)] = 1
) -> Response:
    found = _signed_in(request)
    if isinstance(found, RedirectResponse):
        return found
    who, csrf = found
    registry = _registry(request)
    page = max(page, 1)
    # A status the fleet does not have is ignored, as the queue ignores one: the page wrote it
    # into its first line, so a link could put any sentence on a reviewer's fleet page.
    status = status if status in _FLEET_STATUSES else None
    rows, total = registry.fleet(
        status=status or None, limit=_PAGE, offset=(page - 1) * _PAGE, read_at_most=_FLEET_READ
    )
    servers = registry.server_count()
    # Across the fleet, not this page (a malicious package must not hide on page 9), up to
    # _FLEET_READ servers; the page says how many it did not read.
    advised = advised_first(registry.fleet(limit=_FLEET_READ)[0])
    return _render(
        request,
        "fleet.html",
        {
            "who": who,
            "csrf": csrf,
            "rows": rows,
            "total": total,
            "machines": registry.machine_count(),
            "home_count": registry.home_count(),
            "homes": registry.machines(limit=_HOMES_SHOWN),
            "stopped": registry.machines(stale=True, limit=_HOMES_SHOWN),
            "stopped_count": registry.home_count(stale=True),
            "homes_shown": _HOMES_SHOWN,
            "advised": advised[:_ADVISED_SHOWN],
            "advised_count": len(advised),
            "servers": servers,
            "unread": max(0, servers - _FLEET_READ),
            "stale_days": STALE_DAYS,
            "status": status or "",
            "page": page,
            "pages": max(1, -(-total // _PAGE)),
            "statuses": _FLEET_STATUSES,
        },
    )


def _local(target: str) -> str:
    """Only a path on this server: ``next`` must not send a signed-in reviewer elsewhere. A
    control character is refused too: a browser drops tabs and newlines from a URL, so
    ``/<TAB>/evil.example`` would be ``//evil.example`` (the page after an SSO sign-in)."""
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if local and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in target) else "/queue"
