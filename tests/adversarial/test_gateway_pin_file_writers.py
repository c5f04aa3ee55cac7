"""The pin file has several writers: one ``gateway run`` per stdio server (each client app starts
its own) and ``mcpward pins approve``. Each read the file, changed its part and wrote the whole
file back under a lock that only held within its own process, so a write made between another
writer's read and its write was lost: a server's pins (pinned again on first use, trusting the
server anew), a change waiting for review (the reviewer told nothing waits), or an approval the
reviewer was told had been made. Processes writing at once now all keep what they wrote."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from mcpward.gateway import approve_pins
from mcpward.gateway._interceptors.pins import PinFile
from mcpward.inspect import PinStore

ROUNDS = 40


def _writer(path: str, number: int) -> None:
    pins = PinFile(Path(path))
    for round_ in range(ROUNDS):
        pin = {"sha256": f"{number:02d}{round_:062d}", "canonical": "{}"}
        pins.pin_first(f"server-{number}", {"tool:a": pin})
        pins.hold(f"server-{number}", {f"tool:b{round_}": pin})


def _approver(path: str) -> None:
    for round_ in range(ROUNDS):
        PinFile(Path(path)).hold("reviewed", {f"tool:t{round_}": {"sha256": "f" * 64, "canonical": "{}"}})
        approve_pins(Path(path), "reviewed", [f"t{round_}"])


def test_gateways_and_an_approval_writing_the_pin_file_at_once_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "pins.json")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(path, n)) for n in range(3)]
    workers.append(context.Process(target=_approver, args=(path,)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    store = PinStore(Path(path))
    for number in range(3):
        assert set(store.data[f"server-{number}"]) == {"tool:a"}
        assert set(store.pending[f"server-{number}"]) == {
            f"tool:b{ROUNDS - 1}"
        }  # each wait replaces the last
    assert set(store.data["reviewed"]) == {f"tool:t{round_}" for round_ in range(ROUNDS)}
