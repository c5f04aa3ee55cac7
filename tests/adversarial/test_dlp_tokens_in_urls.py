"""A credential of a known format written in a URL or a path: the formats' boundaries refused
a "/" on either side (so that a match could not start or end inside base64), so a GitHub token
as a git remote's user (`https://ghp_...@github.com/org/repo.git`, the usual way a token is put
in a clone URL), in a webhook's path or in a folder name was neither found nor masked, in a
config that scan reports, a tool result the gateway forwards, or `dlp scan`'s redacted copy
(found by an independent review, 2026-12-04). A "/" now bounds a token; "+", "_" and "-" still
do not (inside base64, or a longer identifier), and random base64 holds no match."""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

from cli_kit import mcpward

from mcpward.dlp import redact_text
from mcpward.dlp._credentials import find_credentials


def _token(prefix: str, alphabet: str, length: int, seed: int) -> str:
    chooser = random.Random(seed)  # noqa: S311 - a fake token, seeded
    return prefix + "".join(chooser.choice(alphabet) for _ in range(length))


GITHUB = _token("ghp_", string.ascii_letters + string.digits, 36, 1)
AWS = _token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 2)
PLACES = (
    "https://{t}@github.com/acme/tools.git",
    "https://hooks.example.net/notify/{t}",
    "/srv/mcp/{t}/server.js",
    "git clone https://x-access-token:{t}@github.com/acme/tools",
)


def test_a_token_in_a_url_or_a_path_is_masked() -> None:
    for token in (GITHUB, AWS):
        for place in PLACES:
            text = place.format(t=token)
            assert token[4:] not in redact_text(text), place


def test_dlp_scan_finds_it_and_its_redacted_copy_holds_none(tmp_path: Path) -> None:
    source = tmp_path / "result.json"
    source.write_text(json.dumps({"remote": PLACES[0].format(t=GITHUB), "cache": PLACES[2].format(t=AWS)}))
    redacted = tmp_path / "redacted.json"
    done = mcpward("dlp", "scan", str(source), "--format", "json", "--redacted", str(redacted))
    assert GITHUB[4:] not in done.stdout and AWS[4:] not in done.stdout
    assert "github-token" in done.stdout and "aws-access-key" in done.stdout, done.stdout
    assert GITHUB[4:] not in redacted.read_text() and AWS[4:] not in redacted.read_text()


def test_base64_still_holds_no_match() -> None:
    chooser = random.Random(3)  # noqa: S311 - noise, not a secret
    blob = base64.b64encode(chooser.randbytes(1 << 20)).decode()
    assert find_credentials(blob) == []
    # Nor does a token glued into a longer identifier or a base64 run (unchanged).
    assert find_credentials(f"abc+{GITHUB}") == [] and find_credentials(f"name_{GITHUB}") == []
