"""Control groups that hold a sandboxed server to its profile's process and memory limits
(cgroup v1, as root): rlimits on process counts do not bind root, and address-space limits
break JavaScript engines. Everything the server starts stays in them, so what it leaves running
is found and ended, and a limit it ran into is reported."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mcpward.sandbox.interface import Profile

_BASE = Path("/sys/fs/cgroup")
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class ControlGroups:
    """The groups of one sandboxed run (none where the machine does not let us make them)."""

    groups: tuple[Path, ...] = field(default=())

    @classmethod
    def made(cls, profile: Profile, name: str) -> ControlGroups:
        """Groups with the profile's limits, where the machine lets us (root, cgroup v1 pids and
        memory controllers)."""
        if os.geteuid() != 0 or not (_BASE / "pids").is_dir():
            return cls()
        groups = []
        for controller, setting, value in (
            ("pids", "pids.max", str(profile.limits.processes)),
            ("memory", "memory.limit_in_bytes", str(profile.limits.memory_mb * 1024 * 1024)),
        ):
            group = _BASE / controller / name
            try:
                group.mkdir(exist_ok=True)
                (group / setting).write_text(value)
            except OSError:
                continue
            groups.append(group)
        return cls(tuple(groups))

    def entry(self) -> Callable[[], None]:
        """What the child runs before exec: it joins the groups (so everything it starts stays
        in them) and is ended if we are killed outright (a container engine's client would
        otherwise keep its container running; bubblewrap dies with its parent)."""
        libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
        groups = self.groups

        def enter() -> None:
            for group in groups:
                (group / "cgroup.procs").write_text(str(os.getpid()))
            if libc is not None:
                libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

        return enter

    def limits_hit(self) -> dict[str, int]:
        """How often the groups refused a process or memory: a fork bomb, a memory hog."""
        hits = {}
        for group in self.groups:
            counter, name = (
                ("pids.events", "processes") if group.parent.name == "pids" else ("memory.failcnt", "memory")
            )
            try:
                text = (group / counter).read_text()
            except OSError:
                continue
            value = text.split()[-1] if text.split() else "0"
            if value.isdigit() and int(value) > 0:
                hits[name] = int(value)
            elif name == "processes" and _reached(group):
                hits[name] = 1
        return hits

    def kill_leftovers(self, pid: int | None) -> None:
        """Whatever the server left running (a backend without a pid namespace does not end
        them): its process group, and every process still in the groups."""
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        for group in self._within():
            try:
                pids = (group / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for text in pids:
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(text), signal.SIGKILL)

    def remove(self) -> None:
        """The groups, once the kernel has reaped what was in them (the pid namespace's
        processes die with its first process, a moment after it)."""
        deadline = time.monotonic() + 5
        for group in self._within():
            while True:
                try:
                    group.rmdir()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)

    def _within(self) -> list[Path]:
        """The groups and the groups made inside them (a container engine's), innermost first."""
        return [Path(folder) for group in self.groups for folder, _, _ in os.walk(group, topdown=False)]


def _reached(group: Path) -> bool:
    """Whether the group's process count ever reached its maximum. A refused fork is counted
    in the group of the process that asked (cgroup v1), and a container engine's group inside
    ours is gone by now; the peak stays with ours."""
    try:
        peak, most = (group / "pids.peak").read_text().strip(), (group / "pids.max").read_text().strip()
    except OSError:
        return False
    return peak.isdigit() and most.isdigit() and int(peak) >= int(most)
