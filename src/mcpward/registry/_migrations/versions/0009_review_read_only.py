"""The read-only choice of each approval.

``reviews.read_only_tools``: the tools the approver confirmed as read-only for the probation
(an empty list: none, ``--no-read-only``); NULL when they made no choice (inspect's suggestion).
A Tier-0 entry's probation takes the tools every approver of the round who chose confirmed, so
the first approver's choice is kept with their review. NULL on every existing row: approvals
made before this revision made no recorded choice.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column only, NULL: the rows the audit trail digests are left as they were recorded.
    op.add_column("reviews", sa.Column("read_only_tools", sa.JSON(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, as 0008 does (a batch copy of a table others refer to is refused).
    op.drop_column("reviews", "read_only_tools")
