"""YAML configs the scan reads (Goose's ``config.yaml``, Continue's blocks, LiteLLM's config, a
repository's compose files and Kubernetes manifests) written by someone else: a cloned
repository, a home another account or a tool wrote to.

Before, the scan handed them to libyaml as they were:

- nesting 100,000 flow levels deep (200 KB) crashed the whole scan with a segmentation fault
  in libyaml's composer (it recurses in C, below Python's recursion limit): no inventory at all;
- aliases multiply what a small file holds: 2,000 servers each naming one 2,000-variable
  ``envs: *e`` (112 KB) took 86 s and wrote a 67 MB report, and it grows as the square of the
  file; ``<<: *e`` merge keys copy at load time, so the cost was paid before any check;
- (held, by chance) a "billion laughs" and an alias inside the node it names (``&a [*a]``, a
  cyclic document) loaded, and only the entry's shape check stopped them where they stood.

Now a YAML document nested deeper than JSON may be, whose aliases would expand to more nodes
than its text could hold written out, or with a cyclic alias, is refused with a parse error
naming the file, and the rest of the inventory is kept."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

from mcpward._documents import DocumentError, DocumentFormat, parse_text


def _deep_flow(levels: int) -> str:
    return "extensions: " + "[" * levels + "]" * levels + "\n"


def _deep_mapping(levels: int) -> str:
    return "extensions: " + "{a: " * levels + "1" + "}" * levels + "\n"


def _alias_square(entries: int) -> str:
    lines = ["shared: &e", *(f"  K{i}: v{i}" for i in range(entries)), "extensions:"]
    lines += [f"  s{i}: {{type: stdio, cmd: npx, args: [-y, pkg@1.0.0], envs: *e}}" for i in range(entries)]
    return "\n".join(lines) + "\n"


def _merge_square(entries: int) -> str:
    lines = ["shared: &e", *(f"  K{i}: v{i}" for i in range(entries)), "extensions:"]
    lines += [f"  s{i}: {{<<: *e, type: stdio, cmd: npx}}" for i in range(entries)]
    return "\n".join(lines) + "\n"


def _laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    lines.append(f"extensions: {{s: {{type: stdio, cmd: npx, args: *a{levels - 1}}}}}")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "flow nested 100,000 deep": _deep_flow(100_000),
    "mappings nested 100,000 deep": _deep_mapping(100_000),
    "aliases: 10,000 servers x 10,000 variables": _alias_square(10_000),
    "merge keys: 10,000 servers x 10,000 keys": _merge_square(10_000),
}


def _home(tmp_path: Path, goose_config: str) -> Path:
    home = tmp_path / "home"
    (home / ".config" / "goose").mkdir(parents=True)
    (home / ".config" / "goose" / "config.yaml").write_text(goose_config, encoding="utf-8")
    (home / ".cursor").mkdir()
    kept = {"mcpServers": {"kept": {"command": "npx", "args": ["-y", "kept-mcp@1.0.0"]}}}
    (home / ".cursor" / "mcp.json").write_text(json.dumps(kept), encoding="utf-8")
    return home


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_yaml_config_is_refused_and_the_inventory_kept(tmp_path: Path, name: str) -> None:
    home = _home(tmp_path, HOSTILE[name])
    started = time.monotonic()
    done = mcpward_in_home(home, "scan", "--home", str(home), "-f", "json", timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert time.monotonic() - started < 30
    report = json.loads(done.stdout)
    assert [s["name"] for s in report["servers"]] == ["kept"]
    errors = [e for e in report["errors"] if e["path"].endswith("config.yaml")]
    assert len(errors) == 1 and "YAML" in errors[0]["message"], report["errors"]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "text",
    [
        # What real configs do with anchors: shared defaults, merged into a few entries.
        "defaults: &d {type: stdio, cmd: npx}\nextensions:\n  a: {<<: *d, args: [x]}\n  b: {<<: *d}\n",
        "x: &v [1, 2, 3]\ny: *v\nz: [*v, *v]\n",
        # Deep, but as deep as JSON may be.
        "a: " + "[" * 200 + "]" * 200 + "\n",
        "- " * 300 + "x\n",
    ],
)
def test_ordinary_anchors_and_nesting_still_load(text: str) -> None:
    parse_text(text, DocumentFormat.YAML)


@pytest.mark.parametrize(
    "text",
    [
        _laughs(9),
        "extensions: &a {s: {type: stdio, cmd: npx, envs: *a}}\n",
        "x: &b [1, [2, *b]]\n",
    ],
    ids=["a billion laughs", "a cyclic mapping", "a cyclic list"],
)
def test_laughs_and_cycles_are_refused_by_the_parser(text: str) -> None:
    with pytest.raises(DocumentError, match="YAML"):
        parse_text(text, DocumentFormat.YAML)


def test_the_refusal_quotes_nothing_of_the_document() -> None:
    with pytest.raises(DocumentError) as raised:
        parse_text(
            "token: &t sk-secret-value-1234\n" + "a: " + "[" * 5000 + "*t" + "]" * 5000, DocumentFormat.YAML
        )
    assert "sk-secret" not in str(raised.value)
