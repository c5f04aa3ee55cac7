"""Attack: the audit report's HTML (a page an auditor opens) lists the fleet's servers with
the launch line each machine reports, up to 2,000 characters with no space. A table's columns
are shared by its rows, and text that cannot wrap widens its column: in a real Chromium at
1280 pixels, one such line pushed the "status" column of every unapproved server far past
the right edge of the window, until 2026-12-05. Now cells wrap anywhere."""

from __future__ import annotations

from datetime import timedelta

from mcpward.registry import InventoryUpload, ObservedServer, Registry
from mcpward.report.audit import build_audit, render_html
from test_registry_browser import browser  # noqa: F401  (the fixture)

WIDTH = 1280


def test_a_long_launch_line_does_not_push_the_report_columns_out_of_the_window(
    registry: Registry,
    browser: object,  # noqa: F811
) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    servers = (
        ObservedServer(host="cursor", name="notes", kind="local", launch="node notes.js"),
        ObservedServer(host="cursor", name="x" * 255, kind="local", launch="node/" + "A" * 1990),
    )
    registry.record_inventory(
        InventoryUpload(machine_id="m-1", hostname="laptop-7", servers=servers), "agent"
    )
    page = browser.new_page(viewport={"width": WIDTH, "height": 800})
    page.set_content(render_html(build_audit(registry, since=timedelta(days=90))))
    wide = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    assert wide <= WIDTH, f"the report is {wide} px wide"
