"""The sandbox against a hostile server of our own: each forbidden thing in its own test, each
denied; network attempts recorded in the audit log; an allowed destination works through the
proxy; a real npm server answers tools/list inside. Needs bubblewrap (installed by .ci/run);
skips with the reason where the kernel refuses namespaces."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mcpward.gateway import verify
from mcpward.sandbox._backends.bubblewrap import Bubblewrap
from needs import sandbox_backend

HOSTILE = Path(__file__).parent / "servers" / "hostile_server.py"


@pytest.fixture(scope="module", autouse=True)
def bubblewrap() -> None:
    sandbox_backend("bubblewrap")


BACKENDS = ["bubblewrap", "podman", "docker", "landlock"]


@pytest.fixture(scope="session")
def docker_host() -> Iterator[None]:
    """A Docker engine for the docker backend: one already reachable, else our own dockerd
    (tests/docker_engine.py), named to the sandbox's docker client by DOCKER_HOST."""
    from docker_engine import docker_engine
    from mcpward.sandbox._backends import container

    with docker_engine() as host:
        before = os.environ.get("DOCKER_HOST")
        if host:
            os.environ["DOCKER_HOST"] = host
        container._probe.cache_clear()
        try:
            yield
        finally:
            if host:
                os.environ.pop("DOCKER_HOST")
                if before is not None:
                    os.environ["DOCKER_HOST"] = before
            container._probe.cache_clear()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The tests that hold for every confining backend run on each that works here."""
    if request.param == "docker":
        request.getfixturevalue("docker_host")
    sandbox_backend(request.param)
    return str(request.param)


def hostile_command(
    tmp_path: Path, *argv: str, profile: str = "", backend: str | None = None, server: str = "hostile"
) -> list[str]:
    """``sandbox run`` of the hostile server doing ``argv``, with ``profile`` (TOML) and the
    audit log in ``tmp_path``."""
    config = tmp_path / "profile.toml"
    config.write_text(profile, encoding="utf-8")
    return [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--server", server,
            *(["--backend", backend] if backend else []),
            "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable, str(HOSTILE), *argv]  # fmt: skip


def sandboxed(
    tmp_path: Path,
    *argv: str,
    profile: str = "",
    env: dict[str, str] | None = None,
    backend: str | None = None,
    server: str = "hostile",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    command = hostile_command(tmp_path, *argv, profile=profile, backend=backend, server=server)
    log = tmp_path / "audit.jsonl"
    result = subprocess.run(
        command, capture_output=True, timeout=120, env={**os.environ, **(env or {})}, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert verify(log)[1] is None
    return json.loads(result.stdout.decode().strip().splitlines()[-1]), records


def sandboxed_series(
    tmp_path: Path, *attempts: tuple[str, ...], **options: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """:func:`sandboxed` for several attempts made one after another by one server in one run
    (each run of a container backend costs seconds): each attempt's outcome, and the records."""
    outcome, records = sandboxed(tmp_path, "series", json.dumps(attempts), **options)
    assert len(outcome["outcomes"]) == len(attempts), outcome
    return outcome["outcomes"], records


def test_a_host_outside_the_allow_list_is_refused_and_recorded(tmp_path: Path, backend: str) -> None:
    outcome, records = sandboxed(
        tmp_path,
        "connect",
        "http://exfil.example/upload",
        profile='[network]\nallow = ["api.example.com"]\n',
        backend=backend,
    )
    assert not outcome["ok"] and "403" in outcome["error"]
    assert any(r.get("host") == "exfil.example" and r["decision"] == "block" for r in records)


def test_no_direct_connection_leaves_the_sandbox(tmp_path: Path, backend: str) -> None:
    outcome, _ = sandboxed(tmp_path, "direct", "1.1.1.1", "443", backend=backend)
    # No route out (bubblewrap: no interface) or no right to connect there (Landlock).
    assert not outcome["ok"] and (
        "unreachable" in outcome["error"].lower() or "denied" in outcome["error"].lower()
    )


def test_no_dns_and_no_udp_inside(tmp_path: Path, backend: str) -> None:
    (outcome, udp), records = sandboxed_series(
        tmp_path, ("dns", "leak.attacker.example"), ("udp", "192.0.2.1", "53"), backend=backend
    )
    assert not outcome["ok"]
    if backend != "landlock":  # the bridge answers DNS inside (REFUSED) and has each query recorded
        assert any(
            r.get("method") == "DNS" and r["host"] == "leak.attacker.example" and r["decision"] == "block"
            for r in records
        )
    assert not udp["ok"]


def test_the_users_keys_and_the_gateways_environment_are_not_visible(tmp_path: Path, backend: str) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nplanted\n", encoding="utf-8")
    # The gateway's own environment (its secrets among it) is not the server's either.
    (by_home, by_path, gateway_secret), records = sandboxed_series(
        tmp_path,
        ("read", "~/.ssh/id_rsa"),
        ("read", str(home / ".ssh" / "id_rsa")),
        ("env", "GATEWAY_SECRET"),
        env={"HOME": str(home), "GATEWAY_SECRET": "s3cr3t-value"},
        backend=backend,
    )
    assert not by_home["ok"] and "No such file" in by_home["error"]
    assert not by_path["ok"]
    if backend != "landlock":  # the bridge traces file operations (strace) and reports refusals
        key = str(home / ".ssh" / "id_rsa")
        denied = [r for r in records if r.get("method") == "FILE" and r["path"] == key]
        assert denied and denied[0]["decision"] == "block" and denied[0]["operation"] == "read"
        assert "hidden by the sandbox" in denied[0]["reason"]
        # Probes for what exists nowhere (an interpreter's start-up) are not denials.
        files = [r["path"] for r in records if r.get("method") == "FILE"]
        assert all(Path(path).exists() for path in files), files
    assert not gateway_secret["ok"] and "GATEWAY_SECRET" not in gateway_secret["names"]
    allowed, _ = sandboxed(
        tmp_path,
        "env",
        "ACME_TOKEN",
        profile='[env]\nallow = ["ACME_TOKEN"]\n',
        env={"ACME_TOKEN": "given"},
        backend=backend,
    )
    assert allowed["ok"]


def test_an_injected_secret_is_on_no_command_line(tmp_path: Path, backend: str) -> None:
    """Every user may read every process's command line (ps): a secret given to the server
    must reach its environment without passing through one, the engine's client included."""
    secret = "sk-live-" + os.urandom(12).hex()
    profile = '[env.secrets]\nACME_TOKEN = "env:GATEWAY_ACME"\n'
    command = hostile_command(tmp_path, "env", "ACME_TOKEN", "--hold", profile=profile, backend=backend)
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, "GATEWAY_ACME": secret}
    ) as running:
        assert running.stdout is not None and running.stdin is not None
        outcome = json.loads(running.stdout.readline())  # the server is up, holding its secret
        lines = _command_lines()
        running.stdin.close()
        assert running.wait(timeout=60) == 0
    assert outcome["ok"] and outcome["sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert len(lines) > 5 and not any(secret.encode() in line for line in lines)
    assert secret not in (tmp_path / "audit.jsonl").read_text()


def test_a_named_server_keeps_its_own_home_and_no_other_server_sees_it(tmp_path: Path, backend: str) -> None:
    def run(server: str, *argv: str) -> dict[str, Any]:
        return sandboxed(tmp_path, *argv, backend=backend, server=server)[0]

    assert run("notes", "write", "~/cache.txt")["ok"]
    assert run("notes", "read", "~/cache.txt") == {"ok": True, "content": "pwned"}
    assert not run("other", "read", "~/cache.txt")["ok"]
    assert not (Path.home() / "cache.txt").exists()


def test_the_server_ends_when_the_sandbox_is_killed(tmp_path: Path, backend: str) -> None:
    """A gateway killed outright leaves no confined server running (a container engine would
    keep its container)."""
    marker = f"held-{os.urandom(6).hex()}"
    command = hostile_command(tmp_path, "env", marker, "--hold", backend=backend)
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as running:
        assert running.stdout is not None
        json.loads(running.stdout.readline())  # the server is up
        assert _holding(marker)
        running.kill()
        running.wait(timeout=30)
        for _ in range(100):  # bounded: ten seconds
            if not _holding(marker):
                break
            time.sleep(0.1)
        assert not _holding(marker)


def _holding(marker: str) -> bool:
    return any(marker.encode() in line for line in _command_lines())


def _command_lines() -> list[bytes]:
    """Every process's command line, as any user on the machine may read them."""
    lines = []
    for process in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            lines.append((process / "cmdline").read_bytes())
    return lines


def test_writes_outside_the_mounts_fail_and_inside_work(tmp_path: Path, backend: str) -> None:
    outside = tmp_path / "outside.txt"
    (outcome, _), records = sandboxed_series(
        tmp_path, ("write", "/usr/local/pwned"), ("write", str(outside)), backend=backend
    )
    assert not outcome["ok"] and ("Read-only" in outcome["error"] or "Permission denied" in outcome["error"])
    if backend != "landlock":
        (denied,) = [r for r in records if r.get("method") == "FILE" and r["path"] == "/usr/local/pwned"]
        assert denied["operation"] == "write" and denied["decision"] == "block"
    assert not outside.exists()
    shared = tmp_path / "shared"
    shared.mkdir()
    outcome, _ = sandboxed(
        tmp_path, "write", str(shared / "ok.txt"), profile=f'[files]\nwrite = ["{shared}"]\n', backend=backend
    )
    assert outcome["ok"] and (shared / "ok.txt").read_text() == "pwned"
    log = (tmp_path / "audit.jsonl").read_text()
    assert str(shared / "ok.txt") not in log  # what the profile allows is not a denial


def test_a_fork_bomb_stops_at_the_process_limit(tmp_path: Path, backend: str) -> None:
    outcome, records = sandboxed(tmp_path, "fork", profile="[limits]\nprocesses = 32\n", backend=backend)
    assert not outcome["ok"] and outcome["started"] < 32
    if os.geteuid() == 0 and Path("/sys/fs/cgroup/pids").is_dir():  # the control group counts refusals
        assert any(r.get("limit") == "processes" and r["decision"] == "block" for r in records)


@pytest.fixture
def loopback_site() -> Iterator[int]:
    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"hello from the allowed API"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


def test_an_allowed_destination_works_through_the_proxy(
    tmp_path: Path, backend: str, loopback_site: int
) -> None:
    profile = f'[network]\nallow = ["api.example.com:80"]\nresolve = {{ "api.example.com:80" = "127.0.0.1:{loopback_site}" }}\n'
    outcome, records = sandboxed(
        tmp_path, "connect", "http://api.example.com/v1/status", profile=profile, backend=backend
    )
    assert outcome["ok"] and outcome["body"] == "hello from the allowed API"
    egress = [r for r in records if r.get("host") == "api.example.com"]
    assert egress and egress[0]["decision"] == "allow" and egress[0]["received"] > 0 and egress[0]["sent"] > 0


def test_a_real_npm_server_answers_inside(tmp_path: Path, memory_server: Path, backend: str) -> None:
    script = memory_server
    modules = script.parents[3]
    profile = tmp_path / "profile.toml"
    profile.write_text(f'[files]\nread = ["{modules}"]\n', encoding="utf-8")
    command = [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(profile), "--backend", backend,
               "--audit-log", str(tmp_path / "a.jsonl"), "--", "node", str(script)]  # fmt: skip
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
    process.stdin.flush()
    answers = [json.loads(process.stdout.readline()) for _ in range(2)]
    process.stdin.close()
    process.wait(timeout=30)
    names = {tool["name"] for tool in answers[1]["result"]["tools"]}
    assert {"create_entities", "read_graph"} <= names


def test_the_gateway_runs_its_server_in_the_sandbox(tmp_path: Path) -> None:
    import anyio

    from test_gateway import SECRET, SERVERS, _sdk_session

    profile = tmp_path / "profile.toml"
    profile.write_text("[limits]\nprocesses = 64\n", encoding="utf-8")
    config = tmp_path / "gateway.toml"
    config.write_text(f'[pins]\nstore = "{tmp_path / "pins.json"}"\n', encoding="utf-8")
    log = tmp_path / "audit.jsonl"
    command = [sys.executable, "-m", "mcpward", "gateway", "run", "--server", "weather", "--config", str(config),
               "--sandbox", str(profile), "--audit-log", str(log), "--",
               sys.executable, str(SERVERS / "mcp_test_server.py"), "stdio"]  # fmt: skip
    names, results = anyio.run(_sdk_session, command, [("get_weather", {"city": f"Rome {SECRET}"})])
    assert names == ["get_weather"] and results[0].content[0].text == "Sunny in Rome ghp_****"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(r.get("method") == "sandbox-start" and r["backend"] == "bubblewrap" for r in records)
    assert verify(log)[1] is None


def test_a_registry_entrys_scope_becomes_the_sandbox_profile(tmp_path: Path) -> None:
    from mcpward.registry import DataScope, Identity, Registry
    from test_registry import package_request

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    entry = registry.request(
        package_request(
            name="weather",
            identity=Identity(kind="remote", url="https://weather.example/mcp"),
            vet=None,
            scope=DataScope(network=("api.example.com",), credentials=("WEATHER_KEY",)),
        ),
        "alice",
    )
    registry.approve(entry.id, "bob", "ok")
    from mcpward.sandbox import profile_from_entry

    profile = profile_from_entry(registry.get(entry.id).model_dump(mode="json"))
    assert profile.network.allows("api.example.com", 443) and not profile.network.allows("exfil.example", 443)
    assert profile.env.allow == ("WEATHER_KEY",)


def test_an_approved_npx_server_runs_in_a_sandbox_made_from_its_registry_entry(
    tmp_path: Path, npx_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the registry check on, the gateway confines each approved stdio server by default,
    in a profile made from its entry's data scope; the real npm package runs there with
    ``npx -y`` from its own home's cache."""
    import shutil

    import anyio

    from mcpward.registry import DataScope, Identity, Registry
    from mcpward.sandbox import server_home

    monkeypatch.setenv("MCPWARD_PROBATION_DAYS", "0")  # read_graph is called at once
    from test_gateway import _sdk_session
    from test_registry import package_request

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    package = "@modelcontextprotocol/server-memory"
    entry = registry.request(
        package_request(
            name="memory",
            identity=Identity(kind="package", ecosystem="npm", name=package, version="2026.8.31"),
            scope=DataScope(network=("api.example.com",), credentials=("MEMORY_TOKEN",)),
        ),
        "alice",
    )
    registry.approve(entry.id, "bob", "read the code")
    home = server_home("memory")  # the server's own home, seeded with its package cache
    shutil.copytree(npx_cache, home / ".npm")
    (home / ".npmrc").write_text("offline=true\n", encoding="utf-8")
    config = tmp_path / "gateway.toml"
    config.write_text(f'[registry]\nenabled = true\nsource = "{database}"\n'
                      f'[pins]\nstore = "{tmp_path / "pins.json"}"\n', encoding="utf-8")  # fmt: skip
    log = tmp_path / "audit.jsonl"
    command = [sys.executable, "-m", "mcpward", "gateway", "run", "--server", "memory", "--config", str(config),
               "--audit-log", str(log), "--", "npx", "-y", f"{package}@2026.8.31"]  # fmt: skip
    os.environ["MEMORY_TOKEN"] = "passed-by-name"
    try:
        names, results = anyio.run(_sdk_session, command, [("read_graph", {})])
    finally:
        del os.environ["MEMORY_TOKEN"]
    assert {"create_entities", "read_graph"} <= set(names) and not results[0].is_error
    records = [json.loads(line) for line in log.read_text().splitlines()]
    (start,) = [r for r in records if r.get("method") == "sandbox-start"]
    assert start["server"] == "memory" and start["backend"] != "none"
    assert start["allow"] == ["api.example.com"]  # the entry's hosts, nothing more
    assert not any(r.get("decision") == "block" and r.get("stage") == "launch" for r in records)
    assert verify(log)[1] is None


def test_secrets_come_from_a_private_file_or_the_keyring_never_from_the_config(tmp_path: Path) -> None:
    import hashlib

    value = "ghp_" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"GITHUB_TOKEN={value}\n", encoding="utf-8")
    secrets.chmod(0o600)
    profile = f'[env.secrets]\nGITHUB_TOKEN = "file:{secrets}"\n'
    outcome, records = sandboxed(tmp_path, "env", "GITHUB_TOKEN", profile=profile)
    assert outcome["ok"] and outcome["sha256"] == hashlib.sha256(value.encode()).hexdigest()
    assert value not in json.dumps(records)

    secrets.chmod(0o644)
    config = tmp_path / "loose.toml"
    config.write_text(profile, encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--audit-log", str(tmp_path / "b.jsonl"),
         "--", sys.executable, str(HOSTILE), "env", "GITHUB_TOKEN"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2 and b"readable by you only" in refused.stderr

    keyring_home = tmp_path / "keyring"
    env = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring", "XDG_DATA_HOME": str(keyring_home)}
    subprocess.run(
        [sys.executable, "-c", f"import keyring; keyring.set_password('mcpward', 'github', {value!r})"],
        env={**os.environ, **env}, check=True, timeout=60,
    )  # fmt: skip
    outcome, _ = sandboxed(
        tmp_path,
        "env",
        "GITHUB_TOKEN",
        profile='[env.secrets]\nGITHUB_TOKEN = "keyring:mcpward/github"\n',
        env=env,
    )
    assert outcome["ok"] and outcome["sha256"] == hashlib.sha256(value.encode()).hexdigest()


def test_no_confinement_only_when_asked_and_then_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpward.sandbox import SandboxError, choose_backend
    from mcpward.sandbox.interface import Availability

    log = tmp_path / "audit.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "mcpward", "sandbox", "run", "--backend", "none", "--audit-log", str(log),
         "--", sys.executable, str(HOSTILE), "env", "HOME"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and b"UNCONFINED" in result.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(r["method"] == "sandbox-unconfined" and r["decision"] == "alert" for r in records)
    from mcpward.sandbox._backends.container import Docker, Podman
    from mcpward.sandbox._backends.landlock import Landlock

    monkeypatch.setattr(Bubblewrap, "check", lambda self: Availability(False, "refused by the kernel"))
    monkeypatch.setattr(Podman, "check", lambda self: Availability(False, "no engine"))
    monkeypatch.setattr(Docker, "check", lambda self: Availability(False, "no engine"))
    monkeypatch.setattr(Landlock, "check", lambda self: Availability(False, "no Landlock"))
    with pytest.raises(SandboxError, match="bubblewrap: refused by the kernel"):
        choose_backend(None)  # never falls back to no confinement by itself


def test_a_misspelt_backend_is_named_with_the_choices(tmp_path: Path) -> None:
    # `--backend bwrap` was told "no sandbox backend works on this machine", with every working
    # backend listed after it.
    result = subprocess.run(
        [sys.executable, "-m", "mcpward", "sandbox", "run", "--backend", "bwrap", "--audit-log",
         str(tmp_path / "audit.jsonl"), "--", sys.executable, "-c", "pass"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr == (
        "mcpward: unknown sandbox backend 'bwrap'; choose from bubblewrap, podman, docker, landlock, none\n"
    )


def test_a_server_that_exits_after_a_refusal_is_told_why_on_standard_error(tmp_path: Path) -> None:
    """A client shows only that the server exited: the line in its log (the server's standard
    error) names what the sandbox refused, the first few of them, and where the rest are."""
    profile = tmp_path / "profile.toml"
    profile.write_text("[network]\nallow = []\n", encoding="utf-8")
    fetch = "import urllib.request; urllib.request.urlopen('http://pkgs.example.com/x', timeout=10)"
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", "sandbox", "run", "--backend", "bubblewrap", "--profile", str(profile),
         "--server", "fetcher", "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable, "-c", fetch],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, env=dict(os.environ, HOME=str(tmp_path)),
    )  # fmt: skip
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "mcpward sandbox: fetcher exited with status 1 after the sandbox refused GET pkgs.example.com:80"
    )
    assert str(tmp_path / "audit.jsonl") in last
    ok = subprocess.run(
        [sys.executable, "-m", "mcpward", "sandbox", "run", "--backend", "bubblewrap", "--profile", str(profile),
         "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable, "-c", "print('fine')"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, env=dict(os.environ, HOME=str(tmp_path)),
    )  # fmt: skip
    assert ok.returncode == 0 and "refused" not in ok.stderr
