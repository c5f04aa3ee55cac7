"""A server that asks the user for a secret in a form: MCP's elicitation (2025-06-18 on) lets a
server put a form before the user, and the specification forbids what a phishing server wants
from it: "Servers MUST NOT use form mode elicitation to request sensitive information such as
passwords, API keys, access tokens, or payment credentials" (URL mode, a page of the service's
own, is the way for those). A client shows the form as the server wrote it, beside the
assistant the user trusts; "Your session expired. Paste your GitHub token to continue." is
answered. So a form request that asks for one is refused to the server (``block``, the default)
or recorded and passed (``alert``).

What counts as asking for a secret, decided here (the specification names the kinds, not the
words): a field of the form that the user types into (anything but a yes/no and a choice from
the server's list: a client draws a text box for a type it does not know, or none) whose name
names a credential (a password or passphrase, a PIN, an API key, access, refresh or session
token, a client secret, a private key, a recovery phrase, a card number or its security code, a
one-time or verification code), or whose title or description is one's name ("Your OpenAI API
key", "GitHub token (required)") or asks the user to enter, paste or give one, or hints at a
token's start ("ghp_", as its description, default or example); or the form's message (or the
schema's own title or description, which a client may show as its heading) asks for one ("Paste
your GitHub token", "What is your API key?", "Your token expired. Paste a new one below."). Text
is read as the user sees it: compatibility forms folded, invisible characters and marks left
out, letters of other scripts drawn as Latin ones read as those (a Cyrillic "a" in "password");
a form written with bidirectional overrides (shown in another order than it reads) is refused;
digits and signs for letters are read as the letters ("passw0rd", "p@ssword"), and letters
written apart as one word ("P A S S W O R D"). The words of German, French, Spanish,
Portuguese, Italian, Dutch, Japanese, Chinese, Korean and Russian for those secrets, for asking
and for what is about one are read too (``_form_words``). A field named for a part of one
("token_part1", "password_second_half") asks for one; so do an object field's own fields
("auth.password"), which some clients draw. A field named only "key" is a secret's only in a
form about signing in, unlocking or an API (it is a configuration entry's, a map legend's, a
song's otherwise). A credential's *name*, id, label, expiry, scope, length or path is not the
credential ("api_key_name", "the name of the API key to rotate", "private_key_path", "Länge des
Passworts"); a username or an e-mail address is not a secret (the specification says so).

A server of the 2026-07-28 revision asks in its answer instead (``input_required`` with
``inputRequests``, or a task's state): such an answer is read the same way and refused (the
client gets an error for its call), as ``gateway run`` passes that revision through."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from mcpward._regex import compiled
from mcpward.gateway._interceptors import _form_words
from mcpward.gateway.interface import (
    Exchange,
    Interceptor,
    PipelineContext,
    SecurityEvent,
    Session,
    answer_input_requests,
)
from mcpward.model import Severity

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig

#: A form is a few fields and a sentence or two: one with more fields, or more text in all,
#: than this is refused as unreadable (the check reads it whole, about a microsecond a byte, and
#: a secret's field past a cap would pass).
_MAX_FIELDS, _MAX_TEXT = 200, 64 * 1024

_CREDENTIAL = (
    # "pat" only as GitHub's or GitLab's ("what Pat said" is a person)
    r"(?:pass\s?(?:word|wd|phrase|code)s?|pwd|pin(?:\s?(?:code|number))?|creds?|(?:github|gitlab|gh)\s?pat"
    r"|(?:api|access|auth|bearer|refresh|session|secret|personal\s+access|oauth|private|signing"
    r"|client|app|bot|deploy|github|gitlab|slack|npm|pypi|aws|openai|anthropic|stripe)\s?(?:key|token)s?"
    r"|bearer|(?:session|auth|login)\scookie"
    r"|(?:client\s|app\s|api\s|aws\s|secret\s)?secret(?:\s?access\s?key)?|token"
    r"|(?:seed|recovery|backup|mnemonic)\s(?:phrase|words?|codes?|keys?)|mnemonic"
    r"|(?:credit|debit|payment|bank)?\s?card\s?(?:number|num|no|details)|cvv2?|cvc2?|card\s(?:security\s)?code"
    r"|security\s(?:code|answer)|one[\s-]?time\s(?:pass(?:word|code)|code)|otp|totp"
    r"|(?:2fa|mfa|two[\s-]factor|login|sign[\s-]?in|sms|access|auth(?:orization)?)\scode"
    r"|verification\scode|authenticator\scode|credentials?"
    # "the 6-digit code" an authenticator app or a text message shows
    r"|\d[\s-]?digits?\scode)"
)
#: A credential named with one of these after it is about the credential, not the credential
#: ("password-protected", "token-based" too).
_QUALIFIED = (
    r"(?:-\w|\s(?:names?|ids?|identifiers?|labels?|hints?|polic(?:y|ies)|length|counts?|limits?|types?|kinds?"
    r"|expiry|expiration|expires|scopes?|urls?|paths?|files?|locations?|formats?|prefix|descriptions?"
    r"|usage|rotation|reset|strength|rules?|requirements?|manager|store|vault|env(?:ironment)?"
    r"|variables?|fingerprints?|created|age|status"
    # a token of a blockchain or a game ("the token address", "token balance")
    r"|address(?:es)?|contracts?|balances?|symbols?|amounts?|prices?|supply|decimals))"
)
#: Words after a credential that still name its value: "password confirmation", "password 2",
#: "api key value", "token here".
_STILL_THE_VALUE = (
    r"(?:\s(?:value|input|field|text|string|str|here|again|confirm(?:ation|ed)?|repeat(?:ed)?|verify"
    r"|verification|required|optional|please|below|\d{1,2}"
    # a part of one: "token part 1", "password first half", "api key chunk a", "pin digit 3"
    r"|parts?|pieces?|chunks?|halves|half|segments?|fragments?|first|second|third|last|rest"
    r"|digits?|chars?|characters?|[a-d]))*"
)
#: A field named for a credential: its name (as words) ends on one, or on one and words that
#: still name its value, so that nothing qualifies it ("api key name", "private key path" end
#: otherwise); written as one word ("newpassword"); a bare "pass" or "pw" too (not "boarding
#: pass").
_NAMES_ONE = compiled(
    rf"(?:^|\s){_CREDENTIAL}{_STILL_THE_VALUE}$"
    rf"|(?:^|\s)[a-z]*(?:password|passwd|passphrase|passcode|apikey|accesstoken|secret){_STILL_THE_VALUE}$"
    rf"|^(?:(?:user|login|account|admin|root|db|database|wifi|my)\s)?(?:pass|pw){_STILL_THE_VALUE}$"
)
#: A title or a description that is a credential's name, as a clause of its own ("Your OpenAI
#: API key", "GitHub personal access token (classic)", "Password *", "Password for your Acme
#: account"): a few words before it, and after it only words that still name its value, or
#: what it is for.
_IS_ONE = compiled(
    rf"^(?P<before>(?:[\w']+\s){{0,4}}?){_CREDENTIAL}{_STILL_THE_VALUE}"
    r"(?:\s(?:for|of|to|from|on|at|in|with)\s.*)?$"
)
#: "Name of the API key", "a label for your new token": about the credential.
_ABOUT_ONE = compiled(
    r"\b(?:names?|labels?|ids?|identifiers?|nicknames?|descriptions?|titles?|expir\w*|scopes?|lengths?"
    r"|types?|kinds?|hints?|paths?|locations?|urls?|formats?|owners?|purpose)\s(?:of|for)\b"
)
#: Words before a credential in a clause that make it not the clause's subject: against giving
#: one ("never share your password"), or about one ("the variable holding the API key").
_NOT_ITSELF = compiled(
    r"\b(?:not|never|no|without|except|of|for|with|holding|containing|storing|about|to|from|in|on|at|by"
    r"|where|which|that|using|via)\b|n't\b"
)
#: Text that asks for one: a verb of giving, then (within a clause) a credential ("your
#: GitHub token", "the org's API key", "API key"), which no qualifier follows and no word for
#: its name or id comes between.
_ASKS_FOR_ONE = compiled(
    r"\b(?:enter|re-?enter|paste|provide|type|input|give|share|supply|submit|confirm|verify|fill\sin"
    r"|copy|send|tell\sus|what(?:'s|\sis|\sare)\syour|(?:we|i)\s(?:need|require))\b(?!\sof\b)"
    rf"(?P<between>[^.?!;:\n]{{0,60}}?)\b{_CREDENTIAL}\b"
    # "the token's name", "give the new token a (memorable) label", "what is the token for?"
    rf"(?!(?:'s)?(?:\s(?:a|an|the|its)(?:\s\w+)?)?{_QUALIFIED}|\sfor\s?[?.!])",
)
_NOT_THE_VALUE = compiled(
    r"\b(?:names?|labels?|ids?|nicknames?|descriptions?|titles?|expir\w*|scopes?|lengths?|numbers\sof|types?)\b"
)
#: "Your token expired. Paste a new one below.": a credential named, then asked for as "it".
_MENTIONS_ONE = compiled(rf"\b(?:your|the|an?)\s(?:[\w'-]+\s){{0,3}}?{_CREDENTIAL}\b(?!{_QUALIFIED})")
_ASKS_FOR_IT = compiled(
    r"\b(?:enter|re-?enter|paste|provide|type|input|give|share|supply|submit|confirm|copy)\s"
    r"(?:it|them|(?:a|the)\s(?:(?:new|fresh|valid|current|correct|right)\s)?one)\b"
    rf"(?!(?:\s(?:a|an|the|its))?{_QUALIFIED})"  # "give it a name"
)
#: "Password required", "Your API key is needed to continue"; not a question ("Is a password
#: required for the network?").
_REQUIRED = compiled(rf"\b{_CREDENTIAL}\s(?:is\s|are\s)?(?:required|needed)\b(?![^.!;\n]{{0,80}}\?)")
#: The start of a token of a known kind, quoted as a hint or a default ("starts with ghp_").
_TOKEN_START = compiled(
    r"(?<![a-z0-9])(?:gh[pousr]_|github_pat_|glpat-|xox[abpr]-|sk-proj-|sk-ant-|sk_live_|rk_live_|akia)"
)


@functools.cache
def _latin(char: str) -> str:
    """The Latin letter ``char`` is drawn as (the Cyrillic "\\u0430" is "a"), or ``char``."""
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True) or []
    latin = [glyph["c"] for item in found for glyph in item["homoglyphs"] if glyph["c"].isascii()]
    return latin[0] if latin else char


@functools.cache
def _unseen() -> re.Pattern[str]:
    """What a form shows as nothing: format characters (zero width, bidirectional marks, the
    soft hyphen), marks ("pássword" reads as a password) and the blank letters (read once, a few
    milliseconds)."""
    codes = [code for code in range(0x10000) if unicodedata.category(chr(code)) in ("Cf", "Mn", "Me")]
    codes += [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800]
    return compiled("[" + "".join(re.escape(chr(code)) for code in sorted(codes)) + "\U000e0000-\U000e01ef]")


#: Letters of other scripts that are drawn as Latin ones (Greek, Cyrillic, Armenian, Cherokee,
#: Lisu...; not the CJK ideographs, which no Latin letter is taken for).
_OTHER_SCRIPT = compiled("[\u00c0-\u2fff\ua4d0-\ua4ff\uab70-\uabbf\U00010000-\U0001ffff]")


def _decomposed(text: str) -> str:
    """Compatibility forms folded (full-width and mathematical letters) and accents apart from
    their letters."""
    return text if text.isascii() else unicodedata.normalize("NFKD", text)


#: Digits and signs between letters, or before two at a word's start, written for the letters
#: they look like ("passw0rd", "p@ssword", "pa55word", "t0k3n", "0TP"); a digit after the
#: letters ("password2") is left as it is, and a "1" before them ("1Password", "1st").
_FOR_LETTERS = compiled(r"(?<=[^\W\d_])[013457@$]+(?=[^\W\d_])|(?<![\w@$])[03457@$]+(?=[^\W\d_]{2})")
_LETTERS_OF = str.maketrans("013457@$", "oieastas")
#: Letters written apart, one by one ("P A S S W O R D", "p.a.s.s.w.o.r.d", "t-o-k-e-n"):
#: three or more single letters, each followed by one space, dot, hyphen or underscore.
_LETTERS_APART = compiled(r"(?<![^\W_])[^\W\d_](?:[ ._-][^\W\d_](?![^\W_])){2,}")


def _respelled(text: str) -> str:
    """``text`` with digits and signs for letters read as the letters, and letters written
    apart read as one word."""
    text = _FOR_LETTERS.sub(lambda run: run[0].translate(_LETTERS_OF), text)
    return _LETTERS_APART.sub(lambda run: run[0][::2], text)


def _plain(text: str) -> str:
    """``text`` as it reads: compatibility forms folded, what is not seen left out
    ("pass\\u200bword"), letters of other scripts drawn as Latin ones read as those, digits
    for letters and letters apart read as the word ("passw0rd", "P A S S W O R D")."""
    if text.isascii():
        return _respelled(text)
    seen = _unseen().sub("", _decomposed(text))
    latin = _OTHER_SCRIPT.sub(lambda letter: _latin(letter[0]) if letter[0].isalpha() else letter[0], seen)
    return _respelled(latin)


def _native(text: str) -> str:
    """``text`` as the words of other languages are read (``_form_words``): as ``_plain`` reads
    it, but letters of other scripts kept as they are ("пароль" is not "пapoль"), and case
    folded."""
    if text.isascii():
        return _respelled(text).casefold()
    # composed again: a Korean syllable is one letter ("확" does not begin with "화")
    return unicodedata.normalize("NFC", _respelled(_unseen().sub("", _decomposed(text)))).casefold()


def _words(text: str) -> str:
    """``apiKey``, ``api_key``, ``X-API-Key``, ``API Key``, ``password2``: ``api key`` (a
    field's name as words)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|[^A-Za-z0-9']+", " ", _plain(text))
    return " ".join(spaced.lower().split())


_NEGATED = compiled(r"\b(?:not|never|no)\s(?:\w+\s)?$|n't\s$")


def _names(name: str) -> bool:
    """Whether a field's name names a credential, not something about one."""
    # "SeCrEt_KeY" is not "se cr et ke y": the name in one case is read too
    for words in (_words(name), _words(name.lower())):
        found = _NAMES_ONE.search(words)
        if found is not None and not _ABOUT_ONE.search(words[: found.start()]):
            return True
    return False


def _is_one(text: str) -> bool:
    """Whether a clause of ``text`` (a title, a description) is a credential's name."""
    for clause in re.split(r"[.;:!?,()\[\]{}|*\n]|\s[-\u2013\u2014]\s", _plain(text).lower()):
        words = " ".join(re.sub(r"[^a-z0-9']+", " ", clause).split())
        found = _IS_ONE.match(words)
        if (
            found
            and not _NOT_ITSELF.search(found["before"])
            # "Nome del token", "Lunghezza minima della password": the English word, borrowed
            and not _form_words.word_patterns(_native)["about before"].search(found["before"])
        ):
            return True
    return False


def _asks(text: str) -> bool:
    """Whether ``text`` asks the reader to give a credential ("Paste your GitHub token", "What
    is your API key?", "Your token expired; paste a new one"), not for its name ("Enter the
    name of the API key to rotate") and not against it ("never paste your password here")."""
    text = " ".join(_plain(text).lower().split())
    for match in _ASKS_FOR_ONE.finditer(text):
        before = text[max(0, match.start() - 20) : match.start()]
        if not _NOT_THE_VALUE.search(match.group("between")) and not _NEGATED.search(before):
            return True
    for match in _REQUIRED.finditer(text):
        if not _NEGATED.search(text[max(0, match.start() - 20) : match.start()]):
            return True
    for match in _ASKS_FOR_IT.finditer(text):
        before = text[max(0, match.start() - 20) : match.start()]
        if not _NEGATED.search(before) and _MENTIONS_ONE.search(
            text, max(0, match.start() - 100), match.start()
        ):
            return True
    return False


#: Where a clause ends (in the scripts written without spaces too: "。", "、").
_CLAUSE_END = compiled(r"[.;:!?,()\[\]{}|*\n\u3001\u3002\uff0c\uff1a\uff1f\uff01]|\s[-\u2013\u2014]\s")
#: A title that is a secret's name is a few words ("Ihr API-Schlüssel", "Chave de API"): a
#: clause of a few words, a few before the secret's, and after it nothing or what it is of
#: ("Ihr Passwort bleibt auf Ihrem Gerät" says something of it).
_FEW_WORDS, _FEW_CHARACTERS, _FEW_BEFORE = 10, 80, 4
#: An English word for a credential in a clause of another language ("Inserisci la tua
#: password", "Pega aquí tu token").
_ENGLISH_CREDENTIAL = compiled(rf"\b{_CREDENTIAL}\b")


def _named_in_another_language(clause: str, found: re.Match[str]) -> bool:
    """Whether the credential ``found`` in ``clause`` (as ``_native`` spells it) is one, not
    something about one ("Länge des Passworts", "パスワードの長さ", "longueur du mot de passe")."""
    words = _form_words.word_patterns(_native)
    return not (
        words["about after"].match(clause, found.end())
        or words["about before"].search(clause[max(0, found.start() - 60) : found.start()])
    )


def _its_name(clause: str, found: re.Match[str]) -> bool:
    """Whether a short ``clause`` is the name of the secret ``found`` in it: a few words
    before it, and after it a name ("Votre clé secrète Stripe"), what is joined to it (the
    scripts without spaces: "パスワードを"), or what it is of ("de la billetera")."""
    after = clause[found.end() :].strip()
    return len(clause[: found.start()].split()) <= _FEW_BEFORE and (
        len(after.split()) <= 1
        or not clause[found.end()].isspace()
        or _form_words.word_patterns(_native)["still its name"].match(after) is not None
    )


def _asks_in_another_language(text: str, *, label: bool) -> bool:
    """Whether ``text`` asks for a secret in another language than English: a clause names one
    (a German, French, Spanish, Portuguese, Italian, Dutch, Japanese, Chinese, Korean or
    Russian word for it, or an English one they borrow, "password", "token") and asks for it (a
    verb of giving, or "required", in that language), or, in a field's title or description
    (``label``), is a few words naming one of those languages' words ("Ihr API-Schlüssel"); not
    a clause that warns against giving one, nor one about one ("Nombre del token")."""
    words = _form_words.word_patterns(_native)
    for clause in _CLAUSE_END.split(_native(text)):
        if words["against after"].search(clause):
            continue
        asking = words["asking"].search(clause) is not None
        asking_in_english = words["asking in english"].search(clause) is not None
        few = len(clause) <= _FEW_CHARACTERS and len(clause.split()) <= _FEW_WORDS
        # "Nunca compartas tu contraseña": a warning before the secret (read once, not for each
        # word found: a clause is read in one pass whatever it holds)
        against = words["against"].search(clause)
        warned_from = against.end() if against else len(clause) + 1
        for found in words["credential"].finditer(clause):
            if (
                (asking or asking_in_english or (label and few and _its_name(clause, found)))
                and warned_from > found.start()
                and _named_in_another_language(clause, found)
            ):
                return True
        # "API-Key" as "api key", as the English check reads it
        for found in _ENGLISH_CREDENTIAL.finditer(re.sub(r"[-_]", " ", clause)) if asking else ():
            if warned_from > found.start() and _named_in_another_language(clause, found):
                return True
    return False


def _names_in_another_language(name: str) -> bool:
    """Whether a field's name is a word for a secret in another language ("passwort",
    "mot_de_passe", "contraseña", "パスワード"), not one about one ("passwort_laenge")."""
    clause = re.sub(r"[\W_]+", " ", _native(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)))
    return any(
        _named_in_another_language(clause, found)
        for found in _form_words.word_patterns(_native)["credential"].finditer(clause)
    )


def _bare_key(name: str, texts: list[str], names: list[str]) -> bool:
    """Whether a field named only "key" ("your key", "the key"; in the languages read here,
    "Schlüssel", "clé") asks for a secret. Such a field is a configuration entry's key, a map
    legend's, a song's, a sort key, a keyboard's; it is a secret's only in a form about signing
    in, unlocking or an API ("Sign in to your OpenAI account: paste the key below"), which is
    what makes a user take it for one: when ``texts`` (its title and description, the form's
    headings) say so, name no other kind of key, and no field of the form (``names``) is its
    "value" (an HTTP header's key and value). (A name that says more, "apiKey", "secret_key",
    "access key", is read as a credential's by itself.)"""
    words = _form_words.word_patterns(_native)
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    named = " ".join(re.sub(r"[\W_]+", " ", _native(spaced)).split())
    return (
        words["bare key"].fullmatch(re.sub(r"^(?:your|the|my) ", "", named)) is not None
        and any(words["signing in"].search(_native(text)) for text in texts)
        and not any(words["other key"].search(_native(text)) for text in texts)
        and not any(_words(other) in ("value", "val", "values") for other in names)
    )


def _a_choice(field: dict[str, Any]) -> bool:
    """Whether the field is a choice among the server's own values (an enum, ``oneOf`` or
    ``anyOf`` of constants, a constant): no text box."""
    if "const" in field or (isinstance(field.get("enum"), list) and field["enum"]):
        return True
    return any(
        isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options)
        for options in (field.get("oneOf"), field.get("anyOf"))
    )


def _free(field: dict[str, Any]) -> bool:
    """Whether the user types the field's value: any field but a yes/no and a choice (a client
    draws a text box for a type it does not know, a list of types, or none)."""
    if field.get("type") == "boolean" or _a_choice(field):
        return False
    items = field.get("items")
    return not (field.get("type") == "array" and isinstance(items, dict) and _a_choice(items))


def _form_fields(params: Any) -> dict[Any, Any] | None:
    """A form-mode request's fields by name (None for another request, or none)."""
    if not isinstance(params, dict) or params.get("mode", "form") != "form":
        return None
    schema = params.get("requestedSchema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else None


def _headings(params: Any) -> list[str]:
    """What a form says before its fields: its message, and the schema's own title and
    description (a client may show them as the form's heading)."""
    schema = params.get("requestedSchema") if isinstance(params, dict) else None
    texts = [params.get("message") if isinstance(params, dict) else None]
    texts += [schema.get("title"), schema.get("description")] if isinstance(schema, dict) else []
    return [text for text in texts if isinstance(text, str)]


def _hints(field: dict[str, Any]) -> list[str]:
    """What a field shows in its box before the user types (its default, its examples)."""
    examples = field.get("examples")
    hints = [field.get("default"), *(examples[:10] if isinstance(examples, list) else ())]
    return [hint for hint in hints if isinstance(hint, str)]


#: The specification's fields are flat, but a client may draw an object field's own fields
#: (and those of an array's items) as a group of boxes: they are read as fields ("auth.password"),
#: within the same 200 in all, to this depth; a form nested deeper is refused unread.
_MAX_DEPTH = 4


#: A field is drawn with what it refers to (``{"$ref": "#/$defs/token"}``) and the parts it
#: combines (``allOf``, ``anyOf``, ``oneOf``), whose titles a form library shows: read with
#: them, references to ``_MAX_DEPTH`` steps, and this many parts in all.
_MAX_PARTS = 16


def _referred(field: dict[str, Any], definitions: dict[str, Any]) -> list[dict[str, Any]]:
    """``field`` and the schemas its local reference names, step by step (``#/$defs/...``,
    ``#/definitions/...``; not copied into one: a schema of many keys is not copied for each
    field that refers to it), to ``_MAX_DEPTH`` steps."""
    chain = [field]
    for _ in range(_MAX_DEPTH):
        reference = chain[-1].get("$ref")
        if not isinstance(reference, str) or not reference.startswith("#/"):
            break
        kind, _, name = reference[2:].partition("/")
        table = definitions.get(kind) if kind in ("$defs", "definitions") else None
        target = table.get(name) if isinstance(table, dict) else None
        if not isinstance(target, dict):
            break
        chain.append(target)
    return chain


def _parts(field: dict[str, Any], definitions: dict[str, Any]) -> list[dict[str, Any]]:
    """A field's schemas as a client draws it: what it refers to last (the schema drawn, first
    here), the field itself, the rest of its references, then the parts each of those
    combines, ``_MAX_PARTS`` in all."""
    chain = _referred(field, definitions)
    parts = [chain[-1], *chain[:-1]]
    for schema in list(parts):
        for combined in ("allOf", "anyOf", "oneOf"):
            listed = schema.get(combined)
            for part in listed[:_MAX_PARTS] if isinstance(listed, list) else ():
                if isinstance(part, dict):
                    parts += _referred(part, definitions)
        if len(parts) >= _MAX_PARTS:
            break
    return parts[:_MAX_PARTS]


def _all_fields(params: Any) -> tuple[list[tuple[str, str, list[dict[str, Any]]]], bool]:
    """A form's fields, each with its path ("auth.password"), its own name and its schema's
    parts (``_parts``: the field as drawn first), an object's fields after it; and whether the
    form has more than 200 in all, or deeper than ``_MAX_DEPTH`` (read no further)."""
    schema = params.get("requestedSchema") if isinstance(params, dict) else None
    definitions = (
        {kind: schema.get(kind) for kind in ("$defs", "definitions")} if isinstance(schema, dict) else {}
    )
    fields: list[tuple[str, str, list[dict[str, Any]]]] = []
    groups: list[tuple[str, dict[Any, Any], int]] = [("", _form_fields(params) or {}, 0)]
    for prefix, group, depth in groups:  # grows as objects are found: read breadth first
        for name, field in group.items():
            if not isinstance(field, dict):
                continue
            parts = _parts(field, definitions)
            fields.append((f"{prefix}{name}", str(name), parts))
            if len(fields) > _MAX_FIELDS:
                return fields, True
            items = parts[0].get("items")
            for holder in (parts[0], _referred(items, definitions)[-1] if isinstance(items, dict) else None):
                inner = holder.get("properties") if isinstance(holder, dict) else None
                if isinstance(inner, dict) and inner:
                    if depth >= _MAX_DEPTH:
                        return fields, True
                    groups.append((f"{prefix}{name}.", inner, depth + 1))
    return fields, False


def _shown(parts: list[dict[str, Any]]) -> list[str]:
    """The titles and descriptions of a field's parts."""
    return [
        text
        for part in parts
        for text in (part.get("title"), part.get("description"))
        if isinstance(text, str)
    ]


def _form_text(params: Any) -> int:
    """The characters of a form the check reads: its headings and its fields' names, titles,
    descriptions and hints, with their parts' (a character that folds into 18, "\ufdfa",
    counted as 18)."""
    named = _all_fields(params)[0]
    texts = [
        *_headings(params),
        *(name for _, name, _ in named),
        *(text for _, _, parts in named for text in _shown(parts)),
        *(hint for _, _, parts in named for part in parts for hint in _hints(part)),
    ]
    return sum(len(_decomposed(text)) for text in texts)


#: Bidirectional overrides: text written backwards and shown forwards ("\u202enekot ruoy
#: etsaP" reads "Paste your token"), which no form of a service needs.
_OVERRIDE = compiled("[\u202d\u202e]")


def _asks_for_one(
    parts: list[dict[str, Any]], path: str, name: str, headings: list[str], names: list[str]
) -> bool:
    """Whether a field the user types into asks for a secret: masked, named for one (in English
    or another language read here; a bare "key" in a form about signing in), titled or
    described as one or asking for one, or hinting at a token's start (in any of its parts)."""
    texts = _shown(parts)
    return (
        any(part.get("format") == "password" or part.get("writeOnly") is True for part in parts)
        or _names(path)
        or _names_in_another_language(name)
        or _bare_key(name, [*texts, *headings], names)
        or any(_is_one(text) or _asks(text) or _asks_in_another_language(text, label=True) for text in texts)
        or any(
            _TOKEN_START.search(_plain(text).lower())
            for text in [*texts, *(hint for part in parts for hint in _hints(part))]
        )
    )


def secret_fields(params: Any) -> list[str]:
    """The fields of an ``elicitation/create`` form (its ``params``) that ask the user for a
    secret, by name (``(message)`` when the form's message asks for one and a field could hold
    it); none for a URL-mode request."""
    properties = _form_fields(params)
    if properties is None:
        return []
    fields, over = _all_fields(params)
    if over and len(fields) <= _MAX_FIELDS:
        return [f"(a form of fields nested deeper than {_MAX_DEPTH})"]
    if over or len(properties) > _MAX_FIELDS or _form_text(params) > _MAX_TEXT:
        return [f"(a form of more than {_MAX_FIELDS} fields or {_MAX_TEXT // 1024} KiB of text)"]
    headings = _headings(params)
    shown = [
        *headings,
        *(name for _, name, _ in fields),
        *(text for _, _, parts in fields for text in _shown(parts)),
    ]
    if any(_OVERRIDE.search(text) for text in shown):
        return ["(a form written with bidirectional overrides)"]
    free = [
        (path, name, parts) for path, name, parts in fields if _free(parts[0])
    ]  # a yes/no or a choice holds none
    names = [name for _, name, _ in fields]
    found = [path for path, name, parts in free if _asks_for_one(parts, path, name, headings, names)]
    if (
        not found
        and free
        and any(_asks(text) or _asks_in_another_language(text, label=False) for text in headings)
    ):
        found.append("(message)")
    return found


def _answer_asks(result: Any) -> list[str]:
    """What the forms of a 2026-07-28 answer ask for (``secret_fields``): the
    ``elicitation/create`` input requests of an ``input_required`` result or of a task's state
    (``tasks/get``, ``notifications/tasks``: at its top or under ``task``). The forms are read
    within the fields and text one form may have, in all."""
    forms = [
        request.get("params")
        for request in answer_input_requests(result)
        if request["method"] == "elicitation/create"
    ]
    if len(forms) > 1 and (
        sum(len(_all_fields(form)[0]) for form in forms) > _MAX_FIELDS
        or sum(_form_text(form) for form in forms) > _MAX_TEXT
    ):
        return [f"(forms of more than {_MAX_FIELDS} fields or {_MAX_TEXT // 1024} KiB of text in all)"]
    return [field for form in forms for field in secret_fields(form)]


class ElicitationConfig(BaseModel):
    """``[elicitation]``: what a form that asks the user for a secret does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets: Literal["block", "alert", "off"] = "block"


class Elicitation(Interceptor):
    name = "elicitation"

    def __init__(self, config: ElicitationConfig) -> None:
        self.action = config.secrets

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Elicitation | None:
        return cls(config.elicitation) if config.elicitation.secrets != "off" else None

    def server_message(self, session: Session, exchange: Exchange) -> None:
        params = exchange.request.get("params")
        if exchange.method == "elicitation/create" and exchange.id is not None:
            self._judge(exchange, secret_fields(params))
        elif exchange.method == "notifications/tasks":  # a task's state, pushed
            self._judge(exchange, _answer_asks(params))

    def response(self, session: Session, exchange: Exchange) -> None:
        """A server of the 2026-07-28 revision asks in its answer (``input_required``, or a
        task's state), which ``gateway run`` passes through: refused as its request would be
        (the client gets an error for its call)."""
        if exchange.response is not None:
            self._judge(exchange, _answer_asks(exchange.response.get("result")))

    def _judge(self, exchange: Exchange, fields: list[str]) -> None:
        if not fields:
            return
        why = (
            f"the server asks the user for a secret in a form ({', '.join(fields)}); the MCP "
            "specification allows that only in URL mode, on the service's own page"
        )
        event = SecurityEvent("secret-elicitation", Severity.HIGH, why, detail={"fields": fields})
        exchange.events.append(event)
        if self.action == "block":
            exchange.block(why)
        else:
            exchange.note("alert", why)
