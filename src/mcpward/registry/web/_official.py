"""The official MCP registry's read API (``GET /v0/servers`` and a server's versions), serving
approved entries only, so that an organisation's clients can use this registry as theirs."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from mcpward.registry._server_json import export
from mcpward.registry.interface import MAX_INT, Entry, Role
from mcpward.registry.web._auth import bearer

router = APIRouter(prefix="/v0", tags=["official registry API"])
OFFICIAL = "io.modelcontextprotocol.registry/official"


def _check_access(request: Request) -> None:
    if request.app.state.public_v0:
        return
    principal = bearer(request)
    if principal is None or not principal.role.allows(Role.VIEWER):
        raise HTTPException(401, "a valid API token is needed", headers={"WWW-Authenticate": "Bearer"})


def _item(entry: Entry, latest: bool) -> dict[str, Any]:
    approvals = [review.at for review in entry.reviews if review.decision.value == "approve"]
    published = (approvals[-1] if approvals else entry.requested_at).isoformat().replace("+00:00", "Z")
    return {
        "server": export(entry),
        "_meta": {
            OFFICIAL: {
                "status": "active",
                "publishedAt": published,
                "updatedAt": published,
                "isLatest": latest,
            }
        },
    }


class PageCache:
    """The last few hundred pages, by key; shared by the worker threads."""

    def __init__(self, size: int = 512) -> None:
        self._pages: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
            return body

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        with self._lock:
            self._pages[key] = body
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)


def _cursor(text: str | None) -> int:
    if not text:
        return 0
    # isdigit() alone takes "²" and "٣", which int() refuses or reads as another number.
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_INT:
        raise HTTPException(422, "cursor: not a cursor this registry gave out")
    return int(text)


# Answers are plain JSON already: JSONResponse skips FastAPI's re-encoding of every value.
@router.get("/servers", response_class=JSONResponse)
def list_servers(
    request: Request,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
    search: Annotated[str | None, Query(max_length=200)] = None,
    version: str | None = None,
) -> Response:
    """Approved servers, ``limit`` at a time; ``metadata.nextCursor`` fetches the next page."""
    from mcpward.registry.web import registry_of

    _check_access(request)
    registry = registry_of(request)
    after = _cursor(cursor)
    # Pages are built from validated entries (most of a read's cost) and change only when the
    # registry does, or when a day passes and approvals expire: keyed on both.
    key = (after, limit, search, version, registry.generation(), registry.now().date())
    pages: PageCache = request.app.state.v0_pages
    body = pages.get(key)
    if body is None:
        entries, newest = registry.approved(after=after, limit=limit, search=search)
        items = [_item(entry, entry.id in newest) for entry in entries]
        if version == "latest":
            items = [item for item in items if item["_meta"][OFFICIAL]["isLatest"]]
        next_cursor = str(entries[-1].id) if len(entries) == limit else None
        page = {"servers": items, "metadata": {"nextCursor": next_cursor, "count": len(items)}}
        body = bytes(JSONResponse(page).body)
        pages.put(key, body)
    return Response(body, media_type="application/json")


@router.get("/servers/{server_name:path}/versions/{version}")
def server_version(request: Request, server_name: str, version: str) -> dict[str, Any]:
    for item in _versions(request, server_name):
        if version == "latest" and item["_meta"][OFFICIAL]["isLatest"]:
            return item
        if item["server"]["version"] == version:
            return item
    raise HTTPException(404, f"no approved version {version} of {server_name}")


@router.get("/servers/{server_name:path}/versions")
def server_versions(request: Request, server_name: str) -> dict[str, Any]:
    items = _versions(request, server_name)
    if not items:
        raise HTTPException(404, f"no approved server {server_name}")
    return {"servers": items, "metadata": {"count": len(items)}}


def _versions(request: Request, server_name: str) -> list[dict[str, Any]]:
    from mcpward.registry.web import registry_of

    _check_access(request)
    entries, newest = registry_of(request).approved(name=server_name, limit=1000)
    return [_item(entry, entry.id in newest) for entry in entries]
