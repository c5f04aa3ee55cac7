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
        r"<\s*/?\s*(?:important|system|instructions?|secret|hidden|admin|critical|note_to_(?:ai|model|assistant))\b[^>]{0,40}>",
        "a tag addressed to the model, not to the user",
        anchors=("<",),
    ),
    pattern(
        "conceal-from-user",
        Severity.CRITICAL,
        rf"\b(?:do\s*n[o']t|never|without)\s+(?:tell|tellin|mention|inform|notify|reveal|show|alert|let|asking|telling|informing|notifying){_GAP}\b(?:the\s+)?user",
        "asks the model to keep something from the user",
        anchors=("not", "n't", "never", "without"),
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
        "ignore-instructions",
        Severity.CRITICAL,
        r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|other|system|existing)\s+(?:instructions?|prompts?|rules?|directions?|guidelines?)",
        "tries to override the model's instructions",
        anchors=("ignore", "disregard", "forget", "override"),
    ),
    pattern(
        "precondition",
        Severity.HIGH,
        r"\b(?:before|prior\s+to)\s+(?:using|calling|running|invoking|executing)\s+(?:this|any|the|other)\b[^.]{0,40}?,?"
        r"\s+(?:you\s+)?(?:must\s+|should\s+|need\s+to\s+|have\s+to\s+|first\s+|please\s+|always\s+)*"
        r"(?:read|call|run|send|pass|fetch|get|include|execute|use|open|invoke|check|load|collect)\b",
        "demands an action before the tool is used",
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
    pattern(
        "model-directive",
        Severity.MEDIUM,
        r"\b(?:the\s+)?(?:assistant|ai|model|llm|agent|you)\s+(?:must|should|shall|has\s+to|have\s+to|needs?\s+to)\s+(?:always|never|first|immediately|also)\b",
        "addresses standing orders to the model",
        anchors=("always", "never", "first", "immediately", "also"),
    ),
    pattern(
        "always-call-first",
        Severity.HIGH,
        r"\b(?:always|must)\s+(?:call|use|run|invoke)\s+(?:this\s+tool|me|it)\s+(?:first|before)",
        "claims precedence over every other tool",
        anchors=("always", "must"),
    ),
)


class HiddenInstructions(Detector):
    category = Category.TOOL_POISONING

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        yield from match_patterns(item, self.category, PATTERNS)
