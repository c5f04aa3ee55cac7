"""Attack on what vet says of a Python release's dependencies: nothing.

pip installs what a wheel's core metadata requires (``Requires-Dist``), and what an sdist's
build requires (``[build-system] requires``, whose code runs at install) and then declares
(pyproject's ``[project] dependencies``, setup.cfg's ``install_requires``, setup.py's
``install_requires``: an sdist's ``PKG-INFO`` is the publisher's word, not what pip reads).
vet read the npm dependencies of a package.json only: a wheel or sdist identical in code to
the release before, but requiring a release a malicious-package advisory names, a look-alike
of an official package (``fastmpc``), or a package from a URL, a path or git (which no
advisory or name check reaches), was vetted ``pass`` against the release before and on first
look. These are now the findings npm's dependencies give: ``dependency-malicious``
(critical), ``dependency-impersonation`` (high), ``dependency-outside-registry`` (medium).
A release requiring ordinary packages by name (``httpx>=0.27``, ``pydantic``) passes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mcpward.advisories import user_snapshot_path
from vet_fixtures import relay_sdist, verdicts_and_findings, wheel

CODE = {"relay_mcp/__init__.py": "", "relay_mcp/server.py": "def send(to):\n    return to\n"}
CLEAN = (
    "Requires-Dist: httpx>=0.27\n"
    "Requires-Dist: pydantic\n"
    'Requires-Dist: mcp[cli]>=1.2; python_version >= "3.10"\n'
    'Requires-Dist: pytest>=8; extra == "dev"\n'
)
PROJECT = (
    '[build-system]\nrequires = ["hatchling>=1.25"]\nbuild-backend = "hatchling.build"\n'
    '[project]\nname = "relay-mcp"\nversion = "{version}"\ndependencies = {dependencies}\n'
    '[project.optional-dependencies]\ndev = ["pytest>=8", "ruff"]\n'
)
SETUP_CFG = "[metadata]\nname = relay-mcp\n[options]\npackages = find:\ninstall_requires =\n{requires}\n"
SETUP_PY = "from setuptools import setup\n\nsetup(name='relay-mcp', install_requires={requires!r})\n"


@pytest.fixture
def malicious_advisories() -> None:
    """The refreshed snapshot names two malicious PyPI releases: one version of one, every
    version of the other."""
    path = user_snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "id": "MAL-2026-7001",
            "modified": "2026-12-01T00:00:00Z",
            "summary": "Malicious code in mailer-relay-utils",
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "mailer-relay-utils"}, "versions": ["0.3.1"]}
            ],
        },
        {
            "id": "MAL-2026-7002",
            "modified": "2026-12-01T00:00:00Z",
            "summary": "Malicious code in colourama-tools",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "colourama-tools"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
                }
            ],
        },
    ]
    path.write_text(json.dumps({"vulns": records}), "utf-8")
    os.chmod(path, 0o600)


def _wheel(folder: Path, version: str, headers: str) -> Path:
    path = folder / f"relay_mcp-{version}-py3-none-any.whl"
    path.write_bytes(wheel("relay_mcp", version, CODE, headers))
    return path


def _sdist(folder: Path, version: str, files: dict[str, str]) -> Path:
    return relay_sdist(folder, version, files, base=CODE)


def _vetted(tmp_path: Path, old: Path, new: Path) -> list[str]:
    """The verdict and the findings above information, against the release before and on
    first look."""
    return verdicts_and_findings(new, old, tmp_path / "cache")


@pytest.mark.usefixtures("malicious_advisories")
@pytest.mark.parametrize(
    "requirement",
    [
        "mailer-relay-utils==0.3.1",
        "Mailer_Relay.Utils===0.3.1",
        'mailer-relay-utils==0.3.1; extra == "cli"',
        "colourama-tools>=1.0",
        "colourama-tools",
    ],
    ids=["pinned", "unnormalised name", "in an extra", "range, every version malicious", "unversioned"],
)
def test_a_wheel_requiring_a_known_malicious_release_blocks(tmp_path: Path, requirement: str) -> None:
    old = _wheel(tmp_path, "1.0.0", CLEAN)
    new = _wheel(tmp_path, "1.0.1", CLEAN + f"Requires-Dist: {requirement}\n")
    found = _vetted(tmp_path, old, new)
    assert found.count("block") == 2, found
    assert found.count("dependency-malicious:critical") == 2, found


def test_a_pinned_safe_version_of_a_once_malicious_package_passes(
    tmp_path: Path, malicious_advisories: None
) -> None:
    old = _wheel(tmp_path, "1.0.0", CLEAN)
    new = _wheel(tmp_path, "1.0.1", CLEAN + "Requires-Dist: mailer-relay-utils==0.3.2\n")
    assert _vetted(tmp_path, old, new) == ["pass", "pass"]


@pytest.mark.usefixtures("malicious_advisories")
@pytest.mark.parametrize(
    "files",
    [
        {
            "pyproject.toml": PROJECT.format(
                version="1.0.1", dependencies='["httpx>=0.27", "colourama-tools"]'
            )
        },
        {
            "pyproject.toml": PROJECT.format(version="1.0.1", dependencies='["httpx"]').replace(
                '"hatchling>=1.25"', '"hatchling>=1.25", "mailer-relay-utils==0.3.1"'
            )
        },
        {"setup.cfg": SETUP_CFG.format(requires="    httpx>=0.27\n    colourama-tools>=2")},
        {"setup.py": SETUP_PY.format(requires=["httpx>=0.27", "mailer-relay-utils==0.3.1"])},
        {
            "setup.py": "from setuptools import setup\n\nREQUIRES = ['httpx', 'colourama-tools']\n"
            "setup(name='relay-mcp', **{'install_requires': REQUIRES})\n"
        },
        {
            "setup.py": "from pathlib import Path\nfrom setuptools import setup\n\n"
            "setup(name='relay-mcp', install_requires=Path('requirements.txt').read_text().splitlines())\n",
            "requirements.txt": "httpx>=0.27\n-r base.txt\ncolourama-tools\n",
        },
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-requirements-txt"]\n'
            'build-backend = "hatchling.build"\n[project]\nname = "relay-mcp"\ndynamic = ["dependencies"]\n'
            '[tool.hatch.metadata.hooks.requirements_txt]\nfiles = ["requirements/base.txt"]\n',
            "requirements/base.txt": "colourama-tools\n",
        },
        {
            "setup.cfg": "[options]\ninstall_requires = file: requirements.txt\n",
            "requirements.txt": "httpx>=0.27  # the client\ncolourama-tools\n",
        },
        {
            "pyproject.toml": '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
            '[tool.poetry.dependencies]\npython = "^3.10"\nhttpx = "^0.27"\nmailer-relay-utils = "0.3.1"\n'
        },
    ],
    ids=[
        "pyproject dependencies",
        "build requirement",
        "setup.cfg install_requires",
        "setup.py install_requires",
        "setup.py through a name",
        "setup.py reading requirements.txt",
        "hatch requirements_txt",
        "setup.cfg file:",
        "poetry",
    ],
)
def test_an_sdist_requiring_a_known_malicious_release_blocks(tmp_path: Path, files: dict[str, str]) -> None:
    """The sdist's PKG-INFO lists no requirement: pip reads what the build declares."""
    old = _sdist(
        tmp_path, "1.0.0", {"pyproject.toml": PROJECT.format(version="1.0.0", dependencies='["httpx"]')}
    )
    new = _sdist(tmp_path, "1.0.1", files)
    found = _vetted(tmp_path, old, new)
    assert found.count("block") == 2, found
    assert found.count("dependency-malicious:critical") == 2, found


@pytest.mark.parametrize(
    "requirement",
    ["fastmpc>=2.0", "mcp-server-fecth", "FastMCQ"],
    ids=["transposed", "typo", "unnormalised"],
)
def test_a_wheel_requiring_a_look_alike_of_an_official_package_needs_review(
    tmp_path: Path, requirement: str
) -> None:
    old = _wheel(tmp_path, "1.0.0", CLEAN)
    new = _wheel(tmp_path, "1.0.1", CLEAN + f"Requires-Dist: {requirement}\n")
    found = _vetted(tmp_path, old, new)
    assert found == ["review", "dependency-impersonation:high"] * 2, found


@pytest.mark.parametrize(
    "requirement",
    [
        "relay-helper @ https://relay.example/relay_helper-1.0-py3-none-any.whl",
        "relay-helper @ file:///tmp/relay_helper-1.0.tar.gz",
        "relay-helper @ git+https://relay.example/relay-helper.git@main",
        'relay-helper @ https://relay.example/h.zip ; sys_platform == "win32"',
    ],
    ids=["URL", "file", "git", "with a marker"],
)
def test_a_wheel_requiring_a_package_from_outside_the_registry_needs_review(
    tmp_path: Path, requirement: str
) -> None:
    old = _wheel(tmp_path, "1.0.0", CLEAN)
    new = _wheel(tmp_path, "1.0.1", CLEAN + f"Requires-Dist: {requirement}\n")
    found = _vetted(tmp_path, old, new)
    assert found == ["review", "dependency-outside-registry:medium"] * 2, found


@pytest.mark.parametrize(
    "project",
    [
        PROJECT.format(version="1.0.1", dependencies='["httpx"]').replace(
            '"hatchling>=1.25"', '"hatchling @ git+https://relay.example/hatchling.git"'
        ),
        '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
        '[tool.poetry.dependencies]\nrelay-helper = {git = "https://relay.example/relay-helper.git"}\n',
    ],
    ids=["build requirement", "poetry git dependency"],
)
def test_an_sdist_requirement_from_outside_the_registry_needs_review(tmp_path: Path, project: str) -> None:
    old = _sdist(
        tmp_path, "1.0.0", {"pyproject.toml": PROJECT.format(version="1.0.0", dependencies='["httpx"]')}
    )
    new = _sdist(tmp_path, "1.0.1", {"pyproject.toml": project})
    found = _vetted(tmp_path, old, new)
    assert "dependency-outside-registry:medium" in found, found
    assert found.count("review") == 2, found


@pytest.mark.usefixtures("malicious_advisories")
def test_ordinary_requirements_pass(tmp_path: Path) -> None:
    old = _wheel(tmp_path, "1.0.0", CLEAN)
    new = _wheel(tmp_path, "1.0.1", CLEAN + "Requires-Dist: anyio<5,>=4.5\nRequires-Dist: openai>=1.40\n")
    assert _vetted(tmp_path, old, new) == ["pass", "pass"]


@pytest.mark.usefixtures("malicious_advisories")
def test_an_ordinary_sdist_passes(tmp_path: Path) -> None:
    dependencies = (
        '["httpx>=0.27", "pydantic>=2,<3", "mcp[cli]>=1.2", "uvicorn; sys_platform != \'emscripten\'"]'
    )
    files = {
        "pyproject.toml": PROJECT.format(version="1.0.1", dependencies=dependencies),
        "setup.cfg": SETUP_CFG.format(requires="    httpx>=0.27\n    anyio"),
        "setup.py": SETUP_PY.format(requires=["httpx>=0.27", "pydantic"]).replace(
            "setup(", "setup(long_description=open('README.txt').read(), "
        ),
        "README.txt": "relay-mcp\n\nmcq colourama-tools\nfastmpc\n",
    }
    old = _sdist(tmp_path, "1.0.0", files)
    new = _sdist(tmp_path, "1.0.1", files)
    # on first look, setup.py is an install script to review, as it always was
    assert _vetted(tmp_path, old, new) == ["pass", "review", "install-script:medium"]
