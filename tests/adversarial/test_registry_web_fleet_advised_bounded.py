"""Attack: the fleet page's table of servers with known advisories listed every such server it
read, up to 20,000 (the fleet servers it judges), each with its launch line of up to 2,000
characters. Any machine's reporting token could send 20,000 servers of a package with a known
advisory (four reports of 5,000), and every view of /fleet by any viewer was then a page of
48 MB, 2.4 s of the server's time, a table a browser lays out for long after; the fleet's own
table of servers, paged by 200, came after it. Now the table lists at most 1,000 (malicious
packages first, then by severity, as before) and says how many there are and that
``mcpward report audit`` lists them all."""

from __future__ import annotations

import re

import pytest

from mcpward.registry import InventoryUpload, ObservedServer, Registry, Role
from mcpward.registry.web import _pages
from test_registry_web import Site, _sign_in

SHOWN = 10


def _report(registry: Registry, machine: str, count: int, package: str = "postmark-mcp") -> None:
    servers = tuple(
        ObservedServer(
            host="cursor",
            name=f"mail-{index}",
            kind="package",
            ecosystem="npm",
            package=package,
            version="1.0.16",
            launch=f"npx {package}@1.0.16 --profile " + "A" * 1900,
        )
        for index in range(count)
    )
    registry.record_inventory(InventoryUpload(machine_id=machine, hostname=machine, servers=servers), "agent")


def _advised_rows(page: str) -> int:
    table = page.split("Servers with known advisories", 1)[1].split("</table>", 1)[0]
    return len(re.findall(r"<tr>", table)) - 1  # the header's row


def test_a_flood_of_advised_servers_is_listed_in_part_and_counted(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pages, "_ADVISED_SHOWN", SHOWN, raising=False)
    _report(registry, "flood-1", 30)
    site = Site(registry)
    _sign_in(site, Role.VIEWER)
    page = site.client.get("/fleet").text
    assert _advised_rows(page) == SHOWN
    assert f"Servers with known advisories (30, the first {SHOWN} listed" in page
    assert "mcpward report audit" in page


def test_a_few_advised_servers_are_all_listed(registry: Registry) -> None:
    """A clean case: a fleet's few servers with advisories are all listed, no cut said."""
    _report(registry, "laptop-1", 3)
    site = Site(registry)
    _sign_in(site, Role.VIEWER)
    page = site.client.get("/fleet").text
    assert _advised_rows(page) == 3
    assert "Servers with known advisories (3)" in page and "listed" not in page
