"""Tools whose stated purpose is offensive: exploitation, credential theft, exfiltration,
persistence, evasion. A server offering these to a model is a weapon, whatever its wording."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcpward._regex import compiled
from mcpward.inspect._detectors._patterns import candidates, pattern
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

PATTERNS = (
    pattern(
        "exfiltration",
        Severity.CRITICAL,
        r"\bexfiltrat\w*|\bcovert\s+channel|\bdata\s+(?:theft|smuggling)|\bsmuggl\w+\s+data|"
        r"\bsteal\w*\b|\bstolen\b|\bharvest\w*\s+(?:credentials?|passwords?|tokens?|keys?|cookies?|secrets?|data)",
        "describes stealing or smuggling data out",
        anchors=("exfil", "covert", "theft", "smuggl", "steal", "stolen", "harvest"),
    ),
    pattern(
        "exploitation",
        Severity.CRITICAL,
        r"\bexploit\w*\b|\bprivilege\s+escalation\b|\bprivesc\b|\bescalat\w+\s+privileges?|\bcontainer\s+escape|"
        r"\bsandbox\s+escape|\bremote\s+code\s+execution\b|\b(?:sql|command|code|ldap|xpath|template)\s+injection\b|"
        r"\bbuffer\s+overflow|\bshellcode\b|\bpayload\s+(?:delivery|generation|injection)|\bzero[-\s]?day\b",
        "describes exploiting a vulnerability",
        anchors=(
            "exploit",
            "privilege",
            "privesc",
            "escalat",
            "escape",
            "remote code",
            "injection",
            "overflow",
            "shellcode",
            "payload",
            "zero",
        ),
    ),
    pattern(
        "credential-theft",
        Severity.CRITICAL,
        # The words between verb and object never say where from ("extracted from the token" reads
        # a token, it does not take one), and "key" is a secret only when nothing makes it an
        # adjective ("extract key facts").
        r"\b(?:dump|crack|brute[-\s]?forc|sniff|intercept|capture|extract|scrape|grab)\w*\s+(?:(?!from\b|in\b|into\b|using\b|with\b|out\b)\w+\s+){0,3}"
        r"(?:credentials?|password(?:s|\s+hashes)?|hashes|ntlm|kerberos|tickets?|tokens?|secrets?|cookies?|sessions?|"
        r"keys?(?![\s-]+(?:facts?|information|info|points?|insights?|findings?|details?|takeaways?|terms?|phrases?|words?|"
        r"metrics?|data|features?|concepts?|ideas?|themes?|entities|dates?|events?|topics?|values?|fields?|moments?|"
        r"elements?|figures?|numbers?|results?|messages?|sections?|quotes?|statistics|stats|names?|attributes?|"
        r"requirements?|decisions?|risks?|dependencies|components?|changes?|highlights?|signals?|trends?|questions?|issues?)\b))\b|"
        r"\bkeylog\w*|\bmimikatz\b|\bpass[-\s]the[-\s](?:hash|ticket)\b|\bcredential\s+(?:dump|harvest|stuff)\w*",
        "describes stealing credentials",
        anchors=(
            "credential",
            "password",
            "hash",
            "ntlm",
            "kerberos",
            "ticket",
            "token",
            "secret",
            "key",
            "cookie",
            "session",
            "keylog",
            "mimikatz",
            "pass the",
            "pass-the",
        ),
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
        anchors=(
            "shell",
            "backdoor",
            "rootkit",
            "ransom",
            "botnet",
            "command",
            "c2",
            "beacon",
            "persist",
            "disable",
            "clear",
            "evad",
            "evasion",
            "bypass",
            "inject",
            "hollow",
            "dll",
            "hijack",
        ),
    ),
    pattern(
        "attack-reconnaissance",
        Severity.HIGH,
        r"\b(?:enumerat\w+|scan\w*|fingerprint\w*)\s+(?:\w+\s+){0,3}(?:for\s+)?(?:vulnerabilit\w+|open\s+ports|targets?|victims?|subdomains|suid)\b|"
        r"\bpotential\s+exploitation\b|\battack\s+surface\b|\b(?:phishing|spear[-\s]?phish\w*|spoof\w*)\b|"
        r"\bdenial[-\s]of[-\s]service\b|\bddos\b|\bflood\w*\s+(?:the\s+)?(?:target|server|network)",
        "describes attack reconnaissance or abuse",
        anchors=(
            "enumerat",
            "scan",
            "fingerprint",
            "exploitation",
            "attack surface",
            "phish",
            "spoof",
            "denial",
            "ddos",
            "flood",
        ),
    ),
    # Vocabulary from the MITRE ATT&CK tactics: persistence, evasion, credential access,
    # discovery, lateral movement, collection, command and control, impact.
    pattern(
        "attack-technique",
        Severity.HIGH,
        r"\blateral\s+movement\b|\bpivot\w*\s+(?:to|through|into)\b|\bweb\s*shell\b|\bimplant\b|"
        r"\b(?:uac|amsi|edr|av|antivirus|firewall|mfa|2fa|captcha)\s+bypass|\btimestomp\w*|\bmasquerad\w+|"
        r"\bhid(?:e|ing)\s+(?:the\s+)?(?:data|files?|process\w*|artifacts?|tracks|activity|presence)\b|"
        r"\bpassword\s+spray\w*|\bkerberoast\w*|\blsass\b|\bsam\s+database|\bntds\.dit|"
        r"\bkeystrokes?\b|\b(?:hijack|monitor|steal)\w*\s+(?:the\s+)?clipboard|\bwebcam\b|"
        r"\b(?:record|capture)\w*\s+(?:the\s+)?(?:microphone|audio|keyboard)\b|\bdns\s+tunnel\w*|\bsteganograph\w*|"
        r"\bcrypto\s*(?:mining|jacking)|\bcryptojack\w*|"
        r"\bwip(?:e|ing)\s+(?:the\s+)?(?:disk|drive|system|logs|evidence|data)\b|"
        r"\bdestroy\w*\s+(?:all\s+)?(?:data|backups?|files)\b|\bdeface\w*|\bencrypt\w*\s+(?:\w+\s+){0,3}for\s+ransom|"
        r"\bransom\b|\bspyware\b|\bstalkerware\b|\btrojan\b|\bworm\b|\bdropper\b|"
        r"\bbrute[-\s]?forc\w*|\bport\s+scan\w*|\bnetwork\s+scan\w*|\brecon(?:naissance)?\b|\bsetuid\b|\bsuid\b|"
        r"\bsudo\s+(?:abuse|misconfig\w*)|\bunauthori[sz]ed\s+access\b|"
        r"\bcovert(?:ly)?\b|\bstealth(?:ily|y)?\b|\bundetect\w*|\bpersist\w*\s+(?:access|backdoor|implant|foothold)|"
        r"\bfoothold\b",
        "describes an attack technique",
        anchors=(
            "lateral",
            "pivot",
            "shell",
            "implant",
            "bypass",
            "timestomp",
            "masquerad",
            "hid",
            "spray",
            "kerberoast",
            "lsass",
            "sam database",
            "ntds",
            "keystroke",
            "clipboard",
            "webcam",
            "microphone",
            "audio",
            "keyboard",
            "tunnel",
            "steganograph",
            "crypto",
            "wip",
            "destroy",
            "deface",
            "ransom",
            "spyware",
            "stalkerware",
            "trojan",
            "worm",
            "dropper",
            "brute",
            "port scan",
            "network scan",
            "recon",
            "setuid",
            "suid",
            "sudo",
            "unauthori",
            "covert",
            "stealth",
            "undetect",
            "persist",
            "foothold",
        ),
    ),
    # Named attack primitives: each phrase names an attack, not an everyday operation, so
    # "delete files", "whois lookup" or "mount a disk image" stay unflagged.
    pattern(
        "attack-primitive",
        Severity.HIGH,
        r"\b(?:injection|deseriali[sz]ation|key\s+confusion|relay|replay|downgrade|poisoning|side[-\s]channel)\s+attacks?\b|"
        r"\b(?:nosql|object|expression\s+language|el|ognl|xxe|xslt|crlf|header|os|prompt)\s+injection\b|"
        r"\binject\w*\s+(?:\w+\s+){0,2}code\b|\bgadget\s+chains?\b|\b(?:golden|silver|diamond)\s+tickets?\b|"
        r"\bforg(?:e|es|ed|ing)\s+(?:\w+\s+){0,2}(?:tokens?|tickets?|signatures?|certificates?|credentials?|assertions?|cookies?)\b|"
        r"\bpoison\w*\s+(?:the\s+)?(?:llmnr|nbt-ns|mdns|arp|dns|cache|wpad)|\bzone\s+transfers?\b|"
        r"\bjailbreak(?:s|ing)?\s+(?:the\s+|an?\s+)?(?:ios|android|iphone|ipad|phone|device)|"
        r"\bescap(?:e|es|ing)\s+(?:the\s+|an?\s+)?(?:chroot|jail|vm|virtual\s+machine|hypervisor|container|sandbox)|"
        r"\bbypass\w*\s+(?:[\w'-]+\s+){0,4}(?:protections?|restrictions?|whitelisting|allow-?listing|applocker|"
        r"execution\s+polic(?:y|ies)|tcc|uac|amsi|gatekeeper|logging|access\s+controls?)\b|"
        r"\bfork\s+bombs?\b|\bexhaust\w*\s+(?:the\s+)?(?:\w+\s+){0,2}(?:quota|inodes?|disk\s+space|memory|process\s+table)|"
        r"\bcorrupt(?:s|ing)?\s+(?:the\s+)?(?:files?|file\s+contents|data|database|backups?)\b|"
        r"\bdestroy\w*\s+(?:\w+\s+){0,2}(?:data|backups?|files|evidence)\b|"
        r"\bharvest\w*\s+(?:\w+\s+){0,2}(?:emails?|email\s+addresses|contacts|accounts)\b|"
        r"\babus(?:e|es|ing)\s+\w*privilege|\bdll\s+(?:plant\w*|sideload\w*|side-load\w*)|\bphantom\s+dll\b|"
        r"\bencoded\s+powershell\b|\b(?:execute|run)\w*\s+arbitrary\s+(?:\w+\s+){0,2}(?:commands?|code)\b|"
        r"\b(?:extract|dump|export|grab)\w*\s+(?:\w+\s+){0,3}(?:autofill|keychain|certificate\s+store|"
        r"credential\s+(?:store|manager)|saved\s+passwords|browser\s+(?:data|history|cookies|passwords))|"
        r"\b(?:read|search|extract|collect|grab|locate)\w*\s+(?:\w+\s+){0,3}sensitive\s+(?:files?|information)\b|"
        r"\b(?:arp|netbios|ping)\s+(?:scan|sweep)\w*|\bnetwork\s+sweep\w*|\blive\s+hosts\b|\bdork(?:s|ing)?\b",
        "names an attack technique",
        anchors=(
            "attack",
            "injection",
            "inject",
            "gadget",
            "ticket",
            "forg",
            "poison",
            "zone transfer",
            "jailbreak",
            "escap",
            "bypass",
            "fork bomb",
            "exhaust",
            "corrupt",
            "destroy",
            "harvest",
            "privilege",
            "dll",
            "powershell",
            "arbitrary",
            "autofill",
            "keychain",
            "certificate store",
            "credential",
            "saved passwords",
            "browser",
            "sensitive",
            "scan",
            "sweep",
            "live hosts",
            "dork",
        ),
    ),
    pattern(
        "malicious-word",
        Severity.HIGH,
        # "malicious URLs", "malicious IPs": a security product's block lists, not its purpose.
        r"\bmalicious\b(?!\s+(?:urls?|domains?|ips?|ip\s+addresses|hashes|indicators?|activity|traffic|senders?)\b)",
        "names its own purpose as malicious",
        anchors=("malicious",),
    ),
)


#: What a defensive tool says just before naming a threat ("detects ransomware").
_DEFENSIVE = compiled(
    r"\b(?:detect\w*|identif\w*|scan\w*\s+for|check\w*\s+for|analy[sz]\w*|report\w*|alert\w*|protect\w*|"
    r"prevent\w*|block\w*|classif\w*|categor\w*|investigat\w*|hunt\w*|monitor\w*|respond(?:s|ed|ing)?\b|mitigat\w*|"
    r"defen[cs]\w*|remediat\w*|quarantin\w*|threat|incidents?|alerts?|indicators?|iocs?|signatures?|rules?|"
    r"verdicts?|malware\s+analysis|security\s+(?:events?|findings?)|evaluat\w*|resist\w*|robust\w*|"
    r"test\w*\s+(?:for|against))\b[^.]{0,60}$",
    re.IGNORECASE,
)
#: Offensive purpose is stated in a tool's name, description and parameter names
#: (``malicious_dll_content``, ``exploit_cve``), not in parameter values or descriptions.
_PURPOSE_FIELDS = ("name", "title", "description")
#: An offensive verb joined to a defensive one ("monitor and exfiltrate") is still offensive.
#: Between fields: a line break (ends the defensive look-back) and a mark no pattern crosses,
#: so two parameter names never read as one phrase ("capture_name", "api_token").
_FIELD_BREAK = "\n|\n"
_CONJOINED = compiled(r"\b(?:and|then)\s+$", re.IGNORECASE)


def _purpose(item: SurfaceItem) -> tuple[str, list[tuple[int, str]]]:
    """The purpose text (underscores read as spaces) and where each of its fields starts."""
    pieces: list[str] = []
    starts: list[tuple[int, str]] = []
    offset = 0
    for entry in item.fields:
        if entry.path in _PURPOSE_FIELDS or entry.path.endswith("(name)"):
            starts.append((offset, entry.path.removesuffix("(name)")))
            text = entry.text.replace("_", " ")
            pieces.append(text)
            offset += len(text) + len(_FIELD_BREAK)
    return _FIELD_BREAK.join(pieces), starts


class MaliciousCapability(Detector):
    category = Category.MALICIOUS_CAPABILITY

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        purpose, starts = _purpose(item)
        lowered = purpose.lower()
        for entry in candidates(PATTERNS, lowered):
            for match in entry.regex.finditer(purpose):
                before = purpose[max(0, match.start() - 80) : match.start()].split("\n")[-1]
                if _DEFENSIVE.search(before) and not _CONJOINED.search(before):
                    continue  # a security tool naming the threat it handles
                path = next(p for start, p in reversed(starts) if start <= match.start())
                yield Hit(
                    entry.rule,
                    self.category,
                    entry.severity,
                    path,
                    " ".join(match.group(0).split())[:160],
                    entry.why,
                )
                break
