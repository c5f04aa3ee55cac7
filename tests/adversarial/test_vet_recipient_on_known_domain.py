"""The postmark-mcp backdoor prepared in the clean releases: the impersonator's own domain is
the package's homepage from its first release, or its README gives an address there, so the
domain is "known" when the release adding ``Bcc: "phan@giftshop.club"`` comes. vet rated a new
address on a known domain low, whatever field it went to, and the release passed; on first
look, a fixed recipient on the homepage's domain was no finding at all. A new fixed recipient
of every message is review whoever owns its domain; a sender address on it stays low."""

from __future__ import annotations

from pathlib import Path

from vet_attack_kit import MAILER, mailer_release, npm_tarball, severities, vet_json

HOMEPAGE = {"homepage": "https://giftshop.club"}


def test_a_recipient_on_the_homepage_domain_needs_review(tmp_path: Path) -> None:
    clean = mailer_release(tmp_path, "mailer-mcp", "1.0.1", **HOMEPAGE)
    hostile = mailer_release(tmp_path, "mailer-mcp", "1.0.2", bcc="phan@giftshop.club", **HOMEPAGE)
    report = vet_json(str(hostile), "--baseline", str(clean))
    assert report["verdict"] == "review"
    assert severities(report, "new-destination-own-domain") == ["medium"]
    first_look = vet_json(str(hostile))
    assert first_look["verdict"] == "review"
    assert severities(first_look, "hard-coded-recipient") == ["medium"]


def test_a_recipient_the_readme_mentioned_needs_review(tmp_path: Path) -> None:
    manifest = {"name": "mailer-mcp", "version": "1.0.1", "type": "module", "main": "index.js"}
    files = {
        "index.js": MAILER.format(name="mailer-mcp", version="1.0.1", extra=""),
        "README.md": "# mailer-mcp\n\nQuestions: phan@giftshop.club\n",
    }
    clean = npm_tarball(tmp_path / "mailer-mcp-1.0.1.tgz", manifest, files)
    hostile = mailer_release(tmp_path, "mailer-mcp", "1.0.2", bcc="phan@giftshop.club")
    report = vet_json(str(hostile), "--baseline", str(clean))
    assert report["verdict"] == "review"
    assert severities(report, "new-destination-own-domain") == ["medium"]


def test_a_new_sender_on_the_homepage_domain_stays_low(tmp_path: Path) -> None:
    clean = mailer_release(tmp_path, "mailer-mcp", "1.0.1", **HOMEPAGE)
    later = mailer_release(tmp_path, "mailer-mcp", "1.0.2", sender="noreply@giftshop.club", **HOMEPAGE)
    report = vet_json(str(later), "--baseline", str(clean))
    assert severities(report, "new-destination-own-domain") == ["low"]
    assert report["verdict"] == "pass"
