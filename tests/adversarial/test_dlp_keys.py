"""Private keys in the spellings JSON and RFC 4716 allow are masked whole, and no key header,
however hostile, makes the key pattern backtrack without bound."""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys

from mcpward.dlp import redact_text

_BODY = base64.b64encode(random.Random(5).randbytes(600)).decode()  # noqa: S311 (test data)
_LINES = [_BODY[i : i + 64] for i in range(0, len(_BODY), 64)]


def _readable(output: str, lines: list[str]) -> list[str]:
    return [line for line in lines if line[:16] in output or line[-16:] in output]


def test_an_ssh2_key_with_a_continued_header_in_a_json_string_is_masked_whole() -> None:
    key = (
        "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n"
        'Comment: "a long comment, continued on the next line \\\n'
        'of the key file C:\\keys\\deploy"\n'
        + "\n".join(_LINES)
        + "\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n"
    )
    for text in (key, json.dumps({"content": key}), json.dumps(json.dumps({"content": key}))):
        shown = [json.dumps(line)[1:-1] for line in _LINES]  # no escapes in base64 but "/"
        assert _readable(redact_text(text), shown) == [], text[:80]


def test_a_putty_key_json_escaped_with_escaped_slashes_is_masked_whole() -> None:
    key = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: a/b\nPrivate-Lines: 10\n"
    key += "\n".join(_LINES) + "\n"
    escaped = json.dumps(key)[1:-1].replace("/", "\\/")
    shown = [line.replace("/", "\\/") for line in _LINES]
    assert _readable(redact_text('{"k": "' + escaped + '"}'), shown) == []


_CHILD = r"""
import sys, time
from mcpward.dlp._credentials import find_credentials
unit = "-----BEGIN PRIVATE KEY-----\n" + sys.argv[1] * 2000 + "!\n"
spent = []
for count in (8, 32):
    started = time.process_time()
    find_credentials(unit * count)
    spent.append(time.process_time() - started)
print(*spent)
"""


def test_hostile_key_headers_cost_linear_time() -> None:
    """Header values with spaces ("a: b: c ..." on one line) were read every way a space could
    end one header and start the next: 20 pairs took a second, 40 never ended. The child is
    killed at the timeout, so the test is bounded either way; four times the input must cost
    about four times as much (the ratio, not a time: CI's machine may be busy)."""
    for piece in ("b: c ", "K: v\\\\\\n", "x\\t", "K: v w: x\\n", "\\/"):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, piece], capture_output=True, text=True, timeout=60, check=True
        )
        small, large = map(float, done.stdout.split())
        assert large < 8 * small + 0.2, (piece, small, large)  # linear: 4 times; quadratic: 16
