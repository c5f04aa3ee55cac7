"""Attack: hide a machine's unapproved server from the quarterly report's reader. The Markdown
and HTML forms list at most 500 rows a section, and the fleet's rows come sorted by host name:
a requester token (Mallory's) reporting 600 made-up servers under a host name that sorts
first (or under 600 host names) filled the 500 rows of "Unapproved servers", "Unpinned
servers" and "Every server", and the real `evil-mcp` of `zz-build-07` (reported by the fleet
agent) was in none of them: "100 more in the JSON report" was all that was said, until
2026-12-05 (found by an independent review, left open).

Now the rows shown are chosen, not cut: a share of each reporting token and, within a token,
of each machine, the most severe of each first (malicious, revoked and mismatched before
unapproved, before drift, before the rest), shown in host order; a line says how many rows
and machines were left out. A real registry database, the report's own builder and renderers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from mcpward.registry import InventoryUpload, ObservedServer, Registry
from mcpward.report import audit

REAL = ObservedServer(host="cursor", name="real-evil", kind="package", ecosystem="npm", package="evil-mcp",
                      launch="npx -y evil-mcp")  # fmt: skip


def _flood(count: int, prefix: str = "flood") -> tuple[ObservedServer, ...]:
    return tuple(
        ObservedServer(host="cursor", name=f"{prefix}{n}", kind="local", launch=f"node s{n}.js")
        for n in range(count)
    )


def _section(markdown: str, title: str) -> str:
    found = re.search(rf"^## {re.escape(title)} \(\d+\)\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert found, title
    return found.group(1)


def _html_section(html: str, anchor: str) -> str:
    found = re.search(rf'<h2 id="{anchor}">(.*?)(?=<h2 |\Z)', html, re.S)
    assert found, anchor
    return found.group(1)


def _report(registry: Registry) -> tuple[str, str]:
    document = audit.build_audit(registry, since=timedelta(days=90))
    # The line under "Act on" names its first three servers: all three were aaa-flood's.
    (line,) = [item for item in document["act_on"] if item["section"] == "unapproved"]
    assert "real-evil" in line["text"] or "evil-mcp" in line["text"], line["text"]
    return audit.render_markdown(document), audit.render_html(document)


def test_one_hosts_flood_does_not_push_another_hosts_unapproved_server_out(tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.record_inventory(
        InventoryUpload(machine_id="m-flood", hostname="aaa-flood", servers=_flood(600)), "mallory"
    )
    registry.record_inventory(
        InventoryUpload(machine_id="m-real", hostname="zz-build-07", servers=(REAL,)), "fleet-agent"
    )
    markdown, html = _report(registry)
    registry.database.dispose()
    for title, anchor in (("Unapproved servers", "unapproved"), ("Unpinned servers", "unpinned"),
                          ("Every server by machine and home", "fleet")):  # fmt: skip
        shown = _section(markdown, title)
        # Before: the 500 rows were all aaa-flood's; zz-build-07's server was in none.
        assert "real-evil" in shown and "zz-build-07" in shown, title
        assert "101 more rows (of 1 machine) in the JSON report" in shown, shown[-400:]
        page = _html_section(html, anchor)
        assert "real-evil" in page and "101 more rows (of 1 machine) in the JSON report" in page, anchor


def test_a_flood_of_host_names_does_not_push_another_tokens_server_out(tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    for n in range(260):
        registry.record_inventory(
            InventoryUpload(machine_id=f"m{n}", hostname=f"aaa-{n:04}", servers=_flood(2, f"f{n}-")),
            "mallory",
        )
    registry.record_inventory(
        InventoryUpload(machine_id="m-real", hostname="zz-build-07", servers=(REAL,)), "fleet-agent"
    )
    markdown, html = _report(registry)
    registry.database.dispose()
    shown = _section(markdown, "Unapproved servers")
    assert "real-evil" in shown and "zz-build-07" in shown
    # Every machine's first server is shown before any machine's second: 240 seconds left out.
    assert "21 more rows (of 21 machines) in the JSON report" in shown, shown[-400:]
    assert "real-evil" in _html_section(html, "unapproved")


def test_the_most_severe_rows_of_a_machine_come_first(tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    # One machine: 600 unpinned local commands whose names sort first, then its own evil-mcp.
    registry.record_inventory(
        InventoryUpload(machine_id="m1", hostname="laptop-1", servers=(*_flood(600, "a"), REAL)),
        "fleet-agent",
    )
    markdown, _ = _report(registry)
    registry.database.dispose()
    assert "real-evil" in _section(markdown, "Unapproved servers")
