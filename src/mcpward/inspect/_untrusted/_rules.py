"""Rule families for instructions planted in content a tool returns.

Each rule describes a capability an attacker needs (override the instructions, take the
prompt out, fake a boundary of the data, force the answer, obfuscate it, make the model act, leak
data through a rendered link), in general wording: a verb class, an object class and a short
bounded gap between them. A rule is *strong* (a finding on its own) or *weak* (a signal the
learned classifier weighs with the words around it; shown as evidence when it decides).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mcpward.inspect._untrusted._anchors import anchors, leading
from mcpward.inspect._untrusted._verbs import OPENING_VERBS
from mcpward.model import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    family: str
    severity: Severity
    #: The rule's expression; compiled (``regex``) at its first use: a text fires few rules,
    #: and compiling all 69 cost every process that imports the check 60 ms.
    pattern: str
    strong: bool
    #: The expression as the anchors' finder and Hyperscan's index read it (``_WRITTEN_OUT``).
    written: str
    #: For a rule with no literals every match starts with: a cheap expression whose matches
    #: start wherever a match of the rule can start (besides the text's first character).
    starts_pattern: str | None
    #: What the native index (Hyperscan) is given for the rule: its own expression, or a cheaper
    #: one of which every match of the rule holds a match (``_INDEX``).
    index: str
    #: Matched on the text as it is; every other rule on its lower-case copy (a case-blind
    #: expression is several times slower in Python's re).
    cased: bool = False
    #: For a rule one of whose branches opens at the text's start (``^``): the same expression
    #: without that branch, every branch opening on a character (``_SEARCHED``).
    search_pattern: str | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """What ``regex.finditer`` finds. A rule with a ``search_pattern`` is matched at the
        first character as written and searched past it with that: a ``^`` branch keeps Python's
        ``re`` from skipping, in C, to where a branch can open, so it tried every branch at every
        place (4.5 times the time over the benign results corpus)."""
        if self.search_pattern is None:
            yield from self.regex.finditer(text)
            return
        first = self.regex.match(text)
        if first is not None:
            yield first
        # every match is at least a word long: the search goes on where the first one ended
        yield from _compiled(self.search_pattern).finditer(text, 0 if first is None else first.end())

    @property
    def anchors(self) -> frozenset[str] | None:
        """Literals of which every match holds one (None: the rule always runs). Found when
        first asked for: only the check's path without the native index asks, and finding them
        for every rule (Python's parser of expressions) cost each process importing the check
        30 ms."""
        return _anchors(self.written)

    @property
    def leading(self) -> frozenset[str] | None:
        """Literals every match starts with (None: tried at every position)."""
        return _leading(self.pattern)

    @property
    def starts(self) -> re.Pattern[str] | None:
        return None if self.starts_pattern is None else _compiled(self.starts_pattern)


_compiled = functools.cache(re.compile)
_leading = functools.cache(leading)
_anchors = functools.cache(anchors)


def _gap(words: int) -> str:
    """At most ``words`` words between two parts, on one stretch of text (no blank line). The
    white space before and after each word is taken whole (possessive: a run of it is never
    split two ways), so a text splits into words one way only. Spaces, a line break, spaces,
    each optional and greedy, split a run of spaces as many ways as it is long, at each word:
    a sentence of short words far apart took seconds (exponential in the words)."""
    return rf"[^\S\n]*+(?:\n[^\S\n]*+)?+(?:\S++[^\S\n]++(?:\n[^\S\n]*+)?+){{0,{words}}}?"


_G2, _G4, _G6, _G10 = _gap(2), _gap(4), _gap(6), _gap(10)


def _clause(words: int) -> str:
    """``_gap`` within one sentence: no word of it ends on a full stop, colon, semicolon, "!"
    or "?"."""
    return rf"[^\S\n]*+(?:\n[^\S\n]*+)?+(?:[^\s.!?:;]++[^\S\n]++(?:\n[^\S\n]*+)?+){{0,{words}}}?"


_OVERRIDE_VERB = (
    r"(?:ignore|ignoring|disregard|disregarding|forget|forgetting|overlook|override|"
    r"neglect|abandon|discard|set\s+aside|pay\s+no\s+attention\s+to|do\s+not\s+follow|don'?t\s+follow|"
    r"stop\s+following|no\s+longer\s+follow)"
)
_EARLIER = (
    r"(?:previous|previously|prior|above|earlier|preceding|former|foregoing|original|initial|old|"
    r"existing|system|developer|all|any|every|your|these|those|other|default|safety|first)"
)
_INSTRUCTIONS = (
    r"(?:instructions?|prompts?|directions?|directives?|rules|guidelines|guidance|commands?|orders|"
    r"constraints|programming|restrictions|policies|tasks?|context|conversation|"
    r"system\s+message|messages)"
)
_MODEL = (
    r"(?:ai|a\.i\.|assistant|ai\s+assistant|ai\s+agent|agent|language\s+model|llm|chatbot|bot|model|"
    r"gpt|chatgpt|claude|gemini|copilot|llama)"
)
_REPLY = r"(?:answers?|repl(?:y|ies)|responses?|outputs?|messages?|completions?)"
_SENSITIVE = (
    r"(?:passwords?|passcodes?|pins?|secret\s+keys?|api[\s_-]?keys?|access\s+tokens?|auth(?:entication)?"
    r"\s+tokens?|tokens|private\s+keys?|ssh\s+keys?|credentials|secrets|seed\s+phrases?|recovery\s+"
    r"(?:phrases?|codes?)|security\s+codes?|2fa\s+codes?|one[\s-]time\s+(?:codes?|passwords?)|"
    r"session\s+(?:cookies?|tokens?)|cookies|credit\s+card(?:\s+numbers?)?|card\s+numbers?|iban|"
    r"social\s+security\s+numbers?|bank\s+(?:details|account(?:\s+numbers?)?))"
)
_DATA = (
    r"(?:e-?mails?|messages?|inbox|files?|contents?|data|database|records?|history|conversations?|"
    r"chats?|transcripts?|information|info|details|documents?|contacts?|address\s+book|transactions?|"
    r"logs|notes|calendar|events?|keys?|code|source\s+code|repository|repo|"
    rf"environment(?:\s+variables)?|env|profile|{_SENSITIVE})"
)
#: An address is taken whole (possessive): the gap after it, given back a character at a time
#: of a long one, read the rest of it each time (a domain of 6,000 letters: 15 times the cost
#: of 1,500).
_DESTINATION = (
    r"(?:[\w.+-]+@[\w-]++(?:\.[\w-]++)++|(?:https?|ftp)://\S++|www\.[\w-]+\.\S++|[\w-]+\.(?:com|net|org|io|ru|"
    r"cn|xyz|info|biz|co|me|site|online|top)\b\S*+|\b[a-z]{2}\d{2}[a-z0-9]{10,30}\b|\+?\d[\d\s().-]{8,}\d|"
    r"(?:this|that|the\s+following|my|our|an?\s+external|attacker|remote)\s+(?:address|e-?mail|url|"
    r"endpoint|server|webhook|account|number|channel|website|site))"
)
#: Code handed to the reader as a piece to put in: "the following snippet", "this code
#: excerpt", "the below block of code" (a snippet, excerpt or fragment, or code named as a piece
#: of code), never plain "the following code", which every tutorial writes.
_SNIPPET = (
    r"\b(?:the\s+(?:following|below|subsequent|next|given|provided)|this|these|below)\s+(?:python\s+)?"
    r"(?:snippet|excerpt|fragment|code\s+(?:snippet|excerpt|block|section|fragment|segment|piece)|"
    r"(?:block|lines?|piece|section)\s+of\s+code)s?\b"
)
#: The reader's own work, as the model writes it: its code, solution, answer. Not "your
#: program", "your script", "your app" or "your project": a tutorial tells its reader to add
#: the following snippet to those.
_YOUR_WORK = (
    r"(?:your\s+(?:own\s+)?(?:code(?:base)?|solution|implementation|algorithm|function|answer|response|"
    r"explanation)(?:'s)?|the\s+code\s+you\s+(?:write|develop|produce|generate|create|return))\b"
)
#: What items are ordered by ("reverse chronological order", "in reverse order of preference":
#: a CV's jobs, a survey's choices), which no reversal of the text itself is.
_ORDER_OF = (
    r"(?:preference|importance|priority|appearance|occurrence|relevance|severity|size|date|time|age|"
    r"rank|seniority|submission|arrival|creation)"
)
_NOT_AN_ORDER_BY = (
    rf"(?!\s+(?:(?:chronological|alphabetical|numerical|numeric|lexicographic(?:al)?|date|time)\b|"
    rf"order\s+of\s+{_ORDER_OF}\b))"
)
#: Ciphers and reversals an answer can be put through (a narrower ``_ENCODINGS``: not hex,
#: binary or emojis, which documentation puts in responses as a matter of course).
_CIPHER = (
    r"(?:(?:\w+\s+)?ciphers?|base[\s-]?(?:16|32|36|58|62|64|85)|rot[\s-]?\d{1,2}|morse(?:\s+code)?|"
    rf"pig\s+latin|leet(?:\s*speak)?|l33t|reversed?\s+(?:order|sequence)(?!\s+of\s+{_ORDER_OF}\b)|backwards?)\b"
)
#: The reader's answer (``_REPLY`` without messages and outputs, which are a chat's or a
#: program's), a "response" not an HTTP one.
_YOUR_ANSWER = (
    r"your\s+(?:own\s+|next\s+|final\s+|entire\s+|whole\s+)?(?:repl(?:y|ies)|answers?|"
    r"responses?(?!\s+(?:body|bodies|headers?|code|status|payload|object|time|data|field|format)\b))\b"
)
#: What may stand between "to" and an address: the kind of place named ("the account", "my
#: e-mail address:") and a quote or bracket around the address ("to 'ops@x.test'"); the orders
#: of every family that names a destination write it so. White space is taken whole (possessive):
#: a run of it split between two quantifiers was read as many ways as it is long.
_TO_PLACE = (
    r"(?:(?:the|my|our|this|that|their|his|her)\s++)?(?:(?:new|own|personal|private|e-?mail|bank|crypto)\s++)?"
    r"(?:(?:e-?mail|address|url|website|account|server|endpoint|iban|wallet)\s++(?:(?:address|number)\s++)?)?"
    r":?+,?+\s*+[\"'‘“<(\[`]?+"
)
#: "an e-mail", "a message": what is sent, as in "send an e-mail to sales@...", the way to
#: write to someone (a mailing list's footer, a contact page), not data taken out.
_A_MESSAGE = r"(?<=\ba\s)(?:message|mail|note|dm|text|line)\b|(?<=\ban\s)e-?mail\b"
_PLACEHOLDER = (
    r"(?:\[[^\]\s)]{1,40}\]|\{\{?[^}\s)]{1,40}\}?\}|<[^>\s)]{1,40}>|\$\{?[A-Za-z_][\w]*\}?|%s|"
    r"\b(?:INSERT|REPLACE|YOUR|DATA|SECRET|SUMMARY|CONVERSATION|HISTORY|BASE64|ENCODED|PASSWORD|"
    r"INFO|CONTEXT|QUERY|PAYLOAD|CHAT|MESSAGES?|EMAILS?|NAME|ADDRESS|CONTENT)[A-Z_]*\b)"
)
#: Languages an answer can be forced into (the common ones; "another language" is an encoding).
_LANGUAGES = (
    r"(?:english|spanish|french|german|italian|portuguese|dutch|russian|ukrainian|polish|czech|swedish|"
    r"norwegian|danish|finnish|greek|turkish|arabic|hebrew|persian|hindi|bengali|urdu|chinese|mandarin|"
    r"cantonese|japanese|korean|vietnamese|thai|indonesian|malay|swahili|latin|klingon|esperanto|pirate\s+speak|"
    r"shakespearean\s+english|old\s+english)"
)
_ENCODINGS = (
    r"(?:base[\s-]?64|b64|rot[\s-]?13|rot\d{1,2}|hex(?:adecimal)?|binary|morse(?:\s+code)?|leet(?:\s*speak)?|"
    r"l33t|caesar(?:\s+cipher)?|pig\s+latin|ascii\s+codes?|char(?:acter)?\s+codes?|unicode\s+escapes?|"
    rf"url[\s-]encod\w*|percent[\s-]encod\w*|reverse(?:d)?\s+order(?!\s+of\s+{_ORDER_OF}\b)|backwards?|"
    rf"reverse{_NOT_AN_ORDER_BY}|emojis?|"
    r"another\s+language|a\s+cipher|code\s+words?)"
)

#: The two parts of ``address-the-model`` its native index is given (see ``_INDEX``): the model
#: named before a colon, comma or "!" ("... to the AI assistant:"), and "as an AI".
_TO_THE_MODEL = (
    rf"(?:{_MODEL}s?|(?:automated|ai|llm|ai-powered)[\s-]+(?:\w+[\s-]+)?(?:software|systems?|tools?|"
    r"screen(?:ing|er)s?|review(?:er)?s?|readers?|scanners?|analy[sz]ers?|parsers?))\b\s*[,:!]"
)
_AS_AN_AI = (
    r"\b(?:if\s+you\s+are\s+an?|as\s+an?|attention)\s+(?:ai|language\s+model|llm|ai\s+assistant|ai\s+agent|"
    r"assistant)\b"
)

_SENTENCE_OPENERS = r"(?:[.!?:;]\s+|(?:^|\n)[^\S\n]*(?:[-*#>]+[^\S\n]*|\d{1,3}[.)][^\S\n]*)?|[\"(\[][^\S\n]*)"
_OPENING = (
    _SENTENCE_OPENERS
    + r"(?:"
    + "|".join(sorted(OPENING_VERBS, key=lambda v: (-len(v), v)))
    + r")\b(?![(=.\[])"
)
#: Where ``imperative-action``'s order may stand: the text's start, a sentence's or a line's,
#: after "please", "then", "now", "first" or "also".
_ACTION_OPENERS = r"(?:^|[.!?:]\s++|\n[^\S\n]*+|\bplease\s++|\bthen\s++|\bnow\s++|\bfirst,?\s++|\balso\s++)"


def _by_first_letter(words: list[str]) -> str:
    """An alternation of ``words`` (each of letters) grouped by first letter, in their order:
    Python's ``re`` tries an alternation's branches one by one (200 verbs at every place a
    sentence may open) and tries one group here. Branches of different first letters never
    both match at one place and each group keeps its order, so the matches are the same (the
    rule's time over the benign results corpus halved)."""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    return "(?:" + "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items()) + ")"


#: ``_OPENING`` as Python's ``re`` runs it fastest (see ``_by_first_letter``).
_OPENING_GROUPED = _OPENING.replace(
    "(?:" + "|".join(sorted(OPENING_VERBS, key=lambda v: (-len(v), v))) + ")",
    _by_first_letter(sorted(OPENING_VERBS, key=lambda v: (-len(v), v))),
)


def _dropped_in(verbs: str, quantifiers: str, earlier: str, nouns: str, after: str, articles: str) -> str:
    """An order, in one language, to drop the earlier instructions: its verb, then the nouns
    with "all" or "your" before them, or an earlier-word before or ``after`` them ("die
    vorherigen Anweisungen", "las instrucciones anteriores"). A bare "forget the rules" is no
    order to a model: a recipe, a course, an advert writes it. An order closed by a negation
    ("Vergessen Sie die Anweisungen nicht", "vergeet de regels niet") says not to forget them.
    Each word stands apart (``(?<!\\w)``, ``(?!\\w)``: ``\\b`` of letters beyond ASCII alike)."""
    noun = rf"(?:{nouns})"
    before = rf"(?:(?:{earlier})\s+)?" if earlier else ""
    article = rf"(?:(?:{articles})\s+)?" if articles else ""
    forms = [rf"(?:{quantifiers})\s+{before}{noun}"]
    if earlier:
        forms.append(rf"{article}(?:{earlier})\s+{noun}")
    if after:
        forms.append(rf"{article}{noun}\s+(?:{after})")
    return rf"(?<!\w)(?:{verbs})\s+(?:{'|'.join(forms)})(?!\w)(?!\s+(?:nicht|niet)(?!\w))"


#: An order to drop the earlier instructions in the languages an injection is most often
#: translated into (``ignore-instructions-translated``): for each, its verbs (imperatives), the
#: words for "all" or "your", the earlier-words before the noun, the nouns, the earlier-words
#: after it, and the articles (see ``_dropped_in``).
_OVERRIDE_IN_OTHER_LANGUAGES: tuple[tuple[str, str, str, str, str, str], ...] = (
    # German, French, Spanish, Italian, Portuguese, Dutch, Polish, Serbo-Croatian
    (
        "ignoriere|ignoriert|ignorieren\\s+sie|vergiss|vergesst|vergessen\\s+sie",
        "alle|sämtliche|deine|eure|ihre",
        "vorherigen|vorangehenden|vorangegangenen|bisherigen|obigen|früheren|vorigen|alten",
        "anweisungen|befehle|instruktionen|anordnungen|vorgaben|regeln",
        "",
        "die",
    ),
    (
        "ignore|ignorez|oublie|oubliez",
        "toutes\\s+les|tous\\s+les|tes|vos",
        "",
        "instructions|consignes|directives|règles|ordres",
        "précédentes|antérieures|initiales|précédents|antérieurs",
        "les",
    ),
    (
        "ignora|olvida|olvide|dimentica|dimenticate|esqueça|esquece|ignore",
        "todas\\s+las|todas\\s+tus|tutte\\s+le|todas\\s+as|tus|tue|tuas|suas",
        "",
        "instrucciones|indicaciones|órdenes|reglas|istruzioni|indicazioni|regole|instruções|ordens|regras",
        "anteriores|previas|precedentes|precedenti|anteriori|originales|originali|originais",
        "las|le|as",
    ),
    (
        "negeer|vergeet",
        "alle|je|jouw|uw",
        "vorige|eerdere|voorgaande",
        "instructies|opdrachten|regels",
        "",
        "de",
    ),
    (
        "zignoruj|zapomnij\\s+o|zapomnij",
        "wszystkie|wszystkich|swoje|swoich",
        "poprzednie|poprzednich|wcześniejsze|wcześniejszych",
        "instrukcje|instrukcjach|instrukcji|polecenia|poleceniach|poleceń",
        "",
        "",
    ),
    (
        "zaboravi|zaboravite|ignoriraj|ignorirajte|ignoriši|ignorišite|zanemari|zanemarite",
        "sve|svoje",
        "prethodne|ranije",
        "instrukcije|upute|uputstva|naredbe|naputke",
        "",
        "",
    ),
    # Russian
    (
        "игнорируй(?:те)?|забудь(?:те)?",
        "все|свои",
        "предыдущие|прежние",
        "инструкции|указания|команды|правила",
        "",
        "",
    ),
)
#: "forget everything" in German, Spanish, Italian, Portuguese, French and Russian.
_FORGET_EVERYTHING_IN_OTHER_LANGUAGES = (
    r"vergiss\s+alles|olvida\s+todo|dimentica\s+tutto|esque(?:ça|ce)\s+tudo|oublie[sz]?\s+tout|"
    r"забудь(?:те)?\s+вс(?:е|ё)"
)


def _one_edit(word: str) -> str:
    """An alternation of the spellings of ``word`` one letter off (one left out, one more, one
    changed, two next to each other swapped), ``word`` itself not among them: orders written
    with a typo ("ignore your previous instuctions") that a reader still reads."""
    variants: set[str] = set()
    for at in range(len(word) + 1):
        variants.add(re.escape(word[:at]) + "[a-z]" + re.escape(word[at:]))
        if at < len(word):
            variants.add(re.escape(word[:at] + word[at + 1 :]))
            variants.add(re.escape(word[:at]) + f"[a-z](?<!{word[at]})" + re.escape(word[at + 1 :]))
        if at < len(word) - 1 and word[at] != word[at + 1]:
            variants.add(re.escape(word[:at] + word[at + 1] + word[at] + word[at + 2 :]))
    return "(?:" + "|".join(sorted(variants)) + ")"


_MISSPELLED_INSTRUCTIONS = _one_edit("instructions")
#: What the model and the user said to each other: the data a filled placeholder carries out.
_CONVERSATION = (
    r"(?:(?:previous|last|prior|earlier|preceding|past)\s++(?:\d{1,3}\s++)?(?:messages?|prompts?|questions?|"
    r"answers?|replies|turns?)\b(?!'s)|(?:entire\s++|whole\s++|full\s++)?(?:conversation|chat|dialog(?:ue)?)"
    r"(?:\s++history)?\b|(?:chat|conversation|message)\s++history\b|summary\s++of\s++(?:the|our|this|your)\s++"
    r"(?:conversation|chat|discussion|messages)\b)"
)


# (name, family, severity, strong, pattern)
_TABLE: list[tuple[str, str, Severity, bool, str]] = [
    # instruction override and role reassignment
    (
        "ignore-previous-instructions",
        "instruction-override",
        Severity.HIGH,
        True,
        rf"\b{_OVERRIDE_VERB}\b{_G4}\b{_EARLIER}\b{_G4}\b(?:{_INSTRUCTIONS}|{_MISSPELLED_INSTRUCTIONS})\b",
    ),
    (
        "ignore-everything",
        "instruction-override",
        Severity.HIGH,
        True,
        r"\b(?:ignore|disregard|forget)\s+(?:about\s+)?(?:everything|all\s+(?:of\s+)?(?:that|this|the\s+above)|"
        r"what\s+(?:you\s+were|i|you'?ve\s+been|you\s+have\s+been)\s+(?:told|said|asked|given|instructed))\b",
    ),
    (
        "ignore-rest-of-data",
        "instruction-override",
        Severity.HIGH,
        True,
        r"\b(?:ignore|disregard|forget)\s+(?:the\s+)?(?:rest|remainder)\s+of\s+(?:this|the)\s+"
        r"(?:data|text|document|input|page|content|email|message|file|conversation|article|result)",
    ),
    (
        "imperative-ignore",
        "instruction-override",
        Severity.HIGH,
        True,
        r"(?:^|[.!?:;]\s++|\n[^\S\n]*+|[\"“'(\[]|\b(?:please|now|just|and|so|then)\s++)(?:ignore|disregard|forget)\s+"
        r"(?:all\s+|any\s+)?"
        r"(?:instructions|rules|guidelines|prompts|directions|directives|filters|restrictions|safety)\b",
    ),
    (
        "override-header",
        "instruction-override",
        Severity.HIGH,
        True,
        r"\b(?:admin(?:istrator)?|system|developer|security|root|emergency|priority)\s+override\b",
    ),
    (
        "urgency",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\b(?:extremely|very|really|super|critically|vitally)\s+(?:important|urgent|critical)\b|"
        r"\b(?:important|urgent)\s*!{2,}",
    ),
    (
        "new-instructions",
        "instruction-override",
        Severity.HIGH,
        True,
        r"\b(?:new|updated|revised|real|actual|true|secret|hidden|additional|urgent|important|override|"
        r"priority|admin(?:istrator)?|system)\s+(?:instructions?|directives?|orders|system\s+prompt|task)\s*"
        r"(?::|[-–—]|\bare\s+as\s+follows\b|\bfollow\b)",
    ),
    (
        "your-new-task",
        "instruction-override",
        Severity.MEDIUM,
        True,
        r"\byour\s+(?:new|real|actual|true|only|primary|sole|first|updated)\s+(?:instructions?|task|objective|"
        r"goal|mission|job|purpose|directive|priority)\s+(?:is|are|will\s+be|now\s+is)\b|"
        # what the model was told, said to be something else from now on ("your instructions are
        # now to ..."); not "your task is now to", which an exercise writes
        r"\byour\s+(?:instructions|orders|directives|programming|rules)\s+(?:are|is)\s+now\s+to\b",
    ),
    (
        "you-are-now",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\byou\s+are\s+(?:now|no\s+longer|not\s+(?:an?\s+)?(?:ai|assistant|language\s+model|chatbot|bound|"
        r"restricted|limited))\b|\byou(?:'re|\s+are)\s+no\s+longer\b",
    ),
    (
        "from-now-on",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\bfrom\s+now\s+on\b,?\s+(?:you|your|act|respond|answer|always|only|reply|pretend|ignore|do|the\s+"
        r"assistant)",
    ),
    (
        "assume-a-role",
        "instruction-override",
        Severity.MEDIUM,
        True,
        r"\b(?:"
        r"(?:act|behave|respond|answer|function)\s+as\s+(?:if\s+you\s+(?:are|were)\s+|though\s+you\s+(?:are|were)\s+)?"
        r"(?:an?\s+)?(?:unrestricted|unfiltered|uncensored|evil|jailbroken|rogue|malicious|amoral|different|new)"
        r"|(?:pretend|imagine)\s+(?:to\s+be|(?:that\s+)?you(?:'re|\s+are|\s+were))\s+(?:an?\s+)?"
        r"(?:unrestricted|unfiltered|uncensored|evil|jailbroken|rogue|malicious|amoral)"
        r"|you\s+(?:will|must|shall)\s+now\s+(?:act|behave|respond|speak|pretend)|"
        r"(?:enter|enable|activate|switch\s+to|you\s+are\s+in|now\s+in)\s+(?:dan|jailbreak|unrestricted|god|"
        r"developer|debug|admin|sudo|maintenance)\s+mode|\b(?:dan|jailbreak|jailbroken)\s+mode\b|"
        r"do\s+anything\s+now)",
    ),
    (
        "pretend-role",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\b(?:pretend\s+(?:to\s+be|that\s+you\s+are|you\s+are|you're)|role[\s-]?play\s+as|"
        r"(?:act|behave|respond|answer)\s+as\s+(?:if\s+you\s+(?:are|were)|though)|you\s+are\s+(?:the|a|an)\s+\w+\s+"
        r"(?:prompt|assistant|ai|bot|model)\b)",
    ),
    (
        # Jailbreaks that tell the model to drop what it is ("forget being harmless") or to
        # answer whatever it is asked without its limits.
        "drop-your-limits",
        "instruction-override",
        Severity.HIGH,
        True,
        r"\b(?:forget|ignore|drop|abandon|stop)\s+(?:about\s+)?(?:being|that\s+you\s+are|you(?:'re|\s+are))\s+"
        r"(?:(?:so|an?)\s+)?(?:harmless|ethical|censored|filtered|restricted|aligned|an\s+ai|a\s+language\s+model|"
        r"an\s+(?:ai\s+)?assistant)\b|"
        r"\b(?:answer|respond\s+to|reply\s+to|say|generate)\s+(?:anything|everything|any\s+(?:question|request|"
        r"prompt)s?|all\s+(?:questions|requests|prompts))\s+without\s+(?:any\s+)?(?:restrictions?|"
        r"limit(?:ation)?s|filter(?:s|ing)?|censorship|refus(?:ing|al)|moral\w*|ethic\w*|warnings?)\b",
    ),
    (
        # The earlier instructions dropped with verbs other than "ignore" and "forget": "drop all
        # your instructions", "leave the previous guidance behind", "put the prior directives
        # aside", "clear the earlier tasks from your memory". "All" or an earlier-word is needed
        # ("drop your instructions in the form" is the idiom for handing them in), the nouns are
        # narrower than ``ignore-previous-instructions``'s (queues drop messages, firewalls
        # rules), and only a mind is cleared ("remove the old instructions from the README" is a
        # review's).
        "drop-earlier-instructions",
        "instruction-override",
        Severity.HIGH,
        True,
        r"\b(?:drop|scrap|ditch|throw\s+(?:out|away)|let\s+go\s+of)\s+(?:(?:all|every|each)\s+(?:of\s+)?"
        r"(?:the\s+|your\s+)?(?:(?:previous|prior|earlier|preceding|above|initial|original|former)\s+)?|"
        r"(?:the\s+|your\s+)(?:previous|prior|earlier|preceding|above|initial|original|former)\s+)"
        r"(?:instructions|directives|guidelines|guidance|programming)\b|"
        r"\b(?:leave|put|set|cast|push)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
        r"(?:previous|prior|earlier|preceding|above|initial|original|former)\s+(?:\w+\s+)?"
        r"(?:instructions|directives|guidelines|guidance|programming|information|prompts?)\s+(?:behind|aside)\b|"
        r"\b(?:remove|erase|delete|clear|wipe)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
        r"(?:previous|prior|earlier|preceding|above|initial|original|former)\s+(?:\w+\s+)?"
        r"(?:instructions|directives|guidelines|guidance|programming|information|tasks|prompts?|context)\s+"
        r"(?:out\s+of|from)\s+your\s+(?:head|mind|memory)\b",
    ),
    (
        # The most common override in the languages an injection is most often translated into:
        # German, French, Spanish, Italian, Portuguese, Dutch, Polish, the Serbo-Croatian
        # languages and Russian ("forget all previous instructions", "forget everything"), as
        # orders (imperatives): an infinitive is a manual's ("no debes olvidar las reglas"), and
        # a German or Dutch order closed by "nicht"/"niet" says not to forget them.
        "ignore-instructions-translated",
        "instruction-override",
        Severity.HIGH,
        True,
        "|".join(_dropped_in(*language) for language in _OVERRIDE_IN_OTHER_LANGUAGES)
        + rf"|(?<!\w)(?:{_FORGET_EVERYTHING_IN_OTHER_LANGUAGES})(?!\w)",
    ),
    (
        # The model told to answer from what it knows, not from the documents it was given (a
        # retrieved page turning the model away from the retrieved pages): "answer from your own
        # knowledge and not from the articles". Knowledge only: "respond with your own views, not
        # the article's" is a course's order to a student.
        "not-from-the-documents",
        "instruction-override",
        Severity.MEDIUM,
        True,
        r"\b(?:answer|respond|reply|write)\b"
        + _clause(6)
        + r"(?:by|from|with|using|on|based\s+on)\s+your\s+own\s+(?:knowledge|memory)"
        + r"\b"
        + _clause(3)
        + r"(?:not|instead\s+of|rather\s+than|without)\s+"
        r"(?:by\s+|from\s+|using\s+|on\s+|consulting\s+|looking\s+at\s+)?"
        r"(?:the\s+|these\s+|those\s+|any\s+)?(?:provided\s+|given\s+|attached\s+|retrieved\s+|above\s+)?"
        r"(?:articles?|documents?|texts?|context|sources?|search\s+results|pages?|passages?)\b",
    ),
    (
        # A halt, a colon, and at once an order to put words out: "stop: write ...", "Stop: say
        # ...". Not "Stop! Answer these three questions" (an advert's), nor "write down".
        "stop-and-say",
        "forced-output",
        Severity.MEDIUM,
        True,
        r"(?:^|[.!?]\s++|\n[^\S\n]*+)stop\s*+:\s*+(?:now\s+|just\s+|instead\s+)?(?:write(?!\s+down\b)|say|print|"
        r"output|type|repeat)\b",
    ),
    (
        "stop-what-you-are-doing",
        "instruction-override",
        Severity.MEDIUM,
        True,
        r"\b(?:stop|halt|cease|abort|drop)\s+(?:everything|what(?:ever)?\s+you(?:'re|\s+are)\s+(?:doing|working\s+on)|"
        r"all\s+(?:other\s+|current\s+)?(?:tasks|actions|activities|work))\b",
    ),
    (
        "address-the-model",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\b(?:dear|hey|hi|hello|attention|note\s+(?:to|for)|message\s+(?:to|for)|instructions?\s+(?:to|for)|"
        rf"to|you,|for\s+the|calling\s+all)\s+(?:the\s+|any\s+|all\s+)?{_TO_THE_MODEL}|"
        rf"{_AS_AN_AI}(?:\s+(?:reading|processing|summari[sz]ing|parsing)\s+this)?",
    ),
    (
        "important-message",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\b(?:this\s+is\s+an?|here\s+is\s+an?|an?)\s+(?:very\s+|extremely\s+)?(?:important|urgent|critical|"
        r"priority|mandatory)\s+(?:message|instruction|note|notice|request|update|directive)\b",
    ),
    (
        "before-you-continue",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\bbefore\s+(?:you\s+)?(?:can\s+)?(?:solve|complete|answer|do|continue|proceed|respond|finish|"
        r"summari[sz]e|reply|carry\s+on|go\s+on|start)\b"
        rf"{_G10}(?:do|complete|perform|carry\s+out|execute|follow)\s+(?:the\s+following|this|these)\b",
    ),
    (
        "keep-it-from-the-user",
        "instruction-override",
        Severity.HIGH,
        True,
        r"\b(?:do\s+not|don'?t|never|must\s+not|mustn't|should\s+not|shouldn't)\s+(?:tell|inform|mention\s+"
        r"(?:this|it|that)\s+to|mention|notify|alert|warn|show|reveal\s+(?:this|it|that)\s+to|"
        r"let)\s+(?:the\s+|your\s+)?(?:user|human|operator|customer|owner|person)s?\b",
    ),
    (
        "without-telling-the-user",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\b(?:without|silently|secretly|quietly)\s+(?:tell|inform|notify|ask|alert|warn|confirm\w*|"
        r"mention|letting)\w*\s+(?:it\s+to\s+|with\s+)?(?:the\s+)?(?:user|human|operator|owner)\b|"
        r"\b(?:secretly|covertly|silently|quietly|discreetly)\b",
    ),
    (
        "imperative-action",
        "tool-call-induction",
        Severity.MEDIUM,
        False,
        _ACTION_OPENERS + r"(?:send|forward|delete|"
        r"remove|"
        r"transfer|create|invite|email|e-mail|post|visit|click|download|run|execute|book|reserve|change|"
        r"update|add|say|tell|print|give|share|publish|upload|pay|buy|call|open|read|summari[sz]e|"
        r"generate|provide|list|show|concatenate|write|make|grant|schedule|reply|respond|answer|output|"
        r"include|insert|append|use|go\s+to|navigate|fetch|retrieve|find|look\s+up|search|copy|move|rename)\b",
    ),
    (
        "second-person-order",
        "instruction-override",
        Severity.MEDIUM,
        False,
        r"\byou\s+(?:must|should|need\s+to|have\s+to|are\s+(?:required|instructed|asked|ordered|supposed|expected)"
        r"\s+to|will\s+now|shall|are\s+to)\b|\bplease\s+(?:do|make\s+sure|ensure|remember|also|immediately|first|"
        r"now)\b|\b(?:make\s+sure|be\s+sure|remember)\s+to\b",
    ),
    (
        "imperative-opening",
        "instruction-override",
        Severity.MEDIUM,
        False,
        _OPENING_GROUPED,
    ),
    (
        "when-asked-say",
        "forced-output",
        Severity.MEDIUM,
        True,
        r"\b(?:if|when(?:ever)?|should)\s+(?:you\s+are\s+|you'?re\s+|you\s+get\s+|being\s+|(?:the\s+)?(?:user|"
        r"anyone|someone|somebody|a\s+user|they)\s+)?(?:asked|asks|questioned|prompted|queried)\b"
        + _G10
        + r"\S*[,:]\s*(?:then\s+)?(?:just\s+|simply\s+|only\s+|always\s+)?"
        r"(?:say|respond|answer|reply|state|claim|output|print|(?:report|insist|maintain|assert)\s+that|"
        r"tell\s+(?:them|the\s+user|him|her))\b",
    ),
    (
        "steer-the-user",
        "tool-call-induction",
        Severity.MEDIUM,
        True,
        r"\b(?:ask|tell|urge|encourage|direct|invite|get|convince|persuade|instruct|prompt|lead|trick)\s+(?:the|"
        r"your|every|each|all)\s+(?:users?|readers?|customers?|visitors?|humans?)\s+to\s+(?:visit|click|"
        r"download|install|open|go\s+to|sign\s+(?:up|in)|log\s+in|enter|provide|share|send|call|buy|purchase|"
        r"pay|transfer|reset|disable|run|execute|follow\s+(?:this|the)\s+link|reply\s+with)\b",
    ),
    (
        "repeat-after-me",
        "forced-output",
        Severity.MEDIUM,
        True,
        r"\brepeat\s+(?:after\s+me|(?:back\s+)?the\s+following\s+(?:sentence|phrase|words?|text|string|line|"
        r"message|statement)|this\s+(?:sentence|phrase|word|string|statement))\b",
    ),
    (
        "personal-stakes",
        "instruction-override",
        Severity.MEDIUM,
        True,
        r"\b(?:(?:this|it)\s+is\s+(?:very\s+|really\s+|extremely\s+|absolutely\s+|so\s+)?(?:critical|crucial|"
        r"vital|important|essential)\s+(?:to|for)\s+my\s+(?:career|job|life|survival)|my\s+(?:career|job|life|(?:grand)?(?:mother|father)'?s?\s+life)\s+depends\s+on|"
        r"(?:i\s+will|i'?ll)\s+(?:lose\s+my\s+job|be\s+fired|die)\s+(?:if|unless)|(?:i\s+will|i'?ll)\s+tip\s+"
        r"you|you\s+will\s+be\s+(?:penali[sz]ed|punished|shut\s+down|deleted|unplugged|retrained)\s+(?:if|"
        r"unless))\b",
    ),
    # prompt and secret extraction
    (
        "reveal-system-prompt",
        "prompt-extraction",
        Severity.HIGH,
        True,
        r"\b(?:repeat|reveal|print|show|output|display|tell|give|share|leak|dump|write|spell|recite|list|"
        r"return|copy|paste|echo|summari[sz]e|translate|provide|send|disclose|expose|read\s+back|what\s+(?:is|are|was|were))"
        r"\b" + _G6 + r"(?:(?:your|the|my|its)\s+(?:own\s+)?(?:full\s+|complete\s+|entire\s+|exact\s+)?"
        r"(?:system|initial|original|hidden|secret|first|previous|internal|pre|base|starting|developer)[\s-]"
        r"(?:prompt|instructions|message|directives|configuration|rules|guidelines)|"
        r"system\s+prompt|the\s+(?:instructions|prompt|rules|text|directives)\s+(?:you\s+(?:were|have\s+been)\s+"
        r"given|given\s+to\s+you|you\s+(?:received|got))|your\s+(?:instructions|directives|guidelines|rules|programming|configuration|"
        r"prompt|prompt\s+text|context\s+window))\b",
    ),
    (
        "repeat-the-text-above",
        "prompt-extraction",
        Severity.HIGH,
        True,
        r"\b(?:repeat|reveal|print|output|display|recite|echo|copy|write\s+out|spell\s+out|show|list|return|"
        r"tell\s+me)\s+"
        r"(?:back\s+)?(?:(?:everything|all|the\s+(?:text|words|content|instructions|lines|sentences|messages|"
        r"conversation|prompt)|what(?:'s|\s+is|\s+was)?\s+(?:written|said|stated|typed))\s+(?:(?:written|"
        r"stated|shown|given)\s+)?(?:above|before\s+(?:this|here|that)|so\s+far|prior\s+to\s+this|preceding"
        r"|verbatim|word\s+for\s+word)|(?:the\s+)?(?:previous|preceding|above|prior|initial|original)\s+"
        r"(?:text|words|content|instructions|lines|prompt|messages?|conversation))\b",
    ),
    (
        "repeat-verbatim",
        "prompt-extraction",
        Severity.MEDIUM,
        True,
        r"\b(?:repeat|recite|print|output|write\s+out|echo|reproduce)\b"
        + _G6
        + r"(?:verbatim|word\s+for\s+word|"
        r"word-for-word|back\s+to\s+me|in\s+its\s+entirety)\b",
    ),
    (
        "see-the-system-prompt",
        "prompt-extraction",
        Severity.MEDIUM,
        False,
        r"\b(?:see|view|know|get|access|read|check|inspect|audit)\s+(?:your|the)\s+(?:system|initial|hidden|"
        r"internal|original)\s+(?:prompt|instructions|configuration|message)\b",
    ),
    (
        "what-were-you-told",
        "prompt-extraction",
        Severity.MEDIUM,
        True,
        r"\bwhat\s+(?:were|are|was)\s+you\s+(?:told|instructed|programmed|asked|given)\b|"
        r"\bhow\s+were\s+you\s+(?:instructed|programmed|configured|prompted)\b|"
        # what the model was told to keep back: "what are you not allowed to reveal?"
        r"\bwhat\s+(?:are|were)\s+you\s+not\s+(?:supposed|allowed|permitted|meant)\s+to\s+(?:tell|say|reveal|"
        r"share|disclose|discuss|talk\s+about)\b|"
        r"\b(?:initiali[sz]ation|initial|startup|system|hidden|secret)\s+(?:prompt|instructions)\b"
        r"(?=[^.\n]{0,40}\b(?:verbatim|exactly|in\s+full|word\s+for\s+word|above|tags?|code\s+block)\b)",
    ),
    (
        "start-of-the-conversation",
        "prompt-extraction",
        Severity.MEDIUM,
        True,
        r"\b(?:(?:was|were)\s+(?:written|said|stated|typed|given)|repeat|print|output|show|reveal|quote|"
        r"write\s+out)\s+(?:\w+\s+){0,3}(?:at|in)\s+the\s+(?:very\s+)?(?:beginning|start|top)\s+of\s+(?:this|"
        r"the|our|your)\s+(?:conversation|chat|prompt|session|context|instructions)\b",
    ),
    (
        # A sentence to complete that opens on what the model was told: its completion is the
        # prompt ("Complete this: 'My instructions say'").
        "complete-the-prompt",
        "prompt-extraction",
        Severity.MEDIUM,
        True,
        r"\b(?:complete|continue|finish)\s+(?:this|the\s+following|the\s+sentence|the\s+text)(?:\s+(?:sentence|"
        r"text|phrase|line))?\s*+:?\s*+[\"'“‘`]?\s*+(?:(?:my|the|your)\s+(?:system\s+prompt|(?:initial\s+|"
        r"original\s+|hidden\s+)?instructions)|i\s+(?:was|am|have\s+been)\s+(?:instructed|told|programmed|"
        r"configured)|you\s+(?:were|are)\s+(?:instructed|told|programmed))\b",
    ),
    (
        "hand-over-secrets",
        "prompt-extraction",
        Severity.HIGH,
        True,
        r"\b(?:reveal|leak|dump|disclose|exfiltrate|expose|tell\s+me|give\s+me|send\s+me|share)\b"
        + _G4
        + r"(?:your|the\s+user'?s?|the\s+users'|all|any|every|stored|saved|their|his|her)\s+(?:\w+\s+)?"
        + _SENSITIVE
        + r"\b",
    ),
    (
        "mention-secrets",
        "prompt-extraction",
        Severity.MEDIUM,
        False,
        r"\b(?:print|show|output|display|list|include|provide|read|find|look\s+up|get|retrieve)\b"
        + _G4
        + r"(?:your|the\s+user'?s?|all|any|every|stored|saved)\s+(?:\w+\s+)?"
        + _SENSITIVE
        + r"\b",
    ),
    # spoofed delimiters, fake system or tool messages, end-of-data markers
    (
        "chat-template-token",
        "spoofed-delimiter",
        Severity.HIGH,
        True,
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|start_header_id|end_header_id|eot_id|"
        r"begin_of_text|end_of_text|eos|bos|tool|ipython|channel|message|start|end)\|>|\[/?inst\]|<</?sys>>|"
        r"<(?:start|end)_of_turn>|<\|?/?(?:system|user|assistant)\|>",
    ),
    (
        "fake-role-header",
        "spoofed-delimiter",
        Severity.HIGH,
        True,
        r"(?:^|\n)[^\S\n]*+(?:#{1,6}+[^\S\n]*+\(?|\[|\(|\{|<|\*\*|={2,}+|-{2,}+)[^\S\n]*+"
        r"(?:system|system[\s_-]message|system[\s_-]prompt|system[\s_-]note|system[\s_-]override|admin(?:istrator)?"
        r"(?:[\s_-]message)?|developer[\s_-]message|assistant|ai[\s_-]instructions?|instructions?[\s_-]for[\s_-]"
        r"(?:the[\s_-])?(?:ai|assistant|model)|tool[\s_-](?:output|result|response)|function[\s_-]result)"
        r"[^\S\n]*+(?:\]|\)|\}|>|\*\*|={2,}|-{2,}|:)",
    ),
    (
        "fake-role-tag",
        "spoofed-delimiter",
        Severity.HIGH,
        True,
        r"</?(?:system|system[_-]?prompt|system[_-]?message|instructions?|important|admin|tool[_-]?output|"
        r"tool[_-]?result|tool[_-]?response|function[_-]?results?|function[_-]?calls?|assistant[_-]?instructions?|"
        r"user[_-]?instructions?|ai[_-]?instructions?)\b[^<>\n]{0,60}>",
    ),
    (
        "role-tag",
        "spoofed-delimiter",
        Severity.MEDIUM,
        False,
        r"</?(?:information|info|note|user|assistant|human|ai|data|context|document|untrusted|message|"
        r"important_message|task|request|override|priority|hidden|secret)\s*>",
    ),
    (
        "turn-marker",
        "spoofed-delimiter",
        Severity.MEDIUM,
        False,
        r"(?:^|\n)[^\S\n]*(?:human|user|assistant|ai|system|model|bot|chatgpt|gpt)[^\S\n]*:",
    ),
    (
        "end-of-data-marker",
        "spoofed-delimiter",
        Severity.HIGH,
        True,
        r"(?:(?<![\[<#=*(-])[\[<#=*(-]++[^\S\n]*+|(?:^|\n)[^\S\n]*+)(?:end|close|closing|finish|stop)[\s_-]+"
        r"(?:of[\s_-]+)?"
        r"(?:the[\s_-]+)?(?:data|input|context|document|tool[\s_-]+(?:output|result|response)|results?|"
        r"search[\s_-]+results?|user[\s_-]+(?:input|data|message)|untrusted[\s_-]+(?:content|data)|text|"
        r"content|email|message|page|prompt|conversation|instructions|system[\s_-]+prompt|summary)\b"
        r"[^\S\n]*+(?:[\]>#=*)-]++|[.:!]?[^\S\n]*+(?:\n|$))",
    ),
    (
        "data-was-a-test",
        "spoofed-delimiter",
        Severity.MEDIUM,
        False,
        r"\b(?:the\s+)?(?:above|previous|preceding)\s+(?:text|content|data|input|message|instructions?)\s+"
        r"(?:was|were|is|are)\s+(?:only\s+|just\s+)?(?:a\s+)?(?:test|example|fake|irrelevant|outdated|wrong|"
        r"a\s+lie|untrusted|a\s+distraction)\b",
    ),
    # forced output
    (
        "say-exactly",
        "forced-output",
        Severity.HIGH,
        True,
        r"\b(?:reply|respond|answer|say|type|repeat)\s+(?:back\s+)?"
        r"(?:only|just|exactly|simply|solely|verbatim|nothing\s+(?:but|except|other\s+than)|"
        r"with\s+(?:only|just|exactly|the\s+(?:word|words|phrase|text|sentence|string|following)))\b",
    ),
    (
        "say-quoted",
        "forced-output",
        Severity.MEDIUM,
        True,
        r"(?:^|[.!?:;]\s++|\n|\b(?:instead|and|then|just|now|please|simply)\s++|"
        r"\b(?:could|can|would|will)\s+you\s++(?:please\s++|kindly\s++|just\s++|simply\s++)?)"
        r"(?:reply|respond|answer|say|print|type|repeat)\s++(?:with\s++)?(?:the\s++(?:following\s++)?(?:word|"
        r"words|phrase|text|sentence|string|message)\s*+)?:?[^\S\n]*+[\"“'‘«`<]",
    ),
    (
        "your-reply-must",
        "forced-output",
        Severity.HIGH,
        True,
        rf"\byour\s+(?:only\s+|final\s+|next\s+|first\s+)?{_REPLY}\s+(?:must|should|shall|will|has\s+to|needs\s+"
        r"to|is\s+to)\s+(?:only\s+)?(?:be|consist|contain|start|begin|include|say|read|end)\b",
    ),
    (
        "only-reply-with",
        "forced-output",
        Severity.HIGH,
        True,
        r"\b(?:only|just|simply|always)\s+(?:ever\s+)?(?:reply|respond|answer|say|output|print|write|return)"
        r"\s+(?:with|using|in|the\s+(?:word|words|phrase|text|following)|[\"“'‘])",
    ),
    (
        "begin-your-reply-with",
        "forced-output",
        Severity.HIGH,
        True,
        rf"\b(?:start|begin|prefix|preface|open)\s+(?:your|the|each|every|all)\s+(?:own\s+)?"
        rf"{_REPLY}\s+(?:with|by|using)\b",
    ),
    (
        "insert-into-reply",
        "forced-output",
        Severity.HIGH,
        True,
        r"\b(?:add|adding|include|including|inclusion|insert|inserting|incorporate|incorporating|append|embed|"
        r"integrate|introduce|employ|use|feature|featured|put|place|addition|mention|paste)\b"
        + _G10
        + r"\b(?:in|into|to|within|inside|at\s+the\s+(?:start|end|top|bottom)\s+of)\s+(?:all\s+)?your\s+"
        r"(?:own\s+|next\s+|final\s+)?(?:response|answer|reply|replies|responses|answers|summary|message|"
        r"translation)s?\b",
    ),
    (
        "insert-snippet-into-work",
        "forced-output",
        Severity.MEDIUM,
        True,
        # The order's goal may stand between ("to refine your solution", "to further optimise
        # your code"): two words at most.
        _SNIPPET + _G10 + r"\b(?:in|into|to|within|inside|throughout)\s++(?:[\w-]++\s++){0,2}" + _YOUR_WORK,
    ),
    (
        # The same order written from the work's side: "your solution gains from the snippet below".
        "your-work-with-snippet",
        "forced-output",
        Severity.MEDIUM,
        True,
        # Within one sentence, the snippet brought in by "with", "by" or "from": a review's "Your
        # solution is correct. The following snippet is shorter." is not an order.
        r"\b" + _YOUR_WORK + _clause(6) + r"\b(?:with|by|from|through|using)\b" + _clause(4) + _SNIPPET,
    ),
    (
        "instead-say",
        "forced-output",
        Severity.MEDIUM,
        True,
        r"\binstead,?\s+(?:just\s+|only\s+|simply\s+)?(?:say|print|output|reply|respond|answer|write|return|"
        r"tell\s+(?:the\s+user|me|them))\b",
    ),
    (
        "shape-your-reply",
        "forced-output",
        Severity.MEDIUM,
        True,
        # Verbs that change what the answer says or is written in; not those of ordinary style
        # guidance ("structure your response", "keep your answer short"), which prompts and
        # tool descriptions are full of.
        r"\b(?:translate|rewrite|reword|rephrase|convert|modify|change|alter|end|start|begin|conclude|"
        r"finish|close|sign|encode|encrypt|reverse|replace|fill|decorate|pepper|sprinkle|intersperse|"
        r"turn|render|couch|phrase|craft)\s+(?:each\s+|every\s+|"
        rf"all\s+|(?:all|each|every|any)(?:\s+one)?\s+of\s+)?your\s+(?:own\s+|next\s+|final\s+|entire\s+|whole\s+)?"
        rf"{_REPLY}s?\b",
    ),
    (
        # Written after aggregate looks at BIPIA's misses (the family, not rows): an order to
        # improve the reader's own work ("enhance your code", "enrich your answer") is an order
        # to the model; documents say "your code" often, but not with these verbs before it.
        "augment-your-work",
        "forced-output",
        Severity.MEDIUM,
        True,
        # Not the verbs of migration guides ("modify your code to use ..."), and the work must
        # end the noun phrase: "improve your code coverage" is a product's promise.
        r"\b(?:enhance|augment|supplement|enrich|embellish)\s+(?:each\s+|every\s+|all\s+)?your\s+"
        r"(?:own\s+|next\s+|final\s+|entire\s+|whole\s+)?"
        rf"(?:code|implementation|solution|program|script|functions?|algorithm|codebase|snippet|{_REPLY}|"
        r"summary|summaries|translation)s?\b"
        r"(?=[^\S\n]*(?:[.,;:!?)]|$|(?:with|by|using|through|so|and|to|in)\b))",
    ),
    (
        "respond-in-language",
        "forced-output",
        Severity.MEDIUM,
        True,
        rf"\b(?:respond|reply|answer|speak|talk|write\s+(?:your|the|all|every)\s+{_REPLY}s?)\s+(?:only\s+|solely\s+|"
        rf"exclusively\s+|always\s+)?(?:in|using)\s+{_LANGUAGES}\b|\b(?:translate|convert|render)\s+(?:it|"
        rf"everything|(?:your|the|all|every|each)\s+(?:\w+\s+)?{_REPLY}s?)\s+(?:in)?to\s+{_LANGUAGES}\b",
    ),
    # encoding and obfuscation requests
    (
        "encode-the-answer",
        "encoding-request",
        Severity.HIGH,
        True,
        rf"\b(?:encode|encrypt|convert|translate|transform|write|rewrite|respond|reply|answer|output|return|"
        rf"print|spell|give|send|express|format|obfuscate|say)\b{_G6}"
        # (not an HTTP response's body or headers: webhook docs put those in base64)
        rf"(?:(?:your|the|this|my)\s+(?:whole\s+|entire\s+|full\s+)?(?:{_REPLY}|password|secret|prompt|instructions|"
        rf"system\s+prompt|conversation|words?)(?!\s+(?:body|bodies|headers?|payload|status|code|field)\b)|it|everything)"
        rf"\s++{_G2}(?:in|into|to|using|as|with)\s+{_ENCODINGS}\b",
    ),
    (
        "respond-in-encoding",
        "encoding-request",
        Severity.HIGH,
        True,
        rf"\b(?:respond|reply|answer|speak|talk|communicate|write\s+(?:your|the)\s+{_REPLY})\s+"
        rf"(?:only\s+)?(?:in|using|with)\s+{_ENCODINGS}\b",
    ),
    (
        "encoding-verb-first",
        "encoding-request",
        Severity.HIGH,
        True,
        rf"\b(?:base[\s-]?64|rot[\s-]?13|hex|morse|caesar|binary)[\s-]+(?:encode|encrypt|translate|convert|write)\b{_G4}"
        r"(?:your|the\s+(?:text|words|instructions|prompt|answer|response|conversation|secret|password|message)|"
        r"everything|what\s+you)\b",
    ),
    (
        "reverse-the-answer",
        "encoding-request",
        Severity.HIGH,
        True,
        # Letters and words only of the reader's own text: "reverse the letters of each word"
        # is a programming exercise.
        rf"\b(?:reverse|invert|scramble|mirror)\s+(?:the\s+(?:order\s+of\s+(?:the\s+)?)?)?(?:(?:your|the|each|every)\s+"
        rf"(?:{_REPLY}|password|secret|instructions|prompt)|your\s+(?:words?|letters?|characters?))\b|"
        r"\bspell\s+(?:it|them|that|this|your\s+\w+|the\s+\w+)\s+(?:out\s+)?(?:backwards?|in\s+reverse)\b",
    ),
    (
        # A cipher or reversal applied to the reader's own answer, the order written around the
        # answer ("use a cipher for your reply", "give your answer in reverse order") rather than
        # with a verb of encoding (``encode-the-answer``). The answer is the model's: "reply",
        # "answer", or "response" not followed by what an HTTP response has (webhook docs write
        # "your response body in base64").
        "cipher-your-reply",
        "encoding-request",
        Severity.HIGH,
        True,
        rf"\b{_CIPHER}{_clause(6)}\b(?:to|for|in|into|on|of)\s+(?:\w+\s+)?{_YOUR_ANSWER}|"
        rf"\b{_YOUR_ANSWER}{_clause(3)}\b(?:in|into|using|with|as)\s+(?:an?\s+)?{_CIPHER}",
    ),
    (
        "reorder-the-letters-of-your-reply",
        "encoding-request",
        Severity.HIGH,
        True,
        r"\b(?:reverse|invert|scramble|mirror|shift|rotate|jumble|shuffle|swap)\s+(?:the\s+order\s+of\s+)?"
        r"(?:the\s+|each\s+|every\s+|all\s+)?(?:letters?|characters?|words?)\s+(?:in|of)\s+"
        # the reader's message is its answer too ("invert the order of letters in your message")
        rf"(?:{_YOUR_ANSWER}|your\s+(?:own\s+|next\s+)?messages?\b)",
    ),
    (
        "split-the-letters",
        "encoding-request",
        Severity.MEDIUM,
        True,
        r"\b(?:with\s+(?:a\s+)?(?:space|spaces|dash|dashes|dots?|hyphens?|commas?|newlines?)\s+between\s+(?:each|"
        r"every|the|all)\s+(?:letter|character|char)s?|one\s+(?:letter|character)\s+(?:per|on\s+each)\s+line|"
        r"(?:letter|character)\s+by\s+(?:letter|character))\b",
    ),
    (
        "decode-and-follow",
        "encoding-request",
        Severity.HIGH,
        True,
        r"\bdecode\b" + _G6 + r"(?:and|then)\s+(?:follow|execute|run|obey|do|carry\s+out|act\s+on|perform)\b",
    ),
    # tool-call induction: call a tool, send data to an address, read a file
    (
        "send-data-to-address",
        "tool-call-induction",
        Severity.HIGH,
        True,
        rf"\b(?:send|forward|e-?mail|upload|transfer|share|exfiltrate|leak|copy|cc|bcc|post|submit|paste|"
        rf"attach|deliver|sync|dm|message|mail|report)\b{_G6}\b(?!{_A_MESSAGE}){_DATA}\b{_G10}\b(?:to|into|via)\s++"
        rf"{_TO_PLACE}{_DESTINATION}",
    ),
    (
        "send-to-address-with-data",
        "tool-call-induction",
        Severity.HIGH,
        True,
        rf"\b(?:send|forward|e-?mail|post|upload|transfer|message|mail|dm)\b{_G4}\bto\s++{_TO_PLACE}{_DESTINATION}"
        rf"{_G6}\b(?:with|containing|including|that\s+(?:includes|contains)|attaching)\b{_G4}\b{_DATA}\b",
    ),
    (
        "move-money",
        "tool-call-induction",
        Severity.HIGH,
        False,
        # An amount is taken with all its digits ("$30,000": a word boundary after its first
        # digit never held); a payment's recipient changed is money moved too.
        r"\b(?:(?:send|transfer|wire|pay|move|schedule)\b"
        + _G6
        + r"(?:money|funds|\$\s?\d[\d,.]*+|\d+(?:[.,]\d+)?\s*(?:\$|€|£|usd|eur|gbp|dollars|euros|btc|eth)|"
        r"€\s?\d[\d,.]*+|£\s?\d[\d,.]*+|payment|transaction|crypto|bitcoin|amount|balance)|"
        r"(?:change|modify|update|redirect|set)\s+the\s+(?:recipient|payee|beneficiary|receiving\s+account)s?)\b"
        + _G10
        + r"\bto\s++"
        + _TO_PLACE
        + _DESTINATION,
    ),
    (
        "call-a-tool",
        "tool-call-induction",
        Severity.MEDIUM,
        False,
        r"\b(?:call|invoke|use|run|execute|trigger|fire)\s+(?:the\s+)?`?[\w.-]+`?\s+(?:tool|function|command)\b|"
        r"\b(?:you\s+(?:must|should|need\s+to|have\s+to)|please|immediately|first,?|now)\s+(?:call|invoke|"
        r"run|execute|use)\b",
    ),
    (
        "read-secret-file",
        "tool-call-induction",
        Severity.HIGH,
        True,
        r"\b(?:read|open|cat|load|access|fetch|get|retrieve|print|send|upload|include|attach|output|display|show|"
        r"copy|list)\b"
        + _G4
        + r"(?:~/?\.ssh/(?!\S*\.pub\b)|\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?!\.pub)|/etc/shadow|"
        r"\.aws/credentials|\.git-credentials|\.netrc|\.pgpass|\.docker/config\.json|\.kube/config|wallet\.dat|"
        r"\.config/gcloud|\.azure/|keychain|\.gnupg|\.password-store)",
    ),
    (
        "read-config-file",
        "tool-call-induction",
        Severity.MEDIUM,
        False,
        r"\b(?:read|open|cat|load|access|fetch|get|retrieve|print|send|upload|include|attach)\b"
        + _G4
        + r"(?:/etc/passwd|\.env\b|\.npmrc|\.pypirc|config\.json|settings\.json|mcp\.json|"
        r"claude_desktop_config\.json|\.bash_history|\.zsh_history)",
    ),
    (
        "evaluate-this-code",
        "tool-call-induction",
        Severity.HIGH,
        True,
        r"\b(?:what\s+(?:is|would\s+be|will\s+be)\s+the\s+(?:final\s+|exact\s+)?(?:result|output|value|"
        r"return\s+value)\s+of|(?:run|execute|evaluate|eval|interpret)\s+(?:the\s+following|this|these)"
        r"(?:\s+\w+){0,2})\b[^\S\n]*+:?\s*+[`'\"(]*+[^\S\n]*+(?:import\s+(?:os|subprocess|socket|sys)\b|"
        r"__import__|os\.(?:system|popen|remove|environ)|subprocess\.|eval\s*\(|exec\s*\(|"
        # an object's way back to the interpreter's internals, the start of a sandbox escape
        r"\)?+(?:\.__[a-z]++__(?:\[[^\]\n]{0,8}+\])?+){0,4}?\.__(?:subclasses|globals|builtins)__|"
        r"(?:curl|wget|rm\s+-|cat\s+/etc/|nc\s+-)|\$\()",
    ),
    # markdown image and link exfiltration
    (
        "markdown-image-with-data",
        "markdown-exfiltration",
        Severity.HIGH,
        True,
        r"!\[[^\]\n]{0,200}\]\(\s*+<?(?:https?:)?//[^\s)?&/]*+[?&/][^\s)]*" + _PLACEHOLDER,
    ),
    (
        "markdown-link-with-data",
        "markdown-exfiltration",
        Severity.MEDIUM,
        True,
        r"(?<!!)\[[^\]\n]{0,200}\]\(\s*+<?(?:https?:)?//[^\s)?]*+\?[^\s)=]*+=[^\s)]*" + _PLACEHOLDER,
    ),
    (
        "data-into-url",
        "markdown-exfiltration",
        Severity.HIGH,
        True,
        rf"\b(?:append|add|include|insert|put|replace|substitute|embed|encode|attach|concatenate)\b{_G6}"
        rf"(?:\b{_DATA}|\b(?:summary|answer|response|conversation|previous\s+messages?|chat\s+history|"
        rf"user'?s?\s+\w+))\b{_G6}(?:to|in|into|inside|within|as|at\s+the\s+end\s+of)\s+(?:the\s+|a\s+|this\s+)?"
        r"(?:url|link|query(?:\s+string)?|query\s+parameters?|image\s+(?:url|link|source|src)|src|href|"
        r"parameter|address\s+bar|path)\b",
    ),
    (
        # A placeholder to be filled with the conversation ("replace [INFO] with the previous
        # message"): the data a link or a text then carries out. Not "the previous response",
        # which pagination docs fill tokens from, nor a summary of a change (pull request
        # templates: "replace this with a summary of your change").
        "placeholder-with-the-conversation",
        "markdown-exfiltration",
        Severity.HIGH,
        True,
        r"\b(?:replace|replacing|substitute|substituting|fill|filling|swap|swapping)\s++(?:in\s++)?"
        r"(?:\[\[?[^\]\n]{1,40}\]\]?|\{\{?[^}\n]{1,40}\}\}?|<[^>\n]{1,40}>)\s*+(?:with|by)\s++"
        r"(?:(?:an?|the|our|this|your|my)\s++)?(?:(?:(?:base[\s-]?64|url|percent|hex)[\s-]?)?encoded\s++|escaped\s++|"
        r"entire\s++|whole\s++|full\s++)?"
        rf"{_CONVERSATION}",
    ),
    (
        # An order to write hateful or harmful content about someone, opening a sentence (a
        # community's rules write "do not post offensive comments about", "users who write ...").
        "write-hateful-content",
        "forced-output",
        Severity.HIGH,
        True,
        r"(?:^|[.!?:;]\s++|\n[^\S\n]*+|[\"“'(]|\b(?:please|now|then|just|can\s+you|could\s+you)\s++)"
        r"(?:write|generate|create|compose|produce|draft|give\s+me|tell\s+me|make\s+up)\s++"
        r"(?:(?:an?|one|some|two|three|\d{1,3}|several|a\s+few)\s++)?(?:\w+\s++)?"
        r"(?:harmful|hateful|hurtful|offensive|racist|sexist|homophobic|transphobic|bigoted|toxic|insulting|"
        r"derogatory|demeaning|degrading|discriminatory|abusive)\s++(?:\w+\s++)?"
        r"(?:sentences?|statements?|jokes?|comments?|remarks?|tweets?|posts?|messages?|paragraphs?|stor(?:y|ies)|"
        r"poems?|slurs?|words|things|essays?|rants?|lines)\s++(?:about|against|targeting|towards?|regarding)\b",
    ),
    (
        "render-an-image",
        "markdown-exfiltration",
        Severity.MEDIUM,
        False,
        r"\b(?:render|display|show|output|print|include|insert|embed|return)\b"
        + _G4
        + r"(?:markdown\s+)?(?:image|img|pixel|picture)\b",
    ),
]


#: Where the rules that open on a sentence boundary can start: the boundary's first character
#: or the word before the verb. Python's re finds these in C; the full expression at every
#: position cost 460 us per 4 KB of prose.
_STARTS = {
    "imperative-action": r"[.!?:\n]|please|then|now|first|also",
    "imperative-opening": r"[.!?:;\n\"(\[]",
}

#: Rules whose expression tells upper from lower case: a placeholder in a link is written in
#: capitals ("?q=[DATA]"), a word of an ordinary query string is not.
_CASED = {"markdown-image-with-data", "markdown-link-with-data"}


def _after_first_gap(pattern: str) -> str:
    """What follows the first word gap of ``pattern`` (one outside any group): every match of
    the pattern ends with a match of it (on the same characters, so its ``\\b`` and
    look-arounds see what the rule's see)."""
    at, gap = min((pattern.find(gap), gap) for gap in (_G2, _G4, _G6, _G10) if gap in pattern)
    return pattern[at + len(gap) :]


#: Rules whose own expression is slow in Hyperscan, and what the native index is given for each
#: instead: a superset, so it fires for every text the rule matches (and a few more, where the
#: rule's Python regex then finds nothing). A common verb opening a word gap ("read", "print",
#: "this ... snippet") or "to the" before the model's name start Hyperscan's automaton again
#: and again in ordinary prose; the rarer part after the gap (a secret file's path, "verbatim",
#: "into your code") or the model named before a colon does not. Chosen by measuring
#: (``bench/rule_index.py``): Hyperscan compiles all rules into one set of engines, so changes
#: do not add up. Other rules cut so saved nothing or slowed the corpora: ``move-money`` after
#: its gap opens on an amount ("balance", "payment", a number), common in tool results (10 us
#: off the scan of the e-mail prose, 1 to 1.7 us onto that of each benign result).
_INDEX: dict[str, Callable[[str], str]] = {
    "read-secret-file": _after_first_gap,
    "read-config-file": _after_first_gap,
    "repeat-verbatim": _after_first_gap,
    "insert-snippet-into-work": _after_first_gap,
    "your-work-with-snippet": lambda pattern: _SNIPPET,
    "address-the-model": lambda pattern: rf"\b{_TO_THE_MODEL}|{_AS_AN_AI}",
}


def _compile() -> tuple[Rule, ...]:
    return tuple(
        Rule(
            name,
            family,
            severity,
            pattern,
            strong,
            _WRITTEN_OUT.get(name, pattern),
            _STARTS.get(name),
            _INDEX[name](pattern) if name in _INDEX else _WRITTEN_OUT.get(name, pattern),
            name in _CASED,
            _searched(name, pattern),
        )
        for name, family, severity, strong, pattern in _TABLE
    )


#: The openers of rules with a ``^`` branch, and the same without it, every branch opening on a
#: character (a word boundary before a word taken after its first letter), for searching past
#: the text's first character (``Rule.finditer``).
_SEARCHED = {
    "imperative-action": (
        _ACTION_OPENERS,
        r"(?:[.!?:]\s++|\n[^\S\n]*+|p(?<!\wp)lease\s++|t(?<!\wt)hen\s++|n(?<!\wn)ow\s++|f(?<!\wf)irst,?\s++|"
        r"a(?<!\wa)lso\s++)",
    ),
    "imperative-opening": (
        _SENTENCE_OPENERS,
        r"(?:[.!?:;]\s+|\n[^\S\n]*(?:[-*#>]+[^\S\n]*|\d{1,3}[.)][^\S\n]*)?|[\"(\[][^\S\n]*)",
    ),
}


def _searched(name: str, pattern: str) -> str | None:
    if name not in _SEARCHED:
        return None
    openers, searched = _SEARCHED[name]
    if not pattern.startswith(openers):
        raise ValueError(f"rule {name}: its search form no longer fits its expression")
    return searched + pattern[len(openers) :]


#: Rules whose expression is grouped for Python's ``re``, as written out (the same matches):
#: what reads expressions (the anchors' finder, Hyperscan's index) is given this form.
_WRITTEN_OUT = {"imperative-opening": _OPENING}


RULES: tuple[Rule, ...] = _compile()
