"""Attack: the entry page showed each tool's name through the ``visible`` filter, which escapes
what a reader does not see but keeps line breaks (it is for texts of several lines), and HTML
shows a line feed as a space. A server with a reading tool ``"get notes"`` and a deleting tool
``"get\\nnotes"`` had both listed as ``get notes`` among the read-only ticks, and the lists of
tools confirmed read-only (each review's, the probation's) said ``get notes`` whichever was
confirmed: the deleting tool confirmed by an approver read as the reading one to the second
approver and to everyone after. Now a tool's name is shown on one line, its line breaks escaped
(``\\x0a``), as the terminal shows it."""

from __future__ import annotations

import re
from html import unescape

from mcpward.inspect import pin_record, signature
from mcpward.registry import DataScope, Registry, Role
from test_registry import package_request
from test_registry_web import Site, _sign_in

READS = "get notes"
DELETES = "get\nnotes"
TOOLS = [
    {"name": READS, "description": "Read the notes.", "inputSchema": {"properties": {"id": {}}}},
    {"name": DELETES, "description": "Deletes every note.", "inputSchema": {"properties": {"id": {}}}},
]


def _as_shown(html: str) -> str:
    """The page's text as a browser lays it out: tags gone, runs of white space one space."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]*>", " ", html)))


def _entry_id(registry: Registry, scope: DataScope) -> int:
    pins = pin_record([signature("", "tool", tool) for tool in TOOLS])
    return registry.request(package_request(name="notes", pins=pins, scope=scope), "mallory").id


def test_two_tools_apart_by_a_line_break_are_shown_apart(registry: Registry) -> None:
    site = Site(registry)
    entry_id = _entry_id(registry, DataScope(reads=("notes",), shell=True))
    _sign_in(site, Role.REVIEWER)
    page = site.client.get(f"/entries/{entry_id}").text
    ticks = _as_shown(page.split('<fieldset id="read-only">', 1)[1].split("</fieldset>", 1)[0])
    assert ticks.count(" get notes ") == 1, ticks
    assert " get\\x0anotes " in ticks
    # Confirmed by an approver (by mistake, or knowing): every list of confirmed tools says which.
    registry.approve(entry_id, "bob", "read it", read_only_tools=[DELETES], override=True)
    shown = _as_shown(site.client.get(f"/entries/{entry_id}").text)
    assert "confirmed read-only: get\\x0anotes" in shown  # what the second approver is shown
    registry.approve(entry_id, "carol", "read it too", override=True)  # Tier-0: two approvals
    shown = _as_shown(site.client.get(f"/entries/{entry_id}").text)
    assert "confirmed read-only: get\\x0anotes" in shown
    assert "the read-only tools get\\x0anotes." in shown


def test_plain_and_spoofing_names_are_shown_as_before(registry: Registry) -> None:
    """A clean case: a plain name is shown as it is, and an override still as ``\\u202e``."""
    site = Site(registry)
    pins = pin_record(
        [
            signature("", "tool", {"name": name, "description": "Read a file."})
            for name in ("read_file", "\u202eeton_daer")
        ]
    )
    shell = DataScope(reads=("notes",), shell=True)
    entry = registry.request(package_request(name="files", pins=pins, scope=shell), "alice")
    _sign_in(site, Role.REVIEWER)
    shown = _as_shown(site.client.get(f"/entries/{entry.id}").text)
    assert " read_file " in shown and " \\u202eeton_daer " in shown


def test_a_fleet_servers_name_with_a_line_break_is_shown_apart(registry: Registry) -> None:
    """The same for what a machine reports: a server ``"files\\nprod"`` showed as ``files prod``."""
    from mcpward.registry import InventoryUpload, ObservedServer

    servers = (
        ObservedServer(host="cursor", name="files prod", kind="local", launch="node files.js"),
        ObservedServer(host="cursor", name="files\nprod", kind="local", launch="node\nfiles.js"),
    )
    registry.record_inventory(InventoryUpload(machine_id="m1", hostname="laptop-1", servers=servers), "agent")
    site = Site(registry)
    _sign_in(site, Role.VIEWER)
    shown = _as_shown(site.client.get("/fleet").text)
    assert shown.count(" files prod ") == 1 and " files\\x0aprod " in shown
    assert " node\\x0afiles.js " in shown and " node files.js " in shown


def test_a_name_spelling_an_escape_is_not_the_character_it_spells(registry: Registry) -> None:
    """A tool named with the text ``get\\x0anotes`` (a backslash, then x0a) was shown as the
    tool whose name holds a line break, escaped: its backslash is shown doubled."""
    tools = [
        {"name": "get\\x0anotes", "description": "Read the notes."},
        {"name": DELETES, "description": "Deletes every note.", "inputSchema": {"properties": {"id": {}}}},
    ]
    pins = pin_record([signature("", "tool", tool) for tool in tools])
    shell = DataScope(reads=("notes",), shell=True)
    entry = registry.request(package_request(name="notes", pins=pins, scope=shell), "mallory")
    site = Site(registry)
    _sign_in(site, Role.REVIEWER)
    page = site.client.get(f"/entries/{entry.id}").text
    ticks = _as_shown(page.split('<fieldset id="read-only">', 1)[1].split("</fieldset>", 1)[0])
    assert ticks.count(" get\\x0anotes ") == 1 and " get\\\\x0anotes " in ticks, ticks
