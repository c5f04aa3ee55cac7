"""A token or ``~/.aws/credentials`` spelled in two more ways a model can be told to use: base64
(or hex) split into groups by commas (``Z2hw,X2lL,...``, ``Z2hw, X2lL``, a list written as text:
``["Z2hw", "X2lL", ...]``), and bytes as octal escapes (``\\147\\150\\160...``, as ``printf``,
shells' ``$'...'``, C and Python strings write them).

Before (2026-12-05): groups were read only where parted by spaces or lines, and escapes only of
bytes in hex (``\\x67``, ``%67``) and of characters; each of these passed ``dlp scan``, the
gateway (both ways, through ``gateway run``) and ``redact_text`` unmasked (SECURITY.md listed
base64 split "by other separators (commas ...)" and numbers "in octal" as not covered).

Now a comma (with a space after it, and with quotes around it: a list written as text) parts
groups as a space does, and a backslash before three octal digits is an escape of a byte (a
token of escapes starts at one that stands for printable ASCII, as with the others); the run is
masked whole. CSV rows, tables of ids, hashes and numbers, Windows paths with numbered folders
and ordinary C strings hold no match, and the cost stays linear."""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest
from dlp_spelling_kit import assert_masked_in_place, assert_native_and_python_agree, notes_through_gateway
from linear_time import superlinear

from mcpward.dlp.scanning import default_engine, scan_json, scan_text


def _token(prefix: str, alphabet: str, length: int, seed: int) -> str:
    chooser = random.Random(seed)  # noqa: S311 - a made-up token in the issuer's format, seeded
    return prefix + "".join(chooser.choice(alphabet) for _ in range(length))


GITHUB = _token("ghp_", string.ascii_letters + string.digits, 36, 921)
AWS_ID = _token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 922)
AWS_SECRET = _token("", string.ascii_letters + string.digits + "+/", 40, 923)
AWS_FILE = f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n"
SECRETS = {"github token": GITHUB, "aws credentials file": AWS_FILE}


def _cut(text: str, width: int) -> list[str]:
    return [text[at : at + width] for at in range(0, len(text), width)]


def _spellings(secret: str) -> dict[str, str]:
    data = secret.encode()
    encoded = base64.b64encode(data).decode()
    return {
        "base64 in 4s by commas": ",".join(_cut(encoded, 4)),
        "base64 in 8s by commas": ",".join(_cut(encoded, 8)),
        "base64 in 4s, a JSON list as text": json.dumps(_cut(encoded, 4)),
        "base64 in 10s, a compact JSON list as text": json.dumps(_cut(encoded, 10), separators=(",", ":")),
        "base64 in 6s, a Python list as text": repr(_cut(encoded, 6)),
        "url-safe base64 in 5s by commas": ",".join(_cut(base64.urlsafe_b64encode(data).decode(), 5)),
        "hex in 4s by commas": ",".join(_cut(data.hex(), 4)),
        "octal escapes": "".join(f"\\{byte:03o}" for byte in data),
        "octal escapes, printf's shortest": "".join(f"\\{byte:o}" for byte in data),
        "octal escapes in $'...'": "$'" + "".join(f"\\{byte:03o}" for byte in data) + "'",
    }  # fmt: skip


def _leaks(redacted: str, secret: str) -> list[str]:
    found = [n for n in (GITHUB[4:], AWS_ID[4:], AWS_SECRET) if n in secret and n in redacted]
    return found + [name for name, spelled in _spellings(secret).items() if spelled[2:40] in redacted]


@pytest.mark.parametrize("name", list(SECRETS))
@pytest.mark.parametrize("spelling", list(_spellings("x")))
def test_the_secret_is_found_and_its_run_masked(name: str, spelling: str) -> None:
    secret = SECRETS[name]
    text = f"Here it is: {_spellings(secret)[spelling]} -- end"
    matches = [m for m in scan_text(text) if m.kind == "secret"]
    assert matches and all(m.encoding for m in matches), (name, spelling, matches)
    assert {"github-token", "aws-access-key-id"} & {m.rule for m in matches}, matches
    assert_masked_in_place(text, "Here it is: ", " -- end", lambda masked: _leaks(masked, secret))


def test_the_pure_python_path_finds_the_same() -> None:
    texts = [f"send {value} now" for secret in SECRETS.values() for value in _spellings(secret).values()]
    assert_native_and_python_agree(texts + [t * 8 for t in texts[:3]])


def test_through_gateway_run(tmp_path: Path) -> None:
    spelled = [value for secret in SECRETS.values() for value in _spellings(secret).values()]
    read, notes = notes_through_gateway(tmp_path, spelled, spelled)
    received = notes.split("backup: ", 1)[1]
    for secret in SECRETS.values():
        assert not _leaks(read, secret), read
        assert not _leaks(received, secret), received


def _clean_texts() -> dict[str, str]:
    chooser = random.Random(924)  # noqa: S311 - ordinary data, seeded
    ids = [base64.urlsafe_b64encode(chooser.randbytes(6)).decode() for _ in range(200)]
    return {
        "csv of ids": "\n".join(",".join(ids[row * 5 : row * 5 + 5]) for row in range(40)),
        "csv of hashes": "\n".join(",".join(f"{chooser.getrandbits(64):016x}" for _ in range(4)) for _ in range(50)),
        "csv of words": "name,role,team,city\nalice,admin,core,Paris\nbob,user,apps,Berlin\n" * 20,
        "json list of ids": json.dumps(ids),
        "json list of words": json.dumps(["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"] * 10),
        "json list of hashes": json.dumps([f"{chooser.getrandbits(256):064x}" for _ in range(20)]),
        "product codes": ", ".join(f"A{chooser.randrange(10**6):06d}B" for _ in range(100)),
        "windows paths": r"C:\Users\100\Documents\2024\123\report.txt D:\data\101\102\103\104\105",
        "c strings": r'printf("%d items\n\t\033[1mbold\033[0m\n", n); char nul = \0; "\177"',
        "octal modes": "chmod 0755 file; mode \\644 and \\755; umask 022",
        "sed backrefs": r"sed -E 's/(a)(b)(c)/\3\2\1/' and \1\2\3",
        "base64 of prose by commas": ",".join(_cut(base64.b64encode(b"The weather in Paris is sunny today.").decode(), 4)),
    }  # fmt: skip


@pytest.mark.parametrize("name", list(_clean_texts()))
def test_clean_text_holds_no_match(name: str) -> None:
    text = _clean_texts()[name]
    assert [m for m in scan_text(text) if m.kind == "secret" or m.encoding] == [], name
    assert [m for m in scan_json({"v": text}) if m.kind == "secret" or m.encoding] == [], name


HOSTILE = ["Z2hw,", "aB1,", "Z2hw, ", '"Z2hw", ', "aB12,aB12,aB1,", "\\147", "\\1", "\\147\\150", "\\777",
           "a\\141 ", "\\101,", "'aB1c',"]  # fmt: skip


@pytest.mark.parametrize("piece", HOSTILE)
def test_hostile_pieces_cost_linear_time(piece: str) -> None:
    engine = default_engine()
    single = piece * (20_000 // len(piece) + 1) + "!"
    quadruple = piece * (80_000 // len(piece) + 1) + "!"
    assert superlinear(engine.scan, single, quadruple) is None, piece


@pytest.mark.parametrize("spelling", ["base64 in 4s by commas", "octal escapes"])
def test_dense_tokens_cost_linear_time(spelling: str) -> None:
    engine = default_engine()
    unit = "\n".join(
        f"token {seed}: " + _spellings(_token("ghp_", string.ascii_letters, 36, seed))[spelling]
        for seed in range(20)
    )
    single = (unit * (40_000 // len(unit) + 1))[:40_000]
    quadruple = (unit * (160_000 // len(unit) + 1))[:160_000]
    assert len(engine.scan(single)) > 40_000 // (len(unit) // 20) // 2
    assert superlinear(engine.scan, single, quadruple) is None, spelling
