"""Triggers derived from the rules' exact patterns, and the one-pass scan of a JSON message's
strings: a derived trigger matches every span its pattern matches (so nothing is lost by
running it first), fires on much less ordinary text than the hand-written ones did, and the
one pass over all strings finds what a pass per string finds."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import hyperscan
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpward._multimatch import MultiMatcher
from mcpward._trigger import derived_trigger
from mcpward.dlp import _engine
from mcpward.dlp._engine import Engine, builtin_rules
from mcpward.dlp.scanning import json_strings, scan_json, strings_of
from test_dlp import FLAGGED, GITHUB, NOT_FLAGGED

PROSE = (
    "Hi team, following up on the deployment review from Tuesday. The build for release 4.2 passed "
    "integration tests on staging; latency on the search endpoint is back under 120 ms at p95. "
    "Call the vendor on Monday; token counts are at 4096 per request, 3 retries, 250 users."
)


def _fullmatches(trigger: str, caseless: bool, span: str) -> bool:
    """Whether the trigger matches the whole span, asked of Hyperscan, the engine the product
    runs triggers on (a trigger is an automaton's pattern: nested repeats that Python's
    backtracking ``re`` took 15 s over are linear there)."""
    database = hyperscan.Database()
    flags = hyperscan.HS_FLAG_ALLOWEMPTY | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
    database.compile(expressions=[rb"\A(?:" + trigger.encode() + rb")\z"], flags=[flags])
    ends: list[int] = []
    database.scan(span.encode("utf-8", "surrogatepass"), match_event_handler=lambda *hit: ends.append(hit[2]))
    return bool(ends)


def test_every_builtin_rule_has_a_derived_trigger_the_native_matcher_takes() -> None:
    rules = builtin_rules()
    triggers = [derived_trigger(rule.pattern, rule.caseless) for rule in rules]
    assert [rule.id for rule, trigger in zip(rules, triggers, strict=True) if trigger is None] == []
    matcher = MultiMatcher([t or "" for t in triggers], [rule.caseless for rule in rules])
    assert matcher.native


@pytest.mark.parametrize("text,rule_id", FLAGGED)
def test_the_trigger_matches_every_span_its_pattern_matches(text: str, rule_id: str) -> None:
    for rule in builtin_rules():
        trigger = derived_trigger(rule.pattern, rule.caseless)
        assert trigger is not None
        for match in re.finditer(rule.pattern, text, re.IGNORECASE if rule.caseless else 0):
            assert _fullmatches(trigger, rule.caseless, match.group(0)), (rule.id, match.group(0))


@settings(max_examples=300, deadline=None)
@given(
    user=st.text(alphabet="abcé.-_日", min_size=1, max_size=12),
    password=st.text(alphabet="xyzü€!#%0123", min_size=3, max_size=40),
    host=st.text(alphabet="dbé.-1", min_size=1, max_size=12),
)
def test_non_ascii_characters_widen_the_trigger_instead_of_escaping_it(
    user: str, password: str, host: str
) -> None:
    """A character outside ASCII is up to four bytes: bounded repeats over such characters must
    not cut a match short in the byte-level trigger."""
    text = f"see postgres://{user}:{password}@{host}/app now"
    for rule_id in ("database-url-password", "url-password", "keyed-secret"):
        rule = next(r for r in builtin_rules() if r.id == rule_id)
        trigger = derived_trigger(rule.pattern, rule.caseless)
        assert trigger is not None
        for match in re.finditer(rule.pattern, text, re.IGNORECASE if rule.caseless else 0):
            assert _fullmatches(trigger, rule.caseless, match.group(0)), (rule_id, match.group(0))


def test_relaxations_and_refusals() -> None:
    assert (
        derived_trigger(r"(?<![A-Za-z])ghp_[A-Za-z0-9]{36}(?![A-Za-z])")
        == r"ghp\x5f(?:[\x41-\x5a\x61-\x7a\x30-\x39]){36,36}(?:[^\x41-\x5a\x61-\x7a]|$)"
    )
    assert derived_trigger(r"\bkey\b") == "key"  # zero-width conditions dropped
    quoted = derived_trigger(r"""(?P<q>["']?)x(?P=q)""")
    assert (
        quoted is not None and re.fullmatch(quoted.encode(), b"'x'") and re.fullmatch(quoted.encode(), b"x")
    )
    assert derived_trigger("abc", caseless=True) == "[aA][bB][cC]"
    assert derived_trigger(r"[^\W]+") is None  # the bytes of a non-ASCII letter are in \w and \W alike
    assert derived_trigger(r"[à-ÿ]+") is None
    assert derived_trigger(r"(?x) a b") is None


def test_a_closing_look_ahead_is_kept_as_the_byte_after_the_match() -> None:
    """A look-ahead that ends the pattern and refuses characters becomes one byte none of them
    (outside ASCII always passes) or the end: reports only where a match can end."""
    assert derived_trigger(r"\d{3}(?![\w-])") == r"(?:[0-9]){3,3}(?:[^0-9A-Za-z_\x2d]|$)"
    # Branches of more than one character are left out (refusing "." then a digit still lets
    # "." through); a negated class, a look-behind and a look-ahead not at the end stay dropped.
    assert derived_trigger(r"\d{3}(?!\w|\.\d)") == r"(?:[0-9]){3,3}(?:[^0-9A-Za-z_]|$)"
    assert derived_trigger(r"\d{3}(?![^x])") == r"(?:[0-9]){3,3}"
    assert derived_trigger(r"\d{3}(?<!1)") == r"(?:[0-9]){3,3}"
    assert derived_trigger(r"\d(?!x)\d") == r"[0-9][0-9]"
    # Kept only where a newline passes: the pass over many strings joins them with one.
    assert derived_trigger(r"\d{3}(?!\s)") == r"(?:[0-9]){3,3}"
    # A refused character outside ASCII: the look-ahead dropped, the trigger still derived.
    assert derived_trigger(r"\d{3}(?![é-])") == r"(?:[0-9]){3,3}"
    caseless = derived_trigger(r"ab(?![a-c])", caseless=True)
    assert caseless == r"[aA][bB](?:[^\x61-\x63\x41\x42\x43]|$)"


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.text(alphabet="0123456789 -.()+:aZ_é…\n", min_size=0, max_size=30), min_size=1, max_size=4
    )
)
def test_a_closing_look_ahead_loses_no_match_alone_or_at_a_strings_end(pieces: list[str]) -> None:
    """Every rule whose trigger keeps its closing look-ahead still fires, natively, for every
    string its exact pattern matches in: alone, and among others in the pass over many
    strings (where a string's end is followed by the joining newline)."""
    rules, matcher = _closing()
    assert {r.id for r in rules} >= {"phone-number", "credit-card", "us-ssn", "ipv4-address", "email-address"}
    lengths = [len(piece.encode()) for piece in pieces]
    each = matcher.fired_in_each("\n".join(pieces).encode(), lengths) or {}
    for number, piece in enumerate(pieces):
        alone = matcher.fired(piece.encode())
        for index, rule in enumerate(rules):
            if re.search(rule.pattern, piece, re.IGNORECASE if rule.caseless else 0):
                assert index in alone, (rule.id, piece)
                assert index in each.get(number, set()), (rule.id, pieces)


@cache
def _closing() -> tuple[list[_engine.DlpRule], MultiMatcher]:
    """The rules whose trigger keeps its closing look-ahead, and their triggers' matcher."""
    triggers = [(r, derived_trigger(r.pattern, r.caseless) or "") for r in builtin_rules()]
    closing = [(r, t) for r, t in triggers if t.endswith("|$)")]
    return [r for r, _ in closing], MultiMatcher([t for _, t in closing], [r.caseless for r, _ in closing])


def test_derived_triggers_fire_on_less_ordinary_text_than_the_hand_written_ones() -> None:
    rules = builtin_rules()
    derived = MultiMatcher([_engine._trigger_of(r) for r in rules], [r.caseless for r in rules])
    written = MultiMatcher([r.trigger for r in rules], [r.caseless for r in rules])
    data = PROSE.encode()
    # (the hand-written phone-number trigger, "[0-9]{3}", fired here too until it was tightened)
    assert {rules[i].id for i in written.fired(data)} >= {"keyed-secret"}
    assert derived.fired(data) == set()
    assert Engine().scan(PROSE) == []


def _message() -> dict[str, object]:
    tools = [
        {
            "name": f"tool_{n}",
            "description": (PROSE if n % 3 else "Sends mail for ops@corp-mail.io, token=Qm8zLp2Vx7RkN4sT"),
            "inputSchema": {"type": "object", "properties": {"to": {"type": "string"}, n: "é"}},
        }
        for n in range(30)
    ]
    return {
        "jsonrpc": "2.0",
        "id": 7,
        "result": {"tools": tools, "notes": [t for t, _ in FLAGGED] + NOT_FLAGGED},
    }


def _one_string_at_a_time(value: object, engine: Engine) -> list[tuple[str | None, str, int, int]]:
    return [
        (m.path, m.rule, m.start, m.end) for path, text in strings_of(value) for m in engine.scan(text, path)
    ]


def _found(matches: list[_engine.DlpMatch]) -> list[tuple[str | None, str, int, int]]:
    return [(m.path, m.rule, m.start, m.end) for m in matches]


def test_one_pass_over_a_messages_strings_finds_what_a_pass_per_string_finds() -> None:
    engine, message = Engine(), _message()
    expected = _one_string_at_a_time(message, engine)
    assert len({path for path, *_ in expected}) == 10 + len(FLAGGED)
    assert _found(scan_json(message, engine)) == expected
    assert _found(scan_json(message, Engine(use_hyperscan=False))) == expected


def test_too_many_reports_fall_back_to_a_pass_per_string(monkeypatch: pytest.MonkeyPatch) -> None:
    engine, message = Engine(), _message()
    expected = _one_string_at_a_time(message, engine)
    monkeypatch.setattr("mcpward._multimatch._REPORTS_PER_PIECE", 0)
    calls = []
    scan = engine.scan
    monkeypatch.setattr(engine, "scan", lambda text, path=None: calls.append(text) or scan(text, path))
    assert _found(scan_json(message, engine)) == expected
    assert len(calls) == len(set(json_strings(message).texts))  # the budget ran out: each string alone


def test_strings_longer_than_a_chunk_are_scanned_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_engine, "CHUNK", 64)
    engine = Engine()
    long = "x " * 100 + "write to jane.doe@corp-mail.co.uk " + "y " * 100
    value = {"short": "mail bob@corp-mail.io", "long": long, "key": "SSN 536-22-4567"}
    assert _found(scan_json(value, engine)) == [
        ("$.short", "email-address", 5, 21),
        ("$.long", "email-address", 209, 233),
        ("$.key", "us-ssn", 4, 15),
    ]


def test_paths_tell_a_list_index_from_an_integer_key_and_a_name_from_its_value() -> None:
    value = {"a b": [{"1": "x"}, "y"], 2: {"c": ["z"]}}
    assert list(strings_of(value)) == [
        ("$['a b'](key)", "a b"),
        ("$['a b'][0]['1'](key)", "1"),
        ("$['a b'][0]['1']", "x"),
        ("$['a b'][1]", "y"),
        ("$[2](key)", "2"),
        ("$[2].c(key)", "c"),
        ("$[2].c[0]", "z"),
    ]


def test_an_expression_the_native_library_refuses_gives_way_to_its_fallback_alone() -> None:
    """A derived trigger the native library cannot take is replaced by the rule's hand-written
    one, not by the pure-Python path for every rule."""
    refused = r"(ab)\1"  # a back-reference: Python takes it, Hyperscan does not
    with pytest.raises(hyperscan.error):
        hyperscan.Database().compile(expressions=[refused.encode()], ids=[0], elements=1, flags=[0])
    matcher = MultiMatcher([refused, "ghp_"], [False, False], fallbacks=["ab", "ghp_"])
    assert matcher.native
    assert matcher.fired(b"xx ab ghp_") == {0, 1}
    assert MultiMatcher([refused, "ghp_"], [False, False]).native is False


def test_compiled_databases_are_kept_and_a_damaged_one_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    text = "mail bob@corp-mail.io, key " + GITHUB
    first = Engine().scan(text)
    kept = sorted((tmp_path / "hyperscan").glob("*.db"))
    assert kept and all(path.stat().st_mode & 0o077 == 0 for path in kept)
    assert Engine().scan(text) == first  # from the kept database
    for path in kept:
        path.write_bytes(path.read_bytes()[:100] + b"\0" * 64)
    assert Engine().scan(text) == first  # damaged: compiled again, and kept again
    assert all(path.stat().st_size > 200 for path in kept)
    assert [m.rule for m in first] == ["email-address", "github-token"]


def test_the_walk_takes_as_deep_and_as_many_as_redaction_does_and_no_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mcpward.dlp import scanning
    from mcpward.dlp.scanning import MAX_DEPTH, ScanLimitError, redact_json

    def nested(depth: int, inner: object) -> object:
        for _ in range(depth):
            inner = [inner]
        return inner

    deepest = nested(MAX_DEPTH, [])  # an empty list at the last depth allowed
    assert json_strings(deepest).texts == [] and redact_json(deepest, []) == deepest
    with pytest.raises(ScanLimitError, match="deeper than"):
        json_strings(nested(MAX_DEPTH, ["x"]))
    monkeypatch.setattr(scanning, "MAX_STRINGS", 3)
    assert json_strings({"a": "b", "c": 1}).texts == ["a", "b", "c"]
    for too_many in (["a", "b", "c", "d"], {"a": "b", "c": "d"}, {"a": 1, "b": 2, "c": 3, "d": 4}):
        with pytest.raises(ScanLimitError, match="more than 3 strings"):
            json_strings(too_many)


def test_a_string_that_recurs_is_searched_once_and_reported_at_each_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A tool result carries its text twice (content and structuredContent).
    engine = Engine()
    text = "Reply to jane.doe@corp-mail.co.uk, SSN 536-22-4567."
    value = {"content": [{"type": "text", "text": text}], "structuredContent": {"result": text}, "n": "text"}
    searched: list[list[str]] = []
    many = engine.scan_many
    monkeypatch.setattr(
        engine, "scan_many", lambda texts, **options: searched.append(list(texts)) or many(texts, **options)
    )
    found = _found(scan_json(value, engine))
    assert found == [
        ("$.content[0].text", "email-address", 9, 33),
        ("$.content[0].text", "us-ssn", 39, 50),
        ("$.structuredContent.result", "email-address", 9, 33),
        ("$.structuredContent.result", "us-ssn", 39, 50),
    ]
    assert sorted(searched[-1]) == sorted(set(json_strings(value).texts))  # each distinct once


def _with_check_digits(country: str, rest: str) -> str:
    """An IBAN of ``country`` with ``rest`` as its account part and check digits that hold."""
    number = int("".join(str(int(c, 36)) for c in rest + country + "00"))
    return f"{country}{98 - number % 97:02d}{rest}"


@pytest.mark.parametrize("spelled", ["compact", "grouped", "lower"])
def test_the_iban_trigger_fires_on_every_country_s_iban(spelled: str) -> None:
    """The IBAN rule's native trigger is written, not derived (the derived one was the costliest
    automaton of the pass): every country's IBAN, however spelled, must still fire it and be found."""
    from mcpward.dlp._pii import _IBAN_LENGTHS

    rule = next(r for r in builtin_rules() if r.id == "iban")
    trigger = MultiMatcher([_engine._trigger_of(rule)], [rule.caseless])
    assert trigger.native
    engine = Engine()
    for country, length in _IBAN_LENGTHS.items():
        iban = _with_check_digits(country, ("7Q0B1234567890ABCD" * 3)[: length - 4])
        if spelled != "compact":
            iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        if spelled == "lower":
            iban = iban.lower()
        text = f"Transfer to {iban}, thanks"
        assert trigger.fired(text.encode()) == {0}, iban
        assert [text[m.start : m.end] for m in engine.scan(text) if m.rule == "iban"] == [iban]


_PIECES = [
    "(624) 369-3387", "020 7946 0958", "+44 20 3765 8119", "4539 1488 0343 6467", "4539148803436467",
    "352-58-9908", "190.183.14.216", "fe80:4a8f::1c85:10c0", "bob.5999@mail48.example.org",
    "GB82 WEST 1234 5698 7654 32", "12", "1-", "555", "0", "x",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_PIECES), st.sampled_from(["", " ", "-", "\n", ",", "(", "+", "é", "."])),
        min_size=1,
        max_size=12,
    )
)
def test_matches_side_by_side_are_found_in_the_windows_as_in_the_whole_text(
    parts: list[tuple[str, str]],
) -> None:
    """Where matches touch (a number glued to the next by a separator or none), the exact
    patterns run only in the native pass's windows (and stop searching a window when no other
    match fits in what is left of it) find what a search of the whole text finds."""
    text = "".join(piece + separator for piece, separator in parts)
    assert _found(_native().scan(text)) == _found(_python().scan(text))


@cache
def _native() -> Engine:
    return Engine()


@cache
def _python() -> Engine:
    return Engine(use_hyperscan=False)
