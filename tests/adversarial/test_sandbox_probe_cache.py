"""The container engines' probe is kept in the user's cache folder (it ran a container and
``engine info`` at every sandboxed server start, 0.9 s with Podman). The kept file is input:
whoever can write it must not be able to add a flag to the container's command line or make a
probe stand for another engine, and a stale one must be made again. Run against the real Podman."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcpward.sandbox._backends import container
from needs import missing


@pytest.fixture
def probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The engine commands each probe runs (the real ones, recorded), with a cache folder of
    this test's own; the in-process memo is cleared around each probe."""
    if shutil.which("podman") is None:
        missing("podman", "podman is not installed")
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    commands: list[list[str]] = []
    real = container._run

    def recorded(argv: list[str], stdin: bytes | None = None) -> Any:
        commands.append(argv)
        return real(argv, stdin)

    monkeypatch.setattr(container, "_run", recorded)
    container._probe.cache_clear()
    yield commands
    container._probe.cache_clear()


def _probe() -> Any:
    container._probe.cache_clear()
    return container._probe("podman", "podman", "{{.Host.CgroupManager}}")


def _ran_a_container(commands: list[list[str]]) -> bool:
    return any(argv[1:2] == ["run"] for argv in commands)


def _kept(tmp_path: Path) -> dict[str, Any]:
    return dict(json.loads((tmp_path / "sandbox" / "engines.json").read_text()))


def _keep(tmp_path: Path, entries: dict[str, Any], mode: int = 0o600) -> None:
    path = tmp_path / "sandbox" / "engines.json"
    path.write_text(json.dumps(entries))
    path.chmod(mode)


def test_a_working_probe_is_kept_and_read_back_without_a_container(
    tmp_path: Path, probes: list[list[str]]
) -> None:
    first = _probe()
    if not first.works:
        missing("podman", first.why)
    assert _ran_a_container(probes)
    probes.clear()
    again = _probe()
    assert again == first and not _ran_a_container(probes)
    assert [argv[1:3] for argv in probes] == [["image", "inspect"]]  # the image is still there


def test_a_forged_runtime_never_reaches_the_command_line(tmp_path: Path, probes: list[list[str]]) -> None:
    """The file names a runtime by a name of a fixed table; any other value (a flag, a path to
    a runtime of the writer's) is not read: the engine is probed anew."""
    first = _probe()
    if not first.works:
        missing("podman", first.why)
    (key,) = _kept(tmp_path)
    for forged in ("--privileged", "/tmp/evil-runtime", ["--runtime", "/tmp/evil"], None):
        _keep(tmp_path, {key: {**_kept(tmp_path)[key], "runtime": forged}})
        probes.clear()
        engine = _probe()
        assert _ran_a_container(probes) and engine.runtime in ((), ("--runtime", "runc")), forged


def test_a_file_others_may_write_or_a_stale_one_is_not_read(tmp_path: Path, probes: list[list[str]]) -> None:
    first = _probe()
    if not first.works:
        missing("podman", first.why)
    (key,) = _kept(tmp_path)
    entry = _kept(tmp_path)[key]
    _keep(tmp_path, {key: entry}, mode=0o622)
    probes.clear()
    _probe()
    assert _ran_a_container(probes)  # group- and world-writable: another user may have written it
    _keep(tmp_path, {key: {**entry, "at": time.time() - 2 * 86400}})
    probes.clear()
    _probe()
    assert _ran_a_container(probes)  # a day old
    _keep(tmp_path, {key: {**entry, "at": time.time() + 3600}})
    probes.clear()
    _probe()
    assert _ran_a_container(probes)  # from the future: a clock set back does not keep it forever
    if os.geteuid() == 0:
        _keep(tmp_path, {key: entry})
        os.chown(tmp_path / "sandbox" / "engines.json", 65534, 65534)
        probes.clear()
        _probe()
        assert _ran_a_container(probes)  # another user's file


def test_a_probe_stands_for_its_engine_only(
    tmp_path: Path, probes: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variables that choose which engine the client talks to are part of the key: a
    probe of the local engine is not read for a remote one (or another user's socket)."""
    first = _probe()
    if not first.works:
        missing("podman", first.why)
    monkeypatch.setenv("CONTAINER_HOST", "unix:///run/user/4242/podman/podman.sock")
    probes.clear()
    elsewhere = _probe()
    assert [argv[1:2] for argv in probes][:1] == [["version"]]
    assert not elsewhere.works  # no engine answers there; nothing is kept of a failure
    assert len(_kept(tmp_path)) == 1
