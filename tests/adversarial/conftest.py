"""Fixtures the attack files share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oauth_kit import AuthServer, issuers_serving


@pytest.fixture(scope="module")
def idp() -> Iterator[AuthServer]:
    """An identity provider on loopback signing with one RSA key (``rsa-1``), for a module's
    tests (a file that needs another defines its own)."""
    with issuers_serving("rsa-1") as (server,):
        yield server
