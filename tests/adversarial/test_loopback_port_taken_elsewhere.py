"""Plain http to this machine is trusted as this machine's wherever mcpward allows it: an
issuer's key set, introspection and token exchange (``gateway serve``), an OpenID provider's
documents and keys (the registry's single sign-on) and an advisories source. Any local account
may listen on an unprivileged loopback port first (at boot, or once the real service stops):
its key set would sign in whoever it likes, its advisories say "affects nothing". The registry
clients and the fleet agent refused such a port since a review of 2026-12-05; these three were
still fetched from it, until the same day. On Linux the port's listener is looked up and
nothing is fetched from another person's account (uid 1000 and up)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest

from loopback import anothers_listener

OTHER = 4399

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="needs Linux and root to listen as another account"
)


def test_the_gateway_takes_no_keys_from_it() -> None:
    from mcpward.gateway._oauth import _get_json

    async def fetch(url: str) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            await _get_json(client, f"{url}/jwks.json", deadline=5)

    with anothers_listener(OTHER) as (url, sent), pytest.raises(ValueError, match="another account"):
        asyncio.run(fetch(url))
    assert b"".join(sent) == b""


def test_the_registrys_sign_in_takes_no_document_from_it() -> None:
    from mcpward.registry.web._oidc import _json

    with (
        anothers_listener(OTHER) as (url, sent),
        httpx.Client(timeout=5) as client,
        pytest.raises(ValueError, match="another account"),
    ):
        _json(client, 5, "GET", f"{url}/.well-known/openid-configuration")
    assert b"".join(sent) == b""


def test_no_advisories_are_taken_from_it(tmp_path: Path) -> None:
    from mcpward.advisories import AdvisoryError, update_snapshot

    with anothers_listener(OTHER) as (url, sent), pytest.raises(AdvisoryError, match="another account"):
        update_snapshot([f"{url}/advisories.json"], tmp_path / "snapshot.json")
    assert b"".join(sent) == b""


def test_a_port_of_roots_own_is_still_used() -> None:
    """The check names another person's account only: a service of root's or the system's (a
    tunnel, a local identity provider) is the admin's."""
    from mcpward.gateway._oauth import _get_json

    async def fetch(url: str) -> dict[str, object]:
        async with httpx.AsyncClient(timeout=5) as client:
            return await _get_json(client, f"{url}/jwks.json", deadline=5)

    # (the listener answers 201 whatever it is asked: refused for its status, after the request)
    with anothers_listener(0) as (url, sent), pytest.raises(ValueError, match="HTTP 201"):
        asyncio.run(fetch(url))
    assert b"GET /jwks.json" in b"".join(sent)
