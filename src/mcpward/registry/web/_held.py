"""``/held``: the results a gateway on this machine holds for review (``[dlp] injection =
"quarantine"``), with release and discard for reviewers. Enabled by ``registry serve
--gateway-audit-log``; the decisions go into that gateway's audit chain, as the commands'."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mcpward.registry.interface import Principal, Role
from mcpward.registry.web._auth import csrf_ok, same_origin, sign_in_again, sign_in_again_link

if TYPE_CHECKING:
    from mcpward.gateway import Quarantine

router = APIRouter(include_in_schema=False)
_HeldId = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{32}$")]
#: Characters of a held result shown on the list page (the whole is on release).
_SHOWN = 4000


@dataclass(frozen=True, slots=True)
class HeldReview:
    """A gateway's held results: its folder, its audit log, and how long a release allows."""

    store: Quarantine
    audit_log: Path
    release_hours: float = 24.0


def _review(request: Request) -> HeldReview | None:
    found: Any = getattr(request.app.state, "held", None)
    return found if isinstance(found, HeldReview) else None


def _visible(value: Any) -> str:
    """A server's text for a reviewer: JSON with every non-ASCII character escaped, so that
    invisible tags and bidi controls show; the template escapes it for HTML."""
    return json.dumps(value, ensure_ascii=True, indent=2, sort_keys=True)


def _opened(request: Request) -> tuple[Principal, str, HeldReview] | Response:
    """Who is signed in, their form token and the review of held results; or the page to answer
    instead (the sign-in, or that this registry reviews none)."""
    from mcpward.registry.web._pages import _render, _signed_in

    found = _signed_in(request)
    if isinstance(found, RedirectResponse):
        return found
    who, csrf = found
    review = _review(request)
    if review is None:
        return _render(request, "error.html", {"who": who, "csrf": csrf, "message": _NOT_ENABLED}, 404)
    return who, csrf, review


@router.get("/held", response_class=HTMLResponse)
def held(request: Request) -> Response:
    from mcpward.registry.web._pages import _render

    opened = _opened(request)
    if isinstance(opened, Response):
        return opened
    who, csrf, review = opened
    from mcpward.gateway import QuarantineError

    try:
        pending = review.store.pending() if review.store.folder.exists() else []
    except (QuarantineError, OSError) as exc:
        message = str(exc) if isinstance(exc, QuarantineError) else f"cannot read the held results ({exc})"
        return _render(request, "error.html", {"who": who, "csrf": csrf, "message": message}, 500)
    can_review = who.role.allows(Role.REVIEWER)
    # What the results say is read as decisions are taken: within minutes of the sign-in that
    # read the role (a reviewer removed at the provider read them for the rest of the session).
    stale = sign_in_again(request, who, "read the results and decide") if can_review else None
    rows = [_row(record, content=can_review and stale is None, shown=_SHOWN) for record in pending]
    context = {"who": who, "csrf": csrf, "rows": rows, "can_review": can_review, "stale": stale}
    if stale is not None:
        context["sign_in"] = sign_in_again_link(request, "/held")
    return _render(request, "held.html", context)


@router.get("/held/{held_id}", response_class=HTMLResponse)
def held_one(request: Request, held_id: _HeldId) -> Response:
    """One held result whole, for the reviewer to read all of it before deciding."""
    from mcpward.registry.web._pages import _render

    opened = _opened(request)
    if isinstance(opened, Response):
        return opened
    who, csrf, review = opened
    if not who.role.allows(Role.REVIEWER):
        message = "Held results are shown to reviewers."
        return _render(request, "error.html", {"who": who, "csrf": csrf, "message": message}, 403)
    stale = sign_in_again(request, who, "read it")
    if stale is not None:  # read as decisions are taken: within minutes of the role's reading
        context = {"who": who, "csrf": csrf, "message": stale,
                   "sign_in": sign_in_again_link(request, f"/held/{held_id}")}  # fmt: skip
        return _render(request, "error.html", context, 401)
    from mcpward.gateway import QuarantineError

    try:
        record = review.store.show(held_id)
    except (QuarantineError, OSError) as exc:
        message = str(exc) if isinstance(exc, QuarantineError) else f"cannot read the held result ({exc})"
        return _render(request, "error.html", {"who": who, "csrf": csrf, "message": message}, 404)
    size = len(orjson.dumps(record))
    row = _row({**record, "bytes": size}, content=True, shown=None)
    return _render(request, "held.html", {"who": who, "csrf": csrf, "rows": [row], "can_review": True})


def _row(record: dict[str, Any], *, content: bool, shown: int | None) -> dict[str, Any]:
    """What the page shows of a held result: the content and findings only to those who decide
    (tool results of someone's session; DLP masks only what it detects), and a cut said."""
    row: dict[str, Any] = {
        "id": record["id"],
        "at": record.get("at", "?"),
        # A server names its tools: shown escaped, so that no name poses as another.
        "where": _visible(f"{record.get('server')}.{record.get('subject')}")[1:-1],
        "families": ", ".join(map(str, record.get("families") or ())),
        "bytes": record["bytes"],
        "unreadable": bool(record.get("unreadable")),
        "findings": [],
        "text": None,
        "cut": 0,
    }
    if not content or row["unreadable"]:
        return row
    text = _visible(record.get("result"))
    if shown is not None and len(text) > shown:
        # The order can sit past what is shown: the findings' evidence shows it, and the cut
        # is said, with the page of the whole.
        text, row["cut"] = text[:shown], len(text) - shown
    row["text"] = text
    row["findings"] = [
        f"{_visible(finding.get('family'))} ({_visible(finding.get('severity'))}): "
        f"{_visible(finding.get('evidence'))}"
        for finding in record.get("findings") or ()
        if isinstance(finding, dict)
    ]
    return row


@router.post("/held/{held_id}/{decision}", response_class=HTMLResponse)
def decide_held(
    request: Request, held_id: _HeldId, decision: str, csrf: Annotated[str, Form()] = ""
) -> Response:
    from mcpward.registry.web._pages import _render, _signed_in

    found = _signed_in(request)
    if isinstance(found, RedirectResponse):
        return found
    who, expected = found
    review = _review(request)
    refusal = _refusal(request, who, expected, csrf, review, decision)
    if refusal is not None:
        status, message = refusal
        return _render(request, "error.html", {"who": who, "csrf": expected, "message": message}, status)
    assert review is not None
    stale = sign_in_again(request, who)
    if stale is not None:  # their role as the identity provider said it, too long ago
        context = {
            "who": who,
            "csrf": expected,
            "message": stale,
            "sign_in": sign_in_again_link(request, "/held"),
        }
        return _render(request, "error.html", context, 401)
    from mcpward.gateway import QuarantineError

    reviewer = f"{who.name} (registry)"
    try:
        if decision == "release":
            record = review.store.release(
                held_id, log=review.audit_log, reviewer=reviewer, hours=review.release_hours
            )
        else:
            record = review.store.discard(held_id, log=review.audit_log, reviewer=reviewer)
    except (QuarantineError, OSError) as exc:
        message = str(exc) if isinstance(exc, QuarantineError) else f"not done: {type(exc).__name__}"
        return _render(request, "error.html", {"who": who, "csrf": expected, "message": message}, 409)
    return _render(
        request,
        "held_done.html",
        {
            "who": who,
            "csrf": expected,
            "decision": "released" if decision == "release" else "discarded",
            "id": held_id,
            "text": _visible(record.get("result")) if decision == "release" else None,
        },
    )


def _refusal(
    request: Request, who: Principal, expected: str, csrf: str, review: HeldReview | None, decision: str
) -> tuple[int, str] | None:
    if not csrf_ok(expected, csrf) or not same_origin(request):
        return 403, "The form expired or came from another site; reload the page."
    if not who.role.allows(Role.REVIEWER):
        return 403, "This needs the reviewer role."
    if review is None:
        return 404, _NOT_ENABLED
    if decision not in ("release", "discard"):
        return 404, "No such decision: release or discard."
    return None


_NOT_ENABLED = "No gateway's held results are served here (registry serve --gateway-audit-log LOG)."
