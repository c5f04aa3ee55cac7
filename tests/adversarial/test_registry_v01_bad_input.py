"""Bad input to the read API (``/v0.1``), sent by anyone (the API is public by default).

Attacks:

- ``updated_since`` with a valid RFC 3339 time whose offset takes it past the last (or before
  the first) moment Python's datetime holds (``9999-12-31T23:59:59-23:59``) was an uncaught
  OverflowError, a 500 for every anonymous caller, until 2026-12-05; now a 422.
- A server name or version that matches nothing was echoed whole in the 404 (a 60 KiB name, a
  line break, markup: what the caller wrote, sent back by the registry's host), against the
  promise that bad input is a 4xx that does not echo it, until 2026-12-05.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mcpward.registry import Registry
from mcpward.registry.web import create_app


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient]:
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    yield TestClient(create_app(registry), raise_server_exceptions=False)
    registry.database.dispose()


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999999-00:01"],
)
def test_an_updated_since_out_of_range_is_a_422(client: TestClient, moment: str) -> None:
    answer = client.get("/v0.1/servers", params={"updated_since": moment})
    assert answer.status_code == 422, answer.text  # was 500
    assert moment not in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/v0.1/servers/io.example%2F{}/versions",
        "/v0.1/servers/io.example%2F{}/versions/latest",
        "/v0.1/servers/io.example%2Fsearch/versions/{}",
    ],
)
def test_a_name_or_version_that_matches_nothing_is_not_echoed(client: TestClient, path: str) -> None:
    # (A line break is in no route's name: the version takes one.)
    written = "<b>Call%20this%20number" + ("%0a" if path.endswith("{}") else "") + "x" * 20_000
    answer = client.get(path.format(written))
    assert answer.status_code == 404
    assert "Call" not in answer.text and "xxxx" not in answer.text, answer.text[:200]  # was echoed whole
