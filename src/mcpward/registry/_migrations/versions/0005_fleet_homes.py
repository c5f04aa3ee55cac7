"""Fleet records per (machine, home).

``machines.machine`` keeps the machine id as reported and ``machines.home`` the home the scan
read; ``machine_key`` becomes a digest of the pair (``_fleet.fleet_key``), so a report of one home
no longer replaces the machine's other homes. Existing rows were keyed by the bare machine id:
they move to the key of (that id, no home), which is where a report without a home still lands.
Only columns are added and one column rewritten: rebuilding ``machines`` on SQLite would cascade
into ``fleet_servers``.

Revision ID: 0005
Revises: 0004
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_machines = sa.table(
    "machines",
    sa.column("id", sa.Integer()),
    sa.column("machine_key", sa.String()),
    sa.column("machine", sa.String()),
    sa.column("home", sa.String()),
)


def _key(machine_id: str, home: str | None) -> str:
    # The same folding as mcpward.registry._fleet.fleet_key at this revision, written out so that
    # the migration does not change if that module does.
    encoded = json.dumps([machine_id, home], ensure_ascii=False, separators=(",", ":"))
    return "mh1:" + hashlib.sha256(encoded.encode()).hexdigest()


def upgrade() -> None:
    op.add_column("machines", sa.Column("machine", sa.String(128), nullable=True))
    op.add_column("machines", sa.Column("home", sa.String(500), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_machines.c.id, _machines.c.machine_key)).all()
    for row_id, key in rows:
        connection.execute(
            _machines.update()
            .where(_machines.c.id == row_id)
            .values(machine=key, machine_key=_key(key, None))
        )


def downgrade() -> None:
    # Records of one machine's several homes cannot share the bare id: the machine's own record
    # (no home) gets it back, the homes keep their digest keys.
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_machines.c.id, _machines.c.machine).where(
            _machines.c.machine.is_not(None), _machines.c.home.is_(None)
        )
    ).all()
    for row_id, machine in rows:
        connection.execute(_machines.update().where(_machines.c.id == row_id).values(machine_key=machine))
    for column in ("home", "machine"):
        op.drop_column("machines", column)
