"""What a review decides on: the advisories mcpward found for the version, and supersession.

``entries.advisories`` keeps the advisories (OSV) known for the exact version when it was
requested or decided on. ``entries.superseded_by`` and ``entries.superseded_on`` record that
another version of the same identity was approved, and the day this one's approval ends.
Existing rows keep NULL in all three, which the audit trail's digests leave out, so a trail
anchored before this migration still verifies.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entries", sa.Column("advisories", sa.JSON(), nullable=True))
    op.add_column("entries", sa.Column("superseded_by", sa.Integer(), nullable=True))
    op.add_column("entries", sa.Column("superseded_on", sa.Date(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch copy of the table: dropping
    # ``entries`` to copy it is refused while reviews refer to it.
    for column in ("superseded_on", "superseded_by", "advisories"):
        op.drop_column("entries", column)
