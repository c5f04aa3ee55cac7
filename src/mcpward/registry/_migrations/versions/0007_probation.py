"""Probation: an approval starts a read-only period.

``entries.read_only_tools`` (the tools a reviewer confirmed as read-only), ``probation_until``
(the end of the read-only period) and ``write_granted_by`` (who granted write, a reviewer or
``mcpward`` after a quiet period). NULL on every existing row: approvals made before this
revision have no probation.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
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
