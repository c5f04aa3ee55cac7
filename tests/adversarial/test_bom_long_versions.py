"""CycloneDX 1.6 holds a component's version in at most 1,024 characters. A config's
``npx -y notes-mcp@1.0.0-aaaa...`` (1,100 characters of version: nothing npm publishes, written to
be refused) gave a BOM that fails the schema, which a consumer that validates it (Dependency-Track
does) refuses whole, every other server's component with it. A version past the bound is now no
component version; it is kept whole as a property, as text."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

LONG = "1.0.0-" + "a" * 1100


def test_a_version_past_the_schemas_bound_leaves_the_bom_valid(cli: Any, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    tree = tmp_path / "tree"
    tree.mkdir()
    servers = {
        "long": {"command": "npx", "args": ["-y", f"notes-mcp@{LONG}"]},
        "files": {"command": "npx", "args": ["-y", "@acme/files@1.2.3"]},
    }
    (tree / ".mcp.json").write_text(json.dumps({"mcpServers": servers}), "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the library's own, on the long version
        result = cli("scan", "--home", str(home), "--only-paths", "--path", str(tree), "-f", "cyclonedx")
    assert result.exit_code == 0, result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    components = {c["name"]: c for c in json.loads(result.stdout)["components"]}
    assert "version" not in components["notes-mcp"]
    properties = {p["name"]: p["value"] for p in components["notes-mcp"]["properties"]}
    assert properties["mcpward:version"] == LONG
    assert components["@acme/files"]["version"] == "1.2.3"  # the clean case, as before
