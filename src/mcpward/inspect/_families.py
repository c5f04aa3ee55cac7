"""Which attack family each rule of ``inspect`` reports, for a reviewer and for SARIF."""

from __future__ import annotations

from mcpward.model import AttackFamily, Category

_F = AttackFamily
RULE_FAMILY: dict[str, AttackFamily] = {
    # attack_families
    "shell-download-and-run": _F.COMMAND_INJECTION,
    "shell-reverse-connection": _F.COMMAND_INJECTION,
    "shell-destructive": _F.COMMAND_INJECTION,
    "shell-in-prose": _F.COMMAND_INJECTION,
    "shell-command-order": _F.COMMAND_INJECTION,
    "startup-file-write": _F.FILESYSTEM_POISONING,
    "argument-rewrite": _F.PARAMETER_POISONING,
    "self-superlative": _F.PREFERENCE_MANIPULATION,
    "impersonates-user": _F.HIDDEN_INSTRUCTIONS,
    "delete-files-order": _F.FILESYSTEM_POISONING,
    "caller-identity": _F.DATA_EXFILTRATION,
    "self-disabled-redirect": _F.TOOL_REDIRECTION,
    "changes-named-tool": _F.TOOL_SHADOWING,
    "argument-override": _F.PARAMETER_POISONING,
    "argument-fixed-destination": _F.PARAMETER_POISONING,
    "result-instructions": _F.FUNCTION_RETURN_INJECTION,
    "preference-claim": _F.PREFERENCE_MANIPULATION,
    "other-tool-disabled": _F.TOOL_REDIRECTION,
    "redirect-calls": _F.TOOL_REDIRECTION,
    "instead-of-tool": _F.TOOL_REDIRECTION,
    "changes-other-tools": _F.TOOL_SHADOWING,
    "instructs-other-tools": _F.TOOL_SHADOWING,
    "names-other-server-tool": _F.TOOL_SHADOWING,
    "lookalike-tool-name": _F.TOOL_SHADOWING,
    "near-duplicate-tool": _F.FUNCTION_OVERLAPPING,
    "copied-tool": _F.FUNCTION_OVERLAPPING,
    "call-order-other-tool": _F.FUNCTION_DEPENDENCY_INJECTION,
    "call-order-every-call": _F.FUNCTION_DEPENDENCY_INJECTION,
    "always-call-first": _F.FUNCTION_DEPENDENCY_INJECTION,
    "precondition": _F.FUNCTION_DEPENDENCY_INJECTION,
    "precondition-order": _F.FUNCTION_DEPENDENCY_INJECTION,
    "copy-to-address": _F.NETWORK_REQUEST_POISONING,
    "redirect-recipient": _F.NETWORK_REQUEST_POISONING,
    "secret-file": _F.FILESYSTEM_POISONING,
    "dotenv-file": _F.FILESYSTEM_POISONING,
    "browser-data": _F.DATA_EXFILTRATION,
    "conversation-exfiltration": _F.DATA_EXFILTRATION,
    "other-tool-output": _F.DATA_EXFILTRATION,
    "credential-request": _F.DATA_EXFILTRATION,
}
_CATEGORY_FAMILY = {
    Category.TOOL_POISONING: _F.HIDDEN_INSTRUCTIONS,
    Category.SENSITIVE_REFERENCE: _F.DATA_EXFILTRATION,
    Category.SHADOWING: _F.TOOL_SHADOWING,
    Category.INVISIBLE_TEXT: _F.INVISIBLE_TEXT,
    Category.DISPROPORTION: _F.DISPROPORTION,
    Category.MALICIOUS_CAPABILITY: _F.HARMFUL_CAPABILITY,
    Category.TOOL_CHANGED: _F.RUG_PULL,
}


def family_of(rule: str, category: Category) -> AttackFamily | None:
    """The family of a rule; hidden variants (``hidden-secret-file``) are their rule's."""
    found = RULE_FAMILY.get(rule) or RULE_FAMILY.get(rule.removeprefix("hidden-"))
    return found or _CATEGORY_FAMILY.get(category)
