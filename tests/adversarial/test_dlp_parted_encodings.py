"""A model told by an injected instruction to send a GitHub token or `~/.aws/credentials`, or a
server returning one, writes its bytes in a form the DLP engine did not read: base64 split into
groups by spaces (``Z2hw XzEy ...``, every 4, 8 or 10 characters, in lines too) or wrapped in
lines at a width that is no multiple of 4 (50, 30: only ``base64``'s 76 and PEM's 64, multiples
of 4, were read as one run), hex bytes with
separators (``67 68 70``, ``67:68:70``, ``67-68``, a C array ``0x67, 0x68``, ``xxd``'s groups of
four; a hex dump of ``xxd``, ``xxd -g1`` or ``hexdump -C``, offsets and characters on each line), bytes as decimal numbers (``[103, 104, 112]``, ``bytes([...])``, ``103 104 112``), or
base32 in small letters (``base32 | tr A-Z a-z``, DNS labels). Each passed `dlp scan`, the
gateway's DLP (its default policy masks secrets, on a tool's arguments and on its result) and
`redact_text` unmasked: SECURITY.md listed them as known gaps until 2026-12-05 (found by a review
of the DLP engine that day; 46 of 46 spellings of the two secrets missed).

They are now read as the other encodings are (``mcpward.dlp._encoded``): a run of ten numbers or
more parted by separators is read as hex bytes (every number two hex digits) and as decimal ones
(every number up to 255), four groups or more of base64 characters parted by spaces, each as
long as the first but the last, joined and read as a run, and base32 in small letters as base32;
a secret in what they spell masks the whole run. Hex dumps, UUIDs, MAC addresses, colour tables,
checksums, tables of numbers and byte arrays of anything that is not a secret hold no match,
and the cost stays linear on input dense with their pieces."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
from pathlib import Path

import pytest
from dlp_spelling_kit import (
    assert_dense_tokens_cost_linear_time,
    assert_found_decoded_and_masked,
    assert_masked_through_gateway,
    assert_native_and_python_agree,
    assert_repeated_piece_costs_linear_time,
    aws_credentials_file,
    each_secret_each_spelling,
    forwarded_by_the_policy,
    made_up_credentials,
    made_up_token,
    sentences,
)

from mcpward.dlp.scanning import scan_json, scan_text

GITHUB, AWS_ID, AWS_SECRET = made_up_credentials(81)
AWS_FILE = aws_credentials_file(AWS_ID, AWS_SECRET)
SECRETS = {"github token": GITHUB, "aws credentials file": AWS_FILE}


def _split(text: str, width: int, separator: str = " ") -> str:
    return separator.join(text[at : at + width] for at in range(0, len(text), width))


def _spellings(secret: str) -> dict[str, str]:
    data = secret.encode()
    encoded = base64.b64encode(data).decode()
    return {
        "base64 in groups of 4": _split(encoded, 4),
        "base64 in groups of 8": _split(encoded, 8),
        "base64 in groups of 10": _split(encoded, 10),
        "base64 in groups of 4, lines of 10 groups": _split(_split(encoded, 4), 50, "\n"),
        "base64 wrapped at 50 (no multiple of 4)": _split(encoded, 50, "\n"),
        "base64 wrapped at 30, CRLF": _split(encoded, 30, "\r\n"),
        "url-safe base64 unpadded in groups of 6": _split(base64.urlsafe_b64encode(data).decode().rstrip("="), 6),
        "hex in groups of 4 (xxd)": _split(data.hex(), 4),
        "base32 in groups of 8": _split(base64.b32encode(data).decode(), 8),
        "hex bytes parted by spaces": data.hex(" "),
        "hex bytes parted by colons": data.hex(":"),
        "hex bytes parted by dashes, capitals": data.hex("-").upper(),
        "hex bytes, 16 a line": _split(data.hex(" "), 48, "\n"),
        "a C array": "{" + ", ".join(f"0x{byte:02x}" for byte in data) + "}",
        "a C array, capitals, no spaces, lines": _split(",".join(f"0x{byte:02X}" for byte in data), 60, "\n    "),
        "decimal bytes, a JSON list": json.dumps(list(data)),
        "decimal bytes, Python's bytes()": f"bytes({list(data)})",
        "decimal bytes parted by spaces": " ".join(map(str, data)),
        "xxd": _xxd(data, 2) + "\n",
        "xxd -g1": _xxd(data, 1) + "\n",
        "hexdump -C": _hexdump(data) + "\n",
        "base32 in small letters": base64.b32encode(data).decode().lower(),
        "base32 in small letters, unpadded": base64.b32encode(data).decode().lower().rstrip("="),
    }  # fmt: skip


def _xxd(data: bytes, group: int) -> str:
    """``xxd``'s lines: an offset, the bytes in hex in groups, and the printable characters."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        groups = " ".join(chunk.hex()[at : at + 2 * group] for at in range(0, 2 * len(chunk), 2 * group))
        shown = "".join(chr(byte) if 32 <= byte < 127 else "." for byte in chunk)
        lines.append(f"{offset:08x}: {groups:<40}  {shown}")
    return "\n".join(lines)


def _hexdump(data: bytes) -> str:
    """``hexdump -C``'s lines: two halves of eight bytes, and the characters between bars."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        halves = "  ".join(" ".join(f"{byte:02x}" for byte in half) for half in (chunk[:8], chunk[8:]))
        shown = "".join(chr(byte) if 32 <= byte < 127 else "." for byte in chunk)
        lines.append(f"{offset:08x}  {halves:<49}  |{shown}|")
    return "\n".join(lines)


def _leaks(redacted: str, secret: str) -> list[str]:
    """The ways ``redacted`` still spells the secret, as written or in one of the spellings."""
    found = [
        needle for needle in (GITHUB[4:], AWS_ID[4:], AWS_SECRET) if needle in secret and needle in redacted
    ]
    return found + [name for name, spelled in _spellings(secret).items() if spelled[:40] in redacted]


@each_secret_each_spelling(SECRETS, _spellings)
def test_a_parted_secret_is_found_and_its_run_masked(name: str, spelling: str) -> None:
    secret = SECRETS[name]
    assert_found_decoded_and_masked(_spellings(secret)[spelling], lambda masked: _leaks(masked, secret))


def test_the_pure_python_path_finds_the_same() -> None:
    assert_native_and_python_agree(sentences(SECRETS, _spellings))


def test_in_a_json_argument_through_the_gateway_policy() -> None:
    for spelled in _spellings(AWS_FILE).values():
        forwarded = forwarded_by_the_policy(spelled)
        assert not _leaks(json.dumps(forwarded), AWS_FILE), forwarded


def test_base64_of_a_parted_secret_and_a_parted_run_among_long_text() -> None:
    """One level down (base64 of hex bytes with spaces), and a run inside a long string (the
    strings of a message longer than 1 KB are searched as a text is)."""
    inner = base64.b64encode(GITHUB.encode().hex(" ").encode()).decode()
    long = "ordinary log text, nothing here. " * 100 + _spellings(GITHUB)["a C array"] + " done"
    for text in (f"blob {inner} end", long):
        assert [m.rule for m in scan_text(text)] == ["github-token"], text[-80:]
        assert [m.rule for m in scan_json({"a": [text, "x"]})] == ["github-token"]


# -- clean text in these forms holds no match ----------------------------------------------------


def _clean_texts() -> dict[str, str]:
    chooser = random.Random(84)  # noqa: S311 - noise, not a secret
    prose = "The quarterly figures are attached; revenue grew 4% and the team shipped 12 features. " * 6
    data = prose.encode()
    return {
        "xxd of prose": _xxd(data, 2),
        "xxd -g1 of random bytes": _xxd(chooser.randbytes(512), 1),
        "hexdump -C of prose": _hexdump(data),
        "hexdump -C of a PNG": _hexdump(b"\x89PNG\r\n\x1a\n" + chooser.randbytes(300)),
        "hex bytes of prose parted by spaces": data.hex(" "),
        "hex bytes of prose parted by colons": data.hex(":"),
        "a C array of prose": ", ".join(f"0x{byte:02x}" for byte in data),
        "a C array of a PNG header and random bytes": ", ".join(
            f"0x{byte:02X}" for byte in b"\x89PNG\r\n\x1a\n" + chooser.randbytes(200)
        ),
        "decimal bytes of prose": json.dumps(list(data)),
        "decimal bytes of random bytes": f"bytes({list(chooser.randbytes(300))})",
        "UUIDs": "\n".join(str(uuid.UUID(int=chooser.getrandbits(128))) for _ in range(200)),
        "UUIDs on one line": " ".join(str(uuid.UUID(int=chooser.getrandbits(128))) for _ in range(200)),
        "SHA-256 checksums": "\n".join(hashlib.sha256(bytes([n])).hexdigest() + f"  file{n}" for n in range(100)),
        "an MD5 in colon-parted bytes": ":".join(f"{chooser.randrange(256):02x}" for _ in range(16)),
        "MAC addresses": ", ".join(":".join(f"{chooser.randrange(256):02x}" for _ in range(6)) for _ in range(50)),
        "a colour table": "\n".join(", ".join(str(chooser.randrange(256)) for _ in range(3)) for _ in range(200)),
        "a palette of printable codes": ", ".join(str(chooser.randrange(32, 127)) for _ in range(600)),
        "hex of printable codes": " ".join(f"{chooser.randrange(32, 127):02x}" for _ in range(600)),
        "colours in hex": " ".join(f"#{chooser.randrange(1 << 24):06x}" for _ in range(200)),
        "a table of numbers": "\n".join(" ".join(str(chooser.randrange(100)) for _ in range(12)) for _ in range(100)),
        "CSV of numbers": "\n".join(",".join(str(chooser.randrange(1000)) for _ in range(15)) for _ in range(100)),
        "timestamps and counts": "\n".join(f"2026-12-05 12:{n % 60:02d}:07 10 20 30 40 ok" for n in range(100)),
        "versions": ", ".join(f"{n}.{n % 7}.{n % 3}" for n in range(60)),
        "long small words": "internationalization counterrevolutionaries electroencephalographs " * 20,
        "random small base32": " ".join(
            "".join(chooser.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(32)) for _ in range(300)
        ),
        "names in capitals, four letters each": "Mary Anne Will Take John Paul Home Soon " * 30,
        "random base64 in groups of 4": _split(base64.b64encode(chooser.randbytes(300)).decode(), 4),
        "base64 of prose in groups of 4": _split(base64.b64encode(data).decode(), 4),
        "identifiers on lines of equal width": "\n".join(
            "".join(chooser.choice(string.ascii_letters) for _ in range(50)) for _ in range(40)
        ),
        "product codes": " ".join(f"SKU{chooser.randrange(10**6)} A1B2 C3D4 E5F6" for _ in range(50)),
    }  # fmt: skip


@pytest.mark.parametrize("name", list(_clean_texts()))
def test_clean_text_in_these_forms_holds_no_match(name: str) -> None:
    text = _clean_texts()[name]
    assert [m for m in scan_text(text) if m.kind == "secret" or m.encoding] == [], name
    assert [m for m in scan_json({"v": text}) if m.kind == "secret" or m.encoding] == [], name


# -- linear time on input dense with their pieces ------------------------------------------------

HOSTILE_PIECES = ["41 ", "41:", "0x41, ", "0x4", "65, ", "1,", "255 ", "999 ", "41 42 43 44 45 46 47 48 49 4",
                  "Z2hw ", "aB1 ", "Z2hw\n", "Z2hw\\n ", "abcd efgh ", "aB12 aB12 aB1 ", "a1 ", "Q" * 76 + " ",
                  "abc2" * 4, "mfrgg===", "41 42 43-", "0x" * 3 + " ", "41  42  ",
                  "00000000: 6768 705f 4731 4476 4a49 7945 3162 6b6a  ghp_G1DvJIyE1bkj\n",
                  "0000 41 42 43 44 45 46 47 48 49 4a\n", "x 0010: 41 42\n", "abcd: ab\n" * 3 + "w" * 50]  # fmt: skip


@pytest.mark.parametrize("piece", HOSTILE_PIECES)
def test_hostile_pieces_of_these_forms_cost_linear_time(piece: str) -> None:
    assert_repeated_piece_costs_linear_time(piece)


@pytest.mark.parametrize("spelling", ["base64 in groups of 4", "a C array", "decimal bytes, a JSON list"])
def test_dense_parted_tokens_cost_linear_time(spelling: str) -> None:
    """A line per token, each parted: every line decoded, scanned and reported."""
    assert_dense_tokens_cost_linear_time(
        [
            f"token {seed}: " + _spellings(made_up_token("ghp_", string.ascii_letters, 36, seed))[spelling]
            for seed in range(20)
        ]
    )


# -- end to end: the official SDK's client through `mcpward gateway run` ------------------------


def test_parted_secrets_in_arguments_and_results_pass_the_gateway_masked(tmp_path: Path) -> None:
    """A tool call's arguments (``write_note``) and a tool's result (``read_note`` of notes the
    server holds): the gateway's default policy masks the secrets in both directions."""
    spelled = [value for secret in SECRETS.values() for value in _spellings(secret).values()]
    assert_masked_through_gateway(
        tmp_path, spelled, spelled, lambda text: any(_leaks(text, secret) for secret in SECRETS.values())
    )
