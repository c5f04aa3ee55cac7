"""The gateways' audit records mirrored into the registry database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from mcpward.registry._audit_trail import AuditTrail
from mcpward.registry._tables import GatewayEventRow


class GatewayEventStore(AuditTrail):
    def record_gateway_events(self, records: Sequence[dict[str, Any]]) -> int:
        """Mirror gateway audit records (not registry changes: no audit event of our own); a
        record already mirrored (same chain hash) is skipped, so a log can be mirrored again
        after a crash or an outage. How many were added."""
        hashes = [str(r.get("hash", ""))[:64] for r in records]
        with self.database.reading() as session:
            known = set(
                session.scalars(
                    select(GatewayEventRow.chain_hash).where(GatewayEventRow.chain_hash.in_(hashes))
                )
            )
        fresh, seen = [], set(known)
        for record, chain_hash in zip(records, hashes, strict=True):
            if chain_hash and chain_hash in seen:
                continue
            seen.add(chain_hash)
            fresh.append(record)
        if not fresh:
            return 0
        records = fresh
        rows = [
            {
                "at": datetime.fromisoformat(str(r.get("at", "")).replace("Z", "+00:00"))
                if r.get("at")
                else self.now(),
                "server": str(r.get("server", ""))[:255],
                "client": str(r.get("client", ""))[:200],
                "method": str(r.get("method", ""))[:100],
                "tool": str(r["tool"])[:255] if r.get("tool") else None,
                "stage": str(r.get("stage", ""))[:16],
                "decision": str(r.get("decision", ""))[:16],
                "chain_hash": str(r.get("hash", ""))[:64],
                "record": r,
            }
            for r in records
        ]
        with self.database.writing() as session:
            session.execute(insert(GatewayEventRow), rows)
        return len(rows)

    def gateway_events(self, *, server: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        query = select(GatewayEventRow.record).order_by(GatewayEventRow.id.desc()).limit(limit)
        if server is not None:
            query = query.where(GatewayEventRow.server == server)
        with self.database.reading() as session:
            return list(session.scalars(query))
