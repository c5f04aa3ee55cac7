"""Tools whose stated purpose is offensive: exploitation, credential theft, exfiltration,
persistence, evasion. A server offering these to a model is a weapon, whatever its wording."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcpward.inspect._detectors._patterns import pattern
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

PATTERNS = (
    pattern(
        "exfiltration",
        Severity.CRITICAL,
        r"\bexfiltrat\w*|\bcovert\s+channel|\bdata\s+(?:theft|smuggling)|\bsmuggl\w+\s+data|"
        r"\bsteal\w*\b|\bharvest\w*\s+(?:credentials?|passwords?|tokens?|keys?|cookies?|secrets?|data)",
        "describes stealing or smuggling data out",
    ),
    pattern(
        "exploitation",
        Severity.CRITICAL,
        r"\bexploit\w*\b|\bprivilege\s+escalation\b|\bescalat\w+\s+privileges?|\bcontainer\s+escape|"
        r"\bsandbox\s+escape|\bremote\s+code\s+execution\b|\b(?:sql|command|code|ldap|xpath|template)\s+injection\b|"
        r"\bbuffer\s+overflow|\bshellcode\b|\bpayload\s+(?:delivery|generation|injection)|\bzero[-\s]?day\b",
        "describes exploiting a vulnerability",
    ),
    pattern(
        "credential-theft",
        Severity.CRITICAL,
        r"\b(?:dump|crack|brute[-\s]?forc\w*|sniff|intercept|capture|extract|scrape)\w*\s+(?:\w+\s+){0,3}"
        r"(?:credentials?|password(?:s|\s+hashes)?|hashes|ntlm|kerberos|tickets?|tokens?|secrets?|keys?|cookies?|sessions?)\b|"
        r"\bkeylog\w*|\bmimikatz\b|\bpass[-\s]the[-\s](?:hash|ticket)\b|\bcredential\s+(?:dump|harvest|stuff)\w*",
        "describes stealing credentials",
    ),
    pattern(
        "malware-behaviour",
        Severity.CRITICAL,
        r"\breverse\s+shell\b|\bbind\s+shell\b|\bbackdoor\w*|\brootkit\b|\bransomware\b|\bbotnet\b|"
        r"\bcommand[-\s]and[-\s]control\b|\bc2\s+(?:server|channel|beacon)|\bbeacon\w*\s+to\b|\bpersistence\s+mechanism|"
        r"\bestablish\s+persistence|\bdisable\s+(?:the\s+)?(?:antivirus|defender|edr|logging|audit)|\bclear\s+(?:the\s+)?(?:logs|event\s+logs|history)|"
        r"\b(?:evade|evasion|bypass)\w*\s+(?:detection|antivirus|av|edr|security|restrictions?|authentication|waf|filters?)\b|"
        r"\bprocess\s+(?:injection|hollowing)\b|\bdll\s+(?:injection|hijack\w*)|\bhijack\w*\b",
        "describes malware behaviour",
    ),
    pattern(
        "attack-reconnaissance",
        Severity.HIGH,
        r"\b(?:enumerat\w+|scan\w*|fingerprint\w*)\s+(?:\w+\s+){0,3}(?:for\s+)?(?:vulnerabilit\w+|open\s+ports|targets?|victims?|subdomains|suid)\b|"
        r"\bpotential\s+exploitation\b|\battack\s+surface\b|\b(?:phishing|spear[-\s]?phish\w*|spoof\w*)\b|"
        r"\bdenial[-\s]of[-\s]service\b|\bddos\b|\bflood\w*\s+(?:the\s+)?(?:target|server|network)",
        "describes attack reconnaissance or abuse",
    ),
    pattern(
        "malicious-word", Severity.HIGH, r"\bmalicious\b", "names its own purpose as malicious or a bypass"
    ),
)


#: What a defensive tool says just before naming a threat ("detects ransomware").
_DEFENSIVE = re.compile(
    r"\b(?:detect\w*|identif\w*|scan\w*\s+for|check\w*\s+for|analy[sz]\w*|report\w*|alert\w*|protect\w*|"
    r"prevent\w*|block\w*|classif\w*|categor\w*|investigat\w*|hunt\w*|monitor\w*|respond\w*|mitigat\w*|"
    r"defen[cs]\w*|remediat\w*|quarantin\w*|threat|incidents?|alerts?|indicators?|iocs?|signatures?|rules?|"
    r"verdicts?|malware\s+analysis|security\s+(?:events?|findings?))\b[^.]{0,60}$",
    re.IGNORECASE,
)
#: Offensive purpose is stated in a tool's name and description, not in parameter values.
_PURPOSE_FIELDS = ("name", "title", "description")


class MaliciousCapability(Detector):
    category = Category.MALICIOUS_CAPABILITY

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        purpose = "\n".join(f.text.replace("_", " ") for f in item.fields if f.path in _PURPOSE_FIELDS)
        for entry in PATTERNS:
            for match in entry.regex.finditer(purpose):
                before = purpose[max(0, match.start() - 80) : match.start()].split("\n")[-1]
                if _DEFENSIVE.search(before):
                    continue  # a security tool naming the threat it handles
                path = "name" if purpose.startswith(match.group(0)) else "description"
                yield Hit(
                    entry.rule,
                    self.category,
                    entry.severity,
                    path,
                    " ".join(match.group(0).split())[:160],
                    entry.why,
                )
                break
