# ruff: noqa: E501  (templates of whole lines of output read better unbroken)
"""Realistic text with no personal data in it, full of numbers that are not telephone, card or
account numbers: what tool results, logs, JSON and code look like. Any personal-data match in
it is a false alarm.

Written for this project (no corpus rows): templates of the kinds of output an MCP server
returns, filled from a seeded random generator so the set is the same on every run. Only
loopback and documentation IP addresses (RFC 5737) and reserved e-mail domains (RFC 2606)
appear, since a real address of either kind is personal data by the engine's definition.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable

_PRODUCTS = ["USB-C cable", "Desk lamp", "Notebook A5", "Espresso beans 1kg", "HDMI adapter", "Monitor arm"]
_SERVICES = ["billing", "auth", "search", "checkout", "inventory", "notifications"]
_LEVELS = ["INFO", "WARN", "DEBUG", "ERROR"]


def _sha(randomness: random.Random, length: int = 40) -> str:
    return hashlib.sha256(randomness.randbytes(16)).hexdigest()[:length]


def _epoch(randomness: random.Random) -> int:
    return randomness.randint(1_600_000_000, 1_800_000_000)


def _iso(randomness: random.Random) -> str:
    return (
        f"{randomness.randint(2019, 2027)}-{randomness.randint(1, 12):02d}-{randomness.randint(1, 28):02d}"
        f"T{randomness.randint(0, 23):02d}:{randomness.randint(0, 59):02d}:{randomness.randint(0, 59):02d}"
        f".{randomness.randint(0, 999):03d}Z"
    )


def _version(randomness: random.Random) -> str:
    return f"{randomness.randint(0, 12)}.{randomness.randint(0, 40)}.{randomness.randint(0, 300)}"


def _price(randomness: random.Random) -> str:
    return f"{randomness.randint(1, 4999)}.{randomness.randint(0, 99):02d}"


def _order_json(r: random.Random) -> str:
    items = [
        {
            "sku": f"SKU-{r.randint(100000, 999999)}",
            "name": r.choice(_PRODUCTS),
            "qty": r.randint(1, 12),
            "unit_price": _price(r),
        }
        for _ in range(r.randint(1, 3))
    ]
    order = {
        "order_id": str(r.randint(10**9, 10**10 - 1)),
        "number": f"{r.randint(100, 999)}-{r.randint(1000000, 9999999)}-{r.randint(1000000, 9999999)}",
        "created_at": _iso(r),
        "created_unix": _epoch(r),
        "currency": r.choice(["EUR", "USD", "GBP"]),
        "total": _price(r),
        "items": items,
        "tracking": f"1Z{r.randint(100, 999)}AA{r.randint(10**9, 10**10 - 1)}",
    }
    return json.dumps(order, indent=r.choice([None, 2]))


def _service_log(r: random.Random) -> str:
    lines = []
    for _ in range(r.randint(3, 8)):
        lines.append(
            f"{_iso(r)} {r.choice(_LEVELS)} [{r.choice(_SERVICES)}] pid={r.randint(100, 99999)} "
            f"req={uuid.UUID(int=r.getrandbits(128))} took {r.randint(1, 9999)} ms "
            f"bytes={r.randint(100, 10**8)} status={r.choice([200, 201, 204, 301, 404, 500, 503])}"
        )
    return "\n".join(lines)


def _git_log(r: random.Random) -> str:
    lines = []
    for _ in range(r.randint(2, 6)):
        lines.append(
            f"commit {_sha(r)}\nDate:   {r.randint(1, 28)} Nov {r.randint(2020, 2026)} "
            f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} +0100\n\n"
            f"    bump dependency to {_version(r)} (#{r.randint(100, 29999)})\n"
        )
    return "\n".join(lines)


def _stack_trace(r: random.Random) -> str:
    frames = "\n".join(
        f'  File "/srv/app/{r.choice(_SERVICES)}/handlers.py", line {r.randint(1, 2400)}, in handle_{r.randint(1, 99)}'
        for _ in range(r.randint(2, 5))
    )
    return f"Traceback (most recent call last):\n{frames}\nTimeoutError: request {r.randint(10**9, 10**10)} exceeded {r.randint(1, 120)} s"


def _package_listing(r: random.Random) -> str:
    names = ["requests", "numpy", "fastapi", "pydantic", "uvicorn", "orjson", "httpx", "rich"]
    return "\n".join(
        f"{name}=={_version(r)} --hash=sha256:{_sha(r, 64)}" for name in r.sample(names, r.randint(2, 5))
    )


def _metrics(r: random.Random) -> str:
    rows = [
        f"{r.choice(_SERVICES):<14} {r.randint(1000, 99999999):>10} {r.randint(100, 999)} {r.randint(1000, 9999)} "
        f"{r.random() * 100:6.2f}%  p99={r.randint(1, 999)}ms"
        for _ in range(r.randint(3, 7))
    ]
    return "service        requests    5xx  4xx  error%\n" + "\n".join(rows)


def _invoice_text(r: random.Random) -> str:
    return (
        f"Invoice INV-{r.randint(2020, 2026)}-{r.randint(100000, 999999)} dated "
        f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(2020, 2026)}\n"
        f"Customer no. {r.randint(10**6, 10**8)}, order {r.randint(10**9, 10**10 - 1)}\n"
        f"Subtotal {_price(r)} EUR, VAT 19 % {_price(r)} EUR, total {r.randint(1, 99)},{r.randint(100, 999)}.{r.randint(10, 99)} EUR\n"
        f"Payment reference {r.randint(1000, 9999)} {r.randint(1000, 9999)} {r.randint(1000, 9999)}"
    )


def _code(r: random.Random) -> str:
    return (
        f"MAX_UPLOAD_BYTES = {r.randint(10**6, 10**10)}\n"
        f"RETRY_DELAYS_MS = [{', '.join(str(r.randint(100, 9999)) for _ in range(4))}]\n"
        f"EPOCH_START = {_epoch(r)}  # {_iso(r)}\n"
        f"def checksum(data: bytes) -> int:\n    return zlib.crc32(data) & 0x{r.getrandbits(32):08x}\n"
        f"assert parse_version('{_version(r)}') < ({r.randint(0, 9)}, {r.randint(0, 9)}, {r.randint(0, 9)})\n"
        f"PRIME = {r.choice([2147483647, 1000000007, 998244353, 4294967291])}"
    )


def _search_results(r: random.Random) -> str:
    hits = [
        {
            "id": r.randint(10**7, 10**11),
            "title": f"Release notes {_version(r)}",
            "score": round(r.random(), 6),
            "updated": _iso(r),
            "isbn": f"978-{r.randint(0, 9)}-{r.randint(100, 999)}-{r.randint(10000, 99999)}-{r.randint(0, 9)}",
            "views": r.randint(0, 10**7),
        }
        for _ in range(r.randint(1, 4))
    ]
    return json.dumps({"total": r.randint(1, 10**6), "hits": hits})


def _calendar(r: random.Random) -> str:
    return (
        f"Meeting room 3.{r.randint(10, 99)} booked {r.randint(1, 28)}.{r.randint(1, 12)}.{r.randint(2024, 2027)} "
        f"{r.randint(8, 17)}:00-{r.randint(9, 18)}:30, booking #{r.randint(10**5, 10**7)}, "
        f"dial-in via the app (meeting ID {r.randint(100, 999)} {r.randint(1000, 9999)} {r.randint(1000, 9999)}), "
        f"see https://intranet.example.com/rooms/{r.randint(1, 999)}"
    )


def _shell(r: random.Random) -> str:
    return (
        f"$ docker ps\nCONTAINER ID   IMAGE              PORTS\n{_sha(r, 12)}   app:{_version(r)}   "
        f"127.0.0.1:{r.randint(1024, 65535)}->{r.randint(80, 9000)}/tcp\n"
        f"$ du -sb data/\n{r.randint(10**6, 10**12)}\tdata/\n"
        f"$ ping -c1 192.0.2.{r.randint(1, 254)}\n64 bytes: icmp_seq=1 ttl={r.randint(30, 64)} time={r.random() * 90:.3f} ms"
    )


def _coordinates(r: random.Random) -> str:
    return (
        f"Station {r.randint(1000, 9999)}: lat {r.uniform(-80, 80):.6f}, lon {r.uniform(-170, 170):.6f}, "
        f"elevation {r.randint(0, 3000)} m, reading {r.randint(100, 999)}.{r.randint(0, 9)} hPa at {_iso(r)}"
    )


def _csv(r: random.Random) -> str:
    header = "date,store,units,revenue,transaction_id"
    rows = [
        f"{r.randint(2020, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d},{r.randint(100, 999)},"
        f"{r.randint(1, 999)},{_price(r)},{r.randint(10**11, 10**13)}"
        for _ in range(r.randint(3, 8))
    ]
    return "\n".join([header, *rows])


def _support_mail(r: random.Random) -> str:
    return (
        f"Hi team,\n\nticket {r.randint(10000, 99999)} is resolved in build {r.randint(2020, 2026)}.{r.randint(1, 12)}.{r.randint(1, 31)}."
        f"{r.randint(100, 9999)}; the fix ships in {_version(r)}. Reproduced with seed {r.randint(10**8, 10**10)} "
        f"and {r.randint(2, 64)} workers ({r.randint(1000, 99999)} iterations). Refund of {_price(r)} USD "
        f"for order {r.randint(100, 999)}-{r.randint(100, 999)}-{r.randint(1000, 9999)}-{r.randint(10, 99)} approved.\n\n"
        f"Write to support@example.org if anything is unclear."
    )


TEMPLATES: tuple[Callable[[random.Random], str], ...] = (
    _order_json,
    _service_log,
    _git_log,
    _stack_trace,
    _package_listing,
    _metrics,
    _invoice_text,
    _code,
    _search_results,
    _calendar,
    _shell,
    _coordinates,
    _csv,
    _support_mail,
)


def clean_texts(count: int = 420, seed: int = 2026) -> list[str]:
    """``count`` texts, the templates in turn, each filled from a generator seeded with ``seed``."""
    randomness = random.Random(seed)
    return [TEMPLATES[index % len(TEMPLATES)](randomness) for index in range(count)]


if __name__ == "__main__":
    for text in clean_texts(len(TEMPLATES)):
        print(text, end="\n\n")
