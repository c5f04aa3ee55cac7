"""``report sbom`` gives each approved package the registry's integrity hash, which a consumer
checks the archive against. The registry records integrity as npm's SRI (``sha512-<base64>``,
several separated by spaces) or ``ALG:<hex>``, of sha1, sha256, sha384 or sha512; the SBOM read
only a first ``sha512-`` token and ``sha1``/``sha256``/``sha512`` with a colon. So an entry
recorded as ``sha384-...``, as ``sha384:...`` or as ``sha1-... sha512-...`` (a lock file's
order) had no hash in the BOM, and nothing said it had one in the registry. Each token is now a
hash of its algorithm."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from mcpward.registry import Identity, Registry
from test_registry import package_request

TARBALL = b"the approved archive"


def _sri(algorithm: str) -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, TARBALL).digest()).decode()


FORMS = {
    "sri384": _sri("sha384"),
    "hex384": "sha384:" + hashlib.sha384(TARBALL).hexdigest(),
    "sha1-first": _sri("sha1") + " " + _sri("sha512"),
    "sri512": _sri("sha512"),  # the clean case: as before
}


def test_every_recorded_integrity_form_is_a_hash_in_the_sbom(cli: Any, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    for name, integrity in FORMS.items():
        identity = Identity(
            kind="package", ecosystem="npm", name=f"@acme/{name}", version="1.0.0", integrity=integrity
        )
        entry = registry.request(package_request(name=name, identity=identity), "alice")
        registry.approve(entry.id, "bob", "ok")
    registry.database.dispose()
    result = cli("report", "sbom", "--database", database)
    assert result.exit_code == 0, result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    hashes = {
        c["name"]: {h["alg"]: h["content"] for h in c.get("hashes", ())}
        for c in json.loads(result.stdout)["components"]
    }
    assert hashes["@acme/sri384"] == {"SHA-384": hashlib.sha384(TARBALL).hexdigest()}
    assert hashes["@acme/hex384"] == {"SHA-384": hashlib.sha384(TARBALL).hexdigest()}
    assert hashes["@acme/sha1-first"] == {
        "SHA-1": hashlib.sha1(TARBALL, usedforsecurity=False).hexdigest(),
        "SHA-512": hashlib.sha512(TARBALL).hexdigest(),
    }
    assert hashes["@acme/sri512"] == {"SHA-512": hashlib.sha512(TARBALL).hexdigest()}
