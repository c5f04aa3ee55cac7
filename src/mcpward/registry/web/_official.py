"""The official MCP registry's read API (``GET /v0/servers`` and a server's versions, at ``/v0``
and the stable ``/v0.1``), serving approved entries, so that an organisation's clients (VS Code's
``chat.mcp.gallery.serviceUrl``, GitHub's MCP registry setting) can use this registry as theirs.

A current approval is ``active`` (``deprecated`` during the grace period after a newer version's
approval, with a ``statusMessage``); a withdrawn one (revoked, superseded, expired) is ``deleted``
and listed only with ``include_deleted`` or ``updated_since``, as the official registry does. The
status message says what happened, never the reviewer's rationale."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from mcpward.registry._server_json import export
from mcpward.registry.interface import MAX_INT, Entry, Role, Status, no_control_characters
from mcpward.registry.web._auth import bearer

#: Mounted at /v0 and at /v0.1 (the official registry's stable version).
router = APIRouter(tags=["official registry API"])
OFFICIAL = "io.modelcontextprotocol.registry/official"


def _check_access(request: Request) -> None:
    if request.app.state.public_v0:
        return
    principal = bearer(request)
    if principal is None or not principal.role.allows(Role.VIEWER):
        raise HTTPException(401, "a valid API token is needed", headers={"WWW-Authenticate": "Bearer"})


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _status(entry: Entry, today: date) -> tuple[str, str | None]:
    status = entry.status
    # An approval whose grace period or review date has passed ended that day, though nothing
    # recorded it yet (expire_due does, at the next sweep): until 2026-12-05 it was listed as
    # active (or deprecated) to a client asking for withdrawn approvals too.
    if status is Status.APPROVED and entry.superseded_on is not None and entry.superseded_on <= today:
        status = Status.SUPERSEDED
    elif status is Status.APPROVED and entry.review_due is not None and entry.review_due < today:
        status = Status.EXPIRED
    if status is Status.APPROVED and entry.superseded_on is not None:
        return "deprecated", f"superseded by a newer approved version; approval ends on {entry.superseded_on}"
    if status is Status.APPROVED:
        return "active", None
    what = {Status.REVOKED: "approval revoked", Status.SUPERSEDED: "superseded by a newer approved version"}
    return "deleted", f"{what.get(status, 'approval expired')} (entry {entry.id})"


def _item(entry: Entry, latest: bool, today: date, server: dict[str, Any]) -> dict[str, Any]:
    approvals = [review.at for review in entry.reviews if review.decision.value == "approve"]
    published = _time(approvals[-1] if approvals else entry.requested_at)
    status, message = _status(entry, today)
    official: dict[str, Any] = {
        "status": status,
        "publishedAt": published,
        "updatedAt": _time(entry.updated_at) if entry.updated_at else published,
        "isLatest": latest and status != "deleted",
    }
    if message:
        official |= {"statusMessage": message, "statusChangedAt": official["updatedAt"]}
    return {"server": server, "_meta": {OFFICIAL: official}}


class ExportCache:
    """What each entry publishes (its ``server.json``), by registry generation and entry, at
    most ``max_bytes`` of it (as JSON); shared by the worker threads. Building one is most of a
    page's cost (every string checked for secrets, 10 ms for a 64 KiB document): pages are
    cached by their query, so every new search string or limit built all of its entries again,
    a second of work for one anonymous request, until 2026-12-05."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._exports: OrderedDict[tuple[int, int, int], tuple[dict[str, Any], int]] = OrderedDict()
        self._max_bytes = max_bytes
        self._bytes = 0
        self._lock = threading.Lock()

    def export(self, entry: Entry, generation: int) -> dict[str, Any]:
        """``export(entry)``, built once per change of the registry (never altered by callers)."""
        key = (generation, entry.id, entry.revision)
        with self._lock:
            known = self._exports.get(key)
            if known is not None:
                self._exports.move_to_end(key)
                return known[0]
        document = export(entry)
        size = len(json.dumps(document))
        with self._lock:
            if key not in self._exports and size <= self._max_bytes // 8:
                self._exports[key] = (document, size)
                self._bytes += size
                while self._bytes > self._max_bytes:
                    _key, (_document, dropped) = self._exports.popitem(last=False)
                    self._bytes -= dropped
        return document


class PageCache:
    """The last few hundred pages, by key, at most ``max_bytes`` of them; shared by the worker
    threads. Bounded in bytes as well as pages: a page holds up to 100 server.json of 64 KiB,
    and every search string or limit is a page of its own, so an anonymous caller made 512
    copies of the biggest page held (up to 3 GiB) until 2026-12-05."""

    def __init__(self, size: int = 512, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._pages: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
            return body

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        if len(body) > self._max_bytes // 8:
            return  # built again when asked: a few such pages would push out every other
        with self._lock:
            earlier = self._pages.pop(key, None)
            self._bytes -= len(earlier) if earlier is not None else 0
            self._pages[key] = body
            self._bytes += len(body)
            while len(self._pages) > self._size or self._bytes > self._max_bytes:
                _key, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped)


def _cursor(text: str | None) -> int:
    if not text:
        return 0
    # isdigit() alone takes "²" and "٣", which int() refuses or reads as another number.
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_INT:
        raise HTTPException(422, "cursor: not a cursor this registry gave out")
    return int(text)


def _no_control(what: str, text: str | None) -> None:
    # PostgreSQL's driver refuses a NUL in a query parameter: an uncaught error, a 500 for any
    # caller, until 2026-12-05 (SQLite took it and found nothing).
    try:
        no_control_characters(text)
    except ValueError:
        raise HTTPException(422, f"{what}: control characters are not allowed") from None


# Answers are plain JSON already: JSONResponse skips FastAPI's re-encoding of every value.
def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, "updated_since: not an RFC 3339 time (2026-12-03T10:00:00Z)") from None
    if moment.tzinfo is None:
        raise HTTPException(422, "updated_since: an RFC 3339 time names its offset (Z or +01:00)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is past what a datetime holds in UTC: was a 500
        raise HTTPException(422, "updated_since: not a time this registry can compare") from None


@router.get("/servers", response_class=JSONResponse)
def list_servers(
    request: Request,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
    search: Annotated[str | None, Query(max_length=200)] = None,
    version: Annotated[str | None, Query(max_length=200)] = None,
    updated_since: Annotated[str | None, Query(max_length=64)] = None,
    include_deleted: bool = False,
) -> Response:
    """Approved servers, ``limit`` at a time; ``metadata.nextCursor`` fetches the next page.
    ``updated_since`` (RFC 3339): only those changed after it, withdrawn ones included;
    ``include_deleted``: withdrawn approvals too, as ``deleted``."""
    from mcpward.registry.web import registry_of

    _check_access(request)
    registry = registry_of(request)
    after = _cursor(cursor)
    _no_control("search", search)
    since = _since(updated_since)
    deleted = include_deleted or since is not None  # as the official registry does
    # Pages are built from validated entries (most of a read's cost) and change only when the
    # registry does, or when a day passes and approvals expire: keyed on both.
    generation = registry.generation()
    key = (after, limit, search, version, since, deleted, generation, registry.now().date())
    pages: PageCache = request.app.state.v0_pages
    body = pages.get(key)
    if body is None:
        entries, newest = registry.published(
            after=after, limit=limit, search=search, updated_since=since, include_deleted=deleted
        )
        today = registry.now().date()
        exports: ExportCache = request.app.state.v0_exports
        items = [
            _item(entry, entry.id in newest, today, exports.export(entry, generation)) for entry in entries
        ]
        if version == "latest":
            items = [item for item in items if item["_meta"][OFFICIAL]["isLatest"]]
        elif version is not None:
            # An exact version, as the official registry reads it (it was ignored: every
            # version listed until 2026-12-05).
            items = [item for item in items if item["server"]["version"] == version]
        next_cursor = str(entries[-1].id) if len(entries) == limit else None
        page = {"servers": items, "metadata": {"nextCursor": next_cursor, "count": len(items)}}
        body = bytes(JSONResponse(page).body)
        pages.put(key, body)
    return Response(body, media_type="application/json")


@router.get("/servers/{server_name:path}/versions/{version}")
def server_version(
    request: Request, server_name: str, version: str, include_deleted: bool = False
) -> dict[str, Any]:
    for item in _versions(request, server_name, include_deleted):
        if version == "latest" and item["_meta"][OFFICIAL]["isLatest"]:
            return item
        if item["server"]["version"] == version:
            return item
    # What the caller wrote is not sent back (it was, whole, until 2026-12-05).
    raise HTTPException(404, "no approved version by that name and version")


@router.get("/servers/{server_name:path}/versions")
def server_versions(request: Request, server_name: str, include_deleted: bool = False) -> dict[str, Any]:
    items = _versions(request, server_name, include_deleted)
    if not items:
        raise HTTPException(404, "no approved server by that name")
    return {"servers": items, "metadata": {"count": len(items)}}


def _versions(request: Request, server_name: str, include_deleted: bool = False) -> list[dict[str, Any]]:
    from mcpward.registry.web import registry_of

    _check_access(request)
    try:
        no_control_characters(server_name)
    except ValueError:
        return []  # no name holds one, and PostgreSQL's driver refuses a NUL (a 500 until 2026-12-05)
    registry = registry_of(request)
    generation = registry.generation()
    entries, newest = registry.published(name=server_name, limit=1000, include_deleted=include_deleted)
    today = registry.now().date()
    exports: ExportCache = request.app.state.v0_exports
    return [_item(entry, entry.id in newest, today, exports.export(entry, generation)) for entry in entries]
