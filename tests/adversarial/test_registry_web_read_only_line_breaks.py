"""Attack: the entry page's read-only ticks (migration 0009) put each tool's name as it came into
the checkbox's ``value``, and the browser does not send every name as it came. HTML reads a
carriage return in an attribute as a line feed, and a form sends every line break as CR LF (a
NUL is read as U+FFFD). A requester's server with a tool ``"get\\nnotes"`` that reads (ticked:
inspect's suggestion) and a tool ``"get\\r\\nnotes"`` that deletes (unticked) had the page show
both apart, escaped, and the reviewer who approved with the suggestion confirmed the deleting
tool as read-only, the reading one not: the gateway let the deleting tool run during the
probation. Now each tick's value is the name percent-encoded (printable ASCII, which a browser
sends unchanged; a plain name such as ``read_file`` is its own encoding), decoded when the
form comes back."""

from __future__ import annotations

import os
import re
from html import unescape
from urllib.parse import quote

import pytest

from mcpward.inspect import pin_record, signature
from mcpward.registry import DataScope, Registry, Role
from test_registry import package_request
from test_registry_browser import CHROMIUM, browser  # noqa: F401  (the fixture)
from test_registry_web import Site, _sign_in, page_decision

READS = "get\nnotes"
DELETES = "get\r\nnotes"
TOOLS = [
    {"name": READS, "description": "Read the notes.", "annotations": {"readOnlyHint": True}},
    {"name": DELETES, "description": "Deletes every note.", "inputSchema": {"properties": {"id": {}}}},
    {"name": "read_file", "description": "Read a file.", "inputSchema": {"properties": {"path": {}}}},
]
#: A shell tier: the approval starts a probation, so the page asks for the read-only tools.
SHELL = DataScope(reads=("notes",), shell=True)


def _entry_id(registry: Registry) -> int:
    pins = pin_record([signature("", "tool", tool) for tool in TOOLS])
    return registry.request(package_request(name="notes", pins=pins, scope=SHELL), "mallory").id


def _as_a_browser_sends(value: str) -> str:
    """What a browser submits for an attribute value written ``value`` in the page: the HTML
    parser reads CR LF and a lone CR as LF and NUL as U+FFFD, and the form sends LF as CR LF."""
    parsed = unescape(value).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    return parsed.replace("\n", "\r\n")


def test_the_ticked_tools_are_the_tools_confirmed_as_a_browser_sends_them(registry: Registry) -> None:
    site = Site(registry)
    entry_id = _entry_id(registry)
    csrf = _sign_in(site, Role.REVIEWER)
    page = site.client.get(f"/entries/{entry_id}").text
    ticked = [
        _as_a_browser_sends(value)
        for value in re.findall(r'<input type="checkbox" name="read_only" value="([^"]*)" checked>', page)
    ]
    assert len(ticked) == 2  # inspect's suggestion: the reading tool and read_file
    answer = page_decision(site.client, registry, entry_id, csrf, "read it", read_only=ticked)
    assert answer.status_code == 303, answer.text
    assert registry.get(entry_id).reviews[-1].read_only_tools == tuple(sorted([READS, "read_file"]))


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium")
def test_in_a_real_browser(registry: Registry, live_server: str, browser: object) -> None:  # noqa: F811
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    token = registry.create_token("bob", Role.REVIEWER, "setup")
    entry_id = _entry_id(registry)
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/login?next=/entries/{entry_id}")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/entries/{entry_id}")
    page.fill("#rationale", "read it, kept inspect's suggestion")
    page.click("button[value=approve]")
    page.wait_for_url(f"{live_server}/entries/{entry_id}")
    assert registry.get(entry_id).reviews[-1].read_only_tools == tuple(sorted([READS, "read_file"]))


def test_plain_names_are_sent_as_they_are(registry: Registry) -> None:
    """A clean case: ordinary names are their own encoding, so a form written by hand (or an
    older page) that names ``read_file`` still confirms ``read_file``."""
    site = Site(registry)
    entry_id = _entry_id(registry)
    csrf = _sign_in(site, Role.REVIEWER)
    page = site.client.get(f"/entries/{entry_id}").text
    assert 'value="read_file" checked' in page
    assert f'value="{quote(READS, safe="")}"' in page
    answer = page_decision(site.client, registry, entry_id, csrf, "only read_file", read_only=["read_file"])
    assert answer.status_code == 303, answer.text
    assert registry.get(entry_id).reviews[-1].read_only_tools == ("read_file",)


@pytest.mark.parametrize("value", ["no_such_tool", "%FF"])
def test_a_tick_naming_no_tool_is_the_page_again_with_why(registry: Registry, value: str) -> None:
    site = Site(registry)
    entry_id = _entry_id(registry)
    csrf = _sign_in(site, Role.REVIEWER)
    answer = page_decision(site.client, registry, entry_id, csrf, "read it", read_only=[value])
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in answer.text and "tool" in answer.text
    assert registry.get(entry_id).reviews == ()
