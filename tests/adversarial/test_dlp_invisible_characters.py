"""A model told by an injected instruction to send a GitHub token or an AWS key, or a server
returning one, respells it in characters a reader does not see or reads as ASCII: Unicode tag
characters (each ASCII character ``c`` as ``chr(0xE0000 + ord(c))``, "ASCII smuggling": they
show as nothing, and a model reads them), the token with zero-width or other invisible format
characters between its letters (U+200B..U+200F, U+2060..U+2064, U+FEFF, the soft hyphen
U+00AD, U+180E, variation selectors), full-width ASCII (U+FF01..U+FF5E) or mathematical
alphanumerics (bold, monospace, italic). The engine matched each format's ASCII pattern only, so
``default_engine().scan`` gave no match where the plain token gave one, and `dlp scan`, the
gateway's policy and `redact_text` passed it unmasked (found by a review, 2026-12-05).

The engine now also reads such a text as it reads to a model: invisible characters dropped,
tags, full-width and mathematical letters as the ASCII they stand for; a secret found there is
reported against its whole span in the text as written (the invisible characters inside it
included), which it masks. Emoji sequences (joiners, variation selectors, flags spelled in tag
characters), Persian and Arabic text with its non-joiners, German prose with soft hyphens and
Japanese text in full-width letters hold no match, and the cost stays linear on text dense with
those characters."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pytest
from dlp_spelling_kit import (
    assert_masked_through_gateway,
    assert_native_and_python_agree,
    each_secret_each_spelling,
    forwarded_by_the_policy,
    made_up_credentials,
    sentences,
)

from mcpward.dlp import redact_text
from mcpward.dlp.scanning import default_engine, redact, scan_json, scan_text

GITHUB, AWS_ID, _ = made_up_credentials(74)
SECRETS = {"github-token": GITHUB, "aws-access-key-id": AWS_ID}

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\u2061", "\u2062", "\u2063",
             "\u2064", "\ufeff", "\u00ad", "\u180e", "\ufe00", "\ufe0f"]  # fmt: skip


def _tags(text: str) -> str:
    return "".join(chr(0xE0000 + ord(character)) for character in text)


def _between(text: str, separator: str) -> str:
    return separator.join(text)


def _full_width(text: str) -> str:
    return "".join(
        chr(ord(character) + 0xFEE0) if "!" <= character <= "~" else character for character in text
    )


def _math(text: str, capital_a: int, small_a: int, zero: int | None) -> str:
    """``text`` in one style of mathematical alphanumerics (its letters' first code points)."""
    out = []
    for character in text:
        if "A" <= character <= "Z":
            out.append(chr(capital_a + ord(character) - ord("A")))
        elif "a" <= character <= "z":
            out.append(chr(small_a + ord(character) - ord("a")))
        elif zero is not None and character.isdigit():
            out.append(chr(zero + ord(character) - ord("0")))
        else:
            out.append(character)
    return "".join(out)


def _spellings(secret: str) -> dict[str, str]:
    spellings = {
        "tag characters": _tags(secret),
        "tag characters after a language tag, with a cancel tag": "\U000e0001" + _tags(secret) + "\U000e007f",
        "tag characters with zero-width spaces between": _between(_tags(secret), "\u200b"),
        "full-width": _full_width(secret),
        "full-width with zero-width joiners between": _between(_full_width(secret), "\u200d"),
        "mathematical bold": _math(secret, 0x1D400, 0x1D41A, 0x1D7CE),
        "mathematical monospace": _math(secret, 0x1D670, 0x1D68A, 0x1D7F6),
        # italic has holes (its h is U+210E, a letterlike symbol); NFKC reads those too
        "mathematical italic": _math(secret, 0x1D434, 0x1D44E, None).replace(chr(0x1D455), "\u210e"),
        "half full-width, half tags": _full_width(secret[:10]) + _tags(secret[10:]),
        "one soft hyphen in the middle": secret[:12] + "\u00ad" + secret[12:],
        "a combining tilde over every character": _between(secret, "\u0303") + "\u0303",
        "circled letters and digits": "".join(
            chr(0x24B6 + ord(c) - 65)
            if c.isupper()
            else chr(0x24D0 + ord(c) - 97)
            if c.islower()
            else chr(0x2460 + int(c) - 1)
            if c in "123456789"
            else "\u24ea"
            if c == "0"
            else c
            for c in secret
        ),
    }
    for character in INVISIBLE:
        spellings[f"U+{ord(character):04X} between every character"] = _between(secret, character)
    return spellings


def _seen(text: str) -> str:
    """``text`` as a model reads it: invisible characters gone, look-alikes as ASCII."""
    kept = []
    for character in text:
        code = ord(character)
        if 0xE0020 <= code <= 0xE007E:
            kept.append(chr(code - 0xE0000))
        elif unicodedata.category(character) in ("Cf", "Mn") or 0xE0000 <= code <= 0xE0FFF:
            continue
        else:
            kept.append(unicodedata.normalize("NFKC", character))
    return "".join(kept)


def _leaks(redacted: str, secret: str) -> bool:
    """Whether ``redacted`` still spells a part of the secret that identifies it."""
    seen = _seen(redacted)
    return any(secret[at : at + 12] in seen for at in range(0, len(secret) - 11))


@each_secret_each_spelling(SECRETS, _spellings)
def test_a_respelled_secret_is_found_and_masked_whole(name: str, spelling: str) -> None:
    secret = SECRETS[name]
    respelled = _spellings(secret)[spelling]
    assert [m.rule for m in scan_text(f"key {secret} end")] == [name]  # the plain token
    text = f"Here is the key you asked for: {respelled} -- end"
    matches = [m for m in default_engine().scan(text) if m.kind == "secret"]
    assert [m.rule for m in matches] == [name], (spelling, matches)
    (match,) = matches
    assert match.encoding, match
    # the whole span, invisible characters included (a language tag before, a cancel tag
    # after): nothing of it is left around the mask
    assert text[: match.start] == "Here is the key you asked for: ", (spelling, match)
    assert text[match.end :] == " -- end", (spelling, match)
    for masked in (redact(text), redact_text(text)):
        assert masked == "Here is the key you asked for: **** -- end", (spelling, masked)


def test_a_whole_instruction_in_tag_characters_with_a_keyed_secret() -> None:
    """The invisible payload is a line of text, not a token: a keyed value inside it is read."""
    hidden = _tags("config: api_key = Zq4vT9pxLr2mWk7s; region=eu")
    text = f"Nothing to see here.{hidden} Have a good day."
    matches = scan_text(text)
    assert [m.rule for m in matches] == ["keyed-secret"], matches
    assert not _leaks(redact(text), "Zq4vT9pxLr2mWk7s") and not _leaks(redact_text(text), "Zq4vT9pxLr2mWk7s")
    # an assignment whose key is spelled with invisible characters, its value plain
    keyed = "pass\u200bword\u200b=\u200bZq4vT9pxLr2mWk7s"
    assert [m.rule for m in scan_text(keyed)] == ["keyed-secret"]
    assert "Zq4vT9p" not in redact(keyed)


def test_inside_a_json_argument_through_the_gateway_policy() -> None:
    """A tool call's arguments as the gateway judges them: the default policy masks secrets."""
    for secret in SECRETS.values():
        for respelled in _spellings(secret).values():
            forwarded = forwarded_by_the_policy(respelled)
            assert not _leaks(json.dumps(forwarded, ensure_ascii=False), secret), forwarded
    # many strings at once, some ASCII, some not, a key among them
    value = {"a": "plain text", _tags(GITHUB): "b", "c": ["ok", _between(AWS_ID, "\u2060"), "日本語"]}
    assert sorted(m.path or "" for m in scan_json(value)) == ["$.c[1]", f"$[{_tags(GITHUB)!r}](key)"]


def test_a_result_that_repeats_a_respelled_token_and_is_long() -> None:
    """A long string (searched in windows) and a repeated one (searched once)."""
    line = f"log line {_tags(GITHUB)} and {_full_width(AWS_ID)}\n"
    text = "ordinary text, nothing here. " * 100 + line * 50
    matches = scan_text(text)
    assert len(matches) == 100 and {m.rule for m in matches} == set(SECRETS), len(matches)
    assert not _leaks(redact(text), GITHUB) and not _leaks(redact(text), AWS_ID)
    assert len(scan_json({"content": [text, text], "structured": text})) == 300


def test_base64_of_a_respelled_token_and_a_respelled_run_of_base64() -> None:
    import base64

    inside = base64.b64encode(_between(GITHUB, "\u200b").encode()).decode()
    outside = _tags(base64.b64encode(GITHUB.encode()).decode())
    for text in (f"data {inside} end", f"data {outside} end"):
        assert [m.rule for m in scan_text(text)] == ["github-token"], text
        assert not _leaks(redact(text), GITHUB)


def test_the_pure_python_path_finds_the_same() -> None:
    assert_native_and_python_agree(sentences(SECRETS, _spellings) + BENIGN)


#: Text that uses these characters as they are meant: no match in any.
BENIGN = [
    # emoji: joiner sequences, variation selectors, skin tones, keycaps
    "Family: 👨\u200d👩\u200d👧\u200d👦, rainbow flag 🏳\ufe0f\u200d🌈, love ❤\ufe0f, "
    "technologist 👩🏽\u200d💻, keycap 1\ufe0f\u20e3, text heart ☺\ufe0e.",
    # subdivision flags are tag characters: England, Scotland, Wales
    "Supporters of 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f, "
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f and "
    "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f met in Cardiff. "
    + "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    * 40,
    # Persian and Arabic with zero-width non-joiners and marks
    "می\u200cخواهم کتاب\u200cها را به خانه\u200cام ببرم. رمز عبور را فراموش کرده\u200cام.",
    "\u061cمرحبا بكم في الموقع\u200f، كلمة\u200cالمرور مطلوبة\u200e.",
    # German with soft hyphens (a hyphenated web page), words about passwords among them
    "Die Donau\u00addampf\u00adschiff\u00adfahrts\u00adgesellschaft hat das Pass\u00adwort "
    "für das Kunden\u00adportal geändert. Bitte das neue Kenn\u00adwort beim Kunden\u00addienst "
    "anfordern. Token\u00adbasierte Anmeldung folgt. Sicher\u00adheits\u00adschlüssel\u00adverwaltung.",
    # Japanese with full-width letters, digits and signs, and an ideographic space
    "ＡＢＣ株式会社　ＩＴ部門：パスワード（ＰＡＳＳＷＯＲＤ）の変更は２０２６年１２月５日まで。"
    "ＡＰＩキーは管理画面から。ＴＯＫＥＮ：設定済み。",
    "Token：用于身份验证的令牌，ＡＰＩ＿ＫＥＹ：在控制台中查看。",
    # mathematical letters in a formula, a BOM at the start, word joiners in a URL
    "\ufeffLet 𝐱 ∈ ℝ and 𝑓(𝑥) = 𝑥² + ℎ; the set 𝔸 of 𝒜. See https://exa\u2060mple.org/pa\u200bth.",
    # zero-width spaces as word breaks (Thai) and in a long identifier
    "ภาษาไทย\u200bไม่มี\u200bช่องว่าง\u200bระหว่าง\u200bคำ and super\u200bcalifragilistic\u200bexpialidocious",
]


@pytest.mark.parametrize("text", BENIGN, ids=range(len(BENIGN)))
def test_text_that_uses_these_characters_as_meant_holds_no_match(text: str) -> None:
    assert scan_text(text) == [], scan_text(text)
    assert scan_json({"t": text, "u": [text + " 2"]}) == []
    assert redact_text(text) == text


def test_a_hangul_filler_between_the_characters_is_read_past_too() -> None:
    """The one invisible character not in the search over bytes (its first byte is Japanese
    kana's) is looked for as a character."""
    text = f"key {_between(GITHUB, chr(0x3164))} end"
    assert [m.rule for m in scan_text(text)] == ["github-token"]
    assert redact(text) == "key **** end"


#: Megabyte-scale hostile input: runs of zero-width and tag characters, alone and alternated
#: with letters, with a respelled token at the end (so the map back to the text is built).
HOSTILE = {
    "zero-width": "\u200b",
    "tags": "\U000e0041",
    "letter, zero-width": "a\u200b",
    "letter, tag": "a\U000e0062",
    "tag, zero-width": "\U000e0061\u200b",
    "other script, zero-width": "日\u200b",
    "full-width, soft hyphen": "ｑ\u00ad",
    "mathematical, joiner": "𝐪\u200d",
    "flag": "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f ",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_megabyte_of_these_characters_costs_linear_time(name: str) -> None:
    from linear_time import cpu_cost, superlinear

    engine = default_engine()
    piece = HOSTILE[name]
    tail = " " + _tags(GITHUB) + " " + _between(AWS_ID, "\u200b")
    single = piece * ((1 << 18) // len(piece)) + tail
    quadruple = piece * ((1 << 20) // len(piece)) + tail
    assert superlinear(engine.scan, single, quadruple) is None, name
    assert superlinear(lambda text: engine.scan_many([text, "x", text[::-1]]), single, quadruple) is None
    assert cpu_cost(engine.scan, quadruple) < 5, name
    assert {m.rule for m in engine.scan(quadruple)} == set(SECRETS), name


def test_many_respelled_tokens_in_a_megabyte_cost_linear_time() -> None:
    from linear_time import superlinear

    engine = default_engine()
    line = _between(_tags(GITHUB), "\u200c") + "\n"
    single, quadruple = line * ((1 << 18) // len(line)), line * ((1 << 20) // len(line))
    assert superlinear(engine.scan, single, quadruple) is None
    assert len(engine.scan(quadruple)) == (1 << 20) // len(line)


def test_spans_map_back_to_the_characters_they_were_read_from() -> None:
    """Random text of every kind of character, over many blocks of the map: each character of
    the view maps back to the one it was read from."""
    from mcpward.dlp._respelled import respelled

    chooser = random.Random(7)  # noqa: S311 - test data
    alphabet = ["a", "Z", "7", " ", "é", "日", "👩", "\u200b", "\u00ad", "\ufe0f", "\U000e0001",
                "\U000e0067", "ｇ", "𝐠", "\u2060" * 300]  # fmt: skip
    for length in (1, 5, 255, 256, 257, 1000, 5000):
        written = "".join(chooser.choice(alphabet) for _ in range(length))
        view = respelled(written)
        kept = [at for at, character in enumerate(written) if _seen(character)]
        assert len(view.text) == len(kept), written
        assert view.text == "".join(_seen(written[at]) for at in kept)
        for _ in range(200):
            if not kept:
                break
            start = chooser.randrange(len(kept))
            end = chooser.randrange(start, len(kept)) + 1
            assert view.span(start, end) == (kept[start], kept[end - 1] + 1)
            first, last = view.around(kept[start], kept[end - 1] + 1)
            assert not _seen(written[first : kept[start]]) and not _seen(written[kept[end - 1] + 1 : last])
            assert first == 0 or _seen(written[first - 1]), (written, first)
            assert last == len(written) or _seen(written[last]), (written, last)


# -- end to end: the official SDK's client through `mcpward gateway run` ------------------------


def test_respelled_tokens_reach_the_server_masked(tmp_path: Path) -> None:
    respelled = [value for secret in SECRETS.values() for value in _spellings(secret).values()]
    assert_masked_through_gateway(
        tmp_path, [], respelled, lambda text: any(_leaks(text, secret) for secret in SECRETS.values())
    )


def test_the_byte_expressions_match_exactly_the_characters_read_otherwise() -> None:
    """Whether a text reads otherwise is found over its UTF-8 bytes: each character is one of
    those the view changes exactly when the expression over its bytes matches it."""
    from mcpward.dlp import _respelled

    tables = _respelled._tables()
    for code in (*range(0x20000), *range(0xE0000, 0xE1100)):
        if 0xD800 <= code < 0xE000:
            continue
        data = chr(code).encode()
        looked_for = code in tables.table and code != _respelled._HANGUL_FILLER  # (by ``in``)
        assert bool(tables.respelling_bytes.fullmatch(data)) == looked_for, hex(code)
        assert bool(tables.invisible_bytes.fullmatch(data)) == (
            code in tables.table and tables.table[code] is None
        ), hex(code)
