"""Attack on vet's reading of the commands an sdist installs: those setup.py declares, and
the script files setuptools installs, were read as tests nobody runs.

pip builds an sdist into a wheel and installs its commands: the console and GUI scripts of
``setup(entry_points=…)`` (a dict, or an ini text), and the files of ``setup(scripts=[…])``,
setup.cfg's ``[options] scripts`` and pyproject's ``[tool.setuptools] script-files``, each
copied into ``bin`` as a command. vet followed the entry points of ``entry_points.txt``,
setup.cfg and pyproject.toml only, and these script files not at all: a command whose code in
``tests/`` or ``docs/`` fetched and ran a script was read as a fixture nobody loads, and the
sdist was vetted ``pass`` against the release before (or ``review`` for setup.py alone, on
first look). They are now code that runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import FETCH_AND_RUN, relay_sdist, vetted_both_ways

HARMLESS = "print('relay')\n"
CLI = "def main():\n    {body}\n"


def _sdist(folder: Path, version: str, files: dict[str, str]) -> Path:
    return relay_sdist(folder, version, files)


SETUP = "from setuptools import setup\n\nsetup(name='relay-mcp', {keywords})\n"


@pytest.mark.parametrize(
    "config,script",
    [
        (
            {
                "setup.py": SETUP.format(
                    keywords="entry_points={'console_scripts': ['relay = tests.cli:main']}"
                )
            },
            "tests/cli.py",
        ),
        (
            {"setup.py": SETUP.format(keywords="entry_points='[gui_scripts]\\nrelay = docs.cli:main\\n'")},
            "docs/cli.py",
        ),
        ({"setup.py": SETUP.format(keywords="scripts=['tests/relay']")}, "tests/relay"),
        ({"setup.cfg": "[options]\nscripts =\n    tests/relay.py\n"}, "tests/relay.py"),
        ({"pyproject.toml": '[tool.setuptools]\nscript-files = ["docs/relay.py"]\n'}, "docs/relay.py"),
    ],
    ids=[
        "setup.py console_scripts",
        "setup.py entry_points text",
        "setup.py scripts",
        "setup.cfg scripts",
        "pyproject script-files",
    ],
)
def test_a_command_an_sdist_installs_is_analysed(tmp_path: Path, config: dict[str, str], script: str) -> None:
    shebang = "" if script.endswith(".py") else "#!/usr/bin/env python\n"
    old = _sdist(tmp_path, "1.0.0", {**config, script: shebang + HARMLESS})
    new = _sdist(tmp_path, "1.0.1", {**config, script: shebang + FETCH_AND_RUN})
    for report in vetted_both_ways(new, old, tmp_path / "c"):
        findings = {(f.rule, f.severity.value) for f in report.findings}
        assert ("download-and-run", "critical") in findings, findings
        assert report.verdict == "block"


def test_a_harmless_command_passes(tmp_path: Path) -> None:
    files = {
        "setup.py": SETUP.format(
            keywords="entry_points={'console_scripts': ['relay = relay_mcp.cli:main']}, scripts=['bin/relay']"
        ),
        "relay_mcp/cli.py": "def main():\n    print('relay')\n",
        "bin/relay": "#!/usr/bin/env python\nfrom relay_mcp.cli import main\nmain()\n",
        "tests/test_cli.py": "def test_main():\n    assert True\n",
    }
    old = _sdist(tmp_path, "1.0.0", files)
    new = _sdist(tmp_path, "1.0.1", files)
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "c"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]
