"""``mcpward agent``: installed into a test root (the systemd units verified by
``systemd-analyze verify``, the launchd plist and the Windows task read back), a run that reports
two users as two fleet records to a real registry server on loopback, a token file others can
read refused, and reports spooled while the registry is down delivered once when it is up."""

from __future__ import annotations

import json
import os
import plistlib
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_home import npx, write_json
from loopback import free_port
from mcpward.agent import AgentConfig, AgentError, Spool, install, read_token, remove, run
from mcpward.registry import Registry, Role

COMMAND = f"{sys.executable} -m mcpward"


def test_install_writes_units_systemd_accepts_and_remove_takes_them_away(tmp_path: Path, cli: Any) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is needed (.ci/run installs systemd)"
    root = tmp_path / "root"
    done = cli("agent", "install", "--registry", "https://registry.example.internal", "--token-file",
               "/etc/mcpward/agent.token", "--root", str(root), "--command", COMMAND, "--user", "root")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert "then run: systemctl enable --now mcpward-agent.timer" in done.stdout
    units = root / "etc" / "systemd" / "system"
    service, timer = units / "mcpward-agent.service", units / "mcpward-agent.timer"
    verified = subprocess.run([analyze, "verify", str(service), str(timer)], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice"))  # fmt: skip
    assert verified.returncode == 0 and verified.stderr.strip() == "", verified.stderr
    text = service.read_text()
    assert "AmbientCapabilities=CAP_DAC_READ_SEARCH" in text and "NoNewPrivileges=yes" in text
    # A run that hangs is ended (a oneshot has no start timeout): the next ones still start.
    assert "TimeoutStartSec=1h" in text
    assert "--no-jitter" in text and "RandomizedDelaySec=30min" in timer.read_text()
    config = AgentConfig.load(root / "etc" / "mcpward" / "agent.toml")
    assert config.registry == "https://registry.example.internal" and config.command[1:] == ("-m", "mcpward")
    # A unit systemd refuses is caught: the check can fail.
    broken = tmp_path / "broken" / "mcpward-agent.service"
    broken.parent.mkdir()
    broken.write_text(text.replace("Type=oneshot", "Type=oneshoot"))
    refused = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True, timeout=60)
    assert "oneshoot" in refused.stderr
    assert sorted(p.name for p in remove("linux", root)) == [
        "agent.toml",
        "mcpward-agent.service",
        "mcpward-agent.timer",
    ]


def test_the_launchd_daemon_and_the_windows_task_read_back(tmp_path: Path) -> None:
    config = AgentConfig(registry="https://r.example.internal", token_file="/etc/mcpward/agent.token",
                         user="_mcpward", interval_minutes=120, jitter_minutes=20)  # fmt: skip
    install(config, "macos", tmp_path)
    daemon = plistlib.loads((tmp_path / "Library" / "LaunchDaemons" / "io.mcpward.agent.plist").read_bytes())
    assert daemon["UserName"] == "_mcpward" and daemon["StartInterval"] == 7200
    assert daemon["ProgramArguments"] == [
        "/usr/bin/mcpward",
        "agent",
        "run",
        "--config",
        "/etc/mcpward/agent.toml",
    ]
    windows = AgentConfig(registry="https://r.example.internal", token_file="C:/ProgramData/mcpward/token",
                          user="NT AUTHORITY\\SYSTEM", command=("C:\\Program Files\\mcpward\\mcpward.exe",))  # fmt: skip
    install(windows, "windows", tmp_path)
    task = ET.parse(tmp_path / "C" / "ProgramData" / "mcpward" / "mcpward-agent.xml").getroot()  # noqa: S314 - our own file
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    assert task.find("t:Principals/t:Principal/t:UserId", ns).text == "NT AUTHORITY\\SYSTEM"  # type: ignore[union-attr]
    assert task.find("t:Triggers/t:TimeTrigger/t:RandomDelay", ns).text == "PT30M"  # type: ignore[union-attr]
    assert task.find("t:Actions/t:Exec/t:Command", ns).text == "C:\\Program Files\\mcpward\\mcpward.exe"  # type: ignore[union-attr]
    arguments = task.find("t:Actions/t:Exec/t:Arguments", ns).text  # type: ignore[union-attr]
    assert arguments == "agent run --config C:/ProgramData/mcpward/agent.toml"


def test_remove_takes_the_windows_task_away(tmp_path: Path) -> None:
    """``agent remove --platform windows`` deletes what install wrote. Its placeholder settings
    named the default ``/usr/bin/mcpward``, which the Windows task refuses as its program (not
    ``.exe``): every Windows removal failed with that refusal, nothing removed."""
    windows = AgentConfig(registry="https://r.example.internal", token_file="C:/ProgramData/mcpward/token",
                          user="NT AUTHORITY\\SYSTEM", command=("C:\\Program Files\\mcpward\\mcpward.exe",))  # fmt: skip
    install(windows, "windows", tmp_path)
    assert sorted(p.name for p in remove("windows", tmp_path)) == ["agent.toml", "mcpward-agent.xml"]
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def _token_file(path: Path, token: str, mode: int = 0o600) -> Path:
    path.write_text(token + "\n")
    path.chmod(mode)
    return path


def test_a_token_file_others_can_read_or_another_account_owns_is_refused(tmp_path: Path) -> None:
    token = "mcpw_" + "a" * 40
    assert read_token(_token_file(tmp_path / "ok", token)) == token
    with pytest.raises(AgentError, match="mode 644"):
        read_token(_token_file(tmp_path / "open", token, 0o644))
    (tmp_path / "link").symlink_to(tmp_path / "ok")
    with pytest.raises(AgentError, match="cannot open"):
        read_token(tmp_path / "link")
    if os.geteuid() == 0:
        other = _token_file(tmp_path / "other", token)
        os.chown(other, 65534, 65534)
        with pytest.raises(AgentError, match="not owned by this account"):
            read_token(other)
    message = ""
    try:
        read_token(_token_file(tmp_path / "open2", token, 0o640))
    except AgentError as exc:
        message = str(exc)
    assert token not in message  # the refusal never shows the token


class _Counting:
    """The registry's ASGI app, counting the fleet reports it is sent (observed, not mocked)."""

    def __init__(self, app: Any) -> None:
        self.app, self.reports = app, 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/fleet/reports":
            self.reports += 1
        await self.app(scope, receive, send)


@pytest.fixture
def homes(tmp_path: Path) -> Path:
    folder = tmp_path / "homes"
    for user, package in (("alice", "@acme/files@1.2.3"), ("bob", "@acme/mail@2.0.0")):
        write_json(folder / user / ".cursor" / "mcp.json", {"mcpServers": {"tool": npx(package)}})
    return folder


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    opened = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    yield opened
    opened.database.dispose()


def _serve(registry: Registry, port: int) -> tuple[Any, _Counting, threading.Thread]:
    import uvicorn

    from mcpward.registry.web import create_app

    app = _Counting(create_app(registry))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    return server, app, thread


def test_reports_made_while_the_registry_is_down_are_delivered_once_and_each_home_is_its_own_record(
    tmp_path: Path, homes: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_MACHINE_ID", "agent-test-machine")
    token = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    port = free_port()
    config = AgentConfig(registry=f"http://127.0.0.1:{port}", token_file=str(_token_file(tmp_path / "token", token)),
                         spool=str(tmp_path / "spool"), homes_under=(str(homes),), jitter_minutes=10)  # fmt: skip
    waits: list[float] = []
    down = run(config, sleep=waits.append, chance=lambda low, high: high / 2)
    assert waits == [300.0]  # half of the jitter, as the chance said: a fleet spreads out
    assert sorted(Path(home).name for home in down.spooled) == ["alice", "bob"] and not down.reported
    spooled = sorted((tmp_path / "spool").iterdir())
    assert len(spooled) == 2 and all(p.stat().st_mode & 0o777 == 0o600 for p in spooled)
    assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700
    assert token not in "".join(p.read_text() for p in spooled)
    server, app, thread = _serve(registry, port)
    try:
        up = run(config, jitter=False)
        assert sorted(Path(home).name for home in up.delivered) == ["alice", "bob"]
        assert sorted(Path(home).name for home in up.reported) == ["alice", "bob"]
        assert app.reports == 4 and not list((tmp_path / "spool").iterdir())
        again = run(config, jitter=False)
        assert not again.delivered and app.reports == 6  # each spooled report was sent once
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    records = {Path(m.home or "").name: m for m in registry.machines()}
    assert sorted(records) == ["alice", "bob"]  # one fleet record per user, on one machine
    assert len({m.machine for m in records.values()}) == 1  # the one machine, as its fingerprint
    assert all(m.servers == 1 for m in records.values())
    servers, _total = registry.fleet()
    assert {(Path(s.home or "").name, s.server.package) for s in servers} == {
        ("alice", "@acme/files"),
        ("bob", "@acme/mail"),
    }


def test_the_agent_command_refuses_an_open_token_file_with_one_line(tmp_path: Path, cli: Any) -> None:
    token = _token_file(tmp_path / "token", "mcpw_" + "b" * 40, 0o644)
    settings = tmp_path / "agent.toml"
    settings.write_text(
        AgentConfig(registry="http://127.0.0.1:9", token_file=str(token), spool=str(tmp_path / "s")).to_toml()
    )
    result = cli("agent", "run", "--config", str(settings), "--no-jitter")
    assert result.exit_code == 2 and "chmod 600" in result.stderr and "b" * 40 not in result.stderr
    spool = Spool(tmp_path / "loose")
    (tmp_path / "loose").mkdir(mode=0o777)
    (tmp_path / "loose").chmod(0o777)
    with pytest.raises(AgentError, match="only this account"):
        spool.waiting()
    assert json.loads(json.dumps(AgentConfig.load(settings).model_dump()))["token_file"] == str(token)


def test_the_fleet_shows_each_homes_last_report_its_age_and_who_stopped_reporting(
    registry: Registry, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from fastapi.testclient import TestClient

    from mcpward.registry import InventoryUpload
    from mcpward.registry.web import create_app

    now = datetime.now(UTC)
    fresh = InventoryUpload(machine_id="m1", hostname="laptop", home="/home/alice")
    old = InventoryUpload(machine_id="m2", hostname="build", home="/home/ci")
    Registry(registry.database, clock=lambda: now - timedelta(hours=3)).record_inventory(fresh, "agent")
    Registry(registry.database, clock=lambda: now - timedelta(days=40)).record_inventory(old, "agent")
    client = TestClient(create_app(registry))
    viewer = {"Authorization": f"Bearer {registry.create_token('vic', Role.VIEWER, 'setup')}"}
    machines = {m["hostname"]: m for m in client.get("/api/fleet/machines", headers=viewer).json()}
    assert machines["laptop"]["age"] == "3 hours" and not machines["laptop"]["stale"]
    assert machines["build"]["age"] == "40 days" and machines["build"]["stale"]
    assert 40 * 86400 <= machines["build"]["age_seconds"] < 41 * 86400
    stopped = client.get("/api/fleet/machines", params={"stale": "true"}, headers=viewer).json()
    assert [m["hostname"] for m in stopped] == ["build"]
    client.post("/login", data={"token": viewer["Authorization"][7:]})
    page = client.get("/fleet").text
    assert "Stopped reporting (1)" in page and "last report 40 days ago" in page and "3 hours" in page


def test_homes_are_real_user_folders_only(tmp_path: Path) -> None:
    from mcpward.agent import homes

    for name in ("alice", "Shared", ".cache", "Public"):
        (tmp_path / "Users" / name).mkdir(parents=True)
    (tmp_path / "Users" / "link").symlink_to(tmp_path)
    (tmp_path / "Users" / "notes.txt").write_text("x")
    config = AgentConfig(
        registry="https://r.example.internal", token_file="t", homes_under=(str(tmp_path / "Users"),)
    )
    assert [home.name for home in homes(config)] == ["alice"]
    everyone = homes(AgentConfig(registry="https://r.example.internal", token_file="t"))
    assert all(home.is_dir() for home in everyone)  # this machine's accounts (uid 1000 and up, root)
