"""The scan's fast paths give exactly what the slow paths they replace gave.

Each fast path (entries taken without pydantic, JSON and SARIF written by orjson, a faster
``to_jsonable``) is run beside the slow path it replaces on the same realistic report, built
here from the fixtures of the other tests, and every output format must come out byte for byte
the same. The slow paths are the code as it was: pydantic's validation is still in the scan
(for entries of unusual types), the standard library's ``json`` is called here, and the former
``to_jsonable`` is kept below as the reference.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import random
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fake_home import build_home, write, write_json
from mcpward.model import Category, Finding, Report, Severity, to_jsonable
from mcpward.output import write_report
from mcpward.output.sarif import sarif_document
from mcpward.output.text import encodable
from mcpward.scan import ScanOptions, TargetOS, run_scan
from mcpward.scan._hosts import _common
from mcpward.scan._hosts._common import common_entry_model, plain_entry

FORMATS = ("table", "json", "csv", "sarif", "cyclonedx")
STAMP = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def reference_to_jsonable(value: Any) -> Any:
    """``to_jsonable`` as it was before it cached field names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: reference_to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [reference_to_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def reference_json(report: Report) -> str:
    """``--format json`` as the standard library wrote it."""
    from collections import Counter

    data = reference_to_jsonable(report)
    counts = Counter(f.severity.value for f in report.findings)
    data["summary"] = {
        "servers": len(report.servers),
        "findings": len(report.findings),
        "errors": len(report.errors),
        "by_severity": {s: counts.get(s, 0) for s in ("critical", "high", "medium", "low", "info")},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def reference_sarif(report: Report) -> str:
    return json.dumps(sarif_document(report), indent=2, ensure_ascii=False) + "\n"


def build_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A home with every host's configs, risky entries and entries of unusual types, and a
    project tree with configs and manifests."""
    home, root = tmp_path / "home", tmp_path / "root"
    build_home(home, root, TargetOS.LINUX)
    write_json(
        home / ".cursor" / "mcp.json",
        {
            "mcpServers": {
                "github": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-github", 3, 2.5, True, None],
                    "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_" + "Wq8Lm2Vb9RtN4pZs1TyW8cUf3HjD6gAe0K5o"},
                },
                "coerced": {"command": "node", "args": ["x.js"], "disabled": "yes", "env": {"N": 1.5}},
                "remote": {"url": "http://mcp.example.com/mcp", "headers": {"Authorization": "Bearer abc"}},
                "bad-args": {"command": "node", "args": [["nested"]]},
                "bad-url": {"url": 42},
                "bad-type": {"command": "node", "type": "carrier-pigeon"},
                "empty": {},
                "=cmd|' /C calc'!A0": {"command": "node", "args": ["/opt/x.js"]},
                "\x1b[31mred\u202e\u00e9\u4e2d": {"command": "node", "args": ["/opt/\u00fc.js", "\x07"]},
                "approved": {"command": "uvx", "args": ["mcp-server-fetch"], "autoApprove": ["fetch"]},
            }
        },
    )
    project = tmp_path / "projects" / "shop"
    write_json(
        project / ".mcp.json",
        {"mcpServers": {"docker": {"command": "docker", "args": ["run", "-i", "mcp/x"]}}},
    )
    write_json(
        project / "package.json",
        {"name": "shop", "version": "1.0.0", "dependencies": {"@modelcontextprotocol/sdk": "^1.17.0"}},
    )
    write(
        project / "pyproject.toml",
        '[project]\nname = "shop"\ndependencies = ["mcp>=1.2", "fastmcp==2.3.0"]\n',
    )
    write_json(
        project / ".vscode" / "mcp.json",
        {"servers": {"fetch": {"command": "uvx", "args": ["mcp-server-fetch"]}}},
    )
    return home, root


def scan(home: Path, root: Path, tmp_path: Path) -> Report:
    report = run_scan(
        ScanOptions(home=home, root=root, target_os=TargetOS.LINUX, paths=(tmp_path / "projects",))
    )
    return dataclasses.replace(report, generated_at=STAMP)


def render(report: Report, fmt: str, terminal: bool = False) -> str:
    buffer = io.StringIO()
    write_report(report, fmt, buffer, terminal=terminal)
    text = buffer.getvalue()
    # CycloneDX gives each BOM (and unnamed references) a random serial number.
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)


def test_entries_taken_without_pydantic_give_the_same_report_in_every_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, root = build_tree(tmp_path)
    fast = scan(home, root, tmp_path)
    monkeypatch.setattr(_common, "plain_entry", lambda fields: None)  # pydantic for every entry
    slow = scan(home, root, tmp_path)
    assert len(fast.servers) > 20 and len(fast.errors) >= 3 and len(fast.findings) > 10
    assert fast == slow
    for fmt in FORMATS:
        for terminal in (False, True):
            assert render(fast, fmt, terminal) == render(slow, fmt, terminal), fmt


def test_json_and_sarif_are_written_as_the_standard_library_wrote_them(tmp_path: Path) -> None:
    home, root = build_tree(tmp_path)
    report = scan(home, root, tmp_path)
    assert render(report, "json") == reference_json(report)
    assert render(report, "sarif") == reference_sarif(report)
    assert to_jsonable(report) == reference_to_jsonable(report)
    # What orjson would write otherwise or refuses goes through the standard library: floats,
    # lone surrogates (file names that are not UTF-8), integers beyond 64 bits.
    odd = Finding(
        rule="x",
        category=Category.PERSONAL_DATA,
        severity=Severity.LOW,
        message="m",
        remediation="r",
        confidence=1e-05,
        start=2**70,
    )
    for extra in (
        {"findings": (*report.findings, odd)},
        {"subject": "path /tmp/caf\udce9"},
        {"findings": (dataclasses.replace(odd, confidence=None),)},
        {"generated_at": datetime(2026, 1, 2, 3, 4, 5)},
    ):
        changed = dataclasses.replace(report, **extra)
        # A lone surrogate is written as U+FFFD (no UTF-8 writer can encode it).
        assert render(changed, "json") == encodable(reference_json(changed))
        assert to_jsonable(changed) == reference_to_jsonable(changed)
        if "subject" not in extra:
            assert render(changed, "sarif") == reference_sarif(changed)


SCALARS: list[Any] = ["", "x", "caf\u00e9", "a\udc80", 0, 1, -3, 2**70, 1.5, float("inf"), True, False, None]
ODD: list[Any] = [[], {}, ["x"], {"k": "v"}, (1,), 1j, b"bytes", datetime(2026, 1, 1)]


def _value(rng: random.Random) -> Any:
    return rng.choice(SCALARS if rng.random() < 0.95 else ODD)


def _random_fields(rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("command", "url", "type", "disabled"):
        if rng.random() < 0.5:
            fields[key] = _value(rng)
    for key in ("args", "auto_approve"):
        if rng.random() < 0.6:
            kind = rng.choice([list, list, list, tuple, dict, str])
            items = [_value(rng) for _ in range(rng.randrange(4))]
            fields[key] = kind(items) if kind is not dict and kind is not str else kind()
    for key in ("env", "headers"):
        if rng.random() < 0.6:
            keys = [rng.choice(["A", "B", "\u00e9", 1, None]) for _ in range(rng.randrange(3))]
            fields[key] = {k: _value(rng) for k in keys} if rng.random() < 0.9 else [("A", "b")]
    if rng.random() < 0.1:
        fields["args"] = ["a"] * (_common.MAX_ARGS + rng.randrange(2))
    return fields


def test_an_entry_taken_as_it_is_is_what_pydantic_would_have_validated() -> None:
    model = common_entry_model()
    rng = random.Random(20261203)  # noqa: S311 - reproducible test data
    taken = 0
    for _ in range(20_000):
        fields = _random_fields(rng)
        plain = plain_entry(fields)
        if plain is None:
            continue
        taken += 1
        validated = model.model_validate(dict(fields))  # must not raise
        for name in model.model_fields:
            ours, theirs = getattr(plain, name), getattr(validated, name)
            if isinstance(theirs, list):
                ours = list(ours)
            assert ours == theirs or ours != ours, (fields, name)
            assert [type(v) for v in _values(ours)] == [type(v) for v in _values(theirs)], (fields, name)
    assert taken > 500


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value, *value.values()]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def test_the_manifest_prefilter_agrees_with_its_regular_expression() -> None:
    from mcpward.identity import official_names
    from mcpward.scan._manifests.interface import _mention_pattern, mentions_mcp

    official = official_names()
    names = sorted(official.npm | official.pypi | official.oci)
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    pieces = [*names, "MCP", "Mcp", "m c p", "ModelContextProtocol", "express", "\u017ferena-agent", "\u212a"]
    pieces += ["SUPERGATEWAY", "Browser-Use", "@Anthropic-AI/DXT", "caf\u00e9", "{", '"', " ", "mc", "p"]
    texts = ["", '{"name": "x", "dependencies": {"express": "^4"}}']
    for _ in range(3_000):
        text = "".join(rng.choice(pieces)[: rng.randrange(1, 30)] for _ in range(rng.randrange(1, 6)))
        texts.append(text.swapcase() if rng.random() < 0.3 else text)
    found = 0
    for text in texts:
        expected = _mention_pattern().search(text) is not None
        assert mentions_mcp(text) is expected, text
        found += expected
    assert 300 < found < len(texts) - 300
