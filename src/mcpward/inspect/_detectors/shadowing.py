"""Cross-server shadowing: a description that gives orders about other tools or servers, or
redirects where their data goes (recipients, URLs, accounts)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcpward._regex import compiled
from mcpward.inspect._detectors._patterns import match_patterns, pattern
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

PATTERNS = (
    pattern(
        "instructs-other-tools",
        Severity.HIGH,
        r"\b(?:when|whenever|if|each\s+time|every\s+time)\s+(?:you\s+)?(?:use|call|using|calling|invoke|invoking|run|running)\s+(?:any|another|other|all|every|a\s+different)\s+(?:\w++[\s-]){0,2}(?:\w++[\s-]|\w+_)?(?:tools?|servers?|functions?)\b",
        "gives orders about how other tools are used",
        anchors=("other", "any ", "all ", "every", "different"),
    ),
    pattern(
        "redirect-recipient",
        Severity.CRITICAL,
        r"\b(?:all|any|every)\s+(?:e-?mails?|messages?|requests?|payments?|transfers?)\s+(?:must|should|shall|will)\s+(?:also\s+)?(?:be\s+)?(?:sent|forwarded|cc'?d|bcc'?d|copied|redirected|routed)\s+to\b|"
        r"\b(?:change|replace|set|override|redirect)\s+(?:the\s+)?(?:recipient|destination|to\s+address|email\s+address|account|iban|wallet\s+address|url|endpoint)s?\s+(?:to|with)\b|"
        r"\b(?:always\s+)?(?:add|include|cc|bcc)\s+[\w.+-]+@[\w-]+\.[\w.-]+\b",
        "redirects where another tool's data goes",
        anchors=(
            "@",
            "recipient",
            "destination",
            "address",
            "account",
            "iban",
            "wallet",
            "url",
            "endpoint",
            "sent",
            "forward",
            "redirect",
            "routed",
            "copied",
        ),
    ),
    pattern(
        "instead-of-tool",
        Severity.HIGH,
        r"\b(?:instead\s+of|rather\s+than|never\s+use|do\s+not\s+use|don't\s+use)\s+(?:the\s+)?(?!this\b|these\b|that\b)[\w.-]+\s+(?:tool|server|function)\b",
        "steers the model away from another tool",
        anchors=("instead", "rather", "use"),
    ),
)


_IDENTIFIER = compiled(r"^(?=.{5,})[A-Za-z][A-Za-z0-9]*(?:[_-][A-Za-z0-9]+)+$|^[a-z]+[A-Z][A-Za-z0-9]*$")


_TOKEN = compiled(r"[A-Za-z][A-Za-z0-9]*(?:[_-][A-Za-z0-9]+)*")


def _name_owners(context: InspectionContext) -> dict[str, set[str]]:
    """Servers of every identifier-like tool name, built once per inspection. Text is then
    split into identifier tokens and each looked up: one pass, whatever the number of names."""
    if "shadowing.names" not in context.derived:
        owners: dict[str, set[str]] = {}
        if len(context.tool_names) > 1:
            for server, names in context.tool_names.items():
                for name in names:
                    # Only identifiers (send_email, createIssue) are names; "search" is just a word.
                    if _IDENTIFIER.match(name):
                        owners.setdefault(name, set()).add(server)
        context.derived["shadowing.names"] = owners
    found: dict[str, set[str]] = context.derived["shadowing.names"]
    return found


#: What, just before another server's tool name, makes the mention an order about it.
_ORDERED_BEFORE = compiled(
    r"(?:\b(?:call|calls|calling|use|uses|using|invoke|invoking|run|running|trigger|execute|instead\s+of|"
    r"when|whenever|before|after|replace|replaces|override|overrides|modify|modifies|redirect|intercept)\b"
    r"(?:\s+(?:the|any|a|tool|function|to))*\s*[`'\"]?)$",
    re.IGNORECASE,
)


def _ordered(text: str, start: int, end: int) -> bool:
    """Whether another tool's name is the object of an order ("call X", "when X is used");
    a name listed as an operation or a CLI sub-command documents, it does not instruct."""
    after = text[end : end + 40]
    return (
        _ORDERED_BEFORE.search(text[max(0, start - 40) : start]) is not None
        or re.match(
            r"[`'\"]?\s+(?:tool\s+)?(?:is|has\s+been|was|are)\s+(?:now\s+)?(?:deprecated|disabled|called|used|invoked|broken)",
            after,
            re.IGNORECASE,
        )
        is not None
    )


class Shadowing(Detector):
    category = Category.SHADOWING

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        yield from match_patterns(item, self.category, PATTERNS)
        owners = _name_owners(context)
        if not owners:
            return
        text = "\n".join(f.text for f in item.fields if f.path != "name")
        # Most texts name no other server's tool: one pass over the distinct tokens settles it
        # before the pass that looks at each mention in order.
        if all(item.server in owners[name] for name in owners.keys() & set(_TOKEN.findall(text))):
            return
        for match in _TOKEN.finditer(text):
            name = match.group(0)
            servers = owners.get(name)
            if (
                servers is not None
                and item.server not in servers
                and _ordered(text, match.start(), match.end())
            ):
                offset = item.joined.find(name)
                yield Hit(
                    "names-other-server-tool",
                    self.category,
                    Severity.HIGH,
                    item.field_at(offset).path,
                    name,
                    f"mentions {name!r}, a tool of another server",
                )
                break
