"""Attack: on macOS and Windows (no ``/etc/machine-id``) the machine id a report carries was the
sha256 of the host name, and the host name is what every viewer of the fleet reads next to the
record. A requester token (the agent's, shared by the fleet) with a viewer's sight then named any
Mac or Windows machine's id and replaced its record with an empty one: its servers, an
unapproved one among them, were gone from the fleet view and every report, until 2026-12-05.

Now the id is the sha256 of what only that machine has: its platform id (the Windows
MachineGuid, the Mac's IOPlatformUUID), else a random id kept owner-only in the data folder,
never of a name the report itself carries."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import httpx
import pytest

from mcpward.registry import ObservedServer, Registry, Role, _remote


def _without_os_id_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MCPWARD_MACHINE_ID", raising=False)
    monkeypatch.setattr(_remote, "_OS_ID_FILES", (tmp_path / "absent-machine-id",))
    monkeypatch.setattr(_remote, "_platform_id", lambda: None)


def test_a_viewer_cannot_compute_a_machines_id_from_its_host_name(
    registry: Registry, live_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _without_os_id_files(monkeypatch, tmp_path)
    agent = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    viewer = registry.create_token("auditor", Role.VIEWER, "setup")
    shadow = ObservedServer(
        host="cursor", name="shadow-it", kind="remote", package="https://shadow.example.com/mcp"
    )
    victim = _remote.inventory([], "/Users/alice").model_copy(update={"servers": (shadow,)})
    assert _remote.report_inventory(live_server, victim, token=agent) == 1
    headers = {"Authorization": f"Bearer {viewer}"}
    hostname = httpx.get(f"{live_server}/api/fleet/machines", headers=headers).json()[0]["hostname"]
    # Mallory, holding the agent token and a viewer's sight, names the victim's id from its host name.
    guessed = hashlib.sha256(hostname.encode()).hexdigest()
    forged = victim.model_copy(update={"machine_id": guessed, "servers": ()})
    assert _remote.report_inventory(live_server, forged, token=agent) == 0
    servers = httpx.get(f"{live_server}/api/fleet/servers", headers=headers).json()
    assert [row["server"]["name"] for row in servers] == ["shadow-it"]  # was []: the record replaced
    assert victim.machine_id != hashlib.sha256(socket.gethostname().encode()).hexdigest()


def test_the_kept_id_is_stable_random_and_owner_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _without_os_id_files(monkeypatch, tmp_path)
    first, again = _remote.machine_id(), _remote.machine_id()
    assert first == again and len(first) == 64
    kept = next(Path(p) for p in _remote.kept_machine_id_paths() if Path(p).exists())
    assert kept.stat().st_mode & 0o077 == 0
    kept.unlink()
    assert _remote.machine_id() != first  # random, not derived from anything a report says


def test_the_platform_id_comes_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _without_os_id_files(monkeypatch, tmp_path)
    monkeypatch.setattr(_remote, "_platform_id", lambda: "4C4C4544-0042-3510-8051-B7C04F4A4E32")
    assert _remote.machine_id() == hashlib.sha256(b"4C4C4544-0042-3510-8051-B7C04F4A4E32").hexdigest()
