"""The DLP engine: every rule's trigger found in one pass, then exact matching and validation
on the rules that fired.

Each rule has an exact Python pattern with its validator, and a *trigger*, an expression
without look-around that matches wherever the pattern does: the pattern itself relaxed into
what Hyperscan takes (``mcpward._trigger``), or where that cannot be derived, a hand-written
one (a fixed prefix) that every match contains. The triggers of all rules are
compiled into one Hyperscan (Vectorscan) database and run in a single pass over the data; where
the native library is missing, the hand-written triggers run with Python's ``re`` (faster there).
Only the rules that fired run their exact pattern, and every trigger matches wherever its
pattern does, so both paths give the same results, and text that holds nothing sensitive costs
one pass.

With Hyperscan, the triggers are also run with start-of-match tracking where a rule fired, and
each exact pattern is searched only in the windows its trigger matched (a match-dense text
once cost a search of the whole text per rule, and pairwise overlap checks: quadratic).

Every exact pattern is linear: bounded repetitions, and nested ones only where what repeats
cannot be split two ways (a key's lines and the breaks between them), so hostile input cannot
make matching backtrack catastrophically (tests/adversarial/test_dlp_linear.py).

Four more triggers in the same pass find runs of base64, base32 and hex, escapes of bytes and
characters, bytes written as numbers parted by separators, and base64 split into groups
(``mcpward.dlp._encoded``): where one fires, the runs are decoded, and what they spell (UTF-8
or UTF-16) is scanned in turn (two levels at most) for secrets, each reported against its run
(tests/adversarial/test_dlp_encoded_secrets.py,
tests/adversarial/test_dlp_encoded_secrets_other_encodings.py,
tests/adversarial/test_dlp_parted_encodings.py).

A text that a reader sees otherwise than as written (``mcpward.dlp._respelled``: tag
characters, invisible characters between ASCII ones, full-width and look-alike letters, Cyrillic
and Greek letters drawn as Latin ones beside ASCII ones) is read again as the reader sees it,
and a secret found only there masks its whole span as written
(tests/adversarial/test_dlp_invisible_characters.py,
tests/adversarial/test_dlp_other_scripts_and_escaped_invisibles.py). ASCII text never is.
"""

from __future__ import annotations

import bisect
import importlib
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from mcpward._multimatch import MultiMatcher, SpanFinder
from mcpward._regex import compiled
from mcpward._trigger import derived_trigger
from mcpward.dlp._credentials import (
    CREDENTIAL_FORMATS,
    is_code_expression,
    is_plausible,
    is_user_key,
    looks_like_literal_secret,
    mask,
    path_key_span,
    prefix_trigger,
)
from mcpward.dlp._encoded import EVERY_MATCH_TRIGGERS, EncodedRun, encoded_runs, native_places
from mcpward.dlp._encoded import TRIGGERS as ENCODED_TRIGGERS
from mcpward.dlp._pii import (
    DEFAULT_PHONE_REGIONS,
    card_valid,
    email_valid,
    iban_pattern,
    iban_valid,
    ipv4_valid,
    ipv6_valid,
    national_phone_validator,
    phone_in_context_valid,
    phone_valid,
    ssn_valid,
)
from mcpward.dlp._respelled import has_respelling, kinds, respelled
from mcpward.model import Severity

#: Longest text scanned as one unit; longer strings are scanned in overlapping chunks.
CHUNK = 1 << 20
#: Chunks overlap by more than the longest private key (a PGP block with subkeys, 16 KB): one
#: that starts near the end of a chunk is matched whole there.
OVERLAP = 1 << 16


@dataclass(frozen=True, slots=True)
class DlpRule:
    id: str
    kind: str  # secret, pii, custom
    trigger: str  # Hyperscan-compatible
    pattern: str  # exact, Python syntax
    confidence: float
    validator: Callable[[str], bool] | None = None
    visible_prefix: int = 0
    caseless: bool = False
    action: str = "alert"  # alert, redact, block
    severity: Severity = Severity.HIGH
    #: Words that, just before a match, say it is something else ("version 1.2.3.4").
    not_after: tuple[str, ...] = ()
    #: Named group ``secret`` of the pattern holds the sensitive part; ``key`` its name.
    keyed: bool = False
    #: A pattern for runs of the characters a match can begin with: the exact pattern is tried
    #: only at positions in such runs instead of at every position of the text.
    starts: str = ""
    #: Where in a match (or its ``value``) the secret is, as (start, end), or None where it holds
    #: none: a URL judged by its parts, whose key is one of its path's segments.
    locate: Callable[[str], tuple[int, int] | None] | None = None


@dataclass(frozen=True, slots=True)
class DlpMatch:
    rule: str
    kind: str
    start: int
    end: int
    confidence: float
    redacted: str
    action: str
    path: str | None = None
    severity: Severity = Severity.HIGH
    #: How the text the match was found in was encoded ("base64", "base32", "hex", "decimal", "escapes",
    #: with "/utf-16" after it where the text was UTF-16; two levels joined by "+"): the match
    #: is the encoded run. Empty for a match in the text as written.
    encoding: str = ""


def _credential_rules() -> list[DlpRule]:
    rules = []
    for fmt in CREDENTIAL_FORMATS:
        trigger = fmt.trigger or prefix_trigger(fmt.pattern)
        if not trigger:
            continue
        rules.append(
            DlpRule(fmt.kind, "secret", trigger, fmt.pattern, 0.9, visible_prefix=fmt.visible_prefix)
        )
    return rules


#: Personal data: (id, exact pattern, trigger, validator, confidence).
_PII: tuple[tuple[str, str, str, Callable[[str], bool] | None, float], ...] = (
    (
        "email-address",
        r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])",
        "@",
        email_valid,
        0.85,
    ),
    # Card numbers: not after a letter or other word character (a licence number "D4539..."),
    # nor after a digit and a decimal point (the fraction of a number: one double between 0 and
    # 1 in fifty, as programs print them, read as a card) but in a card's groups ("1.4111 1111
    # 1111 1111", a list numbered without a space: a fraction has no separators), and from a
    # card issuer's range with its lengths, besides Luhn: columns of a table ("21492145 238 6013"), ISBNs and
    # transaction IDs passed Luhn by chance one time in ten.
    # Triggers (for the pure-Python path): 12 digits with single separators, as in every card
    # number (Maestro's are 12 to 19; "[0-9]{4}" fired on every year and missed numbers
    # written in pairs).
    (
        "credit-card",
        r"(?<![\w-])(?:(?<!\d\.)|(?=\d{4}(?: \d{4,6} |-\d{4,6}-)\d))(?:\d[ -]?){11,18}\d(?![\w-])",
        r"[0-9](?:[ -]?[0-9]){11}",
        card_valid,
        0.85,
    ),
    # Any case ("de89 3704 ..."), each country's exact length (letters spelt in both cases).
    ("iban", iban_pattern(), r"[A-Za-z]{2}[0-9]{2}", iban_valid, 0.9),
    ("us-ssn", r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])", r"[0-9]{3}-[0-9]{2}-[0-9]{4}", ssn_valid, 0.8),
    (
        "ipv4-address",
        # at the end of a sentence too ("from 82.165.12.7."), not before another number's part
        r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\w)",
        r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",
        ipv4_valid,
        0.6,
    ),
    # Full or with "::" for a run of zero groups anywhere ("2a00:1450:4001:82a::200e" was
    # missed: "::" was taken only at the end), or with an IPv4 address for the last two.
    # Written from a group and a colon: "::1" and "::ffff:..." are loopback or mapped IPv4
    # addresses, which the IPv4 rule reports.
    (
        "ipv6-address",
        r"(?<![\w:])[0-9a-fA-F]{1,4}:(?:[0-9a-fA-F]{0,4}:){1,6}"
        r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]{1,4})?(?![\w:]|\.\w)",
        r"[0-9a-fA-F]{1,4}:[0-9a-fA-F]{0,4}:",
        ipv6_valid,
        0.6,
    ),
    # International numbers with their +country code, or the North American 3-3-4 form: bare
    # groups of digits are more often card or account fragments than telephone numbers.
    (
        "phone-number",
        # E.123's and the common variants: "+44 20 7946 0958", "+1 (212) 555-0143", "(+44) 20
        # ...", "+33 (0)6 12 34 56 78", "+49 30/1234567", "+12125550143"; "(212)555-0143".
        # The digits one at a time, each after at most one separator: a run of them reads one
        # way only, so the look-ahead's failures cannot try every split (groups of one to five
        # digits could), and Hyperscan can track where a match starts.
        r"(?<![\w+])(?:(?:\(\+\d{1,3}\)|\+\d{1,3})(?:[ .-]?\(\d{1,4}\))?(?:[ ./-]?\d){4,24}"
        r"|(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4})"
        r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?(?![\w-])",
        # a country code, or three digits and three more after a separator ("[0-9]{3}" fired
        # on every year and missed "+1 2 34 56 78")
        r"\+[0-9]|[0-9]{3}\)?[ .-][0-9]{3}|[0-9]{3}\)[0-9]{3}",
        phone_valid,
        0.6,
    ),
)


#: The characters matches of the costlier PII patterns begin with: phone numbers start at "+",
#: "(" or a digit (the pattern searched at every position cost 0.15 ms per 4 KB of prose).
_STARTS = {"phone-number": r"[+(0-9]+"}

_KEY_WORDS = (
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key"
    r"|private[_-]?key|client[_-]?secret|credentials?)"
)
_KEYED_TRIGGER = _KEY_WORDS
_KEYED_PATTERN = (
    r"(?P<key>[A-Za-z0-9_.-]{0,40}"
    + _KEY_WORDS
    + r"[A-Za-z0-9_.-]{0,20})[\"']?[ \t]{0,4}(?::=|=>|[:=])[ \t]{0,4}"
    r"(?P<q>[\"'`]?)(?P<secret>[^\"'`\s,;]{4,200})(?P=q)"
)


def _has_format_match(value: str) -> bool:
    """A value a specific credential rule reports already."""
    from mcpward.dlp._credentials import find_credentials

    return bool(find_credentials(value))


@cache
def builtin_rules(phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> tuple[DlpRule, ...]:
    """The built-in rules; telephone numbers in national formats are those of ``phone_regions``
    (ISO 3166 codes, as the policy's ``phone_regions`` sets them)."""
    rules = _credential_rules()
    # A value assigned to a secret-named key (password=, api_key:, "token": "...") that looks
    # like a secret rather than a reference or a placeholder: the generic rule.
    rules.append(
        DlpRule(
            "keyed-secret",
            "secret",
            _KEYED_TRIGGER,
            _KEYED_PATTERN,
            0.7,
            keyed=True,
            caseless=True,
            severity=Severity.MEDIUM,
        )
    )
    # The same judgement for HTTP Authorization headers, `curl -u user:password` and URLs that
    # carry a password.
    rules.append(
        DlpRule(
            "authorization-header",
            "secret",
            "authorization",
            # The scheme is optional: services also take a bare key or their own scheme name.
            r"(?P<key>authorization)[\"']?\s{0,4}[:=]\s{0,4}(?P<q>[\"']?)(?:[A-Za-z][A-Za-z-]{1,20}\s+)?"
            r"(?P<secret>[A-Za-z0-9._~+/=@-]{8,4096})",
            0.85,
            keyed=True,
            caseless=True,
        )
    )
    # The command may go on over lines ending in a backslash. A user name with an empty
    # password (``-u sk_live_...:``) is how several APIs take a key.
    for pattern in (
        _CURL_USER + r"[\"']?[^:\s\"']{0,100}[\"']?:[\"']?(?P<key>)(?P<secret>[^\s\"']{3,200})",
        _CURL_USER + r"[\"']?(?P<key>)(?P<secret>[^:\s\"']{8,200}):[\"']?(?![^\s\"'])",
    ):
        rules.append(DlpRule("curl-user-password", "secret", "curl", pattern, 0.85, keyed=True))
    rules.append(
        DlpRule(
            "url-password",
            "secret",
            "://",
            r"\b[a-z][a-z0-9+.-]{1,20}://[^\s:@/'\"]{1,128}:(?P<key>)(?P<secret>[^\s@/'\"]{3,128})@[^\s'\"/]{1,256}",
            0.9,
            keyed=True,
            caseless=True,
        )
    )
    # A key as a URL's user name, with or without a password (git's form for a personal
    # access token: https://<token>@github.com/...): random, not a name (is_user_key).
    rules.append(
        DlpRule(
            "url-user-key",
            "secret",
            "://",
            r"\b[a-z][a-z0-9+.-]{1,20}://(?P<value>[A-Za-z0-9._~+=%-]{16,128})"
            r"(?=(?::[^\s@/'\"]{0,128})?@[^\s'\"/@]{1,256})",
            0.9,  # over the e-mail address its user and host make
            validator=is_user_key,
            caseless=True,
        )
    )
    # The key a hosted MCP service puts in a client's own URL (/mcp/<key>, /api/mcp/s/<key>/sse):
    # the URL whole (to its end: read once, however many "://" it holds), judged as redact_url
    # judges it (path_key_span), and its key segment reported. redact_text masked it before, but
    # the engine did not, so it passed the gateway both ways.
    rules.append(
        DlpRule(
            "url-path-key",
            "secret",
            "://",
            r"\b[a-z][a-z0-9+.-]{1,20}://[^\s'\"<>`]+",
            0.9,
            caseless=True,
            locate=path_key_span,
        )
    )
    for rule_id, pattern, trigger, validator, confidence in _PII:
        not_after = ("version", "release", "ver", "build") if rule_id.startswith("ip") else ()
        rules.append(
            DlpRule(
                rule_id,
                "pii",
                trigger,
                pattern,
                confidence,
                validator=validator,
                severity=Severity.MEDIUM,
                not_after=not_after,
                starts=_STARTS.get(rule_id, ""),
            )
        )
    # Local numbers in any national format ("(07) 5331 0577", "69 987 88 37") only where a word
    # says a telephone number is meant, before it ("Mobile:", "call me at") or after it ("office").
    # Each trigger needs the word next to a digit, so "tools/call" alone fires nothing.
    # The word may stand on the line before ("Phone:" over the number) or be glued on with a
    # hyphen ("0612345678-Fax").
    for trigger, pattern in (
        (
            _PHONE_LEAD_WORDS + r"[^0-9]{0,16}[0-9]",
            # up to two short words between ("phone number is", "contact me at")
            _PHONE_LEAD_WORDS
            + r"\b[^\w\n]{0,3}(?:\n[^\w\n]{0,8})?(?:(?:at|on|is|me|us|number|no\.?|#)[^\w\n]{1,3}){0,2}"
            r"(?P<value>" + _LOCAL_PHONE + ")",
        ),
        (
            r"[0-9](?:[ \t]{1,3}(?:\(|-[ \t])?|-)" + _PHONE_WORDS,
            r"(?<![\w+])(?P<value>"
            + _LOCAL_PHONE_DIGITS
            + r")(?!\w)(?:[ \t]{1,3}(?:\(|-[ \t])?|-)"
            + _PHONE_WORDS
            + r"\b",
        ),
    ):
        rules.append(
            DlpRule(
                "phone-number",
                "pii",
                trigger,
                pattern,
                0.5,
                validator=phone_in_context_valid,
                caseless=True,
                severity=Severity.MEDIUM,
            )
        )
    # Numbers in a national format with no word about them ("030 12345678", "(02) 9374 4000",
    # "01 42 68 53 00"), or after the 00 international prefix: groups of digits (one of three
    # digits or more after the first, or four groups of two), confirmed against the numbering
    # plans of the configured regions. Not after a word character, a dot, a colon or a slash,
    # nor before a decimal part (versions, times, paths, amounts); bare runs of digits are left
    # to the rules with a word (order numbers and timestamps are runs of digits too). Nor after
    # a digit and a separator: the rest of a number whose start was judged already, or the
    # next column of a table.
    rules.append(
        DlpRule(
            "phone-number",
            "pii",
            # a group of three digits or more after the first, or four groups of two: not a
            # date ("2025-06-01") nor a year and a count; three groups or more with dots; an
            # area code with a trunk prefix and a slash
            r"[0-9][ )-]{1,2}[0-9]{3}|[0-9]{2}[ -][0-9]{2}[ -][0-9]{2}[ -][0-9]{2}"
            r"|[0-9]{2}\.[0-9]{2,4}\.[0-9]{2}|0[0-9]{1,5}\)?/[0-9]{3}",
            r"(?<![\w+.,:/-])(?<!\d[ -])(?:(?:\(0?\d{1,5}\)[ -]?|\d{2,5}[ -])(?:\d{2}[ -]){0,3}\d{3,8}"
            r"(?:[ -]\d{2,8}){0,3}|\d{2,5}[ -]\d{2}(?:[ -]\d{2}){2,4}"
            # dots between the groups, as France, Belgium and Switzerland often write them
            # ("01.42.68.53.00"), in three groups or more: two are a decimal number
            r"|\d{2,5}\.\d{2,4}(?:\.\d{2,4}){1,4}"
            # a slash after the area code ("030/12345678", the German-speaking countries'
            # older convention), which starts with the trunk prefix: not a fraction or a path
            r"|\(?0\d{1,5}\)?/\d{3,8}(?:[ -]\d{2,8}){0,2})(?![\w-]|[.,:/]\d)",
            0.5,
            validator=national_phone_validator(phone_regions),
            severity=Severity.MEDIUM,
            not_after=_IDENTIFIER_WORDS,
            starts=r"[(0-9]+",
        )
    )
    return tuple(rules)


#: Words that say the number after them is an identifier, not a telephone number ("meeting ID
#: 388 9069 8800" is also an Italian mobile number, grouped as Italy groups them).
_IDENTIFIER_WORDS = (
    "id",
    "ref",
    "reference",
    "order",
    "invoice",
    "ticket",
    "build",
    "version",
    "isbn",
    "serial",
    "account",
    "transaction",
    "tracking",
    "passcode",
    "pin",
    "#",
)
_CURL_USER = r"curl\b(?:[^\n\\]|\\\r?\n|\\){0,400}?\s(?:-u|--user)\s{1,4}"
_PHONE_WORDS = r"(?:phone|tel|telephone|mobile|cell|fax|office|desk|home|landline|hotline|whatsapp|sms)"
#: Words that say so only before a number ("contact 0612345678"; "1234567 contact" is none).
#: Not "my number": the word "number" in the one-pass trigger cost 2 us per 4 KB of prose.
_PHONE_LEAD_WORDS = (
    _PHONE_WORDS[:-1] + r"|mob|contact|dial|(?:call|ring|reach|text)\s+(?:me|us|him|her|them))"
)
_LOCAL_PHONE_DIGITS = r"(?:\+|00)?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}(?:\s?(?:x|ext\.?)\s?\d{1,6})?"
_LOCAL_PHONE = _LOCAL_PHONE_DIGITS + r"(?![\w-])"


class Engine:
    """Scan text for the given rules; ``use_hyperscan`` False forces the pure-Python path."""

    def __init__(self, rules: Iterable[DlpRule] | None = None, *, use_hyperscan: bool = True) -> None:
        self.rules = tuple(rules) if rules is not None else builtin_rules()
        self._exact = [_rule_pattern(r, r.pattern, re.IGNORECASE if r.caseless else 0) for r in self.rules]
        # A keyed pattern may start up to 40 characters before its keyword, which makes a
        # whole-text search try every position (3 ms on 4 KB of prose that says "passed"); it
        # is tried once per keyword instead.
        self._keywords = [_keyword_finder(rule) for rule in self.rules]
        self._starts = [_rule_pattern(rule, rule.starts) if rule.starts else None for rule in self.rules]
        # The triggers of encoded runs come after the rules' in the one pass: indices from
        # ``len(self.rules)`` on name no rule.
        self._first_encoded = len(self.rules)
        #: Short member names ``scan_many`` found clean (see there).
        self._clean: set[str] = set()
        self._encoded = frozenset(range(len(self.rules), len(self.rules) + len(ENCODED_TRIGGERS)))
        self._triggers = MultiMatcher(
            [*(_trigger_of(rule) for rule in self.rules), *ENCODED_TRIGGERS],
            [*(rule.caseless for rule in self.rules), *(False for _ in ENCODED_TRIGGERS)],
            use_hyperscan=use_hyperscan,
            fallbacks=[*(rule.trigger for rule in self.rules), *ENCODED_TRIGGERS],
            every_match={len(self.rules) + index: e for index, e in EVERY_MATCH_TRIGGERS.items()},
        )
        # Where a rule's matches can be: each match of its derived trigger, from the leftmost
        # start, holds one of its exact matches (or an anchor, with how far back a match can
        # start). Its exact pattern then runs only there, not over the whole text (13 to 50 ms
        # per MB and rule). Keyed rules are already searched from their keywords.
        located: dict[int, str] = {}
        self._reach_back: dict[int, int] = {}
        #: The fewest characters a match spans, for the rules located by their derived trigger.
        self._derived_shortest: dict[int, int] = {}
        for index, rule in enumerate(self.rules):
            if self._keywords[index] is not None:
                continue
            if rule.id in _ANCHORS:
                located[index], self._reach_back[index] = _ANCHORS[rule.id]
            elif (derived := derived_trigger(rule.pattern, rule.caseless)) is not None:
                located[index], self._reach_back[index] = derived, 0
                self._derived_shortest[index] = _shortest(self._exact[index])
        self._spans = (
            SpanFinder(located, {index: self.rules[index].caseless for index in located})
            if use_hyperscan and self._triggers.native
            else None
        )
        self._widths = [_longest(compiled) for compiled in self._exact]
        # The rules of the credential formats, when all are here: a keyed value is checked
        # against them with the native pass first (matching the formats' combined pattern
        # costs 0.3 ms on a value of 200 characters).
        format_patterns = {fmt.pattern for fmt in CREDENTIAL_FORMATS}
        self._format_rules = frozenset(
            index for index, rule in enumerate(self.rules) if rule.pattern in format_patterns
        )
        if {self.rules[index].pattern for index in self._format_rules} != format_patterns:
            self._format_rules = frozenset()

    def _has_format_match(self, value: str) -> bool:
        """A value a specific credential rule reports already."""
        if self._format_rules and self._triggers.native:
            fired = self._triggers.fired(value.encode("utf-8", "surrogatepass"))
            if fired.isdisjoint(self._format_rules):
                return False  # every format match fires its rule's trigger
        return _has_format_match(value)

    @property
    def native(self) -> bool:
        return self._triggers.native

    def fired(self, data: bytes) -> set[int]:
        """The rules whose trigger occurs in ``data``: one Hyperscan pass, or Python's ``re``."""
        return self._triggers.fired(data)

    def scan(self, text: str, path: str | None = None) -> list[DlpMatch]:
        return self._scan(text, path, 0)

    def _scan(self, text: str, path: str | None, level: int) -> list[DlpMatch]:
        """``scan`` of a text spelled by ``level`` levels of encoded runs."""
        matches = self._scan_as_written(text, path, level)
        if not has_respelling(text):
            return matches
        return self._with_respelled([(text, matches)], path, level)[0]

    def _scan_as_written(self, text: str, path: str | None, level: int) -> list[DlpMatch]:
        """``_scan`` of the text as written, not as its respelling characters read."""
        results: list[DlpMatch] = []
        encoded: set[int] = set()
        # Per rule, where its last match completed past its chunk ends: a later chunk's match
        # of that rule starting before there is a piece of it (a whole-text search resumes
        # there too), and no text is searched twice for one rule: the engine stays linear.
        completed_to: dict[int, int] = {}
        for offset in range(0, max(len(text), 1), CHUNK):
            chunk_end = offset + CHUNK + OVERLAP
            found, fired = self._scan_chunk(text[offset:chunk_end], path, offset)
            encoded |= fired & self._encoded
            for index, match in found:
                if offset and match.start - offset < OVERLAP // 2:
                    continue  # the previous chunk reported it
                if match.start < completed_to.get(index, 0):
                    continue
                if chunk_end < len(text) and match.end >= chunk_end - _LOOK_AHEAD:
                    # It may go on past the chunk (a private key of 100 KB starting near its
                    # end): the rule's pattern is run again from its start on the whole text.
                    match, completed_to[index] = self._completed(index, match, text, path)
                results.append(match)
        plain = _without_overlaps(results)
        return self._with_decoded(text, path, plain, level, encoded) if encoded else plain

    def _completed(self, index: int, match: DlpMatch, text: str, path: str | None) -> tuple[DlpMatch, int]:
        """A match found up to its chunk's end, as a search of the whole text finds it, and
        where that search goes on from (past it even where validation refuses it, so a refused
        match is not searched again from every chunk it crosses). Only a match that is its
        pattern's whole match (keyed and ``value`` patterns are bounded far below the overlap)
        can reach a chunk's end. Where the whole text gives no finding there, the chunk's
        match is kept: it masks as far as it saw."""
        exact = self._exact[index]
        if self.rules[index].keyed or "value" in exact.groupindex:
            return match, match.end
        whole = exact.match(text, match.start)
        if whole is None:
            return match, match.end
        completed = self._accepted(index, whole, text, path, 0)
        if completed is None or completed.end <= match.end:
            return match, max(match.end, whole.end())
        return completed, whole.end()

    def scan_many(self, texts: Sequence[str], *, names: Collection[int] = ()) -> list[tuple[int, DlpMatch]]:
        """Matches in many strings (the strings of a JSON message), each with the index of its
        string: one native pass over all of them finds the few that need their exact patterns
        run, instead of a pass per string (a tool list has a short string every 20 bytes).
        ``names``: the indices of the texts that are member names. Short names found clean are
        remembered and not searched again: the names every message repeats
        (``structuredContent``, ``additionalProperties``) read as runs of base64, which took
        25 us each to rule out. Names only, and clean ones: a value (a password no rule knows)
        is never kept past its message."""
        clean = self._clean
        if not clean and not names:
            return self._scan_many(texts, 0)
        unknown = [index for index, text in enumerate(texts) if len(text) > _CLEAN_CHARS or text not in clean]
        if len(unknown) == len(texts):
            found = self._scan_many(texts, 0)
        else:
            found = [
                (unknown[number], match) for number, match in self._scan_many([texts[i] for i in unknown], 0)
            ]
        if names:
            matched = {index for index, _ in found}
            for index in names:
                text = texts[index]
                if len(text) <= _CLEAN_CHARS and index not in matched and text not in clean:
                    if len(clean) >= _CLEAN_KEPT:
                        clean.clear()
                    clean.add(text)
        return found

    def _scan_many(self, texts: Sequence[str], level: int) -> list[tuple[int, DlpMatch]]:
        """``scan_many`` of texts spelled by ``level`` levels of encoded runs."""
        unique = dict.fromkeys(texts)
        if len(unique) < len(texts):
            # A string that recurs is searched once: a tool result carries its text twice (the
            # content and its structured copy), a tool list repeats its type names.
            distinct = list(unique)
            position = {text: number for number, text in enumerate(distinct)}
            by_text: dict[int, list[DlpMatch]] = {}
            for number, match in self.scan_many(distinct) if level == 0 else self._scan_many(distinct, level):
                by_text.setdefault(number, []).append(match)
            return [
                (index, match)
                for index, text in enumerate(texts)
                for match in by_text.get(position[text], ())
            ]
        lengths = list(map(len, texts))
        long = (
            {index for index, length in enumerate(lengths) if length > CHUNK}
            if max(lengths, default=0) > CHUNK
            else set()
        )
        pieces = [("" if index in long else text) for index, text in enumerate(texts)] if long else texts
        joined = "\n".join(pieces)
        if joined.isascii():  # one encoding, and a string's bytes start where its characters do
            fired = self._triggers.fired_in_each(joined.encode("ascii"), list(map(len, pieces)))
        else:
            encoded = [piece.encode("utf-8", "surrogatepass") for piece in pieces]
            fired = self._triggers.fired_in_each(b"\n".join(encoded), list(map(len, encoded)))
        # A text alone: ``scan`` at the first level (what callers and tests watch), and at a
        # deeper one the same with its level.
        scan = self.scan if level == 0 else lambda text: self._scan(text, None, level)
        if fired is None:  # no native matcher, or too many reports: a pass per string
            return [(index, match) for index, text in enumerate(texts) for match in scan(text)]
        found: list[tuple[int, DlpMatch]] = []
        scanned_whole: set[int] = set()  # by ``scan``, their respelling read too
        # Strings with encoded runs to read, read together after the others: their indices,
        # and each with its matches as written and the triggers of runs that fired in it.
        run_indices: list[int] = []
        with_runs: list[tuple[str, list[DlpMatch], set[int]]] = []
        for index in sorted(fired.keys() | long):
            text = texts[index]
            # A long string (a tool result of log text) is searched in the windows of its
            # trigger matches, as a text is; short ones have their patterns run whole.
            if index in long or len(text) > _WHOLE_SEARCH_LIMIT:
                found += [(index, match) for match in scan(text)]
                scanned_whole.add(index)
                continue
            rules = fired[index] - self._encoded
            matches = _without_overlaps(self._matches(text, None, rules)) if rules else []
            if fired[index] & self._encoded and level < _DECODED_LEVELS:
                run_indices.append(index)
                with_runs.append((text, matches, fired[index] & self._encoded))
            else:
                found += [(index, match) for match in matches]
        if with_runs:
            for index, matches in zip(
                run_indices, self._with_decoded_many(with_runs, None, level), strict=True
            ):
                found += [(index, match) for match in matches]
            found.sort(key=lambda item: item[0])
        if has_respelling(joined):  # ASCII (nearly every message) holds none
            found = self._respelled_many(texts, found, scanned_whole, level)
        return found

    def _respelled_many(
        self, texts: Sequence[str], found: list[tuple[int, DlpMatch]], done: set[int], level: int
    ) -> list[tuple[int, DlpMatch]]:
        """``found`` (the matches of ``texts`` as written, by index) with the secrets of those
        texts as their respelling characters read (``_with_respelled``), but for the texts
        ``done`` already."""
        respelt = [index for index, text in enumerate(texts) if index not in done and has_respelling(text)]
        if not respelt:
            return found
        by_index: dict[int, list[DlpMatch]] = {}
        for index, match in found:
            by_index.setdefault(index, []).append(match)
        read = self._with_respelled(
            [(texts[index], by_index.get(index, [])) for index in respelt], None, level
        )
        for index, matches in zip(respelt, read, strict=True):
            by_index[index] = matches
        return [(index, match) for index in sorted(by_index) for match in by_index[index]]

    def _with_respelled(
        self, texts: list[tuple[str, list[DlpMatch]]], path: str | None, level: int
    ) -> list[list[DlpMatch]]:
        """For each text, its matches as written (``plain``) with the secrets of the text as
        a reader sees it (``mcpward.dlp._respelled``: invisible characters dropped, tags,
        full-width and mathematical letters as ASCII), each reported against the span it was
        read from, invisible characters around it included, which it masks whole. A secret
        found at the span of one found as written is that one. The views are scanned together
        (one native pass), at the same level of encoding: they hold no respelling, so they are
        not read again, and runs in them are decoded as in any text."""
        views = [respelled(text) for text, _ in texts]
        if len(views) == 1:
            found = [(0, match) for match in self._scan(views[0].text, path, level)]
        else:
            found = self._scan_many([view.text for view in views], level)
        written = [{(m.start, m.end) for m in plain if m.kind == "secret"} for _, plain in texts]
        reported: list[list[DlpMatch]] = [[] for _ in texts]
        whole_kinds: dict[int, str] = {}
        for number, match in found:
            view = views[number]
            if match.kind != "secret" or not view.text[match.start : match.end].isascii():
                # every format is ASCII; a keyed "value" in another script is prose that
                # full-width signs made look assigned ("Token" and Chinese's full-width colon
                # before Chinese words)
                continue
            span = view.span(match.start, match.end)
            if span in written[number]:
                continue
            text = texts[number][0]
            start, end = view.around(*span)
            # the characters that hid it; where the span holds none, the text's (the key of
            # a keyed value was respelled, not the value)
            how = kinds(text[start:end]) or whole_kinds.setdefault(number, kinds(text))
            reported[number].append(
                replace(
                    match,
                    start=start,
                    end=end,
                    redacted=mask("", 0),
                    encoding=how + ("+" + match.encoding if match.encoding else ""),
                )
            )
        return [
            _merged(plain, found) if found else plain
            for (_, plain), found in zip(texts, reported, strict=True)
        ]

    def _with_decoded(
        self, text: str, path: str | None, plain: list[DlpMatch], level: int, fired: set[int]
    ) -> list[DlpMatch]:
        """``plain``, the matches of ``text`` as written, with the secrets of the text its
        encoded runs spell (see ``_with_decoded_many``)."""
        return self._with_decoded_many([(text, plain, fired)], path, level)[0]

    def _with_decoded_many(
        self, texts: list[tuple[str, list[DlpMatch], set[int]]], path: str | None, level: int
    ) -> list[list[DlpMatch]]:
        """For each text, its matches as written (``plain``) with the secrets of the text its
        encoded runs spell (of the kinds whose trigger ``fired``), each reported against its run,
        which it masks whole (with any match of the text as written that overlaps it). A run is
        reported where what it spells holds more secrets than the run as written (a URL's
        ordinary escapes around a token written out change nothing). Two levels of encoding are
        read. The runs of all the texts are decoded and scanned together a batch at a time:
        one native pass for many (most strings of a message that fire hold none), and memory
        a multiple of the input's."""
        if level >= _DECODED_LEVELS:
            return [plain for _, plain, _ in texts]
        reported: list[list[DlpMatch]] = [[] for _ in texts]
        batch: list[tuple[int, EncodedRun]] = []
        size = 0
        written: dict[int, list[DlpMatch]] = {}
        places = native_places([text for text, _, _ in texts])
        for number, (text, _, fired) in enumerate(texts):
            kinds = {index - self._first_encoded for index in fired}
            for run in encoded_runs(text, kinds, places[number]):
                batch.append((number, run))
                size += len(run.text)
                if size >= CHUNK:
                    self._decoded_batch(batch, texts, path, level, reported, written)
                    batch, size = [], 0
        if batch:
            self._decoded_batch(batch, texts, path, level, reported, written)
        return [
            _merged(plain, found) if found else plain
            for (_, plain, _), found in zip(texts, reported, strict=True)
        ]

    def _decoded_batch(
        self,
        runs: list[tuple[int, EncodedRun]],
        texts: list[tuple[str, list[DlpMatch], set[int]]],
        path: str | None,
        level: int,
        reported: list[list[DlpMatch]],
        written: dict[int, list[DlpMatch]],
    ) -> None:
        """Adds to ``reported`` (by text) a match for each of the ``runs`` (of the text
        numbered) whose text holds more secrets than the run as written (the secrets of each
        text as written, by its number, are kept in ``written`` once made)."""
        secrets: dict[int, list[DlpMatch]] = {}
        for number, match in self._scan_many([run.text for _, run in runs], level + 1):
            if match.kind == "secret":
                secrets.setdefault(number, []).append(match)
        for number, found in sorted(secrets.items()):
            text_number, run = runs[number]
            if text_number not in written:
                written[text_number] = [match for match in texts[text_number][1] if match.kind == "secret"]
            if len(found) <= _secrets_within(written[text_number], run.start, run.end):
                continue
            inner = max(found, key=lambda m: Severity(m.severity).rank)
            reported[text_number].append(
                DlpMatch(
                    inner.rule,
                    "secret",
                    run.start,
                    run.end,
                    inner.confidence,
                    mask("", 0),
                    inner.action,
                    path,
                    inner.severity,
                    run.encoding + ("+" + inner.encoding if inner.encoding else ""),
                )
            )

    def _scan_chunk(
        self, text: str, path: str | None, offset: int = 0
    ) -> tuple[list[tuple[int, DlpMatch]], set[int]]:
        """The matches in one chunk of a text, placed at ``offset`` in it, each with the index
        of its rule, and the triggers that fired in it."""
        data = text.encode("utf-8", "surrogatepass")
        fired = self.fired(data)
        windows = None
        if fired and self._spans is not None and not fired.isdisjoint(self._spans.indices):
            windows = self._spans.windows(data, _REPORT_BUDGET + len(data) // 4)
            if windows is not None and not text.isascii():
                windows = _in_characters(windows, data)
        return self._indexed_matches(text, path, fired, windows, offset), fired

    def _matches(
        self,
        text: str,
        path: str | None,
        fired: set[int],
        windows: dict[int, list[list[int]]] | None = None,
        offset: int = 0,
    ) -> list[DlpMatch]:
        """The exact matches, validated, of the rules whose trigger fired in ``text``; with
        ``windows``, the rules that have them are searched only there."""
        return [match for _, match in self._indexed_matches(text, path, fired, windows, offset)]

    def _indexed_matches(
        self,
        text: str,
        path: str | None,
        fired: set[int],
        windows: dict[int, list[list[int]]] | None = None,
        offset: int = 0,
    ) -> list[tuple[int, DlpMatch]]:
        """``_matches``, each with the index of its rule."""
        found: list[tuple[int, DlpMatch]] = []
        located = self._spans.indices if windows is not None and self._spans is not None else frozenset()
        for index in sorted(fired):
            if index in self._encoded:
                continue  # no rule's: the engine reads the runs after the rules
            candidates = (
                self._in_windows(index, text, windows.get(index, []))
                if windows is not None and index in located
                else self._candidates(index, text)
            )
            for match in candidates:
                accepted = self._accepted(index, match, text, path, offset)
                if accepted is not None:
                    found.append((index, accepted))
        return found

    def _accepted(
        self, index: int, match: re.Match[str], text: str, path: str | None, offset: int
    ) -> DlpMatch | None:
        """A match of the rule's exact pattern as a finding, or ``None`` where it is none (a
        reference, a placeholder, a value its validator refuses)."""
        rule = self.rules[index]
        if "value" in match.re.groupindex:  # the sensitive part of a match with context
            value, start, end = match.group("value"), match.start("value"), match.end("value")
        elif rule.keyed:
            value, start, end = match.group("secret"), match.start("secret"), match.end("secret")
            key = match.group("key") or "password"  # curl -u and URLs carry a password
            if not looks_like_literal_secret(key, value) or self._has_format_match(value):
                return None
            if "q" in match.re.groupindex and not match.group("q") and is_code_expression(value):
                return None  # token = options.token: code, not a value
        else:
            value, start, end = match.group(0), match.start(), match.end()
        if rule.locate is not None:
            span = rule.locate(value)
            if span is None:
                return None
            value, start, end = value[span[0] : span[1]], start + span[0], start + span[1]
        if rule.validator is not None and not rule.validator(value):
            return None
        located = rule.locate is not None  # judged by its locator, on its part
        if rule.kind == "secret" and not rule.keyed and not located and not _plausible(rule, match, text):
            return None
        before = text[max(0, start - 12) : start].lower().rstrip(" :=v")
        if rule.not_after and before.endswith(rule.not_after):
            return None
        return DlpMatch(
            rule.id,
            rule.kind,
            start + offset,
            end + offset,
            rule.confidence,
            mask(value, rule.visible_prefix),
            rule.action,
            path,
            rule.severity,
        )

    def _in_windows(self, index: int, text: str, windows: list[list[int]]) -> Iterator[re.Match[str]]:
        """The exact pattern's matches, as ``finditer`` over the whole text gives them, found
        by searching only the windows that can hold their starts.

        Every match start lies in a window (reach-back included), and windows come in order,
        so the first match found from a position is the leftmost one there. A pattern no
        longer than ``width`` is searched up to ``width`` (and some look-ahead) past its
        window: a match starting in the window sees all it would in the whole text, and one
        starting past the window is left to the next. A pattern of unbounded length is
        searched without an end: what it finds is the next match of the whole text, even past
        the window, and the windows before its end are skipped."""
        exact, width, back = self._exact[index], self._widths[index], self._reach_back[index]
        # Located by a derived trigger, every other match spans a whole report of its own, and
        # reports that touch the window are in it: after a match, one fits in the window only
        # if the window goes on for one at least as long as the shortest (the search for it
        # was half the searches in text dense with matches, one a window, finding nothing).
        shortest = self._derived_shortest.get(index)
        size = len(text)
        position = 0
        for window_start, window_end in windows:
            if window_end < position:
                continue
            start = max(position, window_start - back)
            while start <= window_end:
                if width is None:
                    match = exact.search(text, start)
                    if match is None:
                        return
                else:
                    match = exact.search(text, start, min(size, window_end + width + _LOOK_AHEAD))
                    if match is None or match.start() > window_end:
                        break
                yield match
                start = position = match.end() if match.end() > match.start() else match.end() + 1
                if match.start() > window_end or (shortest is not None and start + shortest > window_end + 1):
                    break

    def _candidates(self, index: int, text: str) -> Iterator[re.Match[str]]:
        """The exact pattern's matches, as ``finditer`` gives them (leftmost, not overlapping)."""
        exact, keyword, starts = self._exact[index], self._keywords[index], self._starts[index]
        if starts is not None:
            last_end = 0
            for run in starts.finditer(text):
                for position in range(max(run.start(), last_end), run.end()):
                    if position >= last_end and (match := exact.match(text, position)) is not None:
                        yield match
                        last_end = match.end()
            return
        if keyword is None:
            yield from exact.finditer(text)
            return
        pattern, caseless = keyword
        lowered = text.lower() if caseless else text
        if len(lowered) != len(text):  # a character whose lower case is longer: positions shift
            pattern, lowered = re.compile(pattern.pattern, re.IGNORECASE), text
        last_end = 0
        for hit in pattern.finditer(lowered):
            if hit.start() < last_end:
                continue
            # The earliest start a match holding this keyword can have: the start of the run
            # of key characters before it, at most 40 back. A later start cannot succeed where
            # this one fails (only the optional prefix differs), so one anchored try is enough.
            if not _ASSIGNMENT_AFTER.match(lowered, hit.end()):
                continue  # "passed the tests": no assignment follows the keyword
            start = hit.start()
            floor = max(last_end, hit.start() - _KEY_BEFORE)
            while start > floor and text[start - 1] in _KEY_CHARACTERS:
                start -= 1
            match = exact.match(text, start)
            if match is not None:
                yield match
                last_end = match.end()


def _secrets_within(secrets: list[DlpMatch], start: int, end: int) -> int:
    """How many of ``secrets`` (without overlaps, in order) overlap a span: two binary searches
    (their ends are in order too), not a pass over them per encoded run."""
    return bisect.bisect_left(secrets, end, key=lambda m: m.start) - bisect.bisect_right(
        secrets, start, key=lambda m: m.end
    )


def _merged(plain: list[DlpMatch], runs: list[DlpMatch]) -> list[DlpMatch]:
    """A run masks whole what overlaps it: matches of the text as written, and another run (a
    run of escapes may hold a run of base64). Overlapping matches become one, the span of them
    all, reported as the first run among them."""
    merged: list[DlpMatch] = []
    for match in sorted(plain + runs, key=lambda m: m.start):
        last = merged[-1] if merged else None
        if last is None or match.start >= last.end or not (last.encoding or match.encoding):
            merged.append(match)
            continue
        first = last if last.encoding else match
        merged[-1] = replace(first, start=last.start, end=max(last.end, match.end))
    return merged


def _trigger_of(rule: DlpRule) -> str:
    """The rule's exact pattern as its trigger where it can be derived: it fires almost only
    where the rule matches (the hand-written trigger ``[0-9]{3}`` fired on most prose)."""
    return _NATIVE_TRIGGERS.get(rule.id) or derived_trigger(rule.pattern, rule.caseless) or rule.trigger


#: Rules whose derived trigger costs more than the exact searches it spares: the IBAN pattern
#: (each country's code and length, both cases) made an automaton that took 18 of the 20 us of
#: the whole native pass over 4 KB of prose. Every IBAN has two letters, two digits and then at
#: least eleven characters, compact or in groups of four: this fires in 8 % of the benign tool
#: results (the derived one in 3 %), and the exact pattern then runs on those strings alone.
_NATIVE_TRIGGERS = {
    "iban": r"[A-Za-z]{2}[0-9]{2}(?:[A-Za-z0-9]{11}|(?: [A-Za-z0-9]{4}){2} [A-Za-z0-9])",
    # A URL that says it is an MCP endpoint (path_key_span reads no other): every URL fired
    # the rule's own pattern, and cost a Python search of its string.
    "url-path-key": r"://[^\s'\"<>`]*(?:mcp|/sse)",
}


def _keyword_finder(rule: DlpRule) -> tuple[re.Pattern[str], bool] | None:
    """For a keyed rule, its keyword pattern and whether it runs on the lower-cased text.

    Python's ``re`` is seven times slower on an alternation with IGNORECASE (375 against 51 us
    on 4 KB), so a caseless keyword runs case-sensitive on the lower-cased text, unless its
    pattern has escapes that lower-casing would change (``\\S`` is not ``\\s``)."""
    if not rule.pattern.startswith(_KEY_PREFIX):
        return None
    if rule.caseless and not re.search(r"\\[A-Z]", rule.trigger):
        return _rule_pattern(rule, rule.trigger.lower()), True
    return _rule_pattern(rule, rule.trigger, re.IGNORECASE if rule.caseless else 0), False


def _rule_pattern(rule: DlpRule, expression: str, flags: int = 0) -> re.Pattern[str]:
    """A rule's expression compiled: a built-in one's code kept across processes, a custom
    one's (the user's policy, which may name what it guards) never written anywhere."""
    return re.compile(expression, flags) if rule.kind == "custom" else compiled(expression, flags)


#: Keyed patterns that begin with up to 40 key characters before the keyword: searched from
#: their keywords instead of at every position of the text.
_KEY_PREFIX = "(?P<key>[A-Za-z0-9_.-]{0,40}"
_KEY_BEFORE = 40
#: What must follow a keyword for a keyed pattern to match: the rest of the key, an optional
#: quote, and an assignment (the patterns' own shape after the keyword), checked before the
#: costlier anchored match.
_ASSIGNMENT_AFTER = compiled(r"[A-Za-z0-9_.-]{0,20}[\"']?[ \t]{0,4}(?::=|=>|[:=])")
_KEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _plausible(rule: DlpRule, match: re.Match[str], text: str) -> bool:
    from mcpward.dlp._credentials import CredentialMatch

    return is_plausible(CredentialMatch(rule.id, match.start(), match.end(), rule.visible_prefix), text)


def _without_overlaps(matches: list[DlpMatch]) -> list[DlpMatch]:
    """Where matches overlap, keep the most confident (then the longest, then the first).

    One sort by start and a sweep split the matches into groups that overlap among
    themselves (most are a group of one, kept as it is); within a group, matches are taken in
    order of preference and kept where no kept one covers any of their characters. Comparing
    every match with every kept one was quadratic (110,000 matches: minutes)."""
    ordered = sorted(matches, key=lambda m: m.start)
    kept: list[DlpMatch] = []
    group: list[DlpMatch] = []
    group_end = -1
    for match in ordered:
        if group and match.start >= group_end:
            kept += _preferred(group)
            group = []
        group.append(match)
        group_end = max(group_end, match.end) if len(group) > 1 else match.end
    if group:
        kept += _preferred(group)
    return sorted(kept, key=lambda m: m.start)


def _preferred(group: list[DlpMatch]) -> list[DlpMatch]:
    if len(group) == 1:
        return group
    base = group[0].start
    taken = bytearray(max(m.end for m in group) - base)
    kept = []
    for match in sorted(group, key=lambda m: (-m.confidence, -(m.end - m.start), m.start)):
        if taken.find(1, match.start - base, match.end - base) == -1:
            taken[match.start - base : match.end - base] = b"\x01" * (match.end - match.start)
            kept.append(match)
    return kept


#: Levels of encoding read: a run of base64 in the text, and a run in what that spells.
_DECODED_LEVELS = 2
#: Strings of a JSON message longer than this are searched in windows (one more native pass).
_WHOLE_SEARCH_LIMIT = 1024
#: Strings this long at most are kept when found clean, this many (about 256 KB).
_CLEAN_CHARS = 64
_CLEAN_KEPT = 4096
#: Reports of trigger matches allowed per chunk (and a quarter of its bytes) before the windows
#: give way to a search of the whole chunk per rule: each report costs a call into Python.
_REPORT_BUDGET = 4096
#: How far past a match its pattern may look (look-aheads, a repetition testing its next
#: character): the search of a window reaches this far beyond the longest match.
_LOOK_AHEAD = 64
#: Rules whose derived trigger Hyperscan cannot track the starts of: an anchor and how far back
#: from its start a match can begin (an e-mail address: its local part, at most 64 characters).
_ANCHORS = {"email-address": ("@[A-Za-z0-9-]", 65)}


def _shortest(compiled: re.Pattern[str]) -> int:
    """The fewest characters a match of the pattern can span."""
    return int(_parser.parse(compiled.pattern, compiled.flags).getwidth()[0])


def _longest(compiled: re.Pattern[str]) -> int | None:
    """The most characters a match of the pattern can span, ``None`` if unbounded."""
    longest = int(_parser.parse(compiled.pattern, compiled.flags).getwidth()[1])
    return None if longest >= _UNBOUNDED else longest


_parser: Any = importlib.import_module("re._parser")
_UNBOUNDED = 1 << 30


def _in_characters(windows: dict[int, list[list[int]]], data: bytes) -> dict[int, list[list[int]]]:
    """Windows over UTF-8 bytes as windows over the characters they encode: a character's
    offset is its byte offset less the continuation bytes before it, counted with checkpoints
    every 4 KB. A window start inside a character moves back to that character."""
    flags = data.translate(_CONTINUATION)
    checkpoints = [0]
    for block in range(0, len(data), _BLOCK):
        checkpoints.append(checkpoints[-1] + flags.count(1, block, block + _BLOCK))

    def character(offset: int) -> int:
        block = offset // _BLOCK
        return offset - checkpoints[block] - flags.count(1, block * _BLOCK, offset)

    return {
        index: [[max(0, character(start) - 1), character(end) + 1] for start, end in spans]
        for index, spans in windows.items()
    }


_BLOCK = 4096
_CONTINUATION = bytes(1 if 0x80 <= byte < 0xC0 else 0 for byte in range(256))
