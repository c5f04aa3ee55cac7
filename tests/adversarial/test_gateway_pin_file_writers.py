"""The pin file has several writers: one ``gateway run`` per stdio server (each client app starts
its own) and ``mcpward pins approve``. Each read the file, changed its part and wrote the whole
file back under a lock that only held within its own process, so a write made between another
writer's read and its write was lost: a server's pins (pinned again on first use, trusting the
server anew), a change waiting for review (the reviewer told nothing waits), or an approval the
reviewer was told had been made. ``inspect --pin`` wrote the whole store it had read before
fetching its servers (seconds earlier). Processes writing at once now all keep what they wrote."""

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


def _inspector(path: str, tools_file: str) -> None:
    from mcpward.inspect import InspectOptions, run_inspect

    for _ in range(ROUNDS // 4):
        run_inspect(InspectOptions(tools_files=(Path(tools_file),), pin=True, pin_store=Path(path)))


def test_gateways_and_an_approval_writing_the_pin_file_at_once_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "pins.json")
    tools_file = tmp_path / "inspected.json"
    tools_file.write_text('{"tools": [{"name": "look", "description": "Look a word up."}]}', encoding="utf-8")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(path, n)) for n in range(3)]
    workers.append(context.Process(target=_approver, args=(path,)))
    workers.append(context.Process(target=_inspector, args=(path, str(tools_file))))
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
    assert "tool:look" in store.data["inspected"]
