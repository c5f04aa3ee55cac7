"""The registry's first schema: entries, reviews, the append-only audit trail, API tokens,
browser sessions and the fleet inventory.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)

# The audit trail cannot be edited through any connection that goes through SQL: these triggers
# refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
]
_POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION mcpward_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$""",
    """CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION mcpward_audit_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
       FOR EACH STATEMENT EXECUTE FUNCTION mcpward_audit_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("release", sa.String(255), nullable=False),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ecosystem", sa.String(16), nullable=True),
        sa.Column("package", sa.String(500), nullable=False),
        sa.Column("identity", sa.JSON(), nullable=False),
        sa.Column("repository", sa.String(500), nullable=True),
        sa.Column("repository_verified", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("derived_tier", sa.Integer(), nullable=False),
        sa.Column("tier_reasons", sa.JSON(), nullable=False),
        sa.Column("pins", sa.JSON(), nullable=False),
        sa.Column("vet", sa.JSON(), nullable=True),
        sa.Column("inspect_findings", sa.JSON(), nullable=False),
        sa.Column("server_json", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("round_revision", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.UniqueConstraint("name", "release", name="uq_entries_name_release"),
    )
    op.create_index("ix_entries_identity", "entries", ["kind", "ecosystem", "package"])
    op.create_index("ix_entries_status", "entries", ["status"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
    )
    op.create_index("ix_reviews_entry_id", "reviews", ["entry_id"])
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_events_entry_id", "audit_events", ["entry_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("api_tokens.id"), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
    )
    op.create_table(
        "machines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("machine_key", sa.String(128), nullable=False, unique=True),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("os", sa.String(32), nullable=True),
        sa.Column("reported_by", sa.String(200), nullable=False),
        sa.Column("reported_at", _TIME, nullable=False),
    )
    op.create_table(
        "fleet_servers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "machine_id", sa.Integer(), sa.ForeignKey("machines.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("host", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("config_path", sa.String(1000), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ecosystem", sa.String(16), nullable=True),
        sa.Column("package", sa.String(500), nullable=True),
        sa.Column("version", sa.String(255), nullable=True),
        sa.Column("digest", sa.String(200), nullable=True),
        sa.Column("launch", sa.Text(), nullable=True),
    )
    op.create_index("ix_fleet_servers_machine_id", "fleet_servers", ["machine_id"])
    op.create_index("ix_fleet_servers_identity", "fleet_servers", ["kind", "ecosystem", "package"])
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRESQL_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_events")
        op.execute("DROP FUNCTION mcpward_audit_append_only()")
    else:
        op.drop_table("audit_events")
    for table in ("fleet_servers", "machines", "web_sessions", "api_tokens", "reviews", "entries"):
        op.drop_table(table)
