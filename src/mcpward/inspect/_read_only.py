"""Which tools look read-only: the starting point a reviewer confirms when an approval begins
its probation. A server may lie in its annotations, so ``readOnlyHint`` alone never makes a
tool read-only: its name must say it reads (get, list, search, ...), and its name, parameters,
description and annotations must not say it writes, sends or runs anything. Anything unclear is
left for the reviewer (not read-only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mcpward._regex import compiled


def _vocabulary(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


#: Verbs that change something, send something or run something.
_WRITES = _vocabulary(
    "write create delete del remove rm update edit modify set put post send upload insert drop move mv",
    "rename push commit merge deploy exec execute run kill start stop restart install uninstall publish",
    "append patch save apply approve transfer pay submit reply comment archive trigger invoke launch",
    "reset grant revoke add assign schedule cancel book share invite lock unlock enable disable clear",
    "purge truncate overwrite replace sync import mutate store email mail notify click type fill press",
    "navigate eval evaluate spawn shell bash sudo chmod chown mkdir touch upsert increment decrement",
    "forward",
)
#: Verbs that only look.
_READS = _vocabulary(
    "get list read search find fetch query describe show view lookup count check inspect browse resolve",
    "status info diff explain summarize summarise stat ls cat whoami peek preview validate parse",
    "analyze analyse lint estimate compare download export retrieve load",
)
#: Parameters that carry something to write or to run (a statement, a mutation, an HTTP method
#: or body: ``query(sql)`` and ``fetch(url, method, json)`` were suggested read-only until
#: 2026-12-05).
_PAYLOAD = compiled(
    r"^(content|contents|body|payload|data|new_?\w*|command|cmd|script|code|patch|replacement|value|"
    r"message|html|markdown|file_?content|text_?to_?write|sql|statement|mutation|method|json|form)$",
    re.IGNORECASE,
)
#: Descriptions that say the tool changes or sends something.
_DESCRIBED_WRITE = compiled(
    r"\b(writes?|creates?|deletes?|removes?|updates?|modif(?:y|ies)|sends?|posts?|uploads?|executes?|"
    r"runs?|overwrites?|commits?|pushes|publishes|installs?|kills?)\b",
    re.IGNORECASE,
)
_NEGATED = compiled(r"\b(does not|doesn't|never|without|no)\s+(\w+\s+){0,2}?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ReadOnlyJudgement:
    name: str
    read_only: bool
    #: Why, in a few words each: shown to the reviewer beside the suggestion.
    reasons: tuple[str, ...]


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]


def _described_writes(description: str) -> str | None:
    for match in _DESCRIBED_WRITE.finditer(description):
        if not _NEGATED.search(description[max(0, match.start() - 30) : match.start()]):
            return match.group(0).lower()
    return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def classify_read_only(tool: dict[str, Any]) -> ReadOnlyJudgement:
    """Whether ``tool`` (as ``tools/list`` gives it) looks read-only, and why."""
    name = str(tool.get("name") or "")
    words = _words(name)
    annotations = _mapping(tool.get("annotations"))
    hint = annotations.get("readOnlyHint")
    destructive = annotations.get("destructiveHint") is True
    properties = _mapping(_mapping(tool.get("inputSchema")).get("properties"))
    against: list[str] = []
    writes = [word for word in words if word in _WRITES]
    if writes:
        against.append(f"its name says {writes[0]}")
    payload = sorted(key for key in properties if isinstance(key, str) and _PAYLOAD.match(key))
    if payload:
        against.append(f"parameter {payload[0]} carries something to write or run")
    described = _described_writes(str(tool.get("description") or ""))
    if described:
        against.append(f"its description says {described}")
    if hint is False or destructive:
        against.append("its annotations say it writes")
    if against:
        if hint is True:
            against.append("its readOnlyHint is contradicted")
        return ReadOnlyJudgement(name, False, tuple(against))
    reads = [word for word in words if word in _READS]
    if reads and hint is True:
        return ReadOnlyJudgement(name, True, (f"its name says {reads[0]}", "readOnlyHint"))
    if reads:
        return ReadOnlyJudgement(name, True, (f"its name says {reads[0]}",))
    if hint is True:
        # The server's own word, and nothing else: it may lie in its annotations.
        return ReadOnlyJudgement(name, False, ("only its readOnlyHint says it reads",))
    return ReadOnlyJudgement(name, False, ("nothing says it only reads",))
