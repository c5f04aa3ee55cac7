"""Persons: separation of duties compares the people behind actors, not their names.

``api_tokens.person`` (the person who holds the token, bound when it is made) and ``minted_by``
(the person who made it); ``entries.requester_person`` and ``requester_minted_by``, and
``reviews.reviewer_person`` and ``reviewer_minted_by``: the same of whoever requested and
decided. NULL on every existing row: there the name (``api_tokens.name``, ``requested_by``,
``reviewer``) stands for the person, as mcpward reads it (see registry/_persons.py).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = {
    "api_tokens": ("person", "minted_by"),
    "entries": ("requester_person", "requester_minted_by"),
    "reviews": ("reviewer_person", "reviewer_minted_by"),
}


def upgrade() -> None:
    # Columns only, NULL: the rows the audit trail digests are left as they were recorded.
    for table, columns in _COLUMNS.items():
        for column in columns:
            op.add_column(table, sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, as 0007 does (a batch copy of a table others refer to is refused).
    for table, columns in _COLUMNS.items():
        for column in reversed(columns):
            op.drop_column(table, column)
