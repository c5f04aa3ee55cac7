"""The audit report's Markdown cuts each table cell at 200 characters (its HTML and JSON hold
them whole). The cut was silent: a machine reporting a version of 250 characters made the
drifted server's detail ``runs <version>; approved: 1.2.3`` end inside the version, the approved
version out of sight and nothing saying so. A cut cell now says how much it leaves out and
where it is whole."""

from __future__ import annotations

from datetime import timedelta

from mcpward.registry import InventoryUpload, ObservedServer, Registry
from mcpward.report.audit import build_audit, render_markdown
from test_registry import package_request

LONG_VERSION = "1.2.4-" + "x" * 244


def _markdown(registry: Registry, version: str) -> str:
    entry = registry.request(package_request(), "alice")  # npm:@acme/files@1.2.3
    registry.approve(entry.id, "bob", "ok")
    server = ObservedServer(
        host="cursor", name="files", kind="package", ecosystem="npm", package="@acme/files", version=version
    )
    registry.record_inventory(
        InventoryUpload(machine_id="m-1", hostname="laptop-7", servers=(server,)), "agent"
    )
    return render_markdown(build_audit(registry, since=timedelta(days=90)))


def _drifted_rows(markdown: str) -> list[str]:
    section = markdown.split("## Drifted servers", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if "laptop-7" in line]


def test_a_cut_cell_says_it_is_cut(registry: Registry) -> None:
    (row,) = _drifted_rows(_markdown(registry, LONG_VERSION))
    detail = row.split(" | ")[5]
    assert "approved: @acme/files@1.2.3" in detail or "more characters" in detail, detail


def test_a_cell_that_fits_is_whole(registry: Registry) -> None:
    (row,) = _drifted_rows(_markdown(registry, "1.2.4"))
    assert "more characters" not in row and "approved" in row.split(" | ")[5]
