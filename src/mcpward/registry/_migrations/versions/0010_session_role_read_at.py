"""When a browser session's role was read from the identity provider.

``web_sessions.role_read_at``: the time of the single sign-on that opened the session (its
person's groups read then). A decision from such a session is taken only within minutes of it
(see web/_auth.py), so that a person removed from a group at the provider stops deciding then,
not when the eight-hour session ends. NULL on every existing row, and on a session opened with
an API token (whose role the registry holds): an SSO session without it decides only after a
new sign-in.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("web_sessions", sa.Column("role_read_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, as 0009 does.
    op.drop_column("web_sessions", "role_read_at")
