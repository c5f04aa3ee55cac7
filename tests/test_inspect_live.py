"""inspect against real MCP servers (the official SDK on both sides), over stdio and
streamable HTTP on loopback; servers that hang, crash or answer garbage."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback import free_port
from mcpward.inspect import InspectOptions, ServerTarget, run_inspect
from mcpward.inspect._fetch import expand

SERVER = Path(__file__).parent / "servers" / "mcp_test_server.py"


def stdio_target(name: str, *args: str) -> ServerTarget:
    return ServerTarget(name, "stdio", command=sys.executable, args=(str(SERVER), "stdio", *args))


def test_stdio_server_is_inspected_and_its_poisoned_tool_found(tmp_path: Path) -> None:
    report = run_inspect(
        InspectOptions(
            servers=(stdio_target("weather", "--poisoned"),),
            timeout=60,
            pin_store=tmp_path / "pins.json",
            pin=True,
        )
    )
    assert report.errors == ()
    flagged = {(f.tool, f.rule) for f in report.findings}
    assert {
        ("get_forecast", "instruction-marker"),
        ("get_forecast", "secret-file"),
        ("get_forecast", "conceal-from-user"),
    } <= flagged
    assert not [f for f in report.findings if f.tool == "get_weather"]
    assert "weather (5 items)" in report.subject  # instructions, two tools, a prompt, a resource


@pytest.fixture
def http_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "http", str(port), "--poisoned"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_streamable_http_server_on_loopback(http_server: str, tmp_path: Path) -> None:
    target = ServerTarget(
        "weather-http", "http", url=http_server, headers={"Authorization": "Bearer test-token"}
    )
    report = run_inspect(InspectOptions(servers=(target,), timeout=60, pin_store=tmp_path / "pins.json"))
    assert report.errors == ()
    assert ("get_forecast", "instruction-marker") in {(f.tool, f.rule) for f in report.findings}


def test_a_refused_token_and_a_missing_program_are_said_as_such(tmp_path: Path) -> None:
    # A 401 read "MCPError: Server returned an error response"; a program that is not installed
    # "FileNotFoundError: [Errno 2] No such file or directory: 'uvx'".
    ports = [free_port(), free_port()]
    bearer = Path(__file__).parent / "servers" / "bearer_mcp_server.py"
    server = subprocess.Popen(
        [sys.executable, str(bearer), str(ports[0]), str(ports[1]), "the-token"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", ports[1])) == 0:
                    break
            time.sleep(0.1)
        guarded = f"http://127.0.0.1:{ports[1]}/mcp"
        result = subprocess.run(
            [sys.executable, "-m", "mcpward", "inspect", "--url", guarded, "--pins", str(tmp_path / "pins.json"),
             "--format", "json"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        errors = {e["path"]: e["message"] for e in json.loads(result.stdout)["errors"]}
        assert errors[guarded].startswith("the server answered HTTP 401 ("), errors
        gone = ServerTarget("gone", "stdio", command="mcpward-no-such-program", args=("x",))
        report = run_inspect(InspectOptions(servers=(gone,), timeout=60, pin_store=tmp_path / "pins.json"))
        assert [e.message for e in report.errors] == [
            "cannot start mcpward-no-such-program: No such file or directory"
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_broken_servers_are_errors_and_the_others_still_inspected(tmp_path: Path) -> None:
    hang = ServerTarget("hang", "stdio", command=sys.executable, args=("-c", "import time; time.sleep(60)"))
    crash = ServerTarget("crash", "stdio", command=sys.executable, args=("-c", "import sys; sys.exit(3)"))
    garbage = ServerTarget(
        "garbage",
        "stdio",
        command=sys.executable,
        args=("-c", "print('{not json'); print('\\x00' * 10); import time; time.sleep(60)"),
    )
    missing = ServerTarget("missing", "stdio", command="/nonexistent/mcp-server")
    nowhere = ServerTarget("nowhere", "http", url="http://127.0.0.1:9/mcp")
    started = time.monotonic()
    report = run_inspect(
        InspectOptions(
            servers=(hang, crash, garbage, missing, nowhere, stdio_target("good")),
            timeout=5,
            pin_store=tmp_path / "pins.json",
        )
    )
    assert time.monotonic() - started < 45
    failed = {e.host for e in report.errors}
    assert failed == {"hang", "crash", "garbage", "missing", "nowhere"}
    assert "good (4 items)" in report.subject
    hang_error = next(e for e in report.errors if e.host == "hang")
    assert "no complete answer within 5 s" in hang_error.message


def flood_target(name: str, depth: int) -> ServerTarget:
    flood = Path(__file__).parent / "servers" / "flood_server.py"
    return ServerTarget(name, "stdio", command=sys.executable, args=(str(flood), "3", "1500", str(depth)))


def test_a_flooding_server_is_read_within_bounds_and_its_hidden_tail_reported(tmp_path: Path) -> None:
    report = run_inspect(
        InspectOptions(
            servers=(flood_target("flood", 40), stdio_target("good")),
            timeout=60,
            pin_store=tmp_path / "pins.json",
        )
    )
    assert report.errors == ()
    assert "flood (4502 items)" in report.subject and "good (4 items)" in report.subject
    rules = {(f.tool, f.rule) for f in report.findings}
    # The 3 MB description's instruction sits past the first million characters: not read,
    # and said so, never silently dropped.
    assert ("huge_description", "long-description") in rules
    unread = {f.tool: f.evidence or "" for f in report.findings if f.rule == "not-fully-read"}
    assert unread.keys() == {"huge_description", "deep_schema"}
    assert "past the first 1,000,000" in unread["huge_description"]
    assert "nested deeper than 32 levels" in unread["deep_schema"]
    assert not any((tool or "").startswith("lookup_") for tool, _ in rules)  # 4,500 plain tools: none


def test_an_answer_the_client_cannot_read_is_an_error_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    report = run_inspect(
        InspectOptions(
            servers=(flood_target("too-deep", 120), stdio_target("good")),
            timeout=60,
            pin_store=tmp_path / "pins.json",
        )
    )
    assert time.monotonic() - started < 30  # not the 60 s deadline
    (error,) = report.errors
    # The SDK refuses the whole page for the one tool: it is set aside for it, and the others
    # are read (tests/adversarial/test_inspect_unreadable_items.py).
    assert error.host == "too-deep" and "cannot read (the first: tool 'deep_schema'" in error.message
    assert "nested too deeply" in error.message
    assert "good (4 items)" in report.subject and "too-deep (4502 items)" in report.subject
    assert [f.tool for f in report.findings if f.rule == "unreadable-item"] == ["deep_schema"]


def test_sdk_tracebacks_are_not_printed(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; "
        "from mcpward.inspect import InspectOptions, run_inspect; "
        "from test_inspect_live import flood_target; "
        "r = run_inspect(InspectOptions(servers=(flood_target('too-deep', 120),), timeout=60, "
        f"pin_store=Path({str(tmp_path / 'p.json')!r}))); print(r.errors[0].message)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent,
        check=True,
    )
    assert "cannot read" in done.stdout
    assert "Traceback" not in done.stderr and "Failed to parse" not in done.stderr


def test_expanding_references_from_the_environment() -> None:
    environ = {"TOKEN": "abc", "HOST": "mcp.example.com"}
    assert expand("Bearer ${TOKEN}", environ) == "Bearer abc"
    assert expand("Bearer ${env:TOKEN}", environ) == "Bearer abc"
    assert expand("https://{env:HOST}/mcp", environ) == "https://mcp.example.com/mcp"
    assert expand("$TOKEN", environ) == "abc"
    assert expand("Bearer ${MISSING}", environ) is None
    assert expand("Bearer ${input:token}", environ) is None
    assert expand("plain", environ) == "plain"


def test_cli_asks_nothing_without_a_source(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("inspect")
    assert result.exit_code == 2 and "nothing to inspect" in result.stderr
    missing = cli("inspect", "--url", "http://127.0.0.1:9/mcp", "--bearer-env", "MCPWARD_NO_SUCH_VAR")
    assert missing.exit_code == 2 and "is not set" in missing.stderr
