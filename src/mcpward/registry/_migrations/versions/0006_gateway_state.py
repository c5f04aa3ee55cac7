"""State the gateway replicas share: the tool pins (pinned and pending) and the baseline's
learned profiles; mirrored audit records found by their chain hash (a log mirrored again after
a crash adds only what is missing).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_pinned_servers",
        sa.Column("server", sa.String(255), primary_key=True),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "gateway_pins",
        sa.Column("server", sa.String(255), primary_key=True),
        sa.Column("item", sa.String(600), primary_key=True),
        sa.Column("state", sa.String(8), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
    )
    op.create_table(
        "gateway_profiles",
        sa.Column("tool_key", sa.String(600), primary_key=True),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.Float(), nullable=False),
        sa.Column("last_seen", sa.Float(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("destinations", sa.JSON(), nullable=False),
    )

    op.create_index("ix_gateway_events_chain_hash", "gateway_events", ["chain_hash"])


def downgrade() -> None:
    op.drop_index("ix_gateway_events_chain_hash", "gateway_events")
    for table in ("gateway_profiles", "gateway_pins", "gateway_pinned_servers"):
        op.drop_table(table)
