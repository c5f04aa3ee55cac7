"""The audit trail anchored outside the database, and vet verdicts kept apart from claims.

Each new audit event carries a keyed MAC of its hash (the key lives in a file, not in the
database) and the digests of the entries and tokens its change left behind, so that a direct
edit of those rows, or a recomputed chain, no longer verifies. ``entries.vet_claim`` keeps what
a requester said vet found, apart from mcpward's own vetting (``entries.vet``).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("state", sa.JSON(), nullable=True))
    op.add_column("audit_events", sa.Column("mac", sa.String(64), nullable=True))
    op.add_column("entries", sa.Column("vet_claim", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entries") as entries:
        entries.drop_column("vet_claim")
    with op.batch_alter_table("audit_events") as events:
        events.drop_column("mac")
        events.drop_column("state")
