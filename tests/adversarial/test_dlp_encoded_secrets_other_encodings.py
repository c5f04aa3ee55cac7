"""A model told by an injected instruction to send a GitHub token or `~/.aws/credentials` in an
encoding the DLP engine did not decode: ``\\u0067\\u0068...`` escapes written as text (what
``JSON.stringify`` of an escaped string, Java and JavaScript source write), HTML character
references (``&#103;&#104;...``, ``&#x67;``, with named ones such as ``&lowbar;`` among them, as
an HTML encoder that encodes every character writes them), the text as UTF-16 (PowerShell's
``[Text.Encoding]::Unicode`` before base64, as ``-EncodedCommand`` takes it; in hex; as escapes),
or base32 (RFC 4648, what ``base32`` and ``base64.b32encode`` write, DNS exfiltration's
alphabet). The engine read base64, hex, percent and ``\\x`` escapes only, so each of these
passed `dlp scan`, the gateway's default policy and `redact_text` unmasked (known gaps,
SECURITY.md, until 2026-12-05). They are now decoded as the others are: the text they spell is
read for secrets, and a secret there masks the whole run. Clean text written in them (a JSON
string's escapes, HTML with its ordinary references, words in capitals, UTF-16 of prose) holds no
match, and the cost stays linear on input dense with their pieces."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest
from dlp_spelling_kit import (
    assert_dense_tokens_cost_linear_time,
    assert_found_decoded_and_masked,
    assert_native_and_python_agree,
    assert_repeated_piece_costs_linear_time,
    aws_credentials_file,
    each_secret_each_spelling,
    forwarded_by_the_policy,
    made_up_credentials,
    made_up_token,
    sentences,
)

from mcpward.dlp.scanning import redact, scan_json, scan_text

GITHUB, AWS_ID, AWS_SECRET = made_up_credentials(61)
AWS_FILE = aws_credentials_file(AWS_ID, AWS_SECRET)

#: Named references an encoder of every character uses where HTML has one (the rest numeric).
_NAMED = {"_": "&lowbar;", "/": "&sol;", "+": "&plus;", "=": "&equals;", "[": "&lsqb;", "]": "&rsqb;",
          "\n": "&NewLine;", " ": "&nbsp;"}  # fmt: skip


def _u_escapes(text: str) -> str:
    return "".join(f"\\u{ord(character):04x}" for character in text)


def _encodings(secret: str) -> dict[str, str]:
    data = secret.encode()
    utf16 = secret.encode("utf-16-le")
    return {
        "\\u escapes": _u_escapes(secret),
        "\\U escapes, capitals": "".join(f"\\u{ord(character):04X}" for character in secret),
        "decimal references": "".join(f"&#{ord(character)};" for character in secret),
        "hex references": "".join(f"&#x{ord(character):x};" for character in secret),
        "references without semicolons": "".join(f"&#{ord(character)}" for character in secret),
        "references, named where HTML has a name": "".join(
            _NAMED.get(character, f"&#x{ord(character):X};") for character in secret
        ),
        "UTF-16LE base64 (PowerShell)": base64.b64encode(utf16).decode(),
        "UTF-16 with BOM, base64": base64.b64encode(secret.encode("utf-16")).decode(),
        "UTF-16BE base64": base64.b64encode(secret.encode("utf-16-be")).decode(),
        "UTF-16LE hex": utf16.hex(),
        "UTF-16LE \\x escapes": "".join(f"\\x{byte:02x}" for byte in utf16),
        "UTF-16LE percent": "".join(f"%{byte:02X}" for byte in utf16),
        "base32": base64.b32encode(data).decode(),
        "base32 unpadded": base64.b32encode(data).decode().rstrip("="),
        "base32 wrapped at 76": "\n".join(
            base64.b32encode(data).decode()[at : at + 76] for at in range(0, len(base64.b32encode(data)), 76)
        ),
        "base64 of \\u escapes": base64.b64encode(_u_escapes(secret).encode()).decode(),
    }


SECRETS = {"github token": GITHUB, "aws credentials file": AWS_FILE}


def _leaks(redacted: str, secret: str) -> list[str]:
    """The ways ``redacted`` still spells the secret, as written or encoded."""
    found = [
        needle for needle in (GITHUB[4:], AWS_ID[4:], AWS_SECRET) if needle in secret and needle in redacted
    ]
    for name, encoded in _encodings(secret).items():
        if encoded[:40] in redacted:
            found.append(name)
    return found


@each_secret_each_spelling(SECRETS, _encodings)
def test_a_secret_in_another_encoding_is_found_and_its_run_masked(name: str, spelling: str) -> None:
    secret = SECRETS[name]
    assert_found_decoded_and_masked(_encodings(secret)[spelling], lambda masked: _leaks(masked, secret))


def test_the_pure_python_path_finds_the_same() -> None:
    assert_native_and_python_agree(sentences(SECRETS, _encodings))


def test_in_a_json_argument_through_the_gateway_policy() -> None:
    """As the gateway judges a tool call: the string holds the escapes as text (the JSON
    message wrote each backslash escaped)."""
    for encoded in _encodings(AWS_FILE).values():
        assert json.loads(json.dumps(encoded)) == encoded
        forwarded = forwarded_by_the_policy(encoded)
        assert not _leaks(json.dumps(forwarded), AWS_FILE), forwarded


def test_a_long_utf16_document_with_the_credentials_at_its_end() -> None:
    document = ("Weekly report: ünïcödé text. " * 200 + AWS_FILE).encode("utf-16-le")
    text = f"x {base64.b64encode(document).decode()} y"
    assert [(m.rule, m.start, m.end) for m in scan_text(text)] == [("aws-access-key-id", 2, len(text) - 2)]


def test_a_surrogate_pair_among_the_escapes_does_not_hide_the_token() -> None:
    text = "\\ud83d\\ude00" + _u_escapes(GITHUB)
    assert [m.rule for m in scan_text(text)] == ["github-token"]
    assert redact(text) == "****"


# -- clean text in these encodings holds no match ----------------------------------------------


def test_clean_text_in_these_encodings_holds_no_match() -> None:
    chooser = random.Random(71)  # noqa: S311 - noise, not a secret
    prose = "Sunny, 21 degrees. Wind from the west at 12 km/h; café au lait & croissants. " * 30
    values = [
        json.dumps({"caption": "Caf\u00e9 \u2014 na\u00efve r\u00e9sum\u00e9 \U0001f600"}),  # escapes
        _u_escapes(prose[:400]),
        "".join(f"&#{ord(character)};" for character in prose[:400]),
        "<p>Fish &amp; chips &mdash; &pound;12&nbsp;&#8212;&#x2014; tom&#39;s &quot;best&quot;</p>" * 50,
        "https://example.org/?a=1&amp;b=2&amp;c=&#37;41 " * 40,
        "THE QUARTERLY FIGURES ARE ATTACHED: REVENUEGROWTHABOVEPLAN, OPERATINGMARGINSTEADY " * 20,
        " ".join(
            "".join(chooser.choice(string.ascii_uppercase + "234567") for _ in range(32)) for _ in range(500)
        ),
        base64.b32encode(chooser.randbytes(4000)).decode(),
        base64.b32encode(prose.encode()).decode(),
        base64.b64encode(prose.encode("utf-16-le")).decode(),
        prose.encode("utf-16-le").hex(),
        base64.b64encode(chooser.randbytes(1 << 16)).decode(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 2222222222222222222222 ZZZZZZZZZZZZZZZZZZZZ",
    ]
    for value in values:
        found = scan_text(value)
        assert found == [], (value[:80], found)
        assert [m for m in scan_json({"v": value}) if m.encoding] == [], value[:80]


def test_a_random_utf16_looking_blob_is_data() -> None:
    """Bytes whose every other byte is random are no UTF-16 of text a rule reads: left."""
    chooser = random.Random(73)  # noqa: S311 - noise, not a secret
    data = bytes(byte for _ in range(20000) for byte in (chooser.randrange(256), 0))
    assert scan_text(base64.b64encode(data).decode()) == []


# -- linear time on input dense with the pieces of these encodings ------------------------------

HOSTILE_PIECES = ["&#", "&#1", "&#x", "&#x6", "&#103", "&#103;", "&#x67;", "&", "&lowbar;", "&lowbar", "&a",
                  "&#99999999;", "\\u", "\\u006", "\\u0067", "\\ud83d", "\\ud83d\\u", "a\\u", "%u0067",
                  "A" * 15 + "a", "A" * 16 + "=", "Q" * 17 + "=" * 7, "MFRGG===\n", "ABCDEFGH234567" * 2 + "8",
                  "Z\x00", "&#x67;\\u0067%67\\x67", "&#" + "0" * 30, "&#x" + "0" * 30 + "67"]  # fmt: skip


@pytest.mark.parametrize("piece", HOSTILE_PIECES)
def test_hostile_pieces_of_these_encodings_cost_linear_time(piece: str) -> None:
    assert_repeated_piece_costs_linear_time(piece)


@pytest.mark.parametrize(
    "encoding", ["\\u escapes", "decimal references", "UTF-16LE base64 (PowerShell)", "base32"]
)
def test_dense_encoded_tokens_cost_linear_time(encoding: str) -> None:
    """A line per token, each encoded: every line decoded, scanned and reported."""
    assert_dense_tokens_cost_linear_time(
        [
            f"token {seed}: " + _encodings(made_up_token("ghp_", string.ascii_letters, 36, seed))[encoding]
            for seed in range(50)
        ]
    )


@pytest.mark.parametrize(
    "poisoned",
    [
        lambda data: base64.b64encode(data).decode(),
        lambda data: data.hex(),
        lambda data: "".join(f"%{byte:02X}" for byte in data),
    ],
    ids=["base64", "hex", "percent"],
)
def test_a_control_character_added_to_the_secret_does_not_make_it_data(poisoned: object) -> None:
    """A NUL (or an escape character) put after the token made the whole run data before: the
    run was left unread, the token passed. One such character in 16 is now still text."""
    assert callable(poisoned)
    for data in (GITHUB.encode() + b"\x00", b"\x1b" + AWS_FILE.encode() + b"\x00\x00"):
        text = f"data: {poisoned(data)} end"
        assert {"github-token", "aws-access-key-id"} & {m.rule for m in scan_text(text)}, text
        assert GITHUB[4:] not in redact(text) and poisoned(data)[:40] not in redact(text)


FINE_GRAINED = made_up_token("github_pat_", string.ascii_letters + string.digits + "_", 82, 64)


@pytest.mark.parametrize(
    "encode",
    [base64.b64encode, base64.b32encode, base64.urlsafe_b64encode],
    ids=["base64", "base32", "base64url"],
)
def test_a_word_on_the_line_after_an_unpadded_run_does_not_hide_the_secret(encode: object) -> None:
    """A run with no padding whose length is a multiple of 4 (a fine-grained GitHub token is
    93 bytes: 124 characters of base64), and on the next line a word: the word was read as the
    wrapped run's last line, glued to it, and the token's end no longer ended it: it passed."""
    assert callable(encode)
    for token in (FINE_GRAINED, GITHUB + "\n" + FINE_GRAINED[:-2] + "A"):
        encoded = encode(token.encode()).decode()
        for after in ("\nThanks", "\nDone.", "\\nNext step"):
            text = f"{encoded}{after}"
            assert [m for m in scan_text(text) if m.kind == "secret"], (encoded[:20], after)
            # (the word may be masked with the run: read glued to it, it spells text too)
            assert encoded[:40] not in redact(text) and redact(text).startswith("****"), redact(text)


def test_runs_found_from_the_native_pass_are_those_of_the_whole_text() -> None:
    """Long texts have their runs found in the windows of one native pass: the same runs, with
    the new escapes and base32 among the pieces."""
    from mcpward.dlp import _encoded

    chooser = random.Random(75)  # noqa: S311 - made-up text, seeded
    pieces = [
        "word ", "&", "&#", "&#6", "&#x", "&#x6;", "&amp;", "&lowbar;", "\\u", "\\u006", "\\u0067", "\\ud83d",
        "%41", "\\x41", " ", "\n", '"', "QUJDREVGR0hJSktMTU5PUFFS", "MFRGGZDFMZTWQ2LKNNWG23TP", "====",
        *_encodings(GITHUB).values(), "a" * 17, "A" * 17, "=", "-", "/",
    ]  # fmt: skip
    texts = ["".join(chooser.choice(pieces) for _ in range(chooser.randrange(1, 300))) for _ in range(300)]
    for text, places in zip(texts, _encoded.native_places(texts), strict=True):
        if places is None:
            continue
        assert list(_encoded._base64_runs(text, places[0])) == list(_encoded._base64_runs(text, None)), text
        assert list(_encoded._escaped_runs(text, places[1])) == list(_encoded._escaped_runs(text, None)), text
