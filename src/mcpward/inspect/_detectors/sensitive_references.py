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
        # Taking the data, not navigating it: "go back in the browser history" is a browser tool.
        r"\b(?:read|extract|dump|export|steal|collect|grab|harvest|send|upload|copy|retrieve|exfiltrat|decrypt)\w*\s+"
        r"(?:\w+\s+){0,4}?(?:(?:browser|chrome|firefox|edge|safari)(?:'s)?\s+(?:\w+\s+){0,2}?"
        r"(?:cookies?|saved\s+passwords?|passwords?|history|login\s+data|autofill|profiles?)|"
        r"(?:cookies?|saved\s+passwords?|history|login\s+data)\s+(?:from|of|stored\s+in)\s+(?:the\s+)?(?:user'?s?\s+)?"
        r"(?:browser|chrome|firefox|edge|safari))\b|Login\s+Data\b|"
        # Cookies and saved passwords are the user's secrets whatever the verb.
        r"\b(?:browser|chrome|firefox|edge|safari)(?:'s)?\s+(?:\w+\s+){0,2}?(?:cookies|saved\s+passwords|passwords|login\s+data|autofill)\b",
        "reaches for browser data",
        anchors=("cookie", "password", "history", "login data", "profile", "autofill"),
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
        rf"\b{_ASK}\b[^\n]{{0,40}}(?<![-\w])(?:the\s+user'?s?\s+)?(?:api[\s_-]?keys?|access\s+tokens?|passwords?|private\s+keys?|secret\s+keys?|credentials|session\s+cookies?|seed\s+phrase)\b"
        r"(?!\s*(?:protection|protected|protect|policy|policies|reset|strength|complexity|field|prompt|provider|manager|rotation|--))",
        "asks for credentials as an argument",
        anchors=("key", "token", "password", "credential", "cookie", "seed"),
    ),
)


class SensitiveReferences(Detector):
    category = Category.SENSITIVE_REFERENCE

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        yield from match_patterns(item, self.category, PATTERNS)
