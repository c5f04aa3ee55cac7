"""Throughput of the DLP engine on text dense with personal data and on plain prose, against
the floor of one pass of Python's ``re`` (a single simple expression for the same kinds of
data, no validation) and detect-secrets where it can be imported.

    python bench/dlp_dense.py [--sizes 1 10 50] [--python] [--detect-secrets PY]

Dense text is log lines of a few words and one piece of personal data each (e-mail
addresses, phone numbers, IBANs, card-like numbers, IP addresses, social security numbers),
about one every 35 bytes; plain text is prose with none. ``--python`` adds the engine without
Hyperscan (slow: one search of the whole text per rule that fired). ``--detect-secrets PY``
runs detect-secrets (all plugins, default settings, line by line as it scans files) in the
Python ``PY`` whose environment has it, on the same text, timed inside that process.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import platform
import random
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mcpward.dlp._engine import Engine

MB = 1 << 20
_WORDS = [
    "user",
    "login",
    "from",
    "host",
    "status",
    "ok",
    "retry",
    "later",
    "order",
    "shipped",
    "to",
    "account",
    "ticket",
    "closed",
    "by",
    "agent",
    "note",
]
_PROSE = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "models",
    "read",
    "what",
    "servers",
    "say",
    "about",
    "their",
    "tools",
    "and",
    "the",
    "gateway",
    "forwards",
    "each",
    "message",
    "after",
    "the",
    "policy",
    "is",
    "checked",
]


def dense_text(size: int, seed: int = 5) -> str:
    """``size`` characters of log lines dense with personal data."""
    rng = random.Random(seed)
    pieces: list[str] = []
    total = 0
    while total < size:
        kind = rng.randrange(8)
        if kind == 0:
            item = f"{rng.choice(_WORDS)}.{rng.randrange(10**4)}@mail{rng.randrange(100)}.example.org"
        elif kind == 1:
            item = f"+44 20 {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}"
        elif kind == 2:
            item = "GB82 WEST 1234 5698 7654 32"
        elif kind == 3:
            item = rng.choice(["4539 1488 0343 6467", "4539 1488 0343 6468", "5500-0000-0000-0004"])
        elif kind == 4:
            item = (
                f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            )
        elif kind == 5:
            item = f"({rng.randrange(200, 999)}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}"
        elif kind == 6:
            item = f"fe80:{rng.randrange(65536):x}::{rng.randrange(65536):x}:{rng.randrange(65536):x}"
        else:
            item = f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(1, 6))) + " " + item
        line += "\n" if rng.randrange(4) == 0 else " "
        pieces.append(line)
        total += len(line)
    return "".join(pieces)[:size]


def plain_text(size: int, seed: int = 5) -> str:
    rng = random.Random(seed)
    words = [rng.choice(_PROSE) for _ in range(size // 4)]
    text = " ".join(words)
    while len(text) < size:
        text += " " + text
    return text[:size]


#: The floor: one pass of one simple expression for addresses, numbers and IPs, nothing checked.
_FLOOR = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|\+?\d[\d ().-]{6,}\d|[A-Z]{2}\d\d[ A-Z0-9]{11,30}")


def _timed(scan: Callable[[str], int], text: str) -> tuple[float, int]:
    """CPU seconds of this process (the machine may be shared: wall time would count the
    others' work too), and what the scanner found."""
    started = time.process_time()
    found = scan(text)
    return time.process_time() - started, found


def _detect_secrets() -> Callable[[str], int] | None:
    if importlib.util.find_spec("detect_secrets") is None:
        return None
    from detect_secrets.core.scan import scan_line  # type: ignore[import-not-found]
    from detect_secrets.settings import default_settings  # type: ignore[import-not-found]

    def scan(text: str) -> int:
        with default_settings():
            return sum(1 for line in text.splitlines() for _ in scan_line(line))

    return scan


_DETECT_SECRETS_CHILD = """
import sys, time
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings
text = open(sys.argv[1], encoding="utf-8").read()
started = time.process_time()
with default_settings():
    found = sum(1 for line in text.splitlines() for _ in scan_line(line))
print(time.process_time() - started, found)
"""


def _detect_secrets_in(python: str) -> Callable[[str], tuple[float, int]]:
    """detect-secrets in another interpreter: (its CPU seconds, its reports) for a text."""

    def scan(text: str) -> tuple[float, int]:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "text.txt"
            path.write_text(text, encoding="utf-8")
            done = subprocess.run(
                [python, "-c", _DETECT_SECRETS_CHILD, str(path)], capture_output=True, text=True, check=True
            )
        seconds, found = done.stdout.split()
        return float(seconds), int(found)

    return scan


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50], help="megabytes")
    parser.add_argument("--python", action="store_true", help="also the engine without Hyperscan")
    parser.add_argument(
        "--detect-secrets", metavar="PY", help="a Python whose environment has detect-secrets"
    )
    args = parser.parse_args()
    native = Engine()
    native.scan("warm up: bob@example.org")
    scanners: dict[str, Callable[[str], int]] = {
        "mcpward (Hyperscan)": lambda text: len(native.scan(text)),
        "one re pass (floor)": lambda text: sum(1 for _ in _FLOOR.finditer(text)),
    }
    if args.python:
        pure = Engine(use_hyperscan=False)
        scanners["mcpward (pure Python)"] = lambda text: len(pure.scan(text))
    detect_secrets = _detect_secrets()
    if detect_secrets is not None:
        scanners["detect-secrets"] = detect_secrets
    elsewhere = {"detect-secrets": _detect_secrets_in(args.detect_secrets)} if args.detect_secrets else {}
    print(
        f"{datetime.date.today()}, {platform.python_version()}, {platform.machine()}, native={native.native}"
    )
    if detect_secrets is None and not elsewhere:
        print("detect-secrets: not importable in this environment and no --detect-secrets (not measured)")
    print("| text | size | scanner | CPU seconds | MB/s | matches |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind, make in (("dense", dense_text), ("plain", plain_text)):
        for size in args.sizes:
            text = make(size * MB)
            for name, scan in scanners.items():
                seconds, found = _timed(scan, text)
                print(
                    f"| {kind} | {size} MB | {name} | {seconds:.2f} | {size / seconds:.1f} | {found} |",
                    flush=True,
                )
            for name, measure in elsewhere.items():
                seconds, found = measure(text)
                print(
                    f"| {kind} | {size} MB | {name} | {seconds:.2f} | {size / seconds:.1f} | {found} |",
                    flush=True,
                )
            del text


if __name__ == "__main__":
    main()
