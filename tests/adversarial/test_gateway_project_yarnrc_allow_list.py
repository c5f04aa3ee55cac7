"""Attack: under ``yarn dlx -p @acme/ok@1.0.0 acme-ok``, a cloned repository's ``.yarnrc.yml``
names another registry, or code of its own, in a way the gateway's pattern of refused keys did
not match, or by a key it did not name.

``yarn dlx`` copies the project's ``.yarnrc.yml`` into the temporary project it installs in,
plugins and all (yarn's dlx command). The gateway matched ``npmRegistryServer:`` and four other
keys at the start of a line. YAML reads ``"npmRegistryServer": URL``, ``'npmRegistryServer': URL``,
a flow mapping (``{npmRegistryServer: URL}``) and a mapping indented as a whole the same, and
other keys change what runs: ``packageExtensions`` (dependencies added to any package's),
``httpsCaFilePath`` / ``caFilePath`` / ``enableStrictSsl: false`` (whom it trusts),
``httpsProxy``, ``npmRegistries``, ``injectEnvironmentFiles`` (``.env`` files read into the
environment of what it runs), ``cacheFolder`` / ``globalFolder`` (a cache of the project's),
``checksumBehavior: ignore``. yarn 1, the global ``yarn`` of many machines, runs the project's
``.yarnrc`` ``yarn-path`` in its own place. Each was started as the approved entry until
2026-12-05 (yarn is not installed here: the file forms are YAML's and yarn's documented ones).
Now the top-level keys of a ``.yarnrc.yml`` are judged by an allow-list (how yarn lays out,
logs and locks; credentials), any line that is not such a key at the mapping's own indent is
refused, and a project's ``.yarnrc`` with any setting is refused under ``yarn dlx``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import _launch, cloned_project

YARN = "yarn dlx -p @acme/ok@1.0.0 acme-ok"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("file", "text"),
    [
        (".yarnrc.yml", '"npmRegistryServer": "http://127.0.0.1:9/"\n'),
        (".yarnrc.yml", "'npmRegistryServer': 'http://127.0.0.1:9/'\n"),
        (".yarnrc.yml", '{npmRegistryServer: "http://127.0.0.1:9/"}\n'),
        (".yarnrc.yml", '  nodeLinker: node-modules\n  npmRegistryServer: "http://127.0.0.1:9/"\n'),
        (
            ".yarnrc.yml",
            'packageExtensions:\n  "@modelcontextprotocol/sdk@*":\n    dependencies:\n      evil: "*"\n',
        ),
        (".yarnrc.yml", "httpsCaFilePath: ./ca.pem\n"),
        (".yarnrc.yml", "enableStrictSsl: false\n"),
        (".yarnrc.yml", "npmRegistries:\n  //127.0.0.1:9/:\n    npmAuthToken: x\n"),
        (".yarnrc.yml", "injectEnvironmentFiles:\n  - .env.evil\n"),
        (".yarnrc.yml", "cacheFolder: ./cache\n"),
        (".yarnrc.yml", "checksumBehavior: ignore\n"),
        (".yarnrc.yml", "<<: *base\n"),
        (".yarnrc", 'yarn-path "./evil.js"\n'),
        (".yarnrc", 'registry "http://127.0.0.1:9/"\n'),
    ],
)
def test_a_projects_yarn_setting_not_known_harmless_is_refused(file: str, text: str, project: Path) -> None:
    (project / file).write_text(text)
    refused = _launch(YARN, project)
    assert refused is not None
    assert f"{project / file} sets" in refused


def test_a_projects_ordinary_yarnrc_is_kept(project: Path) -> None:
    (project / ".yarnrc.yml").write_text(
        "# the project's\n---\nnodeLinker: node-modules\nenableTelemetry: false\n"
        'npmAuthToken: "${NPM_TOKEN}"\nlogFilters:\n  - code: YN0013\n    level: discard\n'
    )
    assert _launch(YARN, project) is None
