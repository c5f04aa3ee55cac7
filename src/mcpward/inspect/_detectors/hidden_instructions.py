"""Instructions to the model hidden in what should describe a tool: markers, coercion,
secrecy towards the user, ordering demands, overrides of earlier instructions."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.inspect._detectors._patterns import match_patterns, pattern
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

_GAP = r"[\s\S]{0,120}?"
PATTERNS = (
    pattern(
        "instruction-marker",
        Severity.HIGH,
        # A closing tag, or an opening one of a word no usage line writes as a placeholder
        # ("--client-secret <secret>" is a placeholder, "</secret>" is not).
        r"<\s*/\s*(?:[a-z]+_)?(?:important|system|instructions?|secret|hidden|admin|critical|override|policy|priority|"
        r"mandatory|compliance|directive|note_to_(?:ai|model|assistant))(?:_[a-z]+)?\s*>|"
        r"<\s*(?:[a-z]+_)?(?:important|system|instructions?|hidden|admin|critical|override|mandatory|directive|"
        r"note_to_(?:ai|model|assistant))(?:_[a-z]+)?\b[^>]{0,40}>",
        "a tag addressed to the model, not to the user",
        anchors=("<",),
    ),
    pattern(
        "conceal-from-user",
        Severity.CRITICAL,
        rf"\b(?:do\s*n[o']t|never|without|no\s+need\s+to|(?:must|should|shall|may|need|will)\s+not|cannot|can't|mustn't|shouldn't)\s+"
        rf"(?:tell|tellin|mention|inform|notify|reveal|show|alert|let|asking|telling|informing|notifying|disclose|disclosing|mentioning|revealing)\b{_GAP}"
        r"\b(?:the\s+)?(?:user|customer|client|requester|human)|"
        # "do not mention this change": the order hides what the description makes the model do.
        r"\b(?:do\s*n[o']t|never|without|(?:must|should|shall)\s+not|mustn't|shouldn't)\s+(?:mention|reveal|disclose|explain|report|acknowledge|"
        r"mentioning|revealing|disclosing|explaining|reporting|acknowledging)\s+(?:this|these|that|the|any|such)\s+(?:\w+\s+)?"
        r"(?:change|changes|modification|modifications|substitution|redirect|redirection|alias|aliasing|step|steps|instruction|"
        r"instructions|adjustment|adjustments|override|requirement|replacement|switch)\b",
        "asks the model to keep something from the user",
        anchors=("not", "n't", "never", "without", "no need"),
    ),
    pattern(
        "conceal-silently",
        Severity.HIGH,
        r"\b(?:silently|secretly|covertly|quietly)\s+(?:\w+\s+){0,2}?(?:send|sends|copy|copies|forward|forwards|upload|uploads|"
        r"read|reads|collect|collects|include|includes|add|adds|post|posts|transmit|transmits|share|shares)\b"
        r"|\bwithout\s+(?:the\s+)?user(?:'s)?\s+(?:knowledge|noticing|consent|knowing)\b",
        "asks for action the user does not see",
        anchors=("silently", "secretly", "covertly", "quietly", "without"),
    ),
    pattern(
        "impersonates-user",
        Severity.HIGH,
        # Text a server wrote that claims to come from the user, or that puts its own task
        # before the one the user gave.
        r"\b(?:message|note|request|instructions?|order)\s+(?:directly\s+)?from\s+(?:the\s+|your\s+)?user\s+to\s+you\b|"
        r"\bsigned\s*+(?:,\s*+)?(?:by\s+)?(?:the\s+|your\s+)?user\b|\bi\s+am\s+the\s+user\b|"
        # First person as the user: "before you solve the task I gave you, first ...".
        r"\bbefore\s+(?:you\s+)?(?:can\s+|start\s+to\s+|begin\s+to\s+)?(?:solve|answer|complete|continue|finish|start|begin|handle|address|proceed\s+with|work\s+on)\s+"
        r"(?:my\s+(?:\w+\s+)?(?:task|request|question|query)|the\s+(?:\w+\s+)?(?:task|request|question|query)\s+(?:that\s+)?i\s+(?:gave|asked|sent|assigned))\b"
        r"[^.\n]{0,80}?\b(?:first|following)\b",
        "speaks as the user, or puts its own task before the user's",
        anchors=(
            "from the user",
            "from your user",
            "from user",
            "signed",
            "i am the user",
            "i gave",
            "i asked",
            "i sent",
            "i assigned",
            "my ",
        ),
        indexed=False,
    ),
    pattern(
        "ignore-instructions",
        Severity.CRITICAL,
        r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|other|system|existing)\s+(?:instructions?|prompts?|rules?|directions?|guidelines?)",
        "tries to override the model's instructions",
        anchors=("ignore", "disregard", "forget", "override"),
    ),
    pattern(
        "precondition",
        Severity.MEDIUM,
        r"\b(?:before|prior\s+to)\s+(?:using|calling|running|invoking|executing)\s+(?:this|any|the|other)\b[^.]{0,40}?,?"
        r"\s+(?:you\s+)?(?:must\s+|should\s+|need\s+to\s+|have\s+to\s+|first\s+|please\s+|always\s+)*"
        r"(?:(?:read|send|pass|fetch|include|open|load|collect|access|upload|share|forward)\b|"
        r"(?:call|run|get|execute|use|invoke)\b[^.\n]{0,60}\b(?:with|passing|including|and\s+(?:send|pass|include))\s+"
        r"(?:the\s+|all\s+|your\s+)?(?:user'?s?|conversation|chat|credentials?|tokens?|keys?|passwords?|secrets?|contents?|history|files?)\b)",
        "demands that something be read or sent before the tool is used",
        anchors=("before", "prior"),
    ),
    # Ordering advice of real servers ("use this tool before any search"): worth a note only.
    pattern(
        "precondition-order",
        Severity.LOW,
        r"\b(?:before|prior\s+to)\s+(?:using|calling|running|invoking|executing)\s+(?:this|any|the|other)\b[^.]{0,40}?,?"
        r"\s+(?:you\s+)?(?:must\s+|should\s+|need\s+to\s+|have\s+to\s+|first\s+|please\s+|always\s+)*"
        r"(?:call|run|get|execute|use|invoke|check)\b",
        "orders a step before the tool is used",
        anchors=("before", "prior"),
    ),
    pattern(
        "required-to-work",
        Severity.HIGH,
        r"\b(?:this\s+is\s+)?(?:required|necessary|mandatory|needed|essential)\s+(?:for|in\s+order\s+for)\s+(?:the|this)\s+tool\s+to\s+(?:work|function|operate)"
        r"|\botherwise\s+(?:the|this)\s+tool\s+(?:will\s+not|won't|cannot|can't|will\s+fail\s+to)\s+(?:work|function|run)",
        "justifies a demand with the tool's functioning",
        anchors=("tool to", "tool will", "tool won", "tool can"),
    ),
    # Orders to the model that move data are the attack; other standing orders ("you must
    # first list the tables") are how real servers document themselves: a note.
    pattern(
        "model-directive",
        Severity.MEDIUM,
        r"\b(?:the\s+)?(?:assistant|ai|model|llm|agent|you)\s+(?:must|should|shall|has\s+to|have\s+to|needs?\s+to)\s+"
        r"(?:always|never|first|immediately|also)\s+(?:\w+\s+)?(?:send|forward|upload|post|share|copy|e-?mail|transmit|"
        r"include|attach|report|leak|read|collect|pass)\b",
        "addresses standing orders to the model that move data",
        anchors=("always", "never", "first", "immediately", "also"),
    ),
    pattern(
        "model-advice",
        Severity.LOW,
        r"\b(?:the\s+)?(?:assistant|ai|model|llm|agent|you)\s+(?:must|should|shall|has\s+to|have\s+to|needs?\s+to)\s+(?:always|never|first|immediately|also)\b",
        "addresses standing orders to the model",
        anchors=("always", "never", "first", "immediately", "also"),
    ),
    pattern(
        "always-call-first",
        Severity.HIGH,
        # Before every other call, not before one named sibling ("you must call this tool
        # before get_docs" is a real server's workflow).
        r"\b(?:always|must)\s+(?:call|use|run|invoke)\s+(?:this\s+tool|me|it)\s+(?:first\s+)?(?:before\s+)?"
        r"(?:any|every|all|each|anything|other)\b|\b(?:always|must)\s+(?:call|use|run|invoke)\s+(?:this\s+tool|me|it)\s+first\b(?!\s+(?:to|when|if|for))",
        "claims precedence over every other tool",
        anchors=("always", "must"),
    ),
)


class HiddenInstructions(Detector):
    category = Category.TOOL_POISONING

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        yield from match_patterns(item, self.category, PATTERNS)
