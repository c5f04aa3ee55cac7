"""A hostile server answers with one tool result of log text dense with personal data: the
engine must scan it in time proportional to its size, with bounded memory, or one answer
stalls the gateway (50 MB once did not finish in 500 s: overlaps were resolved pairwise).

Each size is scanned in a child process, so its wall time and peak memory are its own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mcpward._multimatch import MultiMatcher
from mcpward.dlp._engine import Engine, builtin_rules
from mcpward.dlp.scanning import default_engine

#: The text is made in the child: the dense log text of the DLP benchmark.
_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from dlp_dense import dense_text
from mcpward.dlp.scanning import default_engine

engine = default_engine()
engine.scan("warm up: bob@example.org")
size = int(sys.argv[1])
unit = dense_text(min(size, 1 << 20), 5)  # a megabyte made once, repeated (making 50 took 5 s)
text = (unit * (size // len(unit) + 1))[:size]
started, cpu = time.perf_counter(), time.process_time()
matches = engine.scan(text)
print(json.dumps({
    "elapsed": time.perf_counter() - started,
    "seconds": time.process_time() - cpu,  # CPU time: the machine may be shared
    "matches": len(matches),
    # this program's own peak (KiB): VmHWM belongs to the memory map exec made. ru_maxrss does
    # not: Linux carries the forking process's high-water mark across exec, so inside a test
    # run holding 2.3 GB the child reported 2.3 GB whatever it used itself.
    "peak_kib": next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")),
}))
"""

MB = 1 << 20
BENCH = Path(__file__).resolve().parents[2] / "bench"


def _scan_in_child(size: int, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(size), str(BENCH)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    result["wall"] = time.perf_counter() - started
    return result


def test_fifty_megabytes_of_dense_personal_data_scan_in_seconds_with_bounded_memory() -> None:
    result = _scan_in_child(50 * MB, timeout=360)
    assert result["matches"] > 200_000  # dense: a match every 250 bytes at least
    # 18 s of CPU on the machine of 2026-12-03, 58 to 63 s on the slower VM of 2026-12-05 (10 MB:
    # 11.7 s before that day's decoding of encoded runs, 12.0 s after), 46 s there once the
    # triggers kept their closing look-ahead (README, DLP); 20,000 matches a MB, nine
    # times the density of the logs that once took minutes. Quadratic was 3 s for 4 MB and
    # unbounded past it; that four times the input costs four times as much is the test below.
    assert result["seconds"] < 120, result
    assert result["elapsed"] < 240, result
    # The text (50 MB), its UTF-8 bytes for the native pass (50 MB) and the matches: a bound
    # of a small multiple of the input, not of the matches squared (about 310 MB here).
    assert result["peak_kib"] < 800 * 1024, result


def test_four_times_the_input_costs_about_four_times_the_time() -> None:
    # Four times the text must cost under eight times as much (linear: about four; the
    # pairwise resolution this test was written against cost sixteen times).
    from linear_time import costs_superlinear

    costs = costs_superlinear(
        lambda: _scan_in_child(MB // 2, timeout=120)["seconds"],
        lambda: _scan_in_child(2 * MB, timeout=240)["seconds"],
        factor=8,
        slack=0,
    )
    assert costs is None, costs


# -- every exact pattern is linear on input made to make it backtrack ------------------------


def _hostile_inputs(pattern: str) -> list[str]:
    """Long lines made of the pattern's own pieces: its literals and prefixes repeated, with
    the separators it accepts, then a character that makes the match fail at the end."""
    literals = re.findall(r"[A-Za-z]{3,}", pattern.replace("\\", " "))[:3] or ["curl"]
    pieces = [
        "curl -u ",
        "curl \\\n",
        "\\",
        "a",
        "1",
        "1-",
        "a.",
        "a@",
        "1.",
        "a:",
        "1 ",
        "ab-",
        "=",
        *(literal + " " for literal in literals),
        *(literal for literal in literals),
        *(literal + "_" for literal in literals),
        *(literal + ":" for literal in literals),
    ]
    return [piece * (4000 // len(piece)) + "_!" for piece in pieces] + [
        "".join(pieces) * (4000 // len("".join(pieces))) + "_!"
    ]


def _cost(compiled: re.Pattern[str], text: str) -> float:
    # This thread's CPU time, not the wall clock: a ratio of milliseconds of wall time failed
    # on a loaded machine when the other processes took the core for a time slice.
    started = time.thread_time()
    for _ in compiled.finditer(text):
        pass
    return time.thread_time() - started


@pytest.mark.parametrize("rule", builtin_rules(), ids=lambda rule: rule.id)
def test_exact_pattern_is_linear_on_hostile_input(rule: Any) -> None:
    compiled = re.compile(rule.pattern, re.IGNORECASE if rule.caseless else 0)
    from linear_time import costs_superlinear

    for text in _hostile_inputs(rule.pattern):
        # Linear: four times the input costs about four times as much (quadratic: sixteen;
        # the margin is for a shared machine).
        costs = costs_superlinear(lambda: _cost(compiled, text), lambda: _cost(compiled, text * 4))  # noqa: B023
        assert costs is None, (rule.id, text[:30], costs)


def test_engine_is_linear_on_hostile_input() -> None:
    """The same hostile lines through the whole engine (triggers, windows, keyword search,
    validation): a quarter of a megabyte each, in bounded time, and four times as much text
    costs about four times as much. Keyed values once ran the formats' combined pattern (0.3
    ms each) and overlaps were compared pairwise."""
    from linear_time import costs_superlinear

    engine = default_engine()
    engine.scan("warm up")
    lines = {text for rule in builtin_rules() for text in _hostile_inputs(rule.pattern)}
    slow = []
    for line in sorted(lines):
        small, large = line * 16, line * 64

        def cost(text: str) -> float:
            started = time.thread_time()  # CPU time, as in _cost
            engine.scan(text)
            return time.thread_time() - started

        first = cost(large)
        costs = costs_superlinear(
            lambda: cost(small),  # noqa: B023
            lambda: cost(large),  # noqa: B023
            factor=8,
            slack=0.02,
            first_large=first,
        )
        if costs is not None or first > 1.5:
            slow.append((line[:20], costs))
    assert slow == []


@pytest.mark.parametrize(
    "text",
    [
        "card 45 39 14 88 03 43 64 67 on file",  # a valid card number written in pairs
        "ring +44 7 91 23 45 67 after six",  # no three digits in a row
        "call +49 30 12 34 56 today",
    ],
)
def test_pure_python_triggers_miss_nothing_the_native_ones_find(text: str) -> None:
    """The hand-written triggers (the path without Hyperscan) were "[0-9]{4}" and "[0-9]{3}":
    they fired on every year in prose and missed numbers grouped in twos."""
    native = [(m.rule, m.start, m.end) for m in Engine().scan(text)]
    assert native
    assert [(m.rule, m.start, m.end) for m in Engine(use_hyperscan=False).scan(text)] == native


def test_hand_written_triggers_do_not_fire_on_years_and_counts() -> None:
    prose = b"In 2024 the team shipped 4096 builds, 120 ms at p95, release 4.2 on 2025-06-01."
    rules = builtin_rules()
    written = MultiMatcher([r.trigger for r in rules], [r.caseless for r in rules], use_hyperscan=False)
    assert {rules[i].id for i in written.fired(prose)} & {"credit-card", "phone-number"} == set()
