"""Probation: an approval starts a read-only period. The reviewer confirms which tools are
read-only (starting from inspect's classification of the pinned tools: annotations, names,
descriptions, parameters); until write is granted, the gateway allows only those. A reviewer
grants write, or ``grant_quiet`` does once the period has ended with no baseline alert from
the gateways (Tier-0 always needs a reviewer). Every step is an audit event.

The read-only period is 7 days by default; ``MCPWARD_PROBATION_DAYS`` sets it, for every tier
(``7``) or per tier (``0=14,1=7,2=3``); 0 means no probation for that tier.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update

from mcpward.dlp import redact_text
from mcpward.registry._audit_trail import AuditTrail, _state
from mcpward.registry._persons import acting, one_person, requester_of
from mcpward.registry._tables import EntryRow, GatewayEventRow, ReviewRow
from mcpward.registry.interface import (
    Conflict,
    Decision,
    InvalidInput,
    NotFound,
    PolicyRefusal,
    RegistryError,
    Status,
)

PROBATION_DAYS = 7
PROBATION_VARIABLE = "MCPWARD_PROBATION_DAYS"
MAX_PROBATION_DAYS = 365
#: The gateway's baseline alerts: any of them during the period keeps write for a reviewer.
BASELINE_ALERTS = frozenset({"new-argument-field", "new-destination", "call-spike", "dormant-tool-used"})
#: The most flagged gateway records (not a plain allow) read when judging whether a period was
#: quiet; a period with more is left to a reviewer.
_QUIET_SCAN = 10_000


def probation_days() -> dict[int, int]:
    """Days of probation per tier (0, 1, 2), from ``MCPWARD_PROBATION_DAYS``."""
    raw = (os.environ.get(PROBATION_VARIABLE) or "").strip()
    days = dict.fromkeys((0, 1, 2), PROBATION_DAYS)
    if not raw:
        return days
    try:
        if re.fullmatch(r"\d+", raw):
            return dict.fromkeys(days, _checked(int(raw)))
        for part in raw.split(","):
            tier, _, value = part.partition("=")
            if int(tier) not in days:
                raise ValueError
            days[int(tier)] = _checked(int(value))
    except ValueError:
        raise RegistryError(
            f"{PROBATION_VARIABLE}={raw!r} is not a number of days (0 to {MAX_PROBATION_DAYS}), nor "
            "TIER=DAYS pairs such as 0=14,1=7,2=3"
        ) from None
    return days


def _checked(days: int) -> int:
    if not 0 <= days <= MAX_PROBATION_DAYS:
        raise ValueError
    return days


def tool_names(pins: Mapping[str, Any]) -> list[str]:
    return sorted(key.split(":", 1)[1] for key in pins if key.startswith("tool:"))


def suggested_read_only(pins: Mapping[str, Mapping[str, str]]) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """inspect's judgement of each pinned tool: name -> (read-only?, why)."""
    from mcpward.inspect import classify_read_only

    judged: dict[str, tuple[bool, tuple[str, ...]]] = {}
    for key, pin in pins.items():
        if not key.startswith("tool:"):
            continue
        try:
            tool = json.loads(pin.get("canonical", "{}"))
        except ValueError:
            tool = {}
        judgement = classify_read_only(tool if isinstance(tool, dict) else {})
        judged[key.split(":", 1)[1]] = (judgement.read_only, judgement.reasons)
    return judged


def read_only_choice(
    tier: int, pins: Mapping[str, Mapping[str, str]], confirmed: Sequence[str] | None
) -> list[str] | None:
    """An approver's read-only choice as it is stored with their review: the tools, sorted and
    once each (empty: none is read-only), or None when they made none. Checked when it is made,
    where the tier has a probation: a name that is not a pinned tool is refused."""
    if confirmed is None:
        return None
    chosen = sorted(set(confirmed))
    if probation_days()[tier]:
        known = set(tool_names(pins))
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise InvalidInput(f"not a pinned tool of this entry: {', '.join(unknown[:5])}")
    return chosen


def probation_values(
    tier: int,
    pins: Mapping[str, Mapping[str, str]],
    choices: Sequence[tuple[str, Sequence[str] | None]],
    today: date,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns an approval sets, and what its audit event says of the probation.

    ``choices``: each approval of the round, the deciding one last, as (approver, read-only
    choice as :func:`read_only_choice` made it). The tools read-only are those every approver
    who chose confirmed: a Tier-0 entry's two approvers each bound what may run, so neither
    alone widens it (the second's choice, or none, replaced the first's until 2026-12-06).
    inspect's suggestion only when no approver chose. With more than one approval the event
    names who chose (``read_only_chosen_by``); with one, the event's actor is who chose."""
    days = probation_days()[tier]
    if days == 0:
        return {"read_only_tools": None, "probation_until": None, "write_granted_by": None}, {}
    made = [(approver, set(choice)) for approver, choice in choices if choice is not None]
    if not made:
        chosen = sorted(name for name, (read_only, _) in suggested_read_only(pins).items() if read_only)
        source = "inspect"
    else:
        chosen = sorted(set.intersection(*(choice for _, choice in made)) & set(tool_names(pins)))
        source = "reviewer" if len(made) == 1 else "reviewers"
    until = today + timedelta(days=days)
    values = {"read_only_tools": chosen, "probation_until": until, "write_granted_by": None}
    detail: dict[str, Any] = {
        "probation_until": str(until),
        "read_only_tools": chosen,
        "read_only_from": source,
    }
    if len(choices) > 1:
        detail["read_only_chosen_by"] = [approver for approver, _ in made]
    return values, detail


class ProbationStore(AuditTrail):
    def grant_write(
        self,
        entry_id: int,
        actor: str,
        rationale: str,
        *,
        expected_revision: int | None = None,
        token_id: int | None = None,
    ) -> Any:
        """End an entry's probation: every tool may be called."""
        rationale = redact_text(rationale.strip())
        if not rationale:
            raise PolicyRefusal("granting write needs a rationale")
        with self._changing() as session:
            row = session.get(EntryRow, entry_id)
            if row is None:
                raise NotFound(f"no entry {entry_id}")
            if expected_revision is not None and row.revision != expected_revision:
                raise Conflict(f"entry {entry_id} changed since revision {expected_revision}")
            if row.status != Status.APPROVED.value or row.probation_until is None or row.write_granted_by:
                raise PolicyRefusal(f"entry {entry_id} is not on probation")
            if one_person(acting(session, actor, token_id), requester_of(row)):
                # Compared as persons, as approvals are (see _persons.py).
                raise PolicyRefusal("the requester cannot grant write to their own request")
            self._grant(
                session,
                row,
                actor,
                {"rationale": rationale, "early": row.probation_until > self.now().date()},
                token_id,
            )
        return self.get(entry_id)  # type: ignore[attr-defined]

    def grant_quiet(self) -> list[int]:
        """Grant write to entries whose read-only period has ended quietly: the gateways
        recorded the server in use during it (under its registry name or key) and raised no
        baseline alert for it. Tier-0 is excepted (a reviewer decides), and so is a server no
        gateway recorded: its calls may be recorded under another name, whose alerts this
        cannot see. The entries granted."""
        today = self.now().date()
        granted: list[int] = []
        with self._changing() as session:
            rows = session.scalars(
                select(EntryRow)
                .where(
                    EntryRow.status == Status.APPROVED.value,
                    EntryRow.probation_until.is_not(None),
                    EntryRow.probation_until <= today,
                    EntryRow.write_granted_by.is_(None),
                    EntryRow.tier > 0,
                )
                .order_by(EntryRow.id)
            ).all()
            for row in rows:
                until: date = row.probation_until  # type: ignore[assignment]  # the query's condition
                # The period began with the approval, whatever the days configured now: its end
                # less today's days (lowered since, or 0) read its last day alone until 2026-12-05.
                approved = session.scalar(
                    select(func.max(ReviewRow.at)).where(
                        ReviewRow.entry_id == row.id, ReviewRow.decision == Decision.APPROVE.value
                    )
                )
                start = (
                    min(approved.date(), until) if approved else until - timedelta(days=MAX_PROBATION_DAYS)
                )
                used, alerts = self._period_events(session, row, start)
                if alerts is None or alerts or not used:
                    continue
                detail = {"quiet_since": str(start), "gateway_records": used, "baseline_alerts": 0}
                self._grant(session, row, "mcpward", detail, None)
                granted.append(row.id)
        return granted

    def _period_events(self, session: Any, row: EntryRow, since: date) -> tuple[int, int | None]:
        """The gateway records of the server since ``since``, and the baseline alerts in them
        (None when there were more records to read for them than one scan reads).

        Only records that are not a plain allow are read (an alert makes its record at least
        ``alert``): reading the newest 10,000 records of any kind let an alert followed by
        10,000 ordinary calls (a call spike's own) go unseen until 2026-12-05."""
        names = {row.name, client_key(row.name)}
        period = (GatewayEventRow.server.in_(names), GatewayEventRow.at >= since)
        used = session.scalar(select(func.count()).select_from(GatewayEventRow).where(*period))
        flagged = session.scalars(
            select(GatewayEventRow.record)
            .where(*period, GatewayEventRow.decision != "allow")
            .order_by(GatewayEventRow.id.desc())
            .limit(_QUIET_SCAN + 1)
        ).all()
        if len(flagged) > _QUIET_SCAN:
            return int(used or 0), None
        alerts = sum(
            1
            for record in flagged
            for event in (record.get("events") or [])
            if isinstance(event, dict) and event.get("kind") in BASELINE_ALERTS
        )
        return int(used or 0), alerts

    def _grant(
        self, session: Any, row: EntryRow, actor: str, detail: dict[str, Any], token_id: int | None
    ) -> None:
        now = self.now()
        changed = session.execute(
            update(EntryRow)
            .where(EntryRow.id == row.id, EntryRow.revision == row.revision)
            .values(write_granted_by=actor, revision=row.revision + 1, updated_at=now)
        )
        if changed.rowcount != 1:
            raise Conflict(f"entry {row.id} changed while write was granted")
        session.flush()
        detail = {
            "read_only_tools": list(row.read_only_tools or ()),
            "probation_until": str(row.probation_until),
            **detail,
        }
        self._append(
            session, actor, "grant-write", row.id, detail, _state(session, entries=[row.id], acting=token_id)
        )


def client_key(name: str) -> str:
    """A registry name as the key clients and the gateway know the server by (``enforce``
    writes it, ``wrap`` passes it as ``--server``): ``io.github.org/files`` ->
    ``io-github-org-files``. No ``__`` and no ``_`` at either end: Claude Code reads
    ``mcp__SERVER__TOOL`` by splitting at each ``__``, so a key ``files__x`` (or ``files_``)
    made the rule that denies a probation server whole name a tool of another server."""
    key = re.sub(r"_{2,}", "_", re.sub(r"[^A-Za-z0-9_-]+", "-", name)).strip("-_")
    return key[:64].strip("-_") or "server"
