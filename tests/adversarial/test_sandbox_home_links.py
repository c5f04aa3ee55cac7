"""A server's persistent home is the server's to fill, links included; the gateway (root, when
it runs as root) writes one file there before each run with outbound inspection on: its
authority's certificate bundle, at ``~/.mcpward/ca-bundle.pem``. A link planted there by a
server's earlier run must not turn that write into one on a host file of the gateway's
choosing: a new file in a folder of the host's, or a host file overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from needs import sandbox_backend

MCPWARD = [sys.executable, "-m", "mcpward"]


def _run_inspected(tmp_path: Path, server: str) -> subprocess.CompletedProcess[bytes]:
    sandbox_backend("bubblewrap")
    profile = tmp_path / "profile.toml"
    profile.write_text('[network]\nallow = ["api.example.com"]\n[inspect]\ntls = true\n', encoding="utf-8")
    return subprocess.run(
        [*MCPWARD, "sandbox", "run", "--backend", "bubblewrap", "--profile", str(profile), "--server", server,
         "--audit-log", str(tmp_path / "audit.jsonl"), "--", "/bin/true"],
        capture_output=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _home(server: str) -> Path:
    from mcpward.sandbox import server_home

    home = server_home(server)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


def test_a_linked_folder_in_the_home_does_not_take_the_bundle_out(tmp_path: Path) -> None:
    server = f"links-{os.urandom(3).hex()}"
    elsewhere = tmp_path / "host-folder"
    elsewhere.mkdir(mode=0o700)
    (_home(server) / ".mcpward").symlink_to(elsewhere, target_is_directory=True)
    ran = _run_inspected(tmp_path, server)
    assert ran.returncode == 0, ran.stderr.decode()[-2000:]
    assert list(elsewhere.iterdir()) == [], "the gateway wrote into a host folder a server linked"


def test_a_linked_bundle_does_not_overwrite_a_host_file(tmp_path: Path) -> None:
    server = f"links-{os.urandom(3).hex()}"
    precious = tmp_path / "precious.conf"
    precious.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    folder = _home(server) / ".mcpward"
    folder.mkdir()
    (folder / "ca-bundle.pem").symlink_to(precious)
    ran = _run_inspected(tmp_path, server)
    assert ran.returncode == 0, ran.stderr.decode()[-2000:]
    assert precious.read_text(encoding="utf-8") == "root:x:0:0:root:/root:/bin/bash\n", (
        "a host file was overwritten"
    )


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_something_else_at_the_bundles_folder_is_replaced_not_followed(tmp_path: Path, kind: str) -> None:
    """Not a folder where the folder goes: the run still works, with its bundle."""
    server = f"links-{os.urandom(3).hex()}"
    spot = _home(server) / ".mcpward"
    if kind == "file":
        spot.write_text("x", encoding="utf-8")
    else:
        os.mkfifo(spot)
    ran = _run_inspected(tmp_path, server)
    assert ran.returncode == 0, ran.stderr.decode()[-2000:]


def test_a_linked_folder_on_the_way_to_a_mount_in_the_home_is_not_followed(tmp_path: Path) -> None:
    """Run by root, the folders a mount inside the home needs are made passable (0755) for the
    sandbox's uid: a link a server left at one of them must be replaced, not followed (root
    would open a host folder to every user)."""
    if os.geteuid() != 0:
        pytest.skip("the folders are made passable only when the server runs as the sandbox's uid")
    sandbox_backend("bubblewrap")
    server = f"links-{os.urandom(3).hex()}"
    user_home = tmp_path / "user-home"
    data = user_home / "project" / "data"
    data.mkdir(parents=True)
    secret_folder = tmp_path / "root-only"
    secret_folder.mkdir(mode=0o700)
    secret_folder.chmod(0o700)
    (_home(server) / "project").symlink_to(secret_folder, target_is_directory=True)
    profile = tmp_path / "profile.toml"
    profile.write_text(f'[files]\nread = ["{data}"]\n', encoding="utf-8")
    ran = subprocess.run(
        [*MCPWARD, "sandbox", "run", "--backend", "bubblewrap", "--profile", str(profile), "--server", server,
         "--audit-log", str(tmp_path / "audit.jsonl"), "--", "/bin/true"],
        capture_output=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(user_home)},
    )  # fmt: skip
    assert secret_folder.stat().st_mode & 0o777 == 0o700, "a host folder a server linked was opened"
    assert ran.returncode == 0, ran.stderr.decode()[-2000:]
