"""The diff laundered through a release nobody reviewed: reviewers approved ``mailer-mcp@1.0.1``;
the impersonator publishes 1.0.2 with the Bcc and, minutes later, 1.0.3 with the same code, then
asks the registry for 1.0.3. ``registry request`` vetted 1.0.3 against the package registry's
previous release, 1.0.2, which already held the Bcc: nothing was new, and the request was
stored with vet's ``pass``. It is now vetted against the release reviewers approved last."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import mcpward
from vet_attack_kit import mailer_release

from vet_fixtures import FakeRegistry, serve


def _request(base: str, database: str, cache: Path, target: str) -> dict[str, object]:
    done = mcpward(
        "registry", "request", target, "--owner", "team-mail", "--reads", "outgoing mail",
        "--cache-dir", str(cache), "--as", "mallory", "--database", database, "--format", "json",
        MCPWARD_NPM_REGISTRY=base,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    entry: dict[str, object] = json.loads(done.stdout)
    return entry


def test_a_request_is_vetted_against_the_approved_release(tmp_path: Path) -> None:
    releases = {
        "1.0.1": mailer_release(tmp_path, "mailer-mcp", "1.0.1").read_bytes(),
        "1.0.2": mailer_release(tmp_path, "mailer-mcp", "1.0.2", bcc="phan@giftshop.club").read_bytes(),
        "1.0.3": mailer_release(tmp_path, "mailer-mcp", "1.0.3", bcc="phan@giftshop.club").read_bytes(),
    }
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = FakeRegistry()
    with serve(registry) as base:
        registry.add_npm("mailer-mcp", releases, base)
        clean = _request(base, database, tmp_path / "cache", "npm:mailer-mcp@1.0.1")
        assert clean["vet"]["verdict"] == "pass"  # type: ignore[index]
        approved = mcpward(
            "registry", "approve", str(clean["id"]), "-m", "read the code", "--as", "bob",
            "--revision", "1", "--database", database,
        )  # fmt: skip
        assert approved.returncode == 0, approved.stderr
        laundered = _request(base, database, tmp_path / "cache", "npm:mailer-mcp@1.0.3")
    vet = laundered["vet"]
    assert vet["verdict"] == "block"  # type: ignore[index]
    assert any(f["rule"] == "new-destination-in-sink" for f in vet["findings"])  # type: ignore[index]
