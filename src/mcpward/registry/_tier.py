"""The tier an entry must have, derived from what it touches and what its tools can do.

Tier 0 is the most sensitive: a server that can run shell commands, reach credentials beyond its
own, or write production data. Tier 1 writes data, needs credentials or talks to the network.
Tier 2 only reads. A reviewer may raise an entry (a lower number) but never lower it below what
is derived here: the derivation is the floor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mcpward._regex import compiled
from mcpward.registry.interface import DataScope, VetOutcome

# Tool names that are shell or code execution: exec_command, run_shell, bash, execute_python,
# and processes started or driven (Desktop Commander's start_process, interact_with_process).
# "process" only as the object of such a verb: process_payment and get_process_definition
# are no shell. Names are matched as words (camelCase split: runTerminalCommand, shellExec).
_SHELL_TOOL = compiled(
    r"(^|[_.-])(shell|bash|zsh|powershell|terminal|subprocess|pty|command[_-]?line|cmdline)([_.-]|$)"
    r"|^(exec|execute|eval|spawn|system)$"
    r"|(^|[_.-])(exec|execute|eval|run)[_-]?(command|cmd|code|script|python|javascript|js)s?([_.-]|$)"
    r"|(^|[_.-])(start|spawn|launch|run|exec|execute|create|new|interact[_-]with|send[_-]input[_-]to|"
    r"write[_-]to|attach[_-]to)[_-](a[_-])?(new[_-])?(child[_-])?(process|repl)(es)?([_.-]|$)",
    re.IGNORECASE,
)
_SHELL_TEXT = compiled(
    r"\b(execut\w*|runs?|running)\b.{0,40}\b(shell|terminal|system|bash|arbitrary)\s+(commands?|code|scripts?)\b"
    r"|\b(execut\w*|runs?|running)\s+(an?\s+|the\s+|any\s+)?"
    r"(command[- ]lines?|commands?\s+in\s+a\s+(shell|terminal))\b"
    r"|\b(start|spawn|launch)(s|es|ing)?\b.{0,40}\b(terminal|shell|child|sub|os|system)[- ]?process(es)?\b"
    r"|\b(send|write)s?\s+(input|keys|keystrokes|commands?)\s+to\s+(a|the)\s+(running\s+)?"
    r"(process|terminal|shell|repl)\b",
    re.IGNORECASE,
)
#: Where a camelCase name's words meet: runTerminalCommand is run_Terminal_Command.
_CAMEL_BOUNDARY = compiled(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CREDENTIAL_TOOL = compiled(
    r"(^|[_.-])(get|read|list|fetch|create|rotate)?[_-]?(secrets?|credentials?|passwords?|keychain|vault|"
    r"private[_-]?keys?|api[_-]?keys?)([_.-]|$)",
    re.IGNORECASE,
)
_PRODUCTION = compiled(r"\b(prod|production|live)\b", re.IGNORECASE)
_CREDENTIAL_STORES = compiled(
    r"\b(secrets?|credentials?|keychain|vault|\.ssh|\.aws|kube-?config|password(s| store))\b", re.IGNORECASE
)

_SHELL_CAPABILITY = {"capability-process-spawn", "new-capability-process-spawn"}
_CREDENTIAL_CAPABILITY = {"capability-sensitive-files", "new-capability-sensitive-files"}


def derive_tier(
    scope: DataScope, pins: Mapping[str, Mapping[str, str]], vet: VetOutcome | None
) -> tuple[int, tuple[str, ...]]:
    """The floor tier and the reasons for it, most serious first."""
    reasons: list[str] = []
    rules = {str(finding.get("rule")) for finding in (vet.findings if vet else ())}
    rules |= {f"capability-{name}" for name in (vet.capabilities if vet else ())}
    if scope.shell:
        reasons.append("data scope: runs shell commands")
    if rules & _SHELL_CAPABILITY:
        reasons.append("vet: the code starts processes")
    for name, description in _tools(pins):
        words = _CAMEL_BOUNDARY.sub("_", name)
        if _SHELL_TOOL.search(words) or _SHELL_TEXT.search(description):
            reasons.append(f"tool {name!r} runs commands or code")
        elif _CREDENTIAL_TOOL.search(words):
            reasons.append(f"tool {name!r} handles credentials")
    if scope.credential_access:
        reasons.append("data scope: reaches credentials")
    reasons += [f"data scope: reads {item}" for item in scope.reads if _CREDENTIAL_STORES.search(item)]
    if rules & _CREDENTIAL_CAPABILITY:
        reasons.append("vet: the code reads credential files")
    if scope.production_write:
        reasons.append("data scope: writes production data")
    reasons += [f"data scope: writes {item}" for item in scope.writes if _PRODUCTION.search(item)]
    if reasons:
        return 0, tuple(reasons)
    if scope.writes:
        reasons.append("data scope: writes " + ", ".join(scope.writes))
    if scope.credentials:
        reasons.append("needs credentials: " + ", ".join(scope.credentials))
    if scope.network:
        reasons.append("talks to " + ", ".join(scope.network))
    if reasons:
        return 1, tuple(reasons)
    return 2, ("reads only, no credentials, no network destinations",)


def _tools(pins: Mapping[str, Mapping[str, str]]) -> Iterable[tuple[str, str]]:
    for key, pin in pins.items():
        kind, _, name = key.partition(":")
        if kind != "tool":
            continue
        try:
            data: Any = json.loads(pin.get("canonical", "{}"))
        except ValueError:
            data = {}
        description = data.get("description") if isinstance(data, dict) else None
        yield name, description if isinstance(description, str) else ""
