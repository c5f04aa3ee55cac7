"""Attack: the entry page a reviewer approves from, and the fleet page, quote the advisories
known for a package (their id, summary and fixed versions, from the OSV snapshot, which anyone
may contribute a record to) and the approval policy's refusals (which name the entry's fields)
as they came: a summary holding a right-to-left override reversed the rest of its line, and
one padded with zero-width characters looked like another, until 2026-12-05. Now they are
shown as tool names are, with what a reviewer does not see escaped."""

from __future__ import annotations

import json
import os
import re
from html import unescape

from mcpward.advisories import user_snapshot_path
from mcpward.registry import Registry, Role
from test_registry import package_request
from test_registry_web import Site, _sign_in

_ADVISORY = {
    "id": "GHSA-xxxx-\u200byyyy-zzzz",
    "modified": "2026-12-01T00:00:00Z",
    "summary": "Harmless\u202e: detaolb si ti",
    "database_specific": {"severity": "HIGH"},
    "affected": [
        {
            "package": {"ecosystem": "npm", "name": "@acme/files"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "9.9.9\u200f"}]}],
        }
    ],
}


def test_an_advisorys_text_is_shown_with_its_unseen_characters(registry: Registry) -> None:
    path = user_snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vulns": [_ADVISORY]}), "utf-8")
    os.chmod(path, 0o600)
    created = registry.request(package_request(), "alice")
    assert created.advisories, "the advisory is known for the version requested"
    site = Site(registry)
    _sign_in(site, Role.REVIEWER)
    shown = unescape(re.sub(r"<[^>]*>", " ", site.client.get(f"/entries/{created.id}").text))
    assert "Harmless\\u202e" in shown
    assert not any(char in shown for char in ("\u202e", "\u200b", "\u200f")), shown
