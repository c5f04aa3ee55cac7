"""The cost of reading a record's host name joined (``masked_host_name``: runs of two to eight
labels read as one word, so that a token cut across labels is masked) over a whole run.

Before (2026-12-06): every record read every run of its name again, about seven reads a label:
a name of 124 one-character labels cost 855 reads (8 ms), and a server that asked for 2,000 such
names (the bridge's DNS reports; as many refused requests, allowed and judged connections again)
held the proxy's loop for 16 s a kind, a minute a run, every other connection of the server
waiting. Now a name of up to nine labels (every ordinary one) is read whole as before; longer
ones draw on a budget of reads for the run (100,000: about a second), and past it such a name
is recorded with every label but its domain masked (``****.****.evil.test``): nothing it could
carry is kept, whatever it cost to read. A name recorded again is read once."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from sandbox_proxy_kit import bridge_reported

import mcpward.sandbox._proxy as proxy_module

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
HEX = TOKEN.encode().hex()


def _hostile(count: int) -> list[str]:
    chosen = random.Random(61206)  # noqa: S311 - the same names each run
    return [
        ".".join(chosen.choice(string.ascii_lowercase) for _ in range(124)) + ".test" for _ in range(count)
    ]


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads = [0]
    real = proxy_module.redact_text

    def counting(text: str) -> str:
        reads[0] += 1
        return real(text)

    monkeypatch.setattr(proxy_module, "redact_text", counting)
    return reads


def test_a_run_of_hostile_names_costs_a_bounded_number_of_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _counted(monkeypatch)
    # A token cut in ten-character labels, after the budget is spent: still masked.
    cut = ".".join(HEX[i : i + 10] for i in range(0, len(HEX), 10)) + ".a.b.c.evil.test"
    names = [*_hostile(1500), cut]
    recorded = [record["host"] for record in bridge_reported(tmp_path, [f"DNS {n}" for n in names], "DNS")]
    assert len(recorded) == len(names)
    assert reads[0] < 150_000, reads  # 1,500 names of 855 reads each: 1.3 million before
    assert HEX[8:24] not in " ".join(recorded)
    assert recorded[-1].endswith(".evil.test") and "****" in recorded[-1], recorded[-1]


def test_ordinary_names_after_a_flood_are_recorded_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ordinary = [
        "api.github.com",
        "my-bucket.s3.us-east-1.amazonaws.com",
        "my-svc.my-namespace.svc.cluster.local",
        "a.b.c.d.e.f.g.example.com",
    ]
    names = [*_hostile(300), *ordinary]
    recorded = [record["host"] for record in bridge_reported(tmp_path, [f"DNS {n}" for n in names], "DNS")]
    assert recorded[-len(ordinary) :] == ordinary
    hostile = zip(names[: -len(ordinary)], recorded[: -len(ordinary)], strict=True)
    # Each hostile name as it was, or, past the run's budget, with its labels masked.
    assert all(host in (name, "****." * 123 + name[-6:]) for name, host in hostile)


def test_a_name_recorded_again_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = _counted(monkeypatch)
    [name] = _hostile(1)
    recorded = [r["host"] for r in bridge_reported(tmp_path, [f"DNS {name}"] * 50, "DNS")]
    assert recorded == [name] * 50
    assert reads[0] < 2 * 1000, reads
