"""Long values in a config: the credential formats were searched as one alternation of every
format, which Python's ``re`` tries at each character (about 4 us a character, several times per
value), so a config whose server names were a few megabytes of base64 held ``mcpward scan``
for long (two names of 2 MB: 13 s of CPU; 8 of 1 MB: 26 s of wall time on a loaded machine). A long text is now searched with
only the formats whose trigger occurs in it, found in one native pass."""

from __future__ import annotations

import base64
import json
import os
import random
import resource
import subprocess
import sys
from pathlib import Path

from mcpward.dlp import find_credentials

SRC = str(Path(__file__).resolve().parents[2] / "src")
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    + "b3BlbnNzaC1rZXktdjEAAAAA" * 4
    + "\n-----END OPENSSH PRIVATE KEY-----"
)


def _noise(seed: int, size: int) -> str:
    # Seeded, so that a failure can be run again: noise, not a secret.
    return base64.b64encode(random.Random(seed).randbytes(size * 3 // 4)).decode()  # noqa: S311


def test_a_config_of_megabyte_base64_names_scans_in_seconds(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    servers = {_noise(n, 2_000_000): {"command": "npx", "args": ["-y", f"pkg{n}@1.0.0"]} for n in range(2)}
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", "scan", "--home", str(home), "--os", "linux", "--format", "json"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=SRC),
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode in (0, 1), done.stderr
    assert len(json.loads(done.stdout)["servers"]) == 2
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 5, f"{cpu:.1f} s of CPU for a 4 MB config (13 s before; 0.7 s here now)"


def test_a_long_text_finds_what_its_pieces_hold() -> None:
    pieces = [_noise(1, 9000), TOKEN, _noise(2, 9000), KEY, _noise(3, 3000), "see " + TOKEN + " here"]
    text = " ".join(pieces)
    found = [(m.kind, text[m.start : m.end]) for m in find_credentials(text)]
    assert [kind for kind, _ in found] == ["github-token", "private-key", "github-token"]
    assert found[0][1] == TOKEN and found[1][1].startswith("-----BEGIN OPENSSH") and found[2][1] == TOKEN
    # A long text in which no format's trigger occurs holds no credential at all (an empty
    # alternation of formats would have matched at every character).
    assert find_credentials(_noise(4, 50_000)) == []
    assert find_credentials("lorem ipsum " * 2000) == []


def test_the_long_text_search_matches_the_whole_tables_alternation() -> None:
    """The same matches as the alternation of every format: the formats left out are those
    whose trigger (a superset of their matches) does not occur."""
    from mcpward.dlp._credentials import CREDENTIAL_FORMATS, _combined

    samples = [TOKEN, KEY, "AKIA" + "Z7Q3XK2M4N5P6R8T", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
               "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"]  # fmt: skip
    chooser = random.Random(7)  # noqa: S311 - noise, not a secret
    for trial in range(20):
        parts = [chooser.choice(samples) if chooser.random() < 0.2 else _noise(trial * 100 + n, chooser.randint(8, 600))
                 for n in range(40)]  # fmt: skip
        text = chooser.choice([" ", "\n", "", "="]).join(parts)
        expected = [(CREDENTIAL_FORMATS[int(str(m.lastgroup)[1:])].kind, m.start(), m.end())
                    for m in _combined().finditer(text)]  # fmt: skip
        assert [(m.kind, m.start, m.end) for m in find_credentials(text)] == expected, trial
