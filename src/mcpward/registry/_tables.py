"""The registry's tables. Alembic migrations (``_migrations/``) create and change them; a test
checks that the migrated schema equals these definitions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("name", "release", name="uq_entries_name_release"),
        Index("ix_entries_identity", "kind", "ecosystem", "package"),
        Index("ix_entries_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    release: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    ecosystem: Mapped[str | None] = mapped_column(String(16))
    #: Package name, image repository or remote URL, normalised: the key scans match on.
    package: Mapped[str] = mapped_column(String(500))
    identity: Mapped[dict[str, Any]]
    repository: Mapped[str | None] = mapped_column(String(500))
    repository_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[dict[str, Any]]
    owner: Mapped[str] = mapped_column(String(200))
    tier: Mapped[int] = mapped_column(Integer)
    derived_tier: Mapped[int] = mapped_column(Integer)
    tier_reasons: Mapped[list[Any]]
    pins: Mapped[dict[str, Any]]
    vet: Mapped[dict[str, Any] | None]
    #: What the requester said vet found, over the API: shown as their claim, never used as a
    #: verdict (only mcpward's own vetting fills ``vet``).
    vet_claim: Mapped[dict[str, Any] | None]
    inspect_findings: Mapped[list[Any]]
    server_json: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    #: The revision at which the current review round began (a request, or an expiry): only
    #: approvals given since count towards the approvals the tier needs.
    round_revision: Mapped[int] = mapped_column(Integer, default=1)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    review_due: Mapped[date | None] = mapped_column(Date)
    #: Advisories mcpward found for this exact version (None on rows from before 0004).
    advisories: Mapped[list[Any] | None]
    #: The entry whose approval superseded this one, and the day this one's approval ends.
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    superseded_on: Mapped[date | None] = mapped_column(Date)
    #: Probation (0007): the confirmed read-only tools, the end of the read-only period, and
    #: who granted write.
    read_only_tools: Mapped[list[Any] | None]
    probation_until: Mapped[date | None] = mapped_column(Date)
    write_granted_by: Mapped[str | None] = mapped_column(String(200))
    #: The requester as a person, and who made the token they requested with (0008; NULL on
    #: older rows: ``requested_by`` is the person). See _persons.py.
    requester_person: Mapped[str | None] = mapped_column(Text)
    requester_minted_by: Mapped[str | None] = mapped_column(Text)


class ReviewRow(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text)
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The entry revision the decision was made on.
    revision: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    #: The reviewer as a person, and who made the token they decided with (0008; NULL on older
    #: rows: ``reviewer`` is the person).
    reviewer_person: Mapped[str | None] = mapped_column(Text)
    reviewer_minted_by: Mapped[str | None] = mapped_column(Text)
    #: An approval's read-only choice (0009): the tools the approver confirmed as read-only for
    #: the probation, empty for none; NULL when they made no choice (inspect's suggestion).
    read_only_tools: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))


class AuditRow(Base):
    """Append-only: database triggers refuse UPDATE and DELETE, and each row's hash covers the
    previous row's, so an edit made around the triggers breaks the chain. ``mac`` is a keyed MAC
    of ``hash`` with a key kept outside the database, so the chain cannot be recomputed by whoever
    can write the database; ``state`` holds the digests of the entries and tokens the change left
    behind ("entry:ID" / "token:ID" -> digest), which binds those rows to the chain."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[dict[str, Any] | None]
    mac: Mapped[str | None] = mapped_column(String(64))


class TokenRow(Base):
    """API tokens, kept as their sha256 only: the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    #: The person who holds the token, bound when it is made, and the person who made it (who
    #: saw it once). NULL on rows from before 0008, whose name is their holder's.
    person: Mapped[str | None] = mapped_column(Text)
    minted_by: Mapped[str | None] = mapped_column(Text)


class SessionRow(Base):
    """A signed-in browser, by the sha256 of its cookie (its forms' CSRF token is derived from
    the cookie, so it is not stored either)."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    expires_at: Mapped[datetime]
    #: A single sign-on's session (0010): when the person's groups were read, at that sign-in.
    #: NULL for a session opened with an API token, and on sessions from before 0010.
    role_read_at: Mapped[datetime | None]


class MachineRow(Base):
    """One (machine, home) as it last reported: ``machine_key`` folds the home into the machine
    id (see ``_fleet.fleet_key``), so each home's report replaces only its own."""

    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    machine_key: Mapped[str] = mapped_column(String(128), unique=True)
    #: The machine id as reported (NULL on rows from before 0005, whose key was that id).
    machine: Mapped[str | None] = mapped_column(String(128))
    #: The home the scan read; NULL for a report that named none.
    home: Mapped[str | None] = mapped_column(String(500))
    hostname: Mapped[str] = mapped_column(String(255))
    os: Mapped[str | None] = mapped_column(String(32))
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime]


class FleetServerRow(Base):
    """One server as a (machine, home) last reported it (a report replaces that record's rows)."""

    __tablename__ = "fleet_servers"
    __table_args__ = (Index("ix_fleet_servers_identity", "kind", "ecosystem", "package"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    config_path: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(16))
    ecosystem: Mapped[str | None] = mapped_column(String(16))
    package: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(255))
    digest: Mapped[str | None] = mapped_column(String(200))
    launch: Mapped[str | None] = mapped_column(Text)


class GatewayEventRow(Base):
    """A gateway audit record mirrored from the JSONL log (whose chain is the authority)."""

    __tablename__ = "gateway_events"
    __table_args__ = (
        Index("ix_gateway_events_server_at", "server", "at"),
        Index("ix_gateway_events_chain_hash", "chain_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    server: Mapped[str] = mapped_column(String(255))
    client: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(100))
    tool: Mapped[str | None] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    chain_hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]]


class GatewayPinnedServerRow(Base):
    """A server whose tools the gateways pinned: the row is written once, by the first replica
    that listed the server's tools, in the transaction that writes those pins."""

    __tablename__ = "gateway_pinned_servers"

    server: Mapped[str] = mapped_column(String(255), primary_key=True)
    pinned_at: Mapped[datetime]


class GatewayPinRow(Base):
    """A tool signature every gateway replica compares with (``pinned``), or one a gateway saw
    that differs from it and holds back until a reviewer approves it (``pending``)."""

    __tablename__ = "gateway_pins"

    server: Mapped[str] = mapped_column(String(255), primary_key=True)
    item: Mapped[str] = mapped_column(String(600), primary_key=True)  # "tool:NAME"
    state: Mapped[str] = mapped_column(String(8), primary_key=True)  # pinned | pending
    sha256: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[str] = mapped_column(Text)


class GatewayProfileRow(Base):
    """The baseline's learned profile of one tool ("server/tool"), merged from every replica."""

    __tablename__ = "gateway_profiles"

    tool_key: Mapped[str] = mapped_column(String(600), primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    fields: Mapped[list[Any]]
    destinations: Mapped[list[Any]]
