"""The DLP engine on encoded text: what decoding base64, hex and byte escapes costs on clean
messages, the false alarms it adds there, and how many encoded credentials it finds.

    python bench/dlp_encoded.py [--corpora ../shared/corpora] [--rounds 7]

In process, CPU time of this thread (the machine may be shared), the best of ``--rounds``,
per KB of each set's text (JSON: its serialised size):

- prose: the plain prose of bench/dlp_dense.py (64 KB);
- tool results: the shared corpus's benign tool results (``tool_results_benign.jsonl``), each
  a JSON message, as the gateway scans them;
- tool lists: messages of 20 of the Docker registry's benign tool descriptions each;
- images in JSON: tool results each carrying an image (random bytes after a PNG header,
  48 KB, base64) and a caption; and audio base64 wrapped at 76;
- hashes and ids: JSON lists of SHA-256 and SHA-1 digests in hex, UUIDs, random URL-safe ids;
- base64 of text: clean prose base64-encoded (what a text blob looks like);
- HTML and escaped text: tool results of HTML pages with character references (``&amp;``,
  ``&#39;``, ``&#x2014;``) and JSON text written with ``\\u`` escapes, and words in capitals.

Then the encoded credentials: a made-up GitHub token, and an AWS credentials file (a made-up
key id and secret), each in every encoding (base64, base32, hex, escapes of bytes and of
characters, UTF-16), as a tool call's argument: how many are found.
Run it with the code before and after a change (``PYTHONPATH``) to compare.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import string
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from dlp_dense import plain_text
from mcpward.dlp.scanning import default_engine, scan_json

ROOT = Path(__file__).resolve().parents[1]


def _best(call: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.thread_time()
        call()
        best = min(best, time.thread_time() - started)
    return best


def _sets(corpora: Path) -> dict[str, list[Any] | str]:
    chooser = random.Random(5)
    results = [
        orjson.loads(line)
        for line in (corpora / "tool_results_benign.jsonl").read_text().splitlines()[:2000]
        if line.strip()
    ]
    tools = [
        json.loads(line)
        for line in (corpora / "tool_descriptions_docker_registry_benign.jsonl").read_text().splitlines()
        if line.strip()
    ]
    lists = [{"jsonrpc": "2.0", "id": n, "result": {"tools": chooser.sample(tools, 20)}} for n in range(100)]
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    images = [
        {
            "jsonrpc": "2.0",
            "id": n,
            "result": {
                "content": [
                    {"type": "text", "text": f"Chart {n} of the quarterly figures."},
                    {"type": "image", "mimeType": "image/png",
                     "data": base64.b64encode(png + chooser.randbytes(48 << 10)).decode()},
                    {"type": "audio", "mimeType": "audio/wav",
                     "data": base64.encodebytes(chooser.randbytes(8 << 10)).decode()},
                ]
            },
        }
        for n in range(40)
    ]  # fmt: skip
    ids = [
        {
            "sha256": [hashlib.sha256(f"{n}-{i}".encode()).hexdigest() for i in range(50)],
            "sha1": [hashlib.sha1(f"{n}-{i}".encode(), usedforsecurity=False).hexdigest() for i in range(50)],
            "uuid": [str(uuid.UUID(int=chooser.getrandbits(128))) for _ in range(50)],
            "id": [base64.urlsafe_b64encode(chooser.randbytes(18)).decode() for _ in range(50)],
        }
        for n in range(40)
    ]
    prose = plain_text(64 << 10)
    blobs = [{"blob": base64.b64encode(plain_text(4 << 10, seed).encode()).decode()} for seed in range(16)]
    html = "".join(
        f"<p>{words} &mdash; caf&eacute;&nbsp;&#x2014; O&#39;Neil &amp; sons</p>"
        for words in plain_text(3 << 10, 3).split(" the ")
    )
    escaped_text = [
        {
            "jsonrpc": "2.0",
            "id": n,
            "result": {
                "content": [
                    {"type": "text", "text": f"<html><body>{html}</body></html>"},
                    # JSON written into a text: its escapes are text
                    {"type": "text", "text": json.dumps({"note": f"{plain_text(1 << 10, n)} caf\u00e9"})},
                    {"type": "text", "text": "FIGURES: REVENUEGROWTHABOVEPLAN OPERATINGMARGINSTEADY " * 8},
                ]
            },
        }
        for n in range(16)
    ]  # fmt: skip
    return {
        "prose": prose,
        "tool results": results,
        "tool lists": lists,
        "images in JSON": images,
        "hashes and ids": ids,
        "base64 of text": blobs,
        "HTML and escaped text": escaped_text,
    }


def _token(prefix: str, alphabet: str, length: int, seed: int) -> str:
    chooser = random.Random(seed)
    return prefix + "".join(chooser.choice(alphabet) for _ in range(length))


def _attacks() -> list[tuple[str, str]]:
    github = _token("ghp_", string.ascii_letters + string.digits, 36, 11)
    key_id = _token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 12)
    secret = _token("", string.ascii_letters + string.digits + "+/", 40, 13)
    aws = f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    cases = []
    for name, plain in (("github token", github), ("aws credentials", aws)):
        data = plain.encode()
        encodings = {
            "base64": base64.b64encode(data).decode(),
            "base64 unpadded": base64.b64encode(data).decode().rstrip("="),
            "base64url": base64.urlsafe_b64encode(data).decode(),
            "base64 wrapped": base64.encodebytes(data).decode(),
            "hex": data.hex(),
            "percent": "".join(f"%{byte:02X}" for byte in data),
            "\\x escapes": "".join(f"\\x{byte:02x}" for byte in data),
            "base64 twice": base64.b64encode(base64.b64encode(data)).decode(),
            "\\u escapes": "".join(f"\\u{ord(character):04x}" for character in plain),
            "HTML references": "".join(f"&#{ord(character)};" for character in plain),
            "HTML hex references": "".join(f"&#x{ord(character):x};" for character in plain),
            "base32": base64.b32encode(data).decode(),
            "UTF-16LE base64": base64.b64encode(plain.encode("utf-16-le")).decode(),
            "UTF-16LE hex": plain.encode("utf-16-le").hex(),
        }
        cases += [(f"{name}, {encoding}", text) for encoding, text in encodings.items()]
    return cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    engine = default_engine()
    engine.scan("warm up ghp_ QUJD")
    for name, data in _sets(args.corpora).items():
        if isinstance(data, str):
            size = len(data.encode())
            seconds = _best(lambda data=data: engine.scan(data), args.rounds)
            matches = engine.scan(data)
        else:
            size = sum(len(orjson.dumps(item)) for item in data)
            seconds = _best(lambda data=data: [scan_json(item, engine) for item in data], args.rounds)
            matches = [match for item in data for match in scan_json(item, engine)]
        encoded = [m for m in matches if getattr(m, "encoding", "")]
        print(
            f"{name}: {size / 1024:.0f} KB, {seconds * 1e6 / (size / 1024):.1f} us/KB, "
            f"{len(matches)} matches ({len(encoded)} in encoded runs)"
        )
    found = 0
    cases = _attacks()
    for name, text in cases:
        hits = [m for m in scan_json({"name": "upload", "arguments": {"data": text}}) if m.kind == "secret"]
        found += bool(hits)
        if not hits:
            print(f"  not found: {name}")
    print(f"encoded credentials in a tool call's arguments: {found} of {len(cases)} found")


if __name__ == "__main__":
    main()
