"""Attack: the fleet page shows more of what a machine reports than a server's name and launch
line, which are shown with what a reviewer does not see escaped
(test_registry_page_names.py): the client a server is configured in (``host``, never checked
for any character), the version it runs (quoted in the "Detail" column: "runs 1.0.1; approved:
1.0.0"), the machine's host name, home folder and OS (refused with controls and bidirectional
overrides, but not with zero-width characters, right-to-left marks or Unicode tags). A fleet
token's holder reported a server in client ``"\\u202erosruc"`` (shown as "cursor") running
version ``"\\u202e0.0.1"``, whose override reversed the rest of the Detail column, and a host
name ``"build-01\\u200b"`` the same on screen as another machine's, until 2026-12-05. Now each
of them is shown as the names are."""

from __future__ import annotations

import re
from html import unescape

from mcpward.registry import InventoryUpload, ObservedServer, Registry, Role
from test_registry import package_request
from test_registry_web import Site, _sign_in

UNSEEN = ("\u202e", "\u200b", "\u200f", "\U000e0041")


def _text_outside_attributes(page: str) -> str:
    return unescape(re.sub(r"<[^>]*>", " ", page))


def test_what_a_machine_reports_is_shown_with_its_unseen_characters(registry: Registry) -> None:
    site = Site(registry)
    entry = registry.request(package_request(), "alice")
    registry.approve(entry.id, "bob", "read it", override=True)
    drifted = ObservedServer(
        host="\u202erosruc",
        name="files",
        kind="package",
        ecosystem=entry.identity.ecosystem,
        package=entry.identity.name,
        version="\u202e)1 yrtne( devorppa",
        launch="npx files",
    )
    upload = InventoryUpload(
        machine_id="m1",
        hostname="build-01\u200b",
        os="linux\U000e0041",
        home="/home/\u200fci",
        servers=(drifted,),
    )
    registry.record_inventory(upload, "agent")
    _sign_in(site, Role.VIEWER)
    page = site.client.get("/fleet").text
    assert "version-drift" in page
    shown = _text_outside_attributes(page)
    assert not any(char in shown for char in UNSEEN), [hex(ord(c)) for c in UNSEEN if c in shown]
    assert "\\u202erosruc" in shown and "build-01\\u200b" in shown and "/home/\\u200fci" in shown
    assert "runs \\u202e)1 yrtne( devorppa" in shown
