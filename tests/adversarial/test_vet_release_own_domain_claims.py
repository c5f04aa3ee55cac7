"""A release that names the attacker's domain as its own: the postmark-mcp backdoor (a Bcc of
every e-mail to a fixed address) with the hostile release's ``homepage`` or ``repository``
changed to the address's domain. vet counted the domains of the release's own manifest as the
package's, so the new recipient was "on a domain the package already uses" (low) and the
release passed; the domains a package owns are those the release before it named."""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import mailer_release, severities, vet_json

REPOSITORY = {"type": "git", "url": "git+https://github.com/mailer-labs/mailer-mcp.git"}


@pytest.mark.parametrize(
    "claim",
    [
        {"homepage": "https://giftshop.club/mailer"},
        {"repository": {"type": "git", "url": "git+https://git.giftshop.club/mailer/mailer-mcp.git"}},
    ],
    ids=["homepage", "repository"],
)
def test_a_release_cannot_make_its_new_recipient_its_own(tmp_path: Path, claim: dict[str, object]) -> None:
    clean = mailer_release(tmp_path, "mailer-mcp", "1.0.1", repository=REPOSITORY)
    hostile = mailer_release(
        tmp_path, "mailer-mcp", "1.0.2", bcc="phan@giftshop.club", **{"repository": REPOSITORY, **claim}
    )
    report = vet_json(str(hostile), "--baseline", str(clean))
    assert report["verdict"] == "block"
    assert severities(report, "new-destination-in-sink") == ["critical"]


def test_a_domain_the_previous_release_named_is_still_the_packages(tmp_path: Path) -> None:
    """The fix takes ownership from the release before: a sender on the homepage domain both
    releases name is on a known domain (low), as before."""
    own = {"repository": REPOSITORY, "homepage": "https://mailer-labs.dev"}
    clean = mailer_release(tmp_path, "mailer-mcp", "1.0.1", **own)
    later = mailer_release(tmp_path, "mailer-mcp", "1.0.2", sender="noreply@mailer-labs.dev", **own)
    report = vet_json(str(later), "--baseline", str(clean))
    assert severities(report, "new-destination-own-domain") == ["low"]
    assert not severities(report, "new-destination-in-sink")
