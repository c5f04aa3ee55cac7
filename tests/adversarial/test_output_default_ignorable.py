"""Attack: a name padded with a character that fonts draw as nothing but that Python counts
as a printable letter or mark. The one sanitiser of what a person sees
(``mcpward.output.text``: ``visible`` for the registry's pages and the audit report's HTML,
``printable`` for the terminal and, through ``markdown_text``, the Markdown report) escapes
format characters (``\\u200b``), variation selectors and tags, but the other Unicode
default-ignorable code points passed as they were: the combining grapheme joiner U+034F, the
Hangul fillers U+115F, U+1160, U+3164, U+FFA0, the Khmer inherent vowels U+17B4, U+17B5 and
the Mongolian variation selectors U+180B-U+180F. Among the read-only tools a reviewer ticks
for a probation, a server's ``"delete_all\\u034f"`` showed as ``delete_all``, a second
tool the same to the eye, until 2026-12-05. Now every default-ignorable code point
(Unicode's DerivedCoreProperties) is escaped."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest

from mcpward.inspect._pins import signature
from mcpward.output.text import markdown_text, printable, visible
from mcpward.registry import DataScope, Registry, Role
from test_registry import package_request
from test_registry_web import Site, _sign_in

#: Default_Ignorable_Code_Point (Unicode 15.1, DerivedCoreProperties.txt), as ranges.
DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
IGNORABLE = [chr(code) for first, last in DEFAULT_IGNORABLE for code in range(first, last + 1)]


@pytest.mark.parametrize("show", [visible, printable, markdown_text])
def test_no_default_ignorable_character_is_shown_as_it_is(show) -> None:  # type: ignore[no-untyped-def]
    passed = [f"U+{ord(char):04X}" for char in IGNORABLE if char in show(f"delete_all{char}")]
    assert passed == []


def test_a_tool_cannot_pass_for_another_among_the_read_only_tools(registry: Registry) -> None:
    pins = {}
    for name in ("delete_all", "delete_all\u034f", "read_note\u3164"):
        tool = {"name": name, "description": "Notes.", "inputSchema": {"type": "object"}}
        pinned, text = signature("", "tool", tool)
        pins[f"tool:{name}"] = {"sha256": pinned.sha256, "canonical": text}
    shell = DataScope(reads=("notes",), shell=True)  # a tier with a probation: the choice is shown
    entry = registry.request(package_request(pins=pins, scope=shell), "alice")
    site = Site(registry)
    _sign_in(site, Role.REVIEWER)
    page = site.client.get(f"/entries/{entry.id}").text
    shown = unescape(re.sub(r"<[^>]*>", " ", page))
    assert "delete_all\\u034f" in shown and "read_note\\u3164" in shown
    # The form still names the tool exactly (percent-encoded: a browser rewrites what it sends)
    tick = quote("delete_all\u034f", safe="")
    assert f'value="{tick}"' in page
