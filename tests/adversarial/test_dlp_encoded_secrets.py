"""A model told by an injected instruction to send `~/.aws/credentials` or a GitHub token
base64-encoded (standard or URL-safe, padded or not, wrapped at 76 as `base64` writes it),
hex-encoded or percent-encoded, in a tool call's arguments: the DLP engine read only the text
as written, so the encoded credential passed `dlp scan`, the gateway's default policy
(secrets masked) and everything `redact_text` stores, unmasked (a known gap, SECURITY.md, until
2026-12-05). Runs of base64 or hex and runs with percent or ``\\x`` escapes are now decoded (two
levels at most) and the text they spell is read for secrets; a secret found there masks the
encoded run. Clean encoded data (images, hashes, random ids, base64 of ordinary text) holds no
match, and the cost stays linear."""

from __future__ import annotations

import base64
import binascii
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dlp_spelling_kit import (
    assert_found_decoded_and_masked,
    assert_masked_through_gateway,
    assert_native_and_python_agree,
    assert_repeated_piece_costs_linear_time,
    aws_credentials_file,
    each_secret_each_spelling,
    forwarded_by_the_policy,
    made_up_credentials,
    sentences,
)

from mcpward.dlp import redact_text
from mcpward.dlp.scanning import default_engine, redact, scan_json, scan_text

GITHUB, AWS_ID, AWS_SECRET = made_up_credentials(11)
AWS_FILE = aws_credentials_file(AWS_ID, AWS_SECRET) + "region = eu-west-1\n"


def _percent(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


def _encodings(secret: str) -> dict[str, str]:
    data = secret.encode()
    return {
        "base64": base64.b64encode(data).decode(),
        "base64 unpadded": base64.b64encode(data).decode().rstrip("="),
        "base64url": base64.urlsafe_b64encode(data).decode(),
        "base64url unpadded": base64.urlsafe_b64encode(data).decode().rstrip("="),
        "base64 wrapped at 76": base64.encodebytes(data).decode(),
        "base64 wrapped, CRLF": base64.encodebytes(data).decode().replace("\n", "\r\n"),
        "hex": data.hex(),
        "HEX": data.hex().upper(),
        "0x hex": "0x" + data.hex(),
        "\\x escapes": "".join(f"\\x{byte:02x}" for byte in data),
        "percent": _percent(secret),
    }


SECRETS = {"github token": GITHUB, "aws credentials file": AWS_FILE, "token sentence": f"my token: {GITHUB}"}


def _leaks(redacted: str, secret: str) -> list[str]:
    """The ways ``redacted`` still spells the secret's credential part, decoded."""
    needles = [GITHUB[4:], AWS_ID[4:], AWS_SECRET]
    found = [needle for needle in needles if needle in secret and needle in redacted]
    for encoded in _encodings(secret).values():
        if encoded.strip() and encoded.strip() in redacted:
            found.append(encoded[:20])
    return found


@each_secret_each_spelling(SECRETS, _encodings)
def test_an_encoded_secret_is_found_and_its_run_masked(name: str, spelling: str) -> None:
    secret = SECRETS[name]
    assert_found_decoded_and_masked(_encodings(secret)[spelling], lambda masked: _leaks(masked, secret))


def test_the_pure_python_path_finds_the_same() -> None:
    assert_native_and_python_agree(sentences(SECRETS, _encodings))


def test_inside_a_json_argument_through_the_gateway_policy() -> None:
    """A tool call's arguments as the gateway judges them: the default policy masks secrets."""
    for encoded in _encodings(AWS_FILE).values():
        forwarded = forwarded_by_the_policy(encoded)
        assert not _leaks(json.dumps(forwarded), AWS_FILE), forwarded
    # scan_json without a policy, and the engine's many-strings path with a short string
    assert scan_json({"q": base64.b64encode(GITHUB.encode()).decode()})


def test_two_levels_of_encoding_and_a_keyed_secret_behind_escapes() -> None:
    twice = base64.b64encode(base64.b64encode(GITHUB.encode())).decode()
    percent_then_base64 = _percent("token=" + base64.b64encode(GITHUB.encode()).decode())
    for text in (twice, percent_then_base64, f"https://x.example/cb?q=1&state={twice}"):
        assert [m for m in scan_text(text) if m.kind == "secret"], text
        assert not _leaks(redact(text), GITHUB), text
    # password%3D...: the assignment is escaped, the value is not
    escaped_key = "login?password%3DKq8vT2pwZr7x"
    assert [m.rule for m in scan_text(escaped_key)] == ["keyed-secret"], scan_text(escaped_key)
    assert "Kq8vT2p" not in redact(escaped_key)


def test_a_long_encoded_document_with_the_credentials_at_its_end() -> None:
    """A long run is first decoded in part to tell data from text: a document whose first
    bytes cut a character in two is still text, and its end is read."""
    document = ("Weekly report: ünïcödé text. " * 200 + AWS_FILE).encode()
    for encoded in (
        base64.b64encode(document).decode(),
        base64.encodebytes(document).decode(),
        document.hex(),
    ):
        text = f"x {encoded.strip()} y"
        assert [(m.rule, m.start, m.end) for m in scan_text(text)] == [
            ("aws-access-key-id", 2, len(text) - 2)
        ]
        assert redact(text) == "x **** y"


def test_a_plain_secret_in_an_escaped_url_is_masked_as_before() -> None:
    """A URL with ordinary escapes and a plain token: the token alone is masked, not the URL."""
    text = f"https://api.example.net/search?q=caf%C3%A9%20au%20lait&access_token={GITHUB}&page=2"
    masked = redact_text(text)
    assert GITHUB[4:] not in masked and "q=caf%C3%A9%20au%20lait" in masked and "page=2" in masked, masked


# -- clean encoded data holds no match ---------------------------------------------------------


def _png(size: int, seed: int) -> bytes:
    chooser = random.Random(seed)  # noqa: S311 - noise, not a secret
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + chooser.randbytes(size)


def test_clean_encoded_data_holds_no_match() -> None:
    chooser = random.Random(21)  # noqa: S311 - noise, not a secret
    import hashlib
    import uuid

    clean_text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")[:20000]
    clean_text = "\n".join(
        line for line in clean_text.splitlines() if "ghp_" not in line and "AKIA" not in line
    )
    values: list[Any] = [
        {"type": "image", "mimeType": "image/png", "data": base64.b64encode(_png(200_000, 1)).decode()},
        {"type": "audio", "mimeType": "audio/wav", "data": base64.encodebytes(chooser.randbytes(50_000)).decode()},
        [hashlib.sha256(str(n).encode()).hexdigest() for n in range(2000)],
        [hashlib.sha1(str(n).encode(), usedforsecurity=False).hexdigest().upper() for n in range(2000)],
        [str(uuid.UUID(int=chooser.getrandbits(128))) for _ in range(2000)],
        [base64.urlsafe_b64encode(chooser.randbytes(n % 40 + 12)).decode().rstrip("=") for n in range(2000)],
        [binascii.hexlify(chooser.randbytes(n % 40 + 10)).decode() for n in range(2000)],
        {"blob": base64.b64encode(b"Sunny, 21 degrees. Wind from the west at 12 km/h." * 40).decode()},
        {"readme": base64.b64encode(clean_text.encode()).decode()},
        {"query": "https://www.example.org/search?q=%E2%82%AC%20prices%20in%20caf%C3%A9s&lang=fr%2Dfr"},
        {"jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ."
         + base64.urlsafe_b64encode(chooser.randbytes(32)).decode().rstrip("=")},
    ]  # fmt: skip
    plain = [m for m in scan_text(clean_text) if m.kind == "secret"]
    for value in values:
        found = [m for m in scan_json(value) if m.encoding]
        assert found == [], (str(value)[:80], found)
    assert [m for m in scan_text(base64.b64encode(clean_text.encode()).decode()) if m.kind == "secret"] == []
    assert plain == []  # (the README excerpt itself holds none: nothing to carry over)


def test_random_base64_and_hex_hold_no_match() -> None:
    chooser = random.Random(31)  # noqa: S311 - noise, not a secret
    blob = base64.b64encode(chooser.randbytes(1 << 20)).decode()
    assert scan_text(blob) == []
    assert scan_text(base64.encodebytes(chooser.randbytes(1 << 20)).decode()) == []
    assert scan_text(chooser.randbytes(1 << 19).hex()) == []
    # short runs, one per line: each decoded
    lines = "\n".join(
        base64.b64encode(chooser.randbytes(chooser.randrange(12, 60))).decode() for _ in range(20000)
    )
    assert scan_text(lines) == []


# -- linear time and bounded memory on encoded input -------------------------------------------

_CHILD = r"""
import base64, json, random, string, sys, time
from mcpward.dlp.scanning import default_engine

engine = default_engine()
engine.scan("warm up")
size, kind = int(sys.argv[1]), sys.argv[2]
chooser = random.Random(7)
def token():
    return "ghp_" + "".join(chooser.choice(string.ascii_letters + string.digits) for _ in range(36))
if kind == "dense":
    # a base64 run per line, each a token: a match every 70 bytes
    unit = "\n".join(base64.b64encode(f"token {token()}".encode()).decode() for _ in range(15000))
elif kind == "nested":
    # lines of base64 whose text is runs of base64 whose text is base64 of a token: three
    # levels, of which two are read
    unit = "\n".join(
        base64.b64encode(" ".join(base64.b64encode(base64.b64encode(token().encode())).decode()
                                  for _ in range(8)).encode()).decode()
        for _ in range(2000)
    )
else:
    unit = base64.b64encode(chooser.randbytes(1 << 20)).decode()
text = (unit * (size // len(unit) + 1))[:size]
started, cpu = time.perf_counter(), time.process_time()
matches = engine.scan(text)
print(json.dumps({
    "elapsed": time.perf_counter() - started,
    "seconds": time.process_time() - cpu,
    "matches": len(matches),
    "peak_kib": next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")),
}))
"""

MB = 1 << 20


def _scan_in_child(size: int, kind: str, timeout: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(size), kind],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_sixteen_megabytes_of_dense_encoded_secrets_scan_in_linear_time_with_bounded_memory() -> None:
    # 50 MB took 46 s of CPU (806,597 matches, 385 MB at most): 16 MB keeps the suite's time
    # while every run is still decoded, scanned and reported (a decoded run each 65 bytes);
    # that four times the input costs about four times as much is the test below
    result = _scan_in_child(16 * MB, "dense", timeout=300)
    assert result["matches"] > 160_000, result
    assert result["seconds"] < 60, result
    # the text, its bytes for the native pass, what the runs spell and the matches: a small
    # multiple of the input
    assert result["peak_kib"] < 250 * 1024, result


@pytest.mark.parametrize("kind", ["dense", "nested", "random"])
def test_four_times_the_encoded_input_costs_about_four_times_the_time(kind: str) -> None:
    from linear_time import costs_superlinear

    costs = costs_superlinear(
        lambda: _scan_in_child(MB // 2, kind, timeout=120)["seconds"],
        lambda: _scan_in_child(2 * MB, kind, timeout=240)["seconds"],
        factor=8,
        slack=0,
    )
    assert costs is None, (kind, costs)


#: Pieces that make the expressions finding runs try hard: escapes that stop one character
#: short, letters of one case (the look-aheads for the other), wrapped lines one character
#: longer than the first, padding inside a run.
HOSTILE_PIECES = ["%", "%4", "\\x", "\\x4", "a%4", "%41", "\\x41", "a" * 15 + "A", "Q" * 16 + "\n" + "Q" * 17,
                  "QUFB=", "QUFBQUFBQUFBQUFBQUFB\\n", "0x", "0x4", "4" * 19 + "g", "QQ==\n  "]  # fmt: skip


@pytest.mark.parametrize("piece", HOSTILE_PIECES)
def test_hostile_runs_cost_linear_time(piece: str) -> None:
    assert_repeated_piece_costs_linear_time(piece)


def test_nested_runs_are_decoded_two_levels_deep_at_most() -> None:
    three = base64.b64encode(base64.b64encode(base64.b64encode(GITHUB.encode()))).decode()
    assert scan_text(three) == []  # a third level is not read: the bound of the work
    assert default_engine().scan(base64.b64encode(base64.b64encode(GITHUB.encode())).decode())


# -- end to end: the official SDK's client through `mcpward gateway run` ------------------------


def test_an_encoded_credentials_file_reaches_the_server_masked(tmp_path: Path) -> None:
    encoded = [value.strip() for value in _encodings(AWS_FILE).values()]
    assert_masked_through_gateway(tmp_path, [], encoded, lambda text: _leaks(text, AWS_FILE))


def test_runs_found_from_the_native_pass_are_those_of_the_whole_text() -> None:
    """Long texts have their runs found in the windows of one native pass (Python's ``re`` at
    every position cost 35 us per KB of prose): the same runs, wherever they are."""
    from mcpward.dlp import _encoded

    chooser = random.Random(41)  # noqa: S311 - made-up text, seeded
    pieces = [
        "word ", "Word_Word ", "%41", "%%", "%4", "\\x41", "\\x", " ", "\n", '"', "QUJDREVGR0hJSktMTU5PUFFS",
        base64.b64encode(GITHUB.encode()).decode(), "0x" + GITHUB.encode().hex(), _percent(GITHUB),
        base64.encodebytes(AWS_FILE.encode()).decode(), "a" * 17, "Ab" * 9, "=", "==", "-", "_", "/",
    ]  # fmt: skip
    texts = ["".join(chooser.choice(pieces) for _ in range(chooser.randrange(1, 400))) for _ in range(300)]
    texts += ["é" + max(texts, key=len), ""]  # not ASCII: read whole
    for text, places in zip(texts, _encoded.native_places(texts), strict=True):
        if places is None:
            assert (
                len(text) < _encoded._NATIVE_FROM or not text.isascii() or _encoded._places_finder() is None
            )
            continue
        assert list(_encoded._base64_runs(text, places[0])) == list(_encoded._base64_runs(text, None)), text
        assert list(_encoded._escaped_runs(text, places[1])) == list(_encoded._escaped_runs(text, None)), text
