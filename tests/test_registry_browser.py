"""The reviewers' pages in a real headless Chromium (Debian's, driven by Playwright): sign in,
approve a request, and find the approved server in the fleet view."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from mcpward.registry import InventoryUpload, ObservedServer, Registry, Role, Status
from needs import missing
from test_registry import package_request

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's services through a closed network.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        missing("browser", f"{CHROMIUM} is missing (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        yield launched
        launched.close()


def test_a_reviewer_signs_in_approves_and_sees_the_server_in_the_fleet(
    registry: Registry, live_server: str, browser: object
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    token = registry.create_token("bob", Role.REVIEWER, "setup")
    entry = registry.request(package_request(), "alice")
    server = ObservedServer(
        host="cursor", name="files", kind="package", ecosystem="npm", package="@acme/files", version="1.2.3",
        launch="@acme/files@1.2.3",
    )  # fmt: skip
    registry.record_inventory(
        InventoryUpload(machine_id="m-1", hostname="laptop-7", servers=(server,)), "agent"
    )

    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/fleet")
    expect(page).to_have_url(f"{live_server}/login?next=/fleet")
    page.fill("#token", "mcpw_wrong")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("not valid")

    page.fill("#token", token)
    page.click("button[type=submit]")
    expect(page.locator("td.status-unapproved")).to_have_text("unapproved")
    page.goto(f"{live_server}/queue")
    page.click("text=io.github.acme/files")
    expect(page.locator("#status")).to_contain_text("requested")
    page.fill("#rationale", "Read the diff and the vet findings; scope matches.")
    page.click("button[value=approve]")
    expect(page.locator("#status")).to_contain_text("approved")
    expect(page.locator("ol.reviews")).to_contain_text("approve by bob: Read the diff")

    page.click("text=Fleet")
    row = page.locator("tr", has_text="laptop-7")
    expect(row.locator("td.status-approved")).to_have_text("approved")
    assert registry.get(entry.id).status is Status.APPROVED
