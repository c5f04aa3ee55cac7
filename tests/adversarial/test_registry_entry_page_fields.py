"""Attack: the entry page a reviewer approves from quoted vet's findings and the requester's
fields as they came. Vet's messages quote names the package chose (the top-level entries of its
archive, the commands its registry manifest lists), and an entry's owner and repository are
refused with controls and bidirectional overrides but not with zero-width characters or
right-to-left marks. A tarball with an extra top-level entry ``"\\u202eREADME"`` (npm strips
the first folder of every entry, so it installs beside the package) made vet's
``archive-layout`` finding, whose override reversed the rest of its line on the page, and an
owner ``"team-platform\\u200b"`` looked like the real team's, until 2026-12-05. Now they are shown
as tool names are, with what a reviewer does not see escaped. The package is vetted for real
(never run): the page shows vet's own finding."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from test_vet_archive import CLEAN, entry, tgz, vet_local

from mcpward.registry import DataScope, Registry, Role, _plain
from mcpward.registry.interface import VetOutcome
from test_registry import package_request
from test_registry_web import Site, _sign_in

UNSEEN = ("\u202e", "\u200b", "\u200f")


def _text_outside_attributes(page: str) -> str:
    return unescape(re.sub(r"<[^>]*>", " ", page))


def test_vet_findings_and_requester_fields_are_shown_with_their_unseen_characters(
    registry: Registry, tmp_path: Path
) -> None:
    archive = tgz(
        tmp_path / "files-1.0.0.tgz",
        entry("package/package.json", CLEAN),
        entry("package/index.js", b"1"),
        entry("\u202eREADME", b"read me"),
    )
    findings = vet_local(tmp_path, archive).findings
    assert any(f.rule == "archive-layout" and "\u202e" in f.message for f in findings)
    vet = VetOutcome(verdict="review", findings=tuple(_plain(f) for f in findings))
    request = package_request(
        vet=vet,
        owner="team-platform\u200b",
        repository="https://github.com/acme/\u200ffiles",
        scope=DataScope(network=("api.acme.example\u200b",)),
    )
    created = registry.request(request, "alice")
    site = Site(registry)
    _sign_in(site, Role.REVIEWER)
    shown = _text_outside_attributes(site.client.get(f"/entries/{created.id}").text)
    assert "archive-layout" in shown
    assert not any(char in shown for char in UNSEEN), [hex(ord(c)) for c in UNSEEN if c in shown]
    assert "\\u202eREADME" in shown and "team-platform\\u200b" in shown
    assert "talks to api.acme.example\\u200b" in shown  # the tier's reasons quote the scope
