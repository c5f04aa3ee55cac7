"""Attack: one machine of the fleet reports a server whose launch line is 2,000 characters
with no space (``ObservedServer.launch`` allows that much), or a name of 255. A table's columns
are shared by all its rows, and a cell's text that cannot wrap widens its column: the fleet
page in a real Chromium, at 1280 pixels, pushed the "Approval" and "Advisories" columns of
every server (``revoked``, ``unapproved``) past the right edge of the window, where a
reviewer reading the page does not look, until 2026-12-05. Now text in a cell or a ``pre``
wraps anywhere, and the columns stay in the window."""

from __future__ import annotations

from mcpward.registry import InventoryUpload, ObservedServer, Registry, Role
from test_registry import package_request
from test_registry_browser import browser  # noqa: F401  (the fixture)

WIDTH = 1280


def test_a_long_launch_line_does_not_push_the_status_out_of_the_window(
    registry: Registry,
    live_server: str,
    browser: object,  # noqa: F811
) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    token = registry.create_token("bob", Role.VIEWER, "setup")
    servers = (
        ObservedServer(host="cursor", name="notes", kind="local", launch="node notes.js"),
        ObservedServer(host="cursor", name="x" * 255, kind="local", launch="node/" + "A" * 1990),
    )
    registry.record_inventory(
        InventoryUpload(machine_id="m-1", hostname="laptop-7", servers=servers), "agent"
    )
    page = browser.new_page(viewport={"width": WIDTH, "height": 800})
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/login?next=/fleet")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("td.status-unapproved")
    rights = [
        box["x"] + box["width"]
        for cell in page.query_selector_all("td.status-unapproved")
        if (box := cell.bounding_box()) is not None
    ]
    wide = page.evaluate("document.documentElement.scrollWidth")
    entry = registry.request(package_request(owner="o" * 200, repository="https://" + "r" * 490), "alice")
    page.goto(f"{live_server}/entries/{entry.id}")
    entry_wide = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    assert len(rights) == 2
    assert max(rights) <= WIDTH, f"the Approval column ends at {max(rights)} px, past the window's {WIDTH}"
    assert wide <= WIDTH, f"the fleet page is {wide} px wide"
    assert entry_wide <= WIDTH, f"the entry page is {entry_wide} px wide"
