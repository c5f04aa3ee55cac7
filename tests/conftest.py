from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# The SDK's stdio_client binds sys.stderr as its default errlog when first imported: first
# imported inside a CliRunner call (a command that fetches a server), it kept that runner's
# stream, which has no fileno, and every later test in the process that started a server failed.
import mcp.client.stdio  # noqa: F401
import pytest
from typer.testing import CliRunner

from mcpward.cli import app
from mcpward.model import Report
from mcpward.scan import ScanOptions, TargetOS, run_scan
from needs import missing, sandbox_backend


class CliResult:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture(params=["bubblewrap", "landlock"])
def look_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backend ``inspect --scan --run`` chooses: each unprivileged one that works here, in
    turn (the attacks on a sandboxed look share it)."""
    import mcpward.sandbox

    chosen = sandbox_backend(request.param)
    monkeypatch.setattr(mcpward.sandbox, "backends", lambda: [chosen])
    return str(request.param)


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
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(cache_dir_sharing_compiled(tmp_path_factory)))


def cache_dir_sharing_compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new cache folder whose compiled Hyperscan databases and container engines' probes are
    kept across the run (a folder per worker), as they are across a user's runs: keyed by the
    hash of what decides them, they hold nothing of a test, and making them afresh cost every
    gateway process 2 s of CPU and every container sandbox run 0.9 s. The tests of these
    caches give them a folder of their own."""
    cache = tmp_path_factory.mktemp("cache")
    for folder in ("hyperscan", "sandbox", "patterns"):
        shared = tmp_path_factory.getbasetemp() / f"{folder}-shared"
        shared.mkdir(exist_ok=True)
        (cache / folder).symlink_to(shared, target_is_directory=True)
    return cache


def scan_home(home: Path, target: TargetOS = TargetOS.LINUX, root: Path | None = None, **kw: Any) -> Report:
    return run_scan(ScanOptions(home=home, target_os=target, root=root, **kw))


def servers_by_name(report: Report) -> dict[str, Any]:
    return {s.name: s for s in report.servers}


def rules_for(report: Report, server: str) -> set[str]:
    return {f.rule for f in report.findings if f.server == server}


@pytest.fixture(scope="session")
def postgres_url() -> Any:
    from postgres_server import postgres_server

    with postgres_server() as url:
        yield url


_database_counter = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each registry test runs on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return _fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture
def postgres_database(postgres_url: str | None) -> str:
    """A new, empty database on the real PostgreSQL server (what gateway replicas share)."""
    return _fresh_postgres(postgres_url)


def _fresh_postgres(server: str | None) -> str:
    import os

    if server is None:
        missing(
            "postgres", "no server could be started (install postgresql, or set MCPWARD_TEST_POSTGRES_URL)"
        )
    from postgres_server import fresh_database

    return fresh_database(server, f"mcpward_test_{os.getpid()}_{next(_database_counter)}")


@pytest.fixture
def sqlite_registry(tmp_path: Path) -> Any:
    """A registry on SQLite alone, for attacks on what SQLite stores loosely (dates as text, any
    type in any column) that PostgreSQL's column types refuse."""
    from mcpward.registry import Registry

    opened = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    yield opened
    opened.database.dispose()


@pytest.fixture
def registry(database_url: str) -> Any:
    from mcpward.registry import Registry

    opened = Registry.open(database_url)
    yield opened
    opened.database.dispose()


@pytest.fixture
def live_server(registry: Any) -> Any:
    """``mcpward registry serve``'s application on a loopback port, in a thread."""
    import threading
    import time

    import uvicorn

    from loopback import free_port
    from mcpward.registry.web import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(registry), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the registry server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


MEMORY_SERVER_PACKAGE = (
    Path(__file__).resolve().parents[1]
    / ".cache"
    / "npm-servers"
    / "node_modules"
    / "@modelcontextprotocol"
    / "server-memory"
)


@pytest.fixture
def npx_cache() -> Path:
    """An npm cache holding @modelcontextprotocol/server-memory as npx installs it (.ci/run
    fills it), so that ``npx -y`` runs the real package offline."""

    cache = MEMORY_SERVER_PACKAGE.parents[3] / "npx-cache"
    if not (cache / "_cacache").is_dir() or not (cache / "_npx").is_dir():
        missing("npm-server", f"the npx cache {cache} is missing (.ci/run fills it)")
    return cache


@pytest.fixture
def memory_server() -> Path:
    """The real @modelcontextprotocol/server-memory from npm, which .ci/run installs into .cache."""
    import shutil

    node = shutil.which("node")
    if node is None or not (MEMORY_SERVER_PACKAGE / "dist" / "index.js").is_file():
        missing(
            "npm-server",
            "node or the cached @modelcontextprotocol/server-memory is missing (.ci/run installs it)",
        )
    return MEMORY_SERVER_PACKAGE / "dist" / "index.js"


# CI (MCPWARD_NO_SKIPS=1) fails a run in which any test skipped, whatever skipped it: every
# backend and tool the tests use is installed there, so a skip can only hide a defect.
_skipped: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """The package's bytecode written once, before any worker starts. Where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on this project's CI machines) no process writes it,
    and each of the suite's 1,200 mcpward processes compiled from source every module it
    imported (a ``gateway run`` 150 ms of its 540 of CPU). Stale files are rewritten."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        import compileall
        import re

        import mcpward

        compileall.compile_dir(Path(mcpward.__file__).parent, quiet=1)
        # The tests' own helpers (servers, kits) likewise; the test modules are pytest's below.
        compileall.compile_dir(
            Path(__file__).parent, quiet=1, rx=re.compile(r"(^|/)(test_[^/]*|conftest)\.py$")
        )
        _rewrite_test_modules(config)


def _rewrite_test_modules(config: pytest.Config) -> None:
    """The test modules with their asserts rewritten, written once for every worker. pytest
    rewrites a test module's asserts at its import and keeps the result beside it, but not where
    ``PYTHONDONTWRITEBYTECODE`` is set: there every worker rewrote all 570 modules itself (5 s
    of CPU each). pytest reads a kept one all the same, so the controller writes them first,
    split over the cores. Through pytest's private functions: if they moved, nothing is written
    and each worker rewrites as before."""
    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
        patterns = config.getini("python_files")
        for name in ("_rewrite_test", "_write_pyc", "_read_pyc", "PYC_TAIL", "get_cache_dir", "try_makedirs"):
            getattr(rewrite, name)
    except (ImportError, AttributeError, KeyError):  # --assert=plain, or another pytest
        return
    from _pytest.pathlib import fnmatch_ex

    sources = sorted(
        source
        for source in Path(__file__).parent.rglob("*.py")
        if source.name == "conftest.py" or any(fnmatch_ex(pattern, source) for pattern in patterns)
    )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    children = []
    for share in range(1, cores):  # the other shares in children (forked: no worker runs yet)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _rewrite_share(sources[share::cores], config, state)
            except BaseException:  # noqa: BLE001 - the worker rewrites what is missing
                code = 1
            os._exit(code)
        children.append(pid)
    try:
        _rewrite_share(sources[0::cores], config, state)
    finally:
        for pid in children:
            os.waitpid(pid, 0)


def _rewrite_share(sources: list[Path], config: pytest.Config, state: Any) -> None:
    from _pytest.assertion import rewrite

    for source in sources:
        folder = rewrite.get_cache_dir(source)
        kept = folder / (source.name[:-3] + rewrite.PYC_TAIL)
        if rewrite._read_pyc(source, kept) is None and rewrite.try_makedirs(folder):
            source_hash, code = rewrite._rewrite_test(source, config)
            rewrite._write_pyc(state, code, source_hash, kept)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores this process may use. A sixth of the suite's
    time is spent waiting (servers and container engines starting, deadlines running out) with
    a core idle; on 2 cores a third worker took the suite from 862 to 761 s (2026-12-05)."""
    return len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) + 1


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import os

    if os.environ.get("MCPWARD_NO_SKIPS") == "1" and _skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    import os

    if os.environ.get("MCPWARD_NO_SKIPS") == "1" and _skipped:
        terminalreporter.write_line(
            f"MCPWARD_NO_SKIPS=1: {len(_skipped)} test(s) skipped, which fails this run:", red=True
        )
        for nodeid in _skipped:
            terminalreporter.write_line(f"  {nodeid}")


@pytest.fixture(scope="module")
def idp() -> Any:
    """An identity provider on loopback signing with one RSA key (``rsa-1``), for a module's
    tests (a file that needs another defines its own ``idp``)."""
    from oauth_kit import issuers_serving

    with issuers_serving("rsa-1") as (server,):
        yield server
