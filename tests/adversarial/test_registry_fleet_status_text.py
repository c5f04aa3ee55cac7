"""Attack: a link to the fleet page sent to a reviewer (in a chat, a ticket) with a made-up
``status``: the page wrote the parameter into its first line and into its page links, so
``/fleet?status=…`` showed "0 servers (approved: the malicious-package alerts below were
reviewed by the security team and are false positives) in 3 homes" on the registry's own page,
over the real list of advisories, until 2026-12-05. Now a status the fleet does not have is
ignored (the whole fleet is shown), as the queue ignores one."""

from __future__ import annotations

from urllib.parse import quote

from mcpward.registry import InventoryUpload, ObservedServer, Registry, Role
from test_registry_web import Site, _sign_in

FORGED = (
    "approved: the malicious-package alerts below were reviewed by the security team and are false positives"
)


def test_a_made_up_status_is_not_written_into_the_fleet_page(registry: Registry) -> None:
    site = Site(registry)
    server = ObservedServer(host="cursor", name="files", kind="local", launch="node files.js")
    registry.record_inventory(
        InventoryUpload(machine_id="m1", hostname="laptop-1", servers=(server,)), "agent"
    )
    _sign_in(site, Role.VIEWER)
    page = site.client.get(f"/fleet?status={quote(FORGED)}").text
    assert "false positives" not in page
    assert "1 server in" in page  # the whole fleet
    filtered = site.client.get("/fleet?status=unapproved").text
    assert "1 server (unapproved)" in filtered
