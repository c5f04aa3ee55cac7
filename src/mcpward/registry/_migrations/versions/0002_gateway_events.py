"""The gateway's audit records, mirrored from its JSONL log for queries and reports.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("server", sa.String(255), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("tool", sa.String(255), nullable=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
    )
    op.create_index("ix_gateway_events_server_at", "gateway_events", ["server", "at"])


def downgrade() -> None:
    op.drop_table("gateway_events")
