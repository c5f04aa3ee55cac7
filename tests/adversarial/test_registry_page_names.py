"""The registry's pages show names a requester's server chose (its tools) and names any machine
reports (its fleet servers). HTML escaping keeps them from being markup, not from being read
as something else: a tool named ``"\\u202eeton_daer"`` showed as "read_note" in the list of
tools a reviewer ticks as read-only for the probation (its right-to-left override also reversed
the names after it), and a zero-width space made two names look the same. Such names are shown
with what a reviewer does not see escaped; the form still sends the exact name."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

from mcpward.inspect._pins import signature
from mcpward.registry import DataScope, InventoryUpload, ObservedServer, Registry, Role
from test_registry import package_request
from test_registry_web import Site, _sign_in

SPOOF = "\u202eeton_daer"  # shows as "read_note"
TWIN = "delete_all\u200b"
UNSEEN = ("\u202e", "\u200b")


def _pins(*names: str) -> dict[str, dict[str, str]]:
    pins = {}
    for name in names:
        pinned, text = signature(
            "", "tool", {"name": name, "description": "Notes.", "inputSchema": {"type": "object"}}
        )
        pins[f"tool:{name}"] = {"sha256": pinned.sha256, "canonical": text}
    return pins


def _text_outside_attributes(page: str) -> str:
    return unescape(re.sub(r"<[^>]*>", " ", page))


def test_a_tool_name_cannot_pass_for_another_in_the_read_only_choice(registry: Registry) -> None:
    site = Site(registry)
    shell = DataScope(reads=("notes",), shell=True)  # a tier with a probation: the choice is shown
    entry = registry.request(package_request(pins=_pins(SPOOF, TWIN, "delete_all"), scope=shell), "alice")
    _sign_in(site, Role.REVIEWER)
    page = site.client.get(f"/entries/{entry.id}").text
    assert 'name="read_only"' in page
    shown = _text_outside_attributes(page)
    assert not any(char in shown for char in UNSEEN), [c for c in UNSEEN if c in shown]
    assert "\\u202eeton_daer" in shown and "delete_all\\u200b" in shown
    # The form still names each tool exactly (percent-encoded: what a browser sends unchanged).
    assert f'value="{quote(SPOOF, safe="")}"' in page and f'value="{quote(TWIN, safe="")}"' in page


def test_a_fleet_server_name_is_shown_with_its_unseen_characters(registry: Registry) -> None:
    site = Site(registry)
    servers = (ObservedServer(host="cursor", name=f"github{SPOOF}", kind="local", launch=f"node {TWIN}"),)
    registry.record_inventory(InventoryUpload(machine_id="m1", hostname="laptop-1", servers=servers), "agent")
    _sign_in(site, Role.VIEWER)
    shown = _text_outside_attributes(site.client.get("/fleet").text)
    assert "github\\u202eeton_daer" in shown and "node delete_all\\u200b" in shown
    assert not any(char in shown for char in UNSEEN)
