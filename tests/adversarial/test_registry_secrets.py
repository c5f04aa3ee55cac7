"""Attack: a ``server.json`` whose environment variables (not marked ``isSecret``), defaults,
headers and package arguments carry real credentials. Once approved the registry published them
to anyone on ``/v0`` without a token. Secrets are refused on the way in (the answer names where,
never the value) and masked on the way out, whatever the path they came in by."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mcpward.registry import Registry, Role

GITHUB = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
KEYED = "s3cr3t-V4lu3-xyz-98765"
BEARER = "Zq8Lm3Np7Rt2Vw6Xy9Ab4Cd"
ARGUMENT = "Qw9Er8Ty7Ui6Op5As4Df3Gh"
URL_TOKEN = "Lk2Jh4Gf6Ds8Aq1Zx3Cv5Bn"
ALL = (GITHUB, KEYED, BEARER, ARGUMENT, URL_TOKEN)


def _leaky(**overrides: Any) -> dict[str, Any]:
    package = {
        "registryType": "npm",
        "identifier": "@acme/leaky",
        "version": "1.0.0",
        "transport": {"type": "stdio"},
        "environmentVariables": [
            {"name": "GITHUB_TOKEN", "value": GITHUB},
            {"name": "API_KEY", "default": KEYED},
            {"name": "LOG_LEVEL", "default": "debug"},
        ],
        "packageArguments": [
            {"type": "positional", "value": f"--api-key={ARGUMENT}"},
            {"type": "named", "name": "--port", "value": "8080"},
        ],
    }
    document = {
        "name": "io.github.acme/leaky",
        "description": "Leaks.",
        "version": "1.0.0",
        "packages": [package],
        "remotes": [
            {
                "type": "streamable-http",
                "url": f"https://leaky.example.com/mcp?token={URL_TOKEN}",
                "headers": [{"name": "Authorization", "value": f"Bearer {BEARER}"}],
            }
        ],
    }
    document.update(overrides)
    return document


def _headers(registry: Registry, name: str, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {registry.create_token(name, role, 'setup')}"}


def test_secrets_in_a_server_json_are_refused_and_never_echoed(registry: Registry, live_server: str) -> None:
    headers = _headers(registry, "mallory", Role.REQUESTER)
    answer = httpx.post(f"{live_server}/api/import?owner=team", json=_leaky(), headers=headers)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "environmentVariables" in detail and "GITHUB_TOKEN" in detail
    assert not any(secret in answer.text for secret in ALL)
    assert registry.entries() == []
    # Each place on its own is refused too.
    for document in (
        _leaky(remotes=[]),
        _leaky(packages=[], remotes=[{"type": "sse", "url": "https://leaky.example.com/mcp",
                                      "headers": [{"name": "Authorization", "value": f"Bearer {BEARER}"}]}]),
        _leaky(packages=[], remotes=[{"type": "sse", "url": f"https://leaky.example.com/mcp?token={URL_TOKEN}"}]),
    ):  # fmt: skip
        refused = httpx.post(f"{live_server}/api/import?owner=team", json=document, headers=headers)
        assert refused.status_code == 422, (document, refused.text)
        assert not any(secret in refused.text for secret in ALL)
    assert registry.entries() == []


def test_a_server_json_posted_as_an_entry_is_checked_too(registry: Registry, live_server: str) -> None:
    headers = _headers(registry, "mallory", Role.REQUESTER)
    body = {
        "name": "io.github.acme/leaky",
        "identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/leaky", "version": "1.0.0"},
        "owner": "team",
        "server_json": _leaky(remotes=[]),
    }
    answer = httpx.post(f"{live_server}/api/entries", json=body, headers=headers)
    assert answer.status_code == 422 and not any(secret in answer.text for secret in ALL)
    # A value marked secret is dropped rather than stored, on this path as on import.
    marked = _leaky(remotes=[])
    marked["packages"][0]["environmentVariables"] = [
        {"name": "GITHUB_TOKEN", "isSecret": True, "value": GITHUB}
    ]
    marked["packages"][0]["packageArguments"] = []
    stored = httpx.post(f"{live_server}/api/entries", json=body | {"server_json": marked}, headers=headers)
    assert stored.status_code == 201, stored.text
    assert GITHUB not in stored.text
    assert GITHUB not in json.dumps(registry.get(stored.json()["id"]).server_json)


def test_a_secret_already_stored_is_masked_when_published(registry: Registry, live_server: str) -> None:
    clean = _leaky(remotes=[])
    clean["packages"][0]["environmentVariables"] = [{"name": "LOG_LEVEL", "default": "debug"}]
    clean["packages"][0]["packageArguments"] = []
    headers = _headers(registry, "alice", Role.REQUESTER)
    created = httpx.post(f"{live_server}/api/import?owner=team", json=clean, headers=headers)
    assert created.status_code == 201, created.text
    entry_id = created.json()[0]["id"]
    registry.approve(entry_id, "bob", "ok", override=True)
    # As an older version stored it, or as someone wrote it into the database.
    with registry.database.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE entries SET server_json = :document WHERE id = :id"),
            {"document": json.dumps(_leaky()), "id": entry_id},
        )
    page = httpx.get(f"{live_server}/v0/servers")
    assert page.status_code == 200 and "io.github.acme/leaky" in page.text
    assert not any(secret in page.text for secret in ALL), page.text
    viewer = _headers(registry, "viewer", Role.VIEWER)
    for path in (f"/api/entries/{entry_id}", "/api/entries", f"/api/entries/{entry_id}/server.json"):
        answer = httpx.get(live_server + path, headers=viewer)
        assert answer.status_code == 200 and "leaky" in answer.text
        assert not any(secret in answer.text for secret in ALL), (path, answer.text)


@pytest.mark.parametrize("field", ["description", "title"])
def test_a_secret_in_the_entrys_own_text_is_refused(registry: Registry, live_server: str, field: str) -> None:
    body = {
        "name": "io.github.acme/leaky",
        "identity": {"kind": "remote", "url": "https://leaky.example.com/mcp"},
        "owner": "team",
        field: f"use {GITHUB}",
    }
    answer = httpx.post(
        f"{live_server}/api/entries", json=body, headers=_headers(registry, "m", Role.REQUESTER)
    )
    assert answer.status_code == 422 and GITHUB not in answer.text


def test_a_server_json_with_variables_and_placeholders_is_taken_as_written(
    registry: Registry, live_server: str
) -> None:
    """The other side: references to an input's variables ("Bearer {api_key}"), placeholders
    and ordinary settings are not secrets, and are published unchanged."""
    document = _leaky(
        remotes=[
            {
                "type": "streamable-http",
                "url": "https://leaky.example.com/mcp?tenant={tenant}",
                "headers": [{"name": "Authorization", "value": "Bearer {api_key}",
                             "variables": {"api_key": {"isSecret": True}}}],
            }
        ]
    )  # fmt: skip
    document["packages"][0]["environmentVariables"] = [
        {"name": "GITHUB_TOKEN", "isSecret": True},
        {"name": "DATABASE_URL", "default": "postgres://app:{password}@localhost/app"},
        {"name": "LOG_LEVEL", "default": "debug"},
    ]
    document["packages"][0]["packageArguments"] = [
        {"type": "named", "name": "--api-key", "value": "{api_key}"},
        {"type": "positional", "value": "/workspace"},
    ]
    created = httpx.post(
        f"{live_server}/api/import?owner=team", json=document, headers=_headers(registry, "a", Role.REQUESTER)
    )
    assert created.status_code == 201, created.text
    registry.approve(created.json()[0]["id"], "bob", "ok", override=True)
    # The remote beside the judged package is kept as written, but only the package is
    # published (tests/adversarial/test_registry_published_identity.py).
    stored = registry.get(created.json()[0]["id"]).server_json or {}
    assert stored["remotes"][0]["headers"][0]["value"] == "Bearer {api_key}"
    published = httpx.get(f"{live_server}/v0/servers").json()["servers"][0]["server"]
    assert (
        published["packages"][0]["environmentVariables"][1]["default"]
        == "postgres://app:{password}@localhost/app"
    )
    assert published["packages"][0]["packageArguments"][0]["value"] == "{api_key}"


def test_the_secret_check_is_bounded_in_time(registry: Registry, live_server: str) -> None:
    """Checking every string for secrets costs microseconds a character: a body of 2 MiB of
    server.json text must be refused by size, not checked for seconds."""
    body = {
        "name": "io.github.acme/big",
        "identity": {"kind": "remote", "url": "https://big.example.com/mcp"},
        "owner": "team",
        "server_json": {"name": "io.github.acme/big", "_meta": {"notes": "x" * 1_900_000}},
    }
    started = time.monotonic()
    answer = httpx.post(
        f"{live_server}/api/entries", json=body, headers=_headers(registry, "m", Role.REQUESTER), timeout=60
    )
    assert answer.status_code == 422 and "KiB" in answer.text, answer.text[:300]
    assert time.monotonic() - started < 2.0
