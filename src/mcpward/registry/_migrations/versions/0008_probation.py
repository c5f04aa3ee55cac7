"""Probation: an approval starts a read-only period.

``entries.read_only_tools`` (the tools a reviewer confirmed as read-only), ``probation_until``
(the end of the read-only period) and ``write_granted_by`` (who granted write, a reviewer or
``mcpward`` after a quiet period). NULL on every existing row: approvals made before this
revision have no probation.

0008 because 0006 and 0007 are taken by work in parallel (the gateway's pins and baseline, and
OAuth); on this branch it follows 0005, and ``down_revision`` is set to ``0007`` when they meet.

Revision ID: 0008
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns only: rebuilding ``entries`` on SQLite would touch the rows the audit trail digests.
    op.add_column("entries", sa.Column("read_only_tools", sa.JSON(), nullable=True))
    op.add_column("entries", sa.Column("probation_until", sa.Date(), nullable=True))
    op.add_column("entries", sa.Column("write_granted_by", sa.String(200), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, as 0004 does: a batch copy of ``entries`` is refused while
    # reviews refer to it.
    for column in ("write_granted_by", "probation_until", "read_only_tools"):
        op.drop_column("entries", column)
