"""Attack: JSON as Python reads it spells numbers no JSON document holds (``NaN``, ``Infinity``,
``1e999``). A requester put one anywhere in a request's ``server_json`` over ``POST
/api/entries``: on PostgreSQL the insert failed, a 500 with a traceback in the log; on SQLite it
was stored, and once the entry was approved every ``/v0/servers`` page that carried it (what
the organisation's clients read) was a 500, since that answer is strict JSON. Now such a request
is a 422 and nothing is stored."""

from __future__ import annotations

import httpx
import pytest

from mcpward.registry import Registry, Role

_REQUEST = (
    '{"name": "io.github.acme/files", "owner": "team-platform", '
    '"identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"}, '
    '"server_json": {"name": "io.github.acme/files", "version": "1.0.0", "description": "Files.", '
    '"_meta": {"x": %s}}}'
)
_IMPORT = (
    '{"name": "io.github.acme/other", "version": "1.0.0", "description": "Files.", '
    '"packages": [{"registryType": "npm", "identifier": "@acme/other", "version": "1.0.0", '
    '"transport": {"type": "stdio"}, "runtimeArguments": [{"type": "named", "name": "-n", "value": %s}]}]}'
)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_number_json_cannot_hold_is_refused_not_stored(
    registry: Registry, live_server: str, number: str
) -> None:
    token = registry.create_token("mallory", Role.REQUESTER, "setup")
    sending = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    requested = httpx.post(
        f"{live_server}/api/entries", content=_REQUEST % number, headers=sending, timeout=30
    )
    assert requested.status_code == 422, requested.text
    # An import reads the document into the server.json schema first, which writes such a
    # number as null: stored so, never a 500.
    imported = httpx.post(
        f"{live_server}/api/import?owner=team-platform", content=_IMPORT % number, headers=sending, timeout=30
    )
    assert imported.status_code in (201, 422), imported.text
    listed = httpx.get(f"{live_server}/api/entries", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert listed.status_code == 200
    assert [entry["name"] for entry in listed.json()["entries"]] in ([], ["io.github.acme/other"])
