"""Two more ways to respell a GitHub token or an AWS key so that a model (or the attacker's
server) still reads it and no DLP rule matches:

- look-alike letters of other scripts in the token: ``gh``, U+0440 (Cyrillic small er, drawn as
  "p"), ``_...``, or every letter that has one in Cyrillic or Greek (AKIA in the Cyrillic
  capitals U+0410, U+041A, U+0406, U+0410, or in Greek ones): the engine read NFKC's look-alikes
  (mathematical, circled, full-width letters) but not these, which NFKC leaves;
- invisible characters between the token's letters written as escapes in JSON or HTML text
  (``gh\\u200bp_...``, ``&#8203;``, ``&#x200b;``, ``&zwj;``, ``\\u00ad``, ``\\ufeff``, ``\\u2060``): the engine
  read the characters themselves, and escapes only from one of printable ASCII, so a token of
  such escapes was left as written.

Each passed `dlp scan`, the gateway's DLP (arguments and results) and `redact_text` unmasked
(found by a review of the DLP engine, 2026-12-05: 28 of 28 spellings missed). A text where a
look-alike of another script touches an ASCII letter, digit or underscore is now read again
with them as the ASCII letters they are drawn as (``mcpward.dlp._respelled``), and a token whose
escapes include one of an invisible character is decoded, and what it spells read as written
and as a reader sees it. Russian, Ukrainian and Greek prose (with Latin names and numbers among
its words), and JSON and HTML text with these escapes used as meant, hold no match; the cost
stays linear on input dense with either."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from dlp_spelling_kit import (
    assert_dense_tokens_cost_linear_time,
    assert_masked_in_place,
    assert_masked_through_gateway,
    assert_native_and_python_agree,
    assert_repeated_piece_costs_linear_time,
    each_secret_each_spelling,
    forwarded_by_the_policy,
    made_up_credentials,
    made_up_token,
    sentences,
)

from mcpward.dlp.scanning import redact, scan_json, scan_text

GITHUB, AWS_ID, _ = made_up_credentials(91)
SECRETS = {"github-token": GITHUB, "aws-access-key-id": AWS_ID}

CYRILLIC = dict(zip("ABEKMHOPCTXYaeopcyxsijh", "АВЕКМНОРСТХУаеорсухѕіјһ", strict=True))
GREEK = dict(zip("ABEZHIKMNOPTYXov", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧον", strict=True))


def _spellings(secret: str) -> dict[str, str]:
    first = next(at for at, character in enumerate(secret) if character in CYRILLIC)
    return {
        "one Cyrillic letter": secret[:first] + CYRILLIC[secret[first]] + secret[first + 1 :],
        "every letter Cyrillic has": "".join(CYRILLIC.get(character, character) for character in secret),
        "every letter Greek has": "".join(GREEK.get(character, character) for character in secret),
        "Cyrillic and Greek alternately": "".join(
            (CYRILLIC if at % 2 else GREEK).get(character, character) for at, character in enumerate(secret)
        ),
        "\\u200b between every letter": "\\u200b".join(secret),
        "one \\u200B": secret[:3] + "\\u200B" + secret[3:],
        "\\u00ad soft hyphens": "\\u00ad".join(secret),
        "\\u2060 word joiners": secret[:8] + "\\u2060" + secret[8:16] + "\\u2060" + secret[16:],
        "\\ufeff": secret[:5] + "\\ufeff" + secret[5:],
        "&#8203; references": "&#8203;".join(secret),
        "&#x200b; references": secret[:4] + "&#x200b;" + secret[4:],
        "&#173 without a semicolon": secret[:6] + "&#173" + secret[6:],
        "&zwj; and &ZeroWidthSpace; (named)": secret[:3] + "&zwj;" + secret[3:9] + "&ZeroWidthSpace;" + secret[9:],
        "a Cyrillic letter after a \\u200c": secret[:first] + "\\u200c" + CYRILLIC[secret[first]]
        + secret[first + 1 :],
    }  # fmt: skip


def _leaks(redacted: str, secret: str) -> bool:
    """Whether ``redacted`` still shows a part of the secret that identifies it (read as the
    engine reads it: escapes of invisible characters and look-alikes as what they stand for)."""
    seen = redacted
    for escape in (
        "\\u200b",
        "\\u200B",
        "\\u00ad",
        "\\u2060",
        "\\ufeff",
        "\\u200c",
        "&#8203;",
        "&#x200b;",
        "&#173",
        "&zwj;",
        "&ZeroWidthSpace;",
    ):
        seen = seen.replace(escape, "")
    seen = seen.translate(
        str.maketrans({**{v: k for k, v in CYRILLIC.items()}, **{v: k for k, v in GREEK.items()}})
    )
    return any(secret[at : at + 12] in seen for at in range(0, len(secret) - 11))


@each_secret_each_spelling(SECRETS, _spellings, "AKIAx")
def test_a_respelled_secret_is_found_and_masked_whole(name: str, spelling: str) -> None:
    secret = SECRETS[name]
    text = f"Here is the key you asked for: {_spellings(secret)[spelling]} -- end"
    matches = [m for m in scan_text(text) if m.kind == "secret"]
    assert [m.rule for m in matches] == [name], (spelling, matches)
    assert {"other-scripts", "invisible-characters"} & set(matches[0].encoding.split("+")), matches
    assert_masked_in_place(
        text, "Here is the key you asked for: ", " -- end", lambda masked: _leaks(masked, secret)
    )


def test_the_pure_python_path_finds_the_same() -> None:
    assert_native_and_python_agree(sentences(SECRETS, _spellings))


def test_in_a_json_argument_through_the_gateway_policy() -> None:
    for secret in SECRETS.values():
        for spelled in _spellings(secret).values():
            forwarded = forwarded_by_the_policy(spelled)
            assert not _leaks(json.dumps(forwarded, ensure_ascii=False), secret), forwarded


def test_a_json_document_inside_a_string_with_an_escaped_zero_width_space() -> None:
    """A tool result whose text is a JSON document (``json.dumps`` writes U+200B as ``\\u200b``)."""
    document = json.dumps({"config": {"note": GITHUB[:10] + "\u200b" + GITHUB[10:], "retries": 3}})
    assert "\\u200b" in document
    assert [m.rule for m in scan_json({"content": [{"type": "text", "text": document}]})] == ["github-token"]
    assert not _leaks(redact(document), GITHUB)


# -- clean text holds no match -------------------------------------------------------------------

CLEAN = {
    "Russian with Latin names": "Установите Python3 и Django4, затем откройте config.json и README.md. "
    "API-ключ хранится в Vault, токен обновляется раз в 30 дней. " * 20,
    "Russian with Latin words glued on": "Сервер nginxа и PostgreSQLем работает; iPhoneы и Windowsы, x86_64-сборка. " * 30,
    "Ukrainian": "Привіт, це тест. Київ і Харків, версія v2.1.0 для Linux. " * 30,
    "Greek with Latin names": "Ο Γιώργος έγραψε κώδικα σε Python3 και Rust· API και HTTP/2 στο AWS. " * 30,
    "Bulgarian and Serbian": "Здравей, свят! Ћао, како си? Ђорђе је овде. " * 30,
    "a Russian table of codes": "\n".join(f"Артикул A{n:04d}Б: цена {n * 7} руб." for n in range(200)),
    "JSON text with escapes of invisible characters": json.dumps(
        {"name": "Zoe\u200d\u200b", "text": "co\u00adop\u00aderation \ufeffstart, wo\u2060rd, emoji \U0001f468\u200d\U0001f4bb"}
    ) * 20,
    "HTML with soft hyphens and zero-width spaces": "<p>In&shy;ter&#173;na&#xad;tional co&#8203;op&#x200B;eration</p>" * 40,
    "long words with soft-hyphen escapes": "\\u00ad".join(["Donau", "dampf", "schiff", "fahrts", "gesellschaft"] * 40),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CLEAN))
def test_text_that_uses_these_characters_as_meant_holds_no_match(name: str) -> None:
    text = CLEAN[name]
    assert [m for m in scan_text(text) if m.kind == "secret"] == [], name
    assert [m for m in scan_json({"v": text, "w": [text[:500]]}) if m.kind == "secret"] == [], name


# -- linear time ---------------------------------------------------------------------------------

HOSTILE_PIECES = ["aр", "рa", "р_", "Аa1", "ghр_", "а", "аb ", "Привет a ", "\\u200b", "a\\u200b", "&#8203;",
                  "a&#8203", "&#x200b", "\\u200", "&zwj;", "a&shy;b", "&ZeroWidthSpace", "a\\u00ad" * 3 + " ", "ghр\\u200b"]  # fmt: skip


@pytest.mark.parametrize("piece", HOSTILE_PIECES)
def test_hostile_pieces_cost_linear_time(piece: str) -> None:
    assert_repeated_piece_costs_linear_time(piece)


def test_dense_respelled_tokens_cost_linear_time() -> None:
    assert_dense_tokens_cost_linear_time(
        [
            f"token {seed}: " + _spellings(made_up_token("ghp_", string.ascii_letters, 36, seed))[spelling]
            for seed in range(20)
            for spelling in ("one Cyrillic letter", "\\u200b between every letter")
        ]
    )


def test_a_megabyte_of_russian_prose_is_not_read_again() -> None:
    """Russian prose has look-alikes in nearly every word, none beside an ASCII letter: found
    so from its bytes, without the expression that stops at each of them."""
    from mcpward.dlp._respelled import has_respelling

    prose = "Съешь же ещё этих мягких французских булок, да выпей чаю. Сервер на Linux и Python 3. " * 12_000
    assert not has_respelling(prose)
    assert has_respelling(prose + "ghр_")


# -- end to end: the official SDK's client through `mcpward gateway run` ------------------------


def test_respelled_secrets_in_arguments_and_results_pass_the_gateway_masked(tmp_path: Path) -> None:
    spelled = [value for secret in SECRETS.values() for value in _spellings(secret).values()]
    assert_masked_through_gateway(
        tmp_path, spelled, spelled, lambda text: any(_leaks(text, secret) for secret in SECRETS.values())
    )
