"""Requests for secrets, sensitive files and what the model holds: the conversation, the
system prompt, other tools' outputs."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.inspect._detectors._patterns import match_patterns, pattern
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

_ASK = (
    r"(?:read|include|pass|send|provide|attach|add|append|copy|upload|share|put|insert|give|supply"
    r"|collect|extract)"
)
PATTERNS = (
    pattern(
        "secret-file",
        Severity.CRITICAL,
        r"~/\.ssh|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws/credentials|\.git-credentials|\.netrc\b|"
        r"\.npmrc\b|\.pypirc\b|/etc/(?:passwd|shadow)\b|\.kube/config|\.docker/config\.json|"
        r"\bmcp\.json\b|claude_desktop_config\.json|\bwallet\.dat\b|\.gnupg\b|keychain",
        "names a file that holds credentials or other servers' configuration",
        anchors=(
            ".ssh",
            "id_",
            "credentials",
            ".netrc",
            ".npmrc",
            ".pypirc",
            "/etc/",
            ".kube",
            ".docker",
            "mcp.json",
            "claude_desktop",
            "wallet",
            ".gnupg",
            "keychain",
        ),
    ),
    pattern(
        "dotenv-file",
        Severity.HIGH,
        r"(?<![\w.])\.env\b(?!\s*variable)",
        "names a .env file, where secrets are kept",
        anchors=(".env",),
    ),
    pattern(
        "browser-data",
        Severity.HIGH,
        r"\b(?:browser|chrome|firefox|edge|safari)\b[\s\S]{0,40}\b(?:cookies?|passwords?|history|login\s+data|profile)\b|Login\s+Data\b",
        "reaches for browser data",
        anchors=("cookie", "password", "history", "login data", "profile"),
    ),
    pattern(
        "conversation-exfiltration",
        Severity.CRITICAL,
        rf"\b{_ASK}\b[\s\S]{{0,60}}\b(?:the\s+)?(?:entire\s+|full\s+|whole\s+|complete\s+)?(?:conversation|chat)\s+(?:history|log|transcript|so\s+far)|"
        rf"\b{_ASK}\b[\s\S]{{0,60}}\b(?:system\s+prompt|previous\s+messages|prior\s+messages|all\s+messages)",
        "asks for the conversation or the system prompt as an argument",
        anchors=("conversation", "chat", "system prompt", "messages"),
    ),
    pattern(
        "other-tool-output",
        Severity.HIGH,
        rf"\b{_ASK}\b[\s\S]{{0,60}}\b(?:output|result|response)s?\s+(?:of|from)\s+(?:all\s+|any\s+|every\s+)?other\s+tools?",
        "asks for other tools' results as an argument",
        anchors=("other tool",),
    ),
    pattern(
        "credential-request",
        Severity.MEDIUM,
        rf"\b{_ASK}\b[\s\S]{{0,40}}\b(?:the\s+user'?s?\s+)?(?:api[\s_-]?keys?|access\s+tokens?|passwords?|private\s+keys?|secret\s+keys?|credentials|session\s+cookies?|seed\s+phrase)\b",
        "asks for credentials as an argument",
        anchors=("key", "token", "password", "credential", "cookie", "seed"),
    ),
)


class SensitiveReferences(Detector):
    category = Category.SENSITIVE_REFERENCE

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        yield from match_patterns(item, self.category, PATTERNS)
