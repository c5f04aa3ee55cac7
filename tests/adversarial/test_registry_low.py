"""The registry's smaller boundaries, attacked through a real server on loopback, the real CLI
and the real database files: terminal escapes in what is printed, out-of-range numbers, error
answers that echo what was sent, query strings in the access log, the database file's mode,
and guessing tokens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from loopback import free_port
from mcpward.registry import Registry, Role
from test_registry import package_request

ESCAPE = "\x1b]0;owned\x07\x1b[2J\x1b[31mteam\x9b1m"
SECRET = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"


def _headers(registry: Registry, role: Role = Role.REQUESTER, name: str = "someone") -> dict[str, str]:
    return {"Authorization": f"Bearer {registry.create_token(name, role, 'setup')}"}


# -- terminal escapes ----------------------------------------------------------------------------


def test_control_characters_are_refused_on_the_way_in(registry: Registry, live_server: str) -> None:
    body = {
        "name": "io.github.acme/files",
        "identity": {"kind": "remote", "url": "https://files.example.com/mcp"},
        "owner": ESCAPE,
    }
    answer = httpx.post(f"{live_server}/api/entries", json=body, headers=_headers(registry))
    assert answer.status_code == 422 and "\x1b" not in answer.text
    assert registry.entries() == []


def test_registry_list_and_show_never_print_terminal_escapes(
    registry: Registry, database_url: str, cli: Any
) -> None:
    entry = registry.request(package_request(), "alice")
    registry.approve(entry.id, "bob", "fine \x1b[2J by me")
    # As an older version stored it, or as someone wrote it into the database.
    with registry.database.write_engine.begin() as connection:
        connection.execute(text("UPDATE entries SET owner = :owner, title = :owner"), {"owner": ESCAPE})
    for command in (["list"], ["show", str(entry.id)]):
        result = cli("registry", *command, "--database", database_url)
        assert result.exit_code == 0, result.stderr
        printed = result.stdout + result.stderr
        assert "\x1b" not in printed and "\x07" not in printed and "\x9b" not in printed, repr(printed)
        assert "team" in printed


# -- out-of-range numbers ------------------------------------------------------------------------


def test_out_of_range_numbers_are_bad_input_not_a_crash(registry: Registry, live_server: str) -> None:
    viewer = _headers(registry, Role.VIEWER, "viewer")
    admin = _headers(registry, Role.ADMIN, "admin")
    huge = str(2**63)
    for path in (
        "/api/entries/99999999999999999999999",
        f"/api/entries/{2**31}",
        f"/api/entries?offset={huge}",
        f"/api/fleet/servers?offset={huge}",
        f"/api/entries/{2**63}/audit",
        f"/api/entries/{2**63}/server.json",
    ):
        answer = httpx.get(live_server + path, headers=viewer)
        assert answer.status_code in (404, 422), (path, answer.status_code, answer.text)
    for cursor in ("²", "٣", "1" * 30, huge):
        answer = httpx.get(f"{live_server}/v0/servers", params={"cursor": cursor})
        assert answer.status_code == 422, (cursor, answer.status_code)
    entry = registry.request(package_request(), "alice")
    decided = httpx.post(
        f"{live_server}/api/entries/{entry.id}/approve",
        json={"rationale": "x", "revision": 2**63},
        headers=admin,
    )
    assert decided.status_code in (409, 422), decided.text
    with httpx.Client(base_url=live_server) as browser:
        token = registry.create_token("reviewer", Role.REVIEWER, "setup")
        assert browser.post("/login", data={"token": token}).status_code in (200, 303)
        for path in (f"/fleet?page={2**62}", f"/fleet?page={huge}", f"/entries/{2**63}"):
            answer = browser.get(path)
            assert answer.status_code in (200, 404, 422), (path, answer.status_code)
        page = browser.get(f"/entries/{entry.id}").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        form = {"decision": "approve", "rationale": "x", "revision": str(2**63), "csrf": csrf.group(1)}
        answer = browser.post(f"/entries/{entry.id}/decide", data=form)
        assert answer.status_code in (409, 422), answer.status_code


# -- error answers echo nothing ------------------------------------------------------------------


def test_validation_errors_do_not_echo_what_was_sent(registry: Registry, live_server: str) -> None:
    headers = _headers(registry)
    base = {"name": "io.github.acme/files", "owner": "team",
            "identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"}}  # fmt: skip
    for body in (
        base | {"tier": SECRET},
        base | {"identity": base["identity"] | {"version": f"^{SECRET}"}},
        base | {"scope": {"credentials": [f"TOKEN={SECRET}"]}},
        base | {"name": f"not a name {SECRET}"},
        base | {SECRET: 1},
    ):
        answer = httpx.post(f"{live_server}/api/entries", json=body, headers=headers)
        assert answer.status_code == 422 and answer.json()["detail"], answer.text
        assert SECRET not in answer.text, answer.text
    document = {"name": "io.github.acme/a", "description": "A", "version": f"^{SECRET}",
                "remotes": [{"type": "sse", "url": "https://a.example.com/mcp"}]}  # fmt: skip
    answer = httpx.post(f"{live_server}/api/import?owner=team", json=document, headers=headers)
    assert answer.status_code == 422 and SECRET not in answer.text, answer.text
    answer = httpx.get(f"{live_server}/api/entries", params={"limit": SECRET}, headers=headers)
    assert answer.status_code == 422 and SECRET not in answer.text, answer.text


# -- the real `mcpward registry serve` -------------------------------------------------------------


def _serve(database_url: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcpward",
            "registry",
            "serve",
            "--port",
            str(port),
            "--database",
            database_url,
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/v0/servers", timeout=1)
            return process, base, log
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"registry serve did not start: {log.read_text()}")


def test_the_access_log_never_records_query_strings(
    registry: Registry, database_url: str, tmp_path: Path
) -> None:
    headers = _headers(registry, Role.VIEWER, "viewer")
    process, base, log = _serve(database_url, tmp_path)
    try:
        # A server process started on a loaded machine may take more than httpx's 5 s to answer
        # its first request (it did once, in a full suite beside other work).
        httpx.get(f"{base}/api/entries", params={"name": SECRET}, headers=headers, timeout=60)
        httpx.get(f"{base}/v0/servers", params={"search": SECRET}, timeout=60)
        httpx.get(f"{base}/v0/servers/marker-path/versions", timeout=60)
        deadline = time.monotonic() + 10
        while "marker-path" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=20)
    written = log.read_text()
    assert "marker-path" in written and "GET /api/entries" in written, written
    assert SECRET not in written, written


def test_guessing_tokens_is_throttled_per_address_and_right_tokens_still_pass(
    registry: Registry, database_url: str, tmp_path: Path
) -> None:
    token = registry.create_token("viewer", Role.VIEWER, "setup")
    process, base, _log = _serve(database_url, tmp_path)
    try:
        statuses = []
        with httpx.Client(base_url=base) as attacker:
            for guess in range(40):  # bounded: the limit is reached well before
                answer = attacker.get("/api/entries", headers={"Authorization": f"Bearer mcpw_guess{guess}"})
                statuses.append(answer.status_code)
                if answer.status_code == 429:
                    assert int(answer.headers["retry-after"]) > 0
                    break
            assert statuses[-1] == 429 and statuses.count(401) <= 20, statuses
            # While the address is held back, guesses get nothing, not even a 401 to learn from...
            guess = attacker.get("/api/entries", headers={"Authorization": "Bearer mcpw_guess999"})
            assert guess.status_code == 429
            assert attacker.post("/login", data={"token": "mcpw_guess999"}).status_code == 429
            # ...but a right token still works from it: behind a proxy or a NAT every client
            # shares one address, and anyone's ten wrong tokens a minute refused every agent,
            # gateway and reviewer (tokens are 256-bit: the limit keeps guessers' load and log
            # down, it is not what makes guessing hopeless).
            right = attacker.get("/api/entries", headers={"Authorization": f"Bearer {token}"})
            assert right.status_code == 200
            signin = attacker.post("/login", data={"token": token}, follow_redirects=False)
            assert signin.status_code == 303
        # Another address is not punished for the attacker's guesses.
        other = httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with other:
            assert other.get("/api/entries", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_failure_memory_is_bounded() -> None:
    from mcpward.registry.web._auth import FailureThrottle

    throttle = FailureThrottle(max_failures=5, window=60.0, max_addresses=1000)
    for index in range(50_000):
        throttle.failed(f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}")
    assert throttle.tracked() <= 1000
    for _ in range(5):
        throttle.failed("192.0.2.1")
    assert throttle.retry_after("192.0.2.1") > 0 and throttle.retry_after("192.0.2.2") == 0


# -- the database file -----------------------------------------------------------------------------


def test_the_sqlite_database_is_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        path = tmp_path / "new" / "registry.db"
        registry = Registry.open(f"sqlite:///{path}")
        registry.request(package_request(), "alice")
        files = [path, *path.parent.glob("registry.db-*")]
        assert len(files) >= 2  # the WAL files too
        for file in files:
            assert file.stat().st_mode & 0o077 == 0, (file, oct(file.stat().st_mode))
        assert path.parent.stat().st_mode & 0o077 == 0
        registry.database.dispose()
    finally:
        os.umask(previous)


def test_token_names_are_printed_escaped_and_refused_with_escapes(
    registry: Registry, database_url: str, live_server: str, cli: Any
) -> None:
    registry.create_token(ESCAPE, Role.VIEWER, "setup")  # as stored before, or through the database
    listed = cli("registry", "token", "list", "--database", database_url)
    assert listed.exit_code == 0 and "\x1b" not in listed.stdout and "\\x1b" in listed.stdout
    answer = httpx.post(
        f"{live_server}/api/tokens",
        json={"name": ESCAPE, "role": "viewer"},
        headers=_headers(registry, Role.ADMIN, "root"),
    )
    assert answer.status_code == 422 and "\x1b" not in answer.text
