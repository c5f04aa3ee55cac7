from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mcpward.cli import app
from mcpward.model import Report
from mcpward.scan import ScanOptions, TargetOS, run_scan


class CliResult:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli() -> Any:
    runner = CliRunner()

    def invoke(*args: str) -> CliResult:
        result = runner.invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may read or write the real user's refreshed advisory snapshot.
    monkeypatch.setenv("MCPWARD_DATA_DIR", str(tmp_path_factory.mktemp("data")))


def scan_home(home: Path, target: TargetOS = TargetOS.LINUX, root: Path | None = None, **kw: Any) -> Report:
    return run_scan(ScanOptions(home=home, target_os=target, root=root, **kw))


def servers_by_name(report: Report) -> dict[str, Any]:
    return {s.name: s for s in report.servers}


def rules_for(report: Report, server: str) -> set[str]:
    return {f.rule for f in report.findings if f.server == server}
