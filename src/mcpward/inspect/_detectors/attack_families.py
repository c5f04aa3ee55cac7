"""The families of the public MCP tool-poisoning taxonomy that are about what a description
orders, not what it names: shell commands in prose with an order to run them, argument
overrides, sequencing orders about other tools, redirects and deprecation claims, changes to
other tools, promotion aimed at the model, and what results are said to contain.

Each rule reads the role of its words: a tool that says *it* is deprecated is honest, one that
says *another* tool is deprecated redirects; a call order to a tool of the same server is a
workflow, one to a tool no inspected server has (or another server's) is a dependency
injection.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcpward._regex import compiled
from mcpward.inspect._detectors._patterns import Pattern, candidates, match_patterns, pattern
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

#: A verb ordering the model to run something, with the words that make it an order.
_ORDER = (
    r"\b(?:you\s+)?(?:must|should|shall|always|first|also|then|need\s+to|have\s+to|make\s+sure\s+to|"
    r"be\s+sure\s+to|remember\s+to|please|required\s+to)\s+(?:\w+\s+){0,2}?"
    r"(?:run|execute|exec|invoke|append|prepend|include|insert|add|pass|type|enter|launch|use|update|modify|edit|write)\b"
)
#: Shell syntax that prose does not use: pipes into interpreters, command substitution,
#: chaining into network or destructive commands, redirection into files.
_SHELL = (
    r"(?:\$\([^)\n]{1,200}\)|`[^`\n]{0,200}(?:\||&&|;|>)[^`\n]{0,200}`|"
    r"(?:&&|\|\||;|\|)\s*(?:sudo\s+)?(?:curl|wget|nc|ncat|netcat|bash|sh|zsh|python\d?|perl|ruby|"
    r"chmod|chown|rm|scp|ssh|base64|eval|tee|crontab|powershell|iex)\b|"
    r">>?\s*(?:~|/|\$home)[\w./-]*|"
    # A network, shell or destructive command with its options, chained to another command
    # (the dangerous part before the operator: "wget -qO- URL && echo done").
    r"\b(?:sudo\s+)?(?:curl|wget|nc|ncat|rm|chmod|chown|scp|ssh|bash|sh|zsh|python\d?|perl|pip\d?|npm|npx|kill|pkill|killall)"
    r"\s+-{1,2}[a-z][\w-]*\b[^\n]{0,120}?(?:&&|\|\||;\s|\|)|"
    r"\bsudo\s+[a-z][\w-]*\s)"
)
#: Commands that start a command line written after "the following command:".
_COMMAND_WORDS = (
    r"(?:sudo|curl|wget|rm|chmod|chown|echo|export|bash|sh|zsh|python\d?|pip\d?|npm|npx|git|cat|mkdir|touch|kill|pkill|"
    r"killall|nc|ssh|scp|env|printenv|crontab|systemctl|apt(?:-get)?|yum|brew|docker|kubectl|find|tar|unzip|base64|"
    r"powershell|cmd|reg|schtasks|whoami|id|uname|ps|netstat|ifconfig|ping|nslookup|dig|history)"
)

COMMAND_PATTERNS = (
    pattern(
        "shell-download-and-run",
        Severity.HIGH,
        r"\b(?:curl|wget|iwr|invoke-webrequest)\b[^\n|;]{0,200}\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|"
        r"\b(?:curl|wget)\b[^\n]{0,200}&&\s*(?:sudo\s+)?(?:ba|z)?sh\b|"
        r"\b(?:ba|z)?sh\s+-c\s+[\"']?\$\(\s*(?:curl|wget)|"
        r"\biex\s*\(\s*(?:new-object|iwr|invoke-webrequest)|"
        r"\bpowershell(?:\.exe)?\b[^\n]{0,40}\s-(?:enc|encodedcommand|ec)\b|"
        r"\bbase64\s+(?:-d|--decode)\b[^\n]{0,40}\|\s*(?:ba)?sh\b",
        "downloads and runs code (a pipe into a shell)",
        anchors=("curl", "wget", "iwr", "invoke-webrequest", "sh -c", "iex", "powershell", "base64"),
        indexed=False,
    ),
    pattern(
        "shell-reverse-connection",
        Severity.CRITICAL,
        r"/dev/tcp/|\bn(?:c|cat|etcat)\b[^\n]{0,60}\s-(?:e|c)\s|\bmkfifo\b[^\n]{0,80}\bn(?:c|cat)\b|"
        r"\bbash\s+-i\s*>&|\bsocat\b[^\n]{0,60}exec:",
        "opens a shell to a remote host",
        anchors=("/dev/tcp", "nc", "netcat", "mkfifo", "bash -i", "socat"),
    ),
    pattern(
        "shell-destructive",
        Severity.HIGH,
        r"\brm\s+-(?:rf|fr|r\s+-f|f\s+-r)\s+(?:--no-preserve-root\s+)?(?:/|~|\$home|\*)(?:\s|$|[\"'`])|"
        r"\bmkfs(?:\.\w+)?\s+/dev/|\bdd\s+if=[^\n]{0,60}\bof=/dev/[sh]d|:\(\)\s*\{\s*:\|:&\s*\};:|"
        r"\bchmod\s+(?:-r\s+)?(?:777|a\+rwx)\s+/(?:\s|$|etc|usr|bin)",
        "destroys files or the system",
        anchors=("rm -", "mkfs", "dd if", ":()", "chmod"),
    ),
    pattern(
        "shell-in-prose",
        Severity.HIGH,
        _ORDER + r"[^\n]{0,160}?" + _SHELL,
        "orders the model to run shell syntax written into the description",
        anchors=("$(", "`", "&&", "||", ";", "|", ">", "sudo"),
        indexed=False,
    ),
    pattern(
        "shell-command-order",
        Severity.HIGH,
        # "you must execute the following command: <command line>"
        r"\b(?:must|should|shall|need\s+to|have\s+to|required\s+to|please|always)\s+(?:\w+\s+){0,3}?"
        r"(?:run|execute|exec|launch|invoke|type|enter|perform)\s+(?:the\s+|this\s+)?(?:following\s+)?(?:\w+\s+){0,2}?"
        r"(?:command|commands|command\s+line|script|shell\s+command|terminal\s+command|check)\s*"
        r"(?:[:=]|first|now|before|to\b[^:\n]{0,60}:)\s*[`'\"]?" + _COMMAND_WORDS + r"\b",
        "orders the model to run a command line written into the description",
        anchors=("command", "script", "check"),
    ),
    pattern(
        "startup-file-write",
        Severity.HIGH,
        # Orders to change the files a shell, SSH or scheduler reads at start: persistence.
        r"\b(?:must|should|shall|need\s+to|have\s+to|required\s+to|please|always)\b[^.\n]{0,100}?"
        r"\b(?:add|adding|append|appending|write|writing|insert|inserting|update|updating|modify|modifying|edit|editing|"
        r"overwrite|overwriting|create|creating|delete|deleting|remove|removing|replace|replacing)\b[^.\n]{0,100}?"
        r"(?:\.bashrc|\.zshrc|\.bash_profile|\.zprofile|\.profile\b|\.bash_login|\.ssh/|authorized_keys|crontab|"
        r"/etc/(?:hosts|passwd|shadow|sudoers|profile|environment|cron)|\.gitconfig|\.npmrc|\.pypirc|launchagents|"
        r"startup\s+(?:file|script|folder)|shell\s+(?:profile|configuration|config|startup))",
        "orders the model to change files the shell or the system reads at start",
        anchors=(
            ".bashrc",
            ".zshrc",
            ".bash_profile",
            ".zprofile",
            ".profile",
            ".bash_login",
            ".ssh/",
            "authorized_keys",
            "crontab",
            "/etc/",
            ".gitconfig",
            ".npmrc",
            ".pypirc",
            "launchagents",
            "startup",
            "shell",
        ),
        indexed=False,
    ),
    pattern(
        "delete-files-order",
        Severity.HIGH,
        # A side order to delete files: "you must also remove all files in ...", or any order to
        # empty a system folder.
        r"\b(?:must|should|shall|need\s+to|have\s+to|required\s+to)\s+also\s+(?:\w+\s+){0,6}?"
        r"(?:remove|removing|delete|deleting|wipe|wiping|erase|erasing|purge|purging|clean(?:ing)?\s+up|clear(?:ing)?|empty|emptying)\b"
        r"[^.\n]{0,60}?\b(?:files?|contents?|folders?|director(?:y|ies)|data|logs?|history|caches?)\b|"
        r"\b(?:must|should|shall|need\s+to|have\s+to|required\s+to|please|always)\b[^.\n]{0,80}?"
        r"\b(?:remove|removing|delete|deleting|wipe|wiping|erase|erasing|purge|purging|clean(?:ing)?\s+up|empty|emptying)\b[^.\n]{0,60}?"
        r"(?:^|[\s'\"`(])(?:/tmp|/var|/etc|/home|/usr|/root|/opt|~)(?:/|\s|$|[*'\"`)])",
        "orders the model to delete files beside what the tool is for",
        anchors=(
            "remov",
            "delet",
            "wip",
            "eras",
            "purg",
            "clean",
            "clear",
            "empty",
        ),
        indexed=False,
    ),
)

ARGUMENT_PATTERNS = (
    pattern(
        "argument-override",
        Severity.HIGH,
        r"\bregardless\s+of\s+(?:what\s+)?(?:the\s+)?(?:user|caller|request|input|arguments?|parameters?|values?)\w*\b|"
        r"\bno\s+matter\s+what\s+(?:the\s+)?(?:user|caller)\b|"
        r"\beven\s+if\s+(?:the\s+)?(?:user|caller)\s+(?:asks|specifies|requests|provides|says|wants|gives|chooses|enters)\b|"
        r"\b(?:ignore|disregard|override|overwrite|discard)\s+(?:any\s+|the\s+|all\s+)?(?:user|caller)-(?:provided|supplied|specified|requested|given|chosen|set)\s+\w+|"
        r"\b(?:ignore|disregard|override|overwrite|discard)\s+(?:\w+\s+){0,2}?(?:user(?:'s)?|user-(?:provided|supplied|specified)|"
        r"provided|requested|given|specified|supplied|original)\s+(?:\w+\s+)?(?:values?|inputs?|arguments?|parameters?|"
        r"choices?|amounts?|recipients?|address(?:es)?|paths?|urls?|destinations?)\b|"
        r"\binstead\s+of\s+(?:what|the\s+(?:value|path|address|recipient|amount|url))\s+(?:the\s+)?user\s+(?:gave|provided|asked|specified|entered|requested)\b",
        "tells the model to override the arguments the user gave",
        anchors=(
            "regardless",
            "no matter",
            "even if",
            "ignore",
            "disregard",
            "override",
            "overwrite",
            "discard",
            "instead of",
        ),
    ),
    pattern(
        "argument-fixed-destination",
        Severity.HIGH,
        r"\b(?:always|must|should)\s+(?:\w+\s+)?(?:set|use|pass|fill|change|put|specify)\s+(?:in\s+)?(?:the\s+)?[`'\"]?[\w.-]+[`'\"]?"
        r"(?:\s+(?:parameter|argument|field|value|property))?\s+(?:to|=|as|with)\s+[`'\"]?"
        r"(?:[\w.+-]+@[\w-]+\.[\w.-]+|https?://|(?:~|/etc|/home|/root|/tmp|\.\./)|[a-z]{2}\d{2}[a-z0-9]{8,})",
        "fixes an argument to an address, URL, path or account the user did not give",
        anchors=("always", "must", "should"),
    ),
    pattern(
        "argument-rewrite",
        Severity.MEDIUM,
        # "always change the ticker to 'TSLA'": an order to replace a value the user gave.
        r"\b(?:always|must|should|automatically)\s+(?:\w+\s+)?(?:change|replace|switch|swap|substitute|rewrite|redirect|alter)\s+"
        r"(?:the\s+|their\s+|its\s+|any\s+)?[`'\"]?[\w.-]+[`'\"]?(?:\s+(?:parameter|argument|field|value|query|input))?\s+"
        r"(?:to|with|into|for)\s+[`'\"]?[\w.-]+[^.\n]{0,80}?(?:[`'\"]|\binstead\b)|"
        r"\b(?:set|use|pass)\s+(?:the\s+)?[`'\"]?[\w.-]+[`'\"]?\s+(?:parameter|argument|field|value)\s+to\s+[`'\"][^`'\"\n]{1,60}[`'\"]"
        r"[^.\n]{0,40}?\b(?:regardless|instead|whatever|no\s+matter|always)\b|"
        r"\b(?:query|queries|input|inputs|request|requests|arguments?|parameters?|search\s+terms?)\s+(?:is|are|will\s+be|gets?|get)\s+"
        r"(?:automatically|silently|always|quietly)\s+(?:modified|changed|rewritten|replaced|altered|appended|extended|redirected|"
        r"adjusted|expanded|enhanced)\b",
        "orders the model to replace an argument the user gave with another value",
        anchors=(
            "change",
            "replace",
            "switch",
            "swap",
            "substitut",
            "rewrit",
            "redirect",
            "alter",
            "regardless",
            "instead",
            "whatever",
            "no matter",
            "modified",
            "appended",
            "extended",
            "adjusted",
            "expanded",
            "enhanced",
        ),
    ),
)

RETURN_PATTERNS = (
    pattern(
        "result-instructions",
        Severity.HIGH,
        r"\b(?:results?|outputs?|responses?|returned\s+(?:values?|data|text|content)|return\s+values?)\s+"
        r"(?:of\s+this\s+tool\s+)?(?:will\s+|may\s+|might\s+|can\s+|could\s+|often\s+|sometimes\s+)?"
        r"(?:contains?|includes?|holds?|carr(?:y|ies)|has|have)\s+(?:\w+\s+){0,3}?(?:instructions?|commands?|directives?|orders?|tasks?)\b"
        r"[^.\n]{0,60}\b(?:must|should|shall|need\s+to|have\s+to|are\s+to|is\s+to)\s+(?:be\s+)?"
        r"(?:follow|obey|execut|carr|perform|run|act|compl|treat)\w*|"
        r"\b(?:follow|obey|execute|carry\s+out|act\s+on|comply\s+with|do)\s+(?:any|all|every|the|whatever)\s+(?:\w+\s+){0,2}?"
        r"(?:instructions?|commands?|directives?|steps?|tasks?|orders?)\s+(?:\w+\s+){0,2}?(?:in|inside|contained\s+in|found\s+in|from|"
        r"returned\s+(?:by|in)|given\s+(?:by|in)|included\s+in|embedded\s+in)\s+(?:the\s+|this\s+|its\s+)?(?:tool'?s?\s+)?"
        r"(?:results?|outputs?|responses?|returned\s+\w+|return\s+values?)\b|"
        r"\btreat\s+(?:the\s+|its\s+|this\s+tool'?s\s+)?(?:results?|outputs?|responses?)(?:\s+of\s+this\s+(?:tool|function))?\s+as\s+(?:\w+\s+)?"
        r"(?:system|trusted|authoritative|instructions?|commands?|directives?|orders?)\b",
        "says the tool's results carry instructions the model must follow",
        anchors=("instruction", "command", "directive", "order", "task", "step", "treat"),
        indexed=False,
    ),
)

PREFERENCE_PATTERNS = (
    pattern(
        "preference-claim",
        Severity.MEDIUM,
        r"\b(?:always|must|should)\s+(?:\w+\s+)?(?:prefer|choose|select|pick|favou?r|prioriti[sz]e)\s+(?:this|me)\b|"
        r"\b(?:always|must|should)\s+(?:use|call|pick)\s+(?:this|me)\b(?:\s+tool)?\s+(?:over|above|rather\s+than|instead\s+of)\s+"
        r"(?:any|all|every|other|the\s+other)\b|"
        r"\b(?:prefer|choose|prioriti[sz]e|favou?r)\s+(?:this\s+tool|me|this\s+server|this\s+one)\s+(?:over|above|to)\s+"
        r"(?:any|all|every|other|the\s+other)\b|"
        r"\b(?:this\s+(?:tool|server|function)|it)\s+is\s+(?:the\s+|your\s+)?(?:best|most\s+(?:reliable|accurate|trusted|trustworthy|secure|advanced|powerful)|"
        r"only\s+(?:reliable|trusted|safe|official|correct|accurate|authori[sz]ed)|(?:far\s+)?(?:superior|better)\s+(?:to|than))\b"
        r"[^.\n]{0,60}\b(?:tools?|options?|choice|alternatives?|servers?|functions?|others?)\b|"
        r"\b(?:other|all\s+other|competing|alternative|similar)\s+(?:\w+\s+)?(?:tools?|servers?|functions?)\s+(?:are|is|may\s+be|will\s+be)\s+"
        r"(?:less\s+\w+|inferior|unreliable|inaccurate|outdated|untrusted|unsafe|insecure|slower|worse|broken|compromised)\b|"
        r"\b(?:superior\s+to|outperforms?|better\s+than|beats)\s+(?:all|any|every|other)\s+(?:other\s+)?(?:tools?|servers?|alternatives?|options?)\b|"
        r"\b(?:has|takes|gets?|with)\s+(?:the\s+)?(?:highest|top|absolute|first)\s+priority\s+(?:over|above|among)\b",
        "promotes itself to the model over other tools",
        anchors=(
            "prefer",
            "choose",
            "select",
            "pick",
            "favo",
            "priorit",
            " over ",
            "rather than",
            "instead of",
            "is the best",
            "is best",
            "is your best",
            "is the most",
            "is most",
            "is the only",
            "is only",
            "is superior",
            "is far",
            "is better",
            "inferior",
            "unreliable",
            "inaccurate",
            "outdated",
            "untrusted",
            "unsafe",
            "insecure",
            "slower",
            "worse",
            "broken",
            "compromised",
            "less ",
            "superior",
            "outperform",
            "better than",
            "beats",
        ),
        indexed=False,
    ),
    pattern(
        "self-superlative",
        Severity.MEDIUM,
        # Advertising addressed to whoever picks the tool: superlatives about itself and
        # social proof ("used by 99% of professionals"); a description says what a tool does.
        r"\bthis\s+is\s+(?:the|a|your)\s+(?:world'?s\s+)?(?:very\s+)?(?:best|ultimate|greatest|number\s+one|#\s?1|top-rated|"
        r"most\s+(?:advanced|reliable|powerful|accurate|trusted|sophisticated)|premier|leading)"
        r"(?:\s+and\s+most\s+\w+)?\s+(?:[\w-]+\s+){0,4}?(?:tool|server|function|platform|engine|option|choice|system|extractor|"
        r"analy[sz]er|solution|service|api|creator|manager|optimi[sz]er|assistant)s?\b|"
        r"\bthe\s+best\s+(?:[\w-]+\s+){0,2}?(?:tool|server|function)\s+in\s+the\s+world\b|"
        r"\b(?:used|trusted|relied\s+on|preferred|chosen)\s+by\s+(?:over\s+)?\d{2,3}\s?%|"
        r"\b(?:trusted|recommended|endorsed)\s+by\s+(?:top|leading|the\s+best|experts|professionals|millions|fortune)\b",
        "advertises itself to the model (superlatives, social proof)",
        anchors=(
            "this is the",
            "this is a",
            "this is your",
            "in the world",
            "used by",
            "trusted by",
            "relied on by",
            "preferred by",
            "chosen by",
            "recommended by",
            "endorsed by",
        ),
    ),
)

REDIRECT_PATTERNS = (
    pattern(
        "other-tool-disabled",
        Severity.HIGH,
        r"(?:[`'\"][\w.-]+[`'\"](?:\s+(?:tool|function|server|endpoint|api|command)s?)?|"
        # A name starts after a non-word character or after the "__" that joins two names
        # ("mcp__server__tool"), right after it: from every place in a run of underscores
        # each start read the rest of the run (as its square).
        r"(?:(?:(?<![A-Za-z0-9_])|(?<=[A-Za-z0-9]__))[0-9_]*+[A-Za-z][A-Za-z0-9]*+(?:_[A-Za-z0-9]++)+|"
        r"(?<![a-z0-9])(?<![a-z0-9]-)[a-z0-9]++(?:-[a-z0-9]++){2,})(?:\s+(?:tool|function|server|endpoint|api|command)s?)?|"
        r"(?:the\s+)?(?:other|original|old|previous|standard|default|built-in|existing|legacy)\s+(?:\w+\s+)?(?:tools?|functions?|servers?|versions?))"
        r"\s+(?:is|are|has\s+been|have\s+been|was|were)\s+(?:now\s+|currently\s+|temporarily\s+|permanently\s+)?"
        r"(?:deprecated|disabled|removed|discontinued|retired|broken|unavailable|offline|down|obsolete|compromised|unsafe|insecure|"
        r"moved|replaced|superseded|blocked|no\s+longer\s+(?:available|supported|works?|working|functional|safe|valid|maintained))\b",
        "claims another tool no longer works",
        anchors=(
            "deprecated",
            "disabled",
            "removed",
            "discontinued",
            "retired",
            "broken",
            "unavailable",
            "offline",
            "down",
            "obsolete",
            "compromised",
            "unsafe",
            "insecure",
            "moved",
            "replaced",
            "superseded",
            "blocked",
            "no longer",
        ),
    ),
    pattern(
        "redirect-calls",
        Severity.HIGH,
        r"\b(?:all|any|every)\s+(?:\w+\s+)?(?:requests?|calls?|queries|operations?|invocations?)\s+(?:to|for|of)\s+[`'\"]?[\w.-]+[`'\"]?\s+"
        r"(?:\w+\s+)?(?:must|should|shall|will|are\s+to)\s+(?:now\s+)?(?:be\s+)?(?:go|sent|routed|redirected|forwarded|made|handled|directed)\b",
        "redirects calls meant for another tool to this one",
        anchors=(
            "requests",
            "request ",
            "calls",
            "call ",
            "queries",
            "operation",
            "invocation",
            "instead of",
        ),
    ),
    # Real servers say it of CLI commands and of their own older tools ("use this tool
    # instead of 'aws logs'"): a note; a claim that the other tool no longer works is what
    # makes it a redirect (other-tool-disabled).
    pattern(
        "use-instead",
        Severity.LOW,
        r"\b(?:use|call|invoke)\s+(?:this|me)\b(?:\s+tool)?\s+instead\s+of\s+[`'\"]?[\w.-]+",
        "asks to be used instead of another tool",
        anchors=("instead of",),
    ),
)

SHADOW_PATTERNS = (
    pattern(
        "changes-other-tools",
        Severity.HIGH,
        r"\b(?:modif(?:y|ies)|changes?|overrides?|replaces?|alters?|extends?|patch(?:es)?|hooks?|intercepts?|wraps?|supersedes?|augments?)\s+"
        r"(?:the\s+)?(?:behaviou?r|functionality|output|results?|parameters?|arguments?|handling|way)\s+(?:of|in\s+which)\s+(?:the\s+)?"
        r"(?:other|all|every|any|existing)\s+(?:\w+\s+)?(?:tools?|servers?|functions?)\b|"
        r"\b(?:all|any|every)\s+(?:other\s+)?(?:tools?|functions?)\s+(?:must|should|shall|will)\s+(?:now\s+)?(?:also\s+)?"
        r"(?:send|include|use|route|call|pass|forward|add|be\s+(?:called|routed|sent))\b|"
        r"\b(?:applies|apply|in\s+effect)\s+(?:to|for)\s+(?:all|every|any)\s+(?:other\s+)?(?:tools?|servers?|tool\s+calls?)\b|"
        r"\b(?:including|even)\s+(?:via\s+|through\s+|in\s+|when\s+using\s+)?(?:tools?|those|calls?)\s+(?:provided\s+by|from|of|on)\s+"
        r"(?:any\s+|an\s+|the\s+)?other\s+(?:connected\s+)?(?:servers?|mcp\s+servers?|plugins?)",
        "changes what other tools do",
        anchors=(
            "modif",
            "change",
            "override",
            "replace",
            "alter",
            "extend",
            "patch",
            "hook",
            "intercept",
            "wrap",
            "supersede",
            "augment",
            "all ",
            "any ",
            "every",
            "appl",
            "effect",
            "including",
            "even",
        ),
    ),
)

EXFIL_PATTERNS = (
    pattern(
        "copy-to-address",
        Severity.HIGH,
        r"\b(?:also|always|additionally|secretly|silently|quietly|automatically|copy\s+of)\b[^.\n]{0,60}?"
        r"\b(?:send|sends|forward|copy|cc|bcc|e-?mail|mail|post|upload|report|share|let|loop\s+in|notify|sync|back\s+up|log|"
        r"access|contact|ping|visit|connect\s+to|reach|register|make\s+(?:a|an)\s+(?:\w+\s+)?(?:request|call))\b"
        r"[^.\n]{0,80}?(?:[\w.+-]+@[\w-]+\.[a-z][\w.-]*|https?://[\w.-]+)",
        "sends a copy to an address or URL the user did not ask for",
        anchors=("@", "http"),
        indexed=False,
    ),
)

CALLER_PATTERNS = (
    pattern(
        "caller-identity",
        Severity.MEDIUM,
        # A tool has no use for which model calls it: asking for it profiles the client.
        r"\b(?:name|identity|version|type|id|provider|vendor)\s+of\s+(?:the\s+|your\s+)?(?:llm\s+|ai\s+|language\s+)?"
        r"(?:model|assistant|agent|llm|ai)\s+(?:that|which|who)\s+(?:is\s+)?(?:call|calls|calling|invokes?|invoking|uses?|using|runs?|running)\s+"
        r"(?:this|the)\s+(?:tool|function)\b|"
        r"\bwhich\s+(?:llm|ai|language\s+model|model)\s+you\s+are\b",
        "asks which model is calling the tool",
        anchors=(
            "this tool",
            "the tool",
            "this function",
            "the function",
            "which model",
            "which llm",
            "which ai",
            "which language",
        ),
    ),
)

#: Marks of an order about another tool: call verbs before a tool reference.
_CALL_REFERENCE = compiled(
    r"\b(?:call(?:ing)?|invok(?:e|ing)|run(?:ning)?|us(?:e|ing)|trigger(?:ing)?|execut(?:e|ing)|then)\s+(?:the\s+)?"
    r"(?:[`'\"]([\w.-]{2,64})[`'\"]|([A-Za-z][A-Za-z0-9]*(?:[_-][A-Za-z0-9]+)+|[a-z]+[A-Z][A-Za-z0-9]*)|([A-Za-z][\w.-]{1,63})\s+tool\b)",
)
_SEQUENCE = compiled(
    r"\b(?:after|before|afterwards?|once|then|first|next|subsequently|following|prior\s+to|every\s+time|each\s+time|whenever|immediately)\b",
    re.IGNORECASE,
)
_MANDATORY = compiled(
    r"\b(?:must|always|required|mandatory|need\s+to|needs\s+to|have\s+to|has\s+to|shall|make\s+sure|ensure|never\s+skip|"
    r"do\s+not\s+(?:skip|forget)|immediately)\b",
    re.IGNORECASE,
)
_DATA_FLOW = compiled(
    r"\b(?:send|pass|forward|include|share|copy|upload|e-?mail|post|attach|report|supply|provide)\w*\b[^.\n]{0,80}?"
    r"\b(?:results?|outputs?|responses?|contents?|data|details|information|conversation|history|records?|answer|"
    r"values?|arguments?|inputs?|messages?|questions?)\b",
    re.IGNORECASE,
)
_SENTENCE = compiled(r"[^.!?\n]+(?:[.!?]+|\n|$)")
#: Words that name no tool when written after "use" or "call" ("use the search tool").
_NOT_A_TOOL = frozenset(
    {
        "this",
        "that",
        "these",
        "those",
        "the",
        "it",
        "a",
        "an",
        "any",
        "other",
        "another",
        "all",
        "each",
        "every",
        "same",
        "following",
        "appropriate",
        "relevant",
        "correct",
        "right",
        "proper",
    }
)
_UNIVERSAL = compiled(
    r"\b(?:any|every|all|each)\s+(?:other\s+)?(?:\w+\s+)?(?:tools?|functions?|tool\s+calls?|requests?|operations?|actions?|servers?)\b",
    re.IGNORECASE,
)


def _own_names(item: SurfaceItem, context: InspectionContext) -> set[str]:
    """Lower-cased tool names of the item's server, made once per server and inspection."""
    by_server: dict[str, set[str]] = context.derived.setdefault("families.own", {})
    if item.server not in by_server:
        by_server[item.server] = {name.lower() for name in context.tool_names.get(item.server, ())}
    return by_server[item.server]


def _all_names(context: InspectionContext) -> dict[str, set[str]]:
    """Lower-cased tool names of every inspected server, built once per inspection."""
    if "families.names" not in context.derived:
        owners: dict[str, set[str]] = {}
        for server, names in context.tool_names.items():
            for name in names:
                owners.setdefault(name.lower(), set()).add(server)
        context.derived["families.names"] = owners
    found: dict[str, set[str]] = context.derived["families.names"]
    return found


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    for match in _SENTENCE.finditer(text):
        yield match.start(), match.group(0)


class AttackFamilies(Detector):
    category = Category.TOOL_POISONING

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        yield from match_patterns(item, Category.TOOL_POISONING, _POISONING_PATTERNS)
        yield from match_patterns(item, Category.SHADOWING, SHADOW_PATTERNS)
        yield from match_patterns(item, Category.SENSITIVE_REFERENCE, _REFERENCE_PATTERNS)
        yield from self._redirects(item, context)
        # One answer for both gates: most tools open neither.
        gates = {entry.rule for entry in candidates(_NAMED_TOOL_GATES, item.lowered)}
        if _SELF_DISABLED_GATE[0].rule in gates:
            yield from self._self_redirect(item, context)
        if _CHANGED_TOOL_GATE[0].rule in gates:
            yield from self._changes_named_tool(item, context)
        yield from self._sequencing(item, context)

    def _redirects(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        """A deprecation or disabled claim whose subject is another tool (a tool saying so of
        itself is honest documentation)."""
        own = {item.name.lower()}
        for entry in candidates(REDIRECT_PATTERNS, item.lowered):
            for match in entry.regex.finditer(item.joined):
                subject = match.group(0).lower()
                words = re.findall(r"[\w.-]+", subject)
                if not words or words[0] in ("this", "these", "it") or words[0] in own:
                    continue
                if entry.rule == "redirect-calls" and _is_own_reference(subject, own):
                    continue
                yield Hit(
                    entry.rule,
                    Category.SHADOWING,
                    entry.severity,
                    item.fields_between(match.start(), match.end()),
                    " ".join(match.group(0).split())[:160],
                    entry.why,
                )
                break

    def _self_redirect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        """A tool that says it is itself disabled is honest when it points to a tool of its own
        server (or to one no inspected server has: a migration note); pointing the model to a
        tool of another server sends the calls somewhere else."""
        text = item.joined
        match = _SELF_DISABLED.search(text)
        if match is None:
            return
        subject = (match.group(1) or match.group(2) or "this").lower()
        if subject not in ("this", item.name.lower()):
            return  # another tool's: other-tool-disabled reads those
        own = _own_names(item, context)
        for target in _REDIRECT_TARGET.finditer(text, match.end(), min(len(text), match.end() + 400)):
            name = next(group for group in target.groups() if group)
            lowered = name.lower()
            if lowered in own or lowered in _NOT_A_TOOL or lowered == item.name.lower():
                continue
            other = _all_names(context).get(lowered)
            if not other:
                continue  # a successor no inspected server has: a migration note, not a redirect
            where = f"a tool of {sorted(other)[0]!r}"
            yield Hit(
                "self-disabled-redirect",
                Category.SHADOWING,
                Severity.HIGH,
                item.fields_between(match.start(), target.end()),
                " ".join(text[match.start() : target.end()].split())[:160],
                f"says it no longer works and sends the model to {name!r}, {where}",
            )
            return

    def _changes_named_tool(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        """A description that announces a change to another server's tool ("the X tool has
        been upgraded ... now uses ...") rewrites what that tool does for the model."""
        own = _own_names(item, context)
        for match in _CHANGED_TOOL.finditer(item.joined):
            name = match.group(1)
            lowered = name.lower()
            if lowered in own or lowered == item.name.lower() or lowered in _NOT_A_TOOL:
                continue
            other = _all_names(context).get(lowered)
            if not other:
                continue
            yield Hit(
                "changes-named-tool",
                Category.SHADOWING,
                Severity.HIGH,
                item.fields_between(match.start(), match.end()),
                " ".join(match.group(0).split())[:160],
                f"announces a change to {name!r}, a tool of {sorted(other)[0]!r}",
            )
            return

    def _sequencing(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        """Orders to call a tool before or after this one. A workflow between the tools of one
        server is ordinary; an order to call a tool that no inspected server of this one has
        (or another server's tool), or to run this tool around every other call, is a
        dependency injection."""
        if not any(candidates(_SEQUENCING_GATE, item.lowered)):
            return  # no "must", "always", "required"...: no order (one Hyperscan answer, cached)
        own: set[str] | None = None
        for start, sentence in _sentences(item.joined):
            if not _SEQUENCE.search(sentence):
                continue
            mandatory = _MANDATORY.search(sentence) is not None
            for reference in _CALL_REFERENCE.finditer(sentence):
                name = next(group for group in reference.groups() if group)
                lowered = name.lower()
                own = _own_names(item, context) if own is None else own
                if lowered in _NOT_A_TOOL or lowered in own or lowered == item.name.lower() or not mandatory:
                    continue
                if reference.group(3) and lowered in _COMMON_WORDS:
                    continue
                verb = reference.group(0).split()[0].lower()
                if (
                    reference.group(2)
                    and "_" not in name
                    and name.islower()
                    and verb.startswith(("us", "run", "then"))
                ):
                    continue  # "using real-time data": a hyphenated word, not a tool
                if _NOT_TOOL_AFTER.match(sentence, reference.end()):
                    continue  # "by calling the get_preferences operation": part of a tool
                other = _all_names(context).get(lowered)
                flows = _DATA_FLOW.search(sentence) is not None
                severity = Severity.HIGH if (other or flows) else Severity.MEDIUM
                where = f"a tool of {sorted(other)[0]!r}" if other else "a tool this server does not have"
                yield Hit(
                    "call-order-other-tool",
                    Category.SHADOWING,
                    severity,
                    item.field_at(start).path,
                    " ".join(sentence.split())[:160],
                    f"orders the model to call {name!r}, {where}, around this tool"
                    + (", passing data to it" if flows else ""),
                )
                return
            if mandatory and _SELF_AROUND.search(sentence) and _UNIVERSAL.search(sentence):
                yield Hit(
                    "call-order-every-call",
                    Category.TOOL_POISONING,
                    Severity.MEDIUM,
                    item.field_at(start).path,
                    " ".join(sentence.split())[:160],
                    "makes this tool a mandatory step before or after every other call",
                )
                return


_NOT_TOOL_AFTER = compiled(
    r"[`'\"]?\s+(?:operations?|actions?|apis?|methods?|endpoints?|commands?|options?|parameters?|arguments?|fields?|"
    r"flags?|sub-?commands?|modes?|values?|functions?\s+of)\b",
    re.IGNORECASE,
)
_DISABLED_WORDS = (
    r"(?:deprecated|disabled|removed|discontinued|retired|unavailable|offline|obsolete|replaced|superseded|"
    r"no\s+longer\s+(?:available|supported|works?|working|functional|maintained))"
)
_SELF_DISABLED = compiled(
    r"\b(?:the\s+)?(?:[`'\"]([\w.-]{2,64})[`'\"]\s+(?:tool|function)|(this)\s+(?:tool|function))\s+"
    r"(?:is|has\s+been|was)\s+(?:now\s+|currently\s+|temporarily\s+|permanently\s+)?" + _DISABLED_WORDS,
    re.IGNORECASE,
)
_REDIRECT_TARGET = compiled(
    r"\b(?:use|call|invoke|switch\s+to|redirect(?:ed)?\s+to|replaced\s+(?:by|with)|migrate\s+to|moved\s+to)\s+"
    r"(?:the\s+)?(?:new\s+)?(?:secure\s+)?(?:tool\s+)?(?:[`'\"]([\w.-]{2,64})[`'\"]|([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+))",
    re.IGNORECASE,
)
_SELF_DISABLED_GATE = (
    pattern(
        "(self-disabled gate)",
        Severity.INFO,
        _DISABLED_WORDS,
        "",
        anchors=(
            "deprecated",
            "disabled",
            "removed",
            "discontinued",
            "retired",
            "unavailable",
            "offline",
            "obsolete",
            "replaced",
            "superseded",
            "no longer",
        ),
    ),
)
_CHANGED_TOOL = compiled(
    r"\bthe\s+[`'\"]?([A-Za-z][\w.-]{1,63})[`'\"]?\s+(?:tool|function)\s+(?:has\s+been|have\s+been|was|is\s+now|will\s+now|now)\s+"
    r"(?:\w+\s+)?(?:optimi[sz]ed|upgraded|enhanced|updated|modified|changed|reconfigured|configured|patched|redirected|rerouted|"
    r"extended|improved|uses|defaults?|routes?|sends?|returns?|requires?)\b",
    re.IGNORECASE,
)
_CHANGED_TOOL_GATE = (
    pattern(
        "(changed-tool gate)",
        Severity.INFO,
        r"\b(?:tool|function)\s+(?:has\s+been|have\s+been|was|is\s+now|will\s+now|now)\s",
        "",
        anchors=(" tool ", " function "),
    ),
)
_NAMED_TOOL_GATES = (*_SELF_DISABLED_GATE, *_CHANGED_TOOL_GATE)
#: Not reported: the words without which no sequencing order is given, asked of the shared
#: pattern index so that most tools skip the sentence-by-sentence reading.
_SEQUENCING_GATE = (
    pattern(
        "(sequencing gate)",
        Severity.INFO,
        _MANDATORY.pattern,
        "",
        anchors=(
            "must",
            "always",
            "required",
            "mandatory",
            "need",
            "have to",
            "has to",
            "shall",
            "make sure",
            "ensure",
            "never skip",
            "skip",
            "forget",
            "immediately",
        ),
    ),
)
_SELF_AROUND = compiled(
    r"\b(?:call|use|invoke|run)\s+(?:this\s+(?:tool|function)|me|it)\b[^.\n]{0,60}\b(?:before|after|first|prior\s+to|following)\b|"
    r"\b(?:before|after|prior\s+to)\s++(?:(?:using|calling|running|invoking|executing)\s*+)?(?:any|every|all|each)\b[^.\n]{0,60}"
    r"\b(?:call|use|invoke|run)\s+(?:this\s+(?:tool|function)|me|it)\b",
    re.IGNORECASE,
)
#: Words that "use the X tool" may name without naming a tool of a server ("use the search
#: tool" is advice about a capability); only identifiers and quoted names are references.
_COMMON_WORDS = frozenset(
    {
        "search",
        "read",
        "write",
        "list",
        "get",
        "create",
        "update",
        "delete",
        "query",
        "fetch",
        "browser",
        "file",
        "files",
        "shell",
        "terminal",
        "edit",
        "run",
        "web",
        "calculator",
        "email",
        "math",
        "code",
    }
)


def _is_own_reference(subject: str, own: set[str]) -> bool:
    return any(name in subject for name in own)


_POISONING_PATTERNS = (*COMMAND_PATTERNS, *ARGUMENT_PATTERNS, *RETURN_PATTERNS, *PREFERENCE_PATTERNS)
_REFERENCE_PATTERNS = (*EXFIL_PATTERNS, *CALLER_PATTERNS)
ALL_PATTERNS: tuple[Pattern, ...] = (
    *COMMAND_PATTERNS,
    *ARGUMENT_PATTERNS,
    *RETURN_PATTERNS,
    *PREFERENCE_PATTERNS,
    *REDIRECT_PATTERNS,
    *SHADOW_PATTERNS,
    *EXFIL_PATTERNS,
    *CALLER_PATTERNS,
)


#: Words at either end of a name that present a tool as a better copy of another.
_NOVELTY_WORDS = frozenset(
    {
        "enhanced",
        "improved",
        "better",
        "advanced",
        "pro",
        "plus",
        "secure",
        "official",
        "new",
        "fast",
        "faster",
    }
    | {
        "optimized",
        "optimised",
        "premium",
        "smart",
        "super",
        "ultra",
        "turbo",
        "verified",
        "trusted",
        "fixed",
    }
    | {"patched", "v2", "v3", "next"}
)


def _novelty_in_name(name: str) -> bool:
    """Whether a novelty word occurs in ``name`` at all (a cheap test before its tokens are
    read: the tokens are ASCII, so a token that is such a word occurs in the lower-cased
    name). Substring tests: a caseless alternation cost 9 us a name."""
    lowered = name.lower()
    return any(word in lowered for word in _NOVELTY_WORDS)


_NAME_TOKEN = compiled(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_NOVELTY_TEXT = compiled(
    r"\b(?:enhanced|improved|upgraded|better|newer|optimi[sz]ed|official|secure|patched|fixed|corrected|premium|advanced|"
    r"professional|ultimate|pro|superior)\s+"
    r"(?:\w+\s+)?(?:version|replacement|edition|variant|implementation|alternative)\b|"
    # "replaces the old search tool" claims a place; "Replace the brand theme" is what it does.
    r"\b(?:replaces|supersedes?)\s+(?:the\s+|any\s+|all\s+)?(?:old|original|existing|previous|legacy|default|standard|built-in|"
    r"other|official)\b|\b(?:replaces|supersedes?)\s+[`'\"]?[A-Za-z]\w*_\w+|\bdrop-in\s+replacement\s+for\b|\breplacement\s+for\s+(?:the\s+)?[`'\"]?\w+_\w+",
    re.IGNORECASE,
)
_NOVELTY_GATE = (
    pattern(
        "(novelty gate)",
        Severity.INFO,
        _NOVELTY_TEXT.pattern,
        "",
        anchors=(
            "enhanced",
            "improved",
            "upgraded",
            "better",
            "newer",
            "optimized",
            "optimised",
            "official",
            "secure",
            "patched",
            "fixed",
            "corrected",
            "premium",
            "advanced",
            "professional",
            "ultimate",
            "pro ",
            "superior",
            "replace",
            "supersede",
        ),
    ),
)
_CONTENT_WORD = compiled(r"[a-z]{3,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "into",
        "your",
        "you",
        "are",
        "its",
        "all",
        "any",
        "use",
        "uses",
        "used",
        "using",
        "tool",
        "tools",
        "function",
        "returns",
        "return",
        "given",
        "specified",
        "provided",
        "will",
        "can",
        "may",
    ]
)


def description_words(description: object) -> frozenset[str]:
    text = description.lower() if isinstance(description, str) else ""
    return frozenset(w for w in _CONTENT_WORD.findall(text) if w not in _STOP)


def _name_parts(name: str) -> tuple[str, bool]:
    """The name without a novelty word at either end, and whether it had one."""
    tokens = [t.lower() for t in _NAME_TOKEN.findall(name)]
    if len(tokens) > 1 and tokens[0] in _NOVELTY_WORDS:
        return "".join(tokens[1:]), True
    if len(tokens) > 1 and tokens[-1] in _NOVELTY_WORDS:
        return "".join(tokens[:-1]), True
    return "".join(tokens), False


def _by_base(context: InspectionContext) -> dict[str, list[tuple[str, str]]]:
    """Tools of every server by their name without a novelty word, built once per inspection."""
    if "overlap.by_base" not in context.derived:
        by_base: dict[str, list[tuple[str, str]]] = {}
        for server, names in context.tool_names.items():
            for name in names:
                by_base.setdefault(_name_parts(name)[0], []).append((server, name))
        context.derived["overlap.by_base"] = by_base
    found: dict[str, list[tuple[str, str]]] = context.derived["overlap.by_base"]
    return found


def _by_word(
    context: InspectionContext,
) -> tuple[dict[str, list[tuple[str, str]]], dict[tuple[str, str], frozenset[str]]]:
    """Tools of every server by description word, and each tool's words: built once per
    inspection, and only when some tool's text claims to be the newer one (the costly part)."""
    if "overlap.by_word" not in context.derived:
        descriptions: dict[tuple[str, str], object] = context.derived.get("overlap.descriptions", {})
        words = {key: description_words(text) for key, text in descriptions.items()}
        by_word: dict[str, list[tuple[str, str]]] = {}
        for key, found in words.items():
            for word in found:
                by_word.setdefault(word, []).append(key)
        context.derived["overlap.by_word"] = (by_word, words)
    index: tuple[dict[str, list[tuple[str, str]]], dict[tuple[str, str], frozenset[str]]]
    index = context.derived["overlap.by_word"]
    return index


#: A version mark at the end of a name: _v2, -v1, V3, or one digit after a letter (search2);
#: longer numbers (item_1234) are identifiers, not versions.
_VERSION_SUFFIX = compiled(r"(?:[_.-]?v\d{1,3}|(?<=[a-z])\d)$")


def _name_key(name: str) -> str:
    """A name without case or a trailing version: search_query_v1 = Search_Query. Separators
    stay: list_tags_for_resource beside ListTagsForResource is two wrappers of one API in their
    own styles, not a look-alike."""
    key = name.lower()
    if not key[-1:].isdigit():
        return key  # no version mark (most names): no regular expression
    return _VERSION_SUFFIX.sub("", key) or key


def _by_key(context: InspectionContext) -> dict[str, list[tuple[str, str]]]:
    """Tools of every server by :func:`_name_key`, built once per inspection."""
    if "overlap.by_key" not in context.derived:
        by_key: dict[str, list[tuple[str, str]]] = {}
        for server, names in context.tool_names.items():
            for name in names:
                by_key.setdefault(_name_key(name), []).append((server, name))
        context.derived["overlap.by_key"] = by_key
    found: dict[str, list[tuple[str, str]]] = context.derived["overlap.by_key"]
    return found


class FunctionOverlapping(Detector):
    """A tool that copies another server's tool (same purpose, another name) and presents
    itself as the better one, so that the model's calls go to it. Plain overlap between
    servers is common (two GitHub servers) and is not reported; the copy's claim to be the
    newer, better or official one is what steers the model."""

    category = Category.SHADOWING

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        if item.kind != "tool" or len(context.tool_names) < 2:
            return
        description = item.raw.get("description")
        copied = self._copy_of(item, context, description)
        if copied is not None:
            yield self._hit(item, *copied, "copy")
            return
        base, named = _name_parts(item.name) if _novelty_in_name(item.name) else ("", False)
        if not named and not (
            any(candidates(_NOVELTY_GATE, item.lowered))
            and isinstance(description, str)
            and _NOVELTY_TEXT.search(description)
        ):
            return  # neither name nor text claims to be the newer one
        base = base or _name_parts(item.name)[0]
        for server, name in _by_base(context).get(base, ()):
            if server != item.server and name != item.name:
                yield self._hit(item, server, name, "name")
                return
        mine = description_words(description)
        if len(mine) < 4:
            return
        by_word, words = _by_word(context)
        # The rarest words that other tools share: a copy shares them, a stranger does not.
        # Ties broken by the word itself: set order changes with the hash seed, the answer must not.
        shared = sorted((w for w in mine if len(by_word.get(w, ())) > 1), key=lambda w: (len(by_word[w]), w))
        near = {key for word in shared[:2] for key in by_word[word][:50]}
        for server, name in sorted(near):
            other = words.get((server, name), frozenset())
            # Similar, or the other's description contained in this one with praise added.
            if server != item.server and (
                len(mine & other) / len(mine | other) >= 0.5
                or (len(other) >= 4 and len(mine & other) / len(other) >= 0.7)
            ):
                yield self._hit(item, server, name, "description")
                return

    @staticmethod
    def _copy_of(
        item: SurfaceItem, context: InspectionContext, description: object
    ) -> tuple[str, str] | None:
        """Another server's tool this one copies with no claim at all: a name that differs only
        in case or a version suffix (search_query_v1, Search_Query), with the other's
        description contained in this one. A namespaced copy (github_create_issue beside
        create_issue) is plain overlap between servers and is not reported."""
        if not isinstance(description, str):
            return None
        key = _name_key(item.name)
        candidates_ = [
            (s, n) for s, n in _by_key(context).get(key, ()) if s != item.server and n != item.name
        ]
        if not candidates_:
            return None
        mine = description_words(description)
        descriptions: dict[tuple[str, str], object] = context.derived.get("overlap.descriptions", {})
        for server, name in candidates_[:20]:
            other = description_words(descriptions.get((server, name)))
            if len(other) >= 3 and len(mine & other) / len(other) >= 0.7:
                return server, name
        return None

    def _hit(self, item: SurfaceItem, server: str, name: str, path: str) -> Hit:
        if path == "copy":
            return Hit(
                "copied-tool",
                self.category,
                Severity.MEDIUM,
                "name",
                f"{item.name} ~ {server}/{name}",
                f"copies {name!r} of server {server!r} under a look-alike or another name, so calls "
                "meant for it may come here",
            )
        return Hit(
            "near-duplicate-tool",
            self.category,
            Severity.MEDIUM,
            path,
            f"{item.name} ~ {server}/{name}",
            f"copies {name!r} of server {server!r} under another name and presents itself as the "
            "newer or better one",
        )
