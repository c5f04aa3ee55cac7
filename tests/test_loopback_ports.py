"""The test kit's free ports: never one the kernel may hand another process by itself, and
never one another worker of the run is given (two servers of two tests once got one port)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from loopback import free_port

TESTS = Path(__file__).parent


def _kernel_lowest() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_ports_are_below_the_kernels_own_and_never_handed_out_twice() -> None:
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    if os.path.exists("/proc/sys/net/ipv4/ip_local_port_range"):
        assert max(ports) < _kernel_lowest()


def test_two_workers_walk_bands_of_their_own() -> None:
    def ports_of(worker: str) -> set[int]:
        code = "from loopback import free_port; print(*[free_port() for _ in range(300)])"
        env = {**os.environ, "PYTEST_XDIST_WORKER": worker, "PYTHONPATH": str(TESTS)}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return set(map(int, done.stdout.split()))

    first, second = ports_of("gw0"), ports_of("gw1")
    assert len(first) == len(second) == 300 and not first & second
