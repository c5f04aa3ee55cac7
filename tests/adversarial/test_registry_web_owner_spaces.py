"""Attack: an entry's owner, identity and repository are one line each, but the pages showed
them through ``visible`` (for texts of several lines), which keeps every space as it is: an
owner ``"team-platform "`` or ``"team-platform\\u00a0"`` looked like the real team's on the
queue and the entry page (a page shows a space at the end as nothing, a no-break space as a
space). They are now shown as names are (``one_line``): such spaces escaped."""

from __future__ import annotations

import re
from html import unescape

import pytest

from mcpward.registry import Registry, Role
from test_registry import package_request
from test_registry_web import Site, _sign_in


def _as_shown(html: str) -> str:
    """The page's text as a browser lays it out: tags gone, runs of white space one space."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]*>", " ", html)))


@pytest.mark.parametrize("owner", ["team-platform ", "team-platform\u00a0", "team\u3000platform"])
def test_an_owner_with_a_space_a_reader_cannot_count_is_shown_apart(registry: Registry, owner: str) -> None:
    created = registry.request(package_request(owner=owner), "mallory")
    site = Site(registry)
    _sign_in(site, Role.REVIEWER)
    entry_page = site.client.get(f"/entries/{created.id}").text
    shown = _as_shown(entry_page.split("<dt>Owner</dt>", 1)[1].split("</dd>", 1)[0])
    queue = [_as_shown(cell) for cell in re.findall(r"<td>(.*?)</td>", site.client.get("/").text, re.S)]
    # As a browser lays them out: a space of another kind read as a space, one at an end as none.
    for text in (shown, *queue):
        assert _laid_out(text) not in ("team-platform", "team platform"), text


def _laid_out(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_an_ordinary_owner_is_shown_as_it_is(registry: Registry) -> None:
    created = registry.request(package_request(owner="Team Platform"), "alice")
    site = Site(registry)
    _sign_in(site, Role.REVIEWER)
    assert " Team Platform " in _as_shown(site.client.get(f"/entries/{created.id}").text)
