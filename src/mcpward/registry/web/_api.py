"""The JSON API: every registry operation, for scripts, CI and ``mcpward scan``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mcpward.registry._checks import masked
from mcpward.registry._persons import person_of
from mcpward.registry._server_json import export, parse, to_request
from mcpward.registry._service import Registry
from mcpward.registry.interface import (
    MAX_INT,
    AuditEvent,
    DataScope,
    Decision,
    Entry,
    EntryRequest,
    Forbidden,
    InvalidInput,
    InventoryUpload,
    Principal,
    Role,
    Status,
    no_control_characters,
)
from mcpward.registry.web._auth import require

router = APIRouter(prefix="/api", tags=["registry"])
#: server.json documents in one import: more is refused whole, never cut short.
MAX_IMPORT = 1000


def _registry(request: Request) -> Registry:
    from mcpward.registry.web import registry_of

    return registry_of(request)


Reporter = Annotated[Principal, Depends(require(Role.REPORTER))]
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Requester = Annotated[Principal, Depends(require(Role.REQUESTER))]
Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
#: Ids and offsets the database's integer columns can hold: larger ones are bad input (422),
#: not an overflow in the database driver (500).
EntryId = Annotated[int, Path(ge=1, le=MAX_INT)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionBody(_Body):
    rationale: str = Field(min_length=1, max_length=5000)
    #: The revision the reviewer looked at: a decision on a changed entry is a conflict.
    revision: int | None = Field(default=None, ge=1, le=MAX_INT)
    #: Approve despite what the policy holds against it: vet's block (or no vetting), a critical
    #: inspect finding, a known advisory, a downgrade (admins only; recorded with the reasons).
    override: bool = False
    #: Days the approvals this one supersedes still stand: at most the registry's grace period.
    grace_days: int | None = Field(default=None, ge=0, le=365)
    #: Approving: the tools the reviewer confirms as read-only for the probation the approval
    #: starts (None: inspect's suggestion, recorded as such).
    read_only_tools: list[str] | None = Field(default=None, max_length=2000)


class GrantBody(_Body):
    rationale: str = Field(min_length=1, max_length=5000)
    revision: int | None = Field(default=None, ge=1, le=MAX_INT)


class EntryPage(BaseModel):
    entries: list[Entry]
    total: int
    #: The registry's generation (its newest audit event) this answer is at least as new as: a
    #: consumer that has seen a higher one refuses it (a stale replica or cache, a replayed answer).
    generation: int


class TokenBody(_Body):
    name: str = Field(min_length=1, max_length=200)
    role: Role
    #: The person who holds the token, as they sign in (their SSO e-mail): separation of duties
    #: takes the token's actions as theirs. Default: the name.
    person: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("name", "person")
    @classmethod
    def _printable(cls, name: str | None) -> str | None:
        return no_control_characters(name)


class FleetItem(BaseModel):
    hostname: str
    #: A fingerprint of the machine id (the id itself is what an upload needs: never shown).
    machine: str
    home: str | None
    reported_at: str
    server: dict[str, Any]
    status: str
    severity: str
    message: str
    entry_id: int | None
    #: Advisories known for the server's exact version, malicious first.
    advisories: list[dict[str, Any]]


class FleetMachineItem(BaseModel):
    machine: str
    hostname: str
    home: str | None
    os: str | None
    reported_by: str
    reported_at: str
    #: Seconds since the last report, and the same in words.
    age_seconds: int
    age: str
    servers: int
    #: No report for over STALE_DAYS: the machine (or that home) stopped reporting.
    stale: bool


#: Characters of stored entries a page of ``/api/entries`` ends past (at least one entry):
#: 1,000 requests of up to the body limit each were built whole, gigabytes for one page. The
#: readers follow ``total`` to the end; most registries' pages stay whole (500 entries of up to
#: 16 KiB each).
PAGE_CHARS = 8 * 1024 * 1024
#: What reviewers decided: every status but ``requested``.
_DECIDED = tuple(s for s in Status if s is not Status.REQUESTED)
#: Decided entries nothing runs again (denied by their identity alone).
_NEVER_RUN = (Status.REJECTED, Status.REVOKED)


@router.get("/entries", response_model=EntryPage)
def list_entries(
    request: Request,
    _who: Viewer,
    status: Status | None = None,
    name: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
    decided: bool = False,
) -> EntryPage:
    """``decided``: what the registry's readers (enforce, ``scan --registry``, gateways) need,
    the entries reviewers decided, a rejected or revoked one without what its requester sent
    beyond its identity. Requests waiting for review are the requester's alone: a flood of them
    (50,000, or pins up to the body limit) took every reader past its bounds, so no enforce and
    no gateway read the approvals. A page ends early once its entries pass ``PAGE_CHARS``:
    ``total`` says how many there are, and a reader reads on from ``offset + len(entries)``."""
    registry = _registry(request)
    generation = registry.generation()  # read first: a change made meanwhile is newer, never older
    statuses: Status | tuple[Status, ...] | None = status
    if decided:
        statuses = _DECIDED if status is None else tuple(s for s in _DECIDED if s is status)
    found = (
        registry.entries(
            status=statuses,
            name=name,
            limit=limit,
            offset=offset,
            max_chars=PAGE_CHARS,
            identity_only=_NEVER_RUN if decided else (),
        )
        if statuses != ()
        else []
    )
    entries = [_identity_only(e) if decided and e.status in _NEVER_RUN else _published(e) for e in found]
    total = registry.count(status=statuses, name=name) if statuses != () else 0
    return EntryPage(entries=entries, total=total, generation=generation)


def _identity_only(entry: Entry) -> Entry:
    """A rejected or revoked entry as its readers need it: what it is and what was decided,
    without the pins, ``server.json``, claims and scope its requester sent (up to the body
    limit each), so that rejecting a flood of requests does not bring it to every reader."""
    return entry.model_copy(
        update={
            "pins": {},
            "server_json": None,
            "vet_claim": None,
            "inspect_findings": (),
            "worst_inspect": None,
            "scope": DataScope(),
            "tier_reasons": (),
            "description": None,
        }
    )


def _published(entry: Entry) -> Entry:
    """The entry as the API answers it: a secret stored in its server.json before secrets were
    refused, or written into the database, is masked like on /v0."""
    if not entry.server_json:
        return entry
    return entry.model_copy(update={"server_json": masked(entry.server_json)})


@router.get("/entries/{entry_id}", response_model=Entry)
def get_entry(request: Request, entry_id: EntryId, _who: Viewer) -> Entry:
    return _published(_registry(request).get(entry_id))


@router.post("/entries", response_model=Entry, status_code=201)
def request_entry(request: Request, body: EntryRequest, who: Requester) -> Entry:
    """A ``vet`` in the body is the requester's claim: stored as ``vet_claim``, never as a
    verdict (an unvetted package still needs an admin's recorded override to be approved).
    Inspect findings are mcpward's own, made from the pinned tools, whatever the body says."""
    _within_request_rate(request, who, 1)
    return _registry(request).request(body, who.name, from_requester=True, token_id=who.token_id)


def _within_request_rate(request: Request, who: Principal, count: int) -> None:
    """429 when ``who`` has asked for its minute's share of entries: one token could otherwise
    bury the reviewers' queue (an import of 1,000 a call, as fast as the server answers)."""
    rate = request.app.state.request_rate
    if count > rate.per_minute:
        raise InvalidInput(
            f"at most {rate.per_minute} entry requests a minute per token, this asks for {count}; "
            "nothing was stored: split the list"
        )
    wait = rate.take(who.name, count)
    if wait:
        raise HTTPException(
            429,
            f"at most {rate.per_minute} entry requests a minute per token; nothing was stored, "
            "try again later",
            headers={"Retry-After": str(wait)},
        )


def _decide(request: Request, entry_id: int, decision: Decision, body: DecisionBody, who: Principal) -> Entry:
    if body.override and not who.role.allows(Role.ADMIN):
        raise Forbidden("an override needs the admin role")
    return _published(
        _registry(request).decide(
            entry_id,
            decision,
            who.name,
            body.rationale,
            body.revision,
            body.override,
            token_id=who.token_id,
            grace_days=body.grace_days,
            read_only_tools=body.read_only_tools if decision is Decision.APPROVE else None,
        )
    )


@router.post("/entries/{entry_id}/approve", response_model=Entry)
def approve(request: Request, entry_id: EntryId, body: DecisionBody, who: Reviewer) -> Entry:
    return _decide(request, entry_id, Decision.APPROVE, body, who)


@router.post("/entries/{entry_id}/reject", response_model=Entry)
def reject(request: Request, entry_id: EntryId, body: DecisionBody, who: Reviewer) -> Entry:
    return _decide(request, entry_id, Decision.REJECT, body, who)


@router.post("/entries/{entry_id}/revoke", response_model=Entry)
def revoke(request: Request, entry_id: EntryId, body: DecisionBody, who: Reviewer) -> Entry:
    return _decide(request, entry_id, Decision.REVOKE, body, who)


@router.post("/entries/{entry_id}/grant", response_model=Entry)
def grant(request: Request, entry_id: EntryId, body: GrantBody, who: Reviewer) -> Entry:
    """End the entry's read-only period: every tool may be called through the gateway."""
    return _published(
        _registry(request).grant_write(
            entry_id, who.name, body.rationale, expected_revision=body.revision, token_id=who.token_id
        )
    )


@router.get("/entries/{entry_id}/server.json")
def export_entry(request: Request, entry_id: EntryId, _who: Viewer) -> dict[str, Any]:
    return export(_registry(request).get(entry_id))


@router.get("/entries/{entry_id}/audit", response_model=list[AuditEvent])
def entry_audit(request: Request, entry_id: EntryId, _who: Viewer) -> list[AuditEvent]:
    registry = _registry(request)
    registry.get(entry_id)
    return registry.audit(entry_id)


@router.get("/audit", response_model=list[AuditEvent])
def audit(
    request: Request, _who: Viewer, limit: Annotated[int, Query(ge=1, le=10000)] = 1000
) -> list[AuditEvent]:
    return _registry(request).audit(limit=limit)


@router.post("/import", response_model=list[Entry], status_code=201)
def import_server_json(
    request: Request,
    who: Requester,
    document: Annotated[Any, Body(description="A server.json object, or a list of them.")],
    owner: str | None = None,
) -> list[Entry]:
    """Every document is validated before anything is stored; all or none become requests."""
    documents = document if isinstance(document, list) else [document]
    if len(documents) > MAX_IMPORT:
        raise InvalidInput(
            f"at most {MAX_IMPORT} server.json documents in one import, got {len(documents)}; "
            "nothing was stored: split the list"
        )
    requests = []
    for index, item in enumerate(documents):
        try:
            requests.append(to_request(parse(item), owner=owner))
        except InvalidInput as exc:
            where = f"document {index + 1} of {len(documents)}: " if len(documents) > 1 else ""
            raise InvalidInput(f"{where}{exc} (nothing was stored)") from None
    _within_request_rate(request, who, len(requests))
    return _registry(request).request_many(requests, who.name, from_requester=True, token_id=who.token_id)


def _fleet_reporter(request: Request, who: Reporter) -> Principal:
    """The requester, if it has not sent its minute's share of reports (one refused as invalid
    counts too: it cost the server all the same)."""
    rate = request.app.state.fleet_rate
    wait = rate.take(who.name)
    if wait:
        raise HTTPException(
            429,
            f"at most {rate.per_minute} fleet reports a minute per token; try again later",
            headers={"Retry-After": str(wait)},
        )
    return who


@router.post("/fleet/reports", status_code=201)
def fleet_report(
    request: Request, body: InventoryUpload, who: Annotated[Principal, Depends(_fleet_reporter)]
) -> dict[str, int]:
    limits = request.app.state.fleet_limits
    stored = _registry(request).record_inventory(
        body, who.name, max_records=limits.records_per_token, max_servers=limits.servers_per_token
    )
    return {"stored": stored}


#: Fleet rows one answer of the fleet API reads at most (servers judged for a status filter,
#: records for a stale filter): a fleet holds up to a million servers per token, and each answer
#: read and judged all of them. Past it the answer holds fewer, and its Link names where to go on.
_FLEET_READ = 20_000
#: ``after``: the cursor a ``Link: <...>; rel="next"`` header of the previous answer names.
_ServerAfter = Annotated[str | None, Query(pattern=r"^[0-9]{1,19}\.[0-9]{1,19}$")]
_MachineAfter = Annotated[int | None, Query(ge=0, le=MAX_INT)]


def _server_cursor(after: str | None) -> tuple[int, int] | None:
    if after is None:
        return None
    machine_id, server_id = (int(part) for part in after.split("."))
    if machine_id > MAX_INT or server_id > MAX_INT:
        raise InvalidInput("after: not a cursor of this list")
    return machine_id, server_id


def _link_next(request: Request, response: Response, cursor: str | None) -> None:
    """Name the next part of the list: the same request read on after ``cursor`` (an offset
    applies to the first part only). Relative, so no Host header a client sent is repeated."""
    if cursor is None:
        return
    query = [
        (key, value) for key, value in request.query_params.multi_items() if key not in ("after", "offset")
    ]
    response.headers["Link"] = f'<{request.url.path}?{urlencode([*query, ("after", cursor)])}>; rel="next"'


@router.get("/fleet/servers", response_model=list[FleetItem])
def fleet_servers(
    request: Request,
    response: Response,
    _who: Viewer,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Offset = 0,
    after: _ServerAfter = None,
) -> list[FleetItem]:
    """The fleet's servers in the order their records were made, at most ``limit``; a ``Link``
    header with ``rel="next"`` names the rest. Reads at most _FLEET_READ servers an answer: with
    a ``status`` that few match, an answer may hold fewer than ``limit``, or none, and a next."""
    rows, cursor = _registry(request).fleet_after(
        _server_cursor(after), status=status, limit=limit, offset=offset, read_at_most=_FLEET_READ
    )
    _link_next(request, response, None if cursor is None else f"{cursor[0]}.{cursor[1]}")
    return [
        FleetItem(
            hostname=row.hostname,
            machine=row.machine,
            home=row.home,
            reported_at=row.reported_at.isoformat(),
            server=row.server.model_dump(),
            status=row.judgement.status,
            severity=row.judgement.severity.value,
            message=row.judgement.message,
            entry_id=row.judgement.entry_id,
            advisories=[advisory.as_dict() for advisory in row.advisories],
        )
        for row in rows
    ]


@router.get("/fleet/machines", response_model=list[FleetMachineItem])
def fleet_machines(
    request: Request,
    response: Response,
    _who: Viewer,
    stale: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    after: _MachineAfter = None,
) -> list[FleetMachineItem]:
    """The (machine, home) records that reported, in the order they were made, with the last
    report and its age (stale after STALE_DAYS); ``stale=true``: only those that stopped
    reporting. At most ``limit``, reading at most _FLEET_READ records; a ``Link`` header with
    ``rel="next"`` names the rest."""
    machines, cursor = _registry(request).machines_after(
        after, stale=stale, limit=limit, read_at_most=_FLEET_READ
    )
    _link_next(request, response, None if cursor is None else str(cursor))
    return [
        FleetMachineItem(
            machine=m.machine,
            hostname=m.hostname,
            home=m.home,
            os=m.os,
            reported_by=m.reported_by,
            reported_at=m.reported_at.isoformat(),
            age_seconds=m.age_seconds,
            age=m.age,
            servers=m.servers,
            stale=m.stale,
        )
        for m in machines
    ]


@router.post("/tokens", status_code=201)
def create_token(request: Request, body: TokenBody, who: Admin) -> dict[str, str]:
    """The token is in this answer only; the registry keeps its hash. It is bound to ``person``
    (default: the name), and records the caller as who made it."""
    token = _registry(request).create_token(
        body.name, body.role, who.name, token_id=who.token_id, person=body.person
    )
    return {
        "name": body.name,
        "role": body.role.value,
        "person": person_of(body.name if body.person is None else body.person),
        "token": token,
    }
