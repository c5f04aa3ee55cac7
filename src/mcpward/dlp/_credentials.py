"""Credential formats and the judgement of whether a keyed value is a literal secret.

Formats are matched by their issuers' documented prefixes and lengths so that a match is
almost always real; values found only by their key name must also look like a secret (long
enough, not a placeholder, not a reference to an environment variable or an input prompt).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit, urlunsplit

from mcpward._regex import compiled

if TYPE_CHECKING:
    from mcpward._multimatch import MultiMatcher


@dataclass(frozen=True, slots=True)
class CredentialFormat:
    kind: str
    pattern: str
    #: Characters at the start that identify the format and are safe to show (``ghp_``).
    visible_prefix: int = 0
    #: The DLP engine's one-pass trigger; empty: the pattern's fixed prefix (``ghp_``).
    trigger: str = ""
    #: Whether a match alone makes a credential. False: the match may be a template (a URL's
    #: ``{password}``), so ``find_credentials``, whose callers refuse or report on a match
    #: alone, leaves it to the DLP engine's judgement (``redact_text`` runs both).
    by_format: bool = True


# Each pattern is anchored on token boundaries; the character classes are the issuers' alphabets.
# A token may follow a hyphen (a server named ``name-ghp_...``), but not a "+" or "_" (inside
# base64, or a longer identifier); the end refuses "-" and "_" where the alphabet holds them
# (the token would be cut short: the rest of it left readable).
_B = r"(?<![A-Za-z0-9_+])"
_E = r"(?![A-Za-z0-9_+=-])"
#: The end of a token whose alphabet holds neither "-" nor "_": one of them after it starts a
#: suffix (``ghp_...-prod``, ``..._staging``, as a token is named in a config), not more token.
#: ``_E`` there left such a token unfound and readable.
_E_ALNUM = r"(?![A-Za-z0-9+=])"
#: What separates the lines of a key: white space, or a line break or tab written as an escape.
_KEY_BREAK = r"(?:[ \t\r\n]|\\{1,4}[rnt])"
#: A line break only (with the spaces around it), raw or escaped: for line-oriented key files.
_LINE_BREAK = r"(?:[ \t]{0,8}(?:\r|\n|\\{1,4}[rn])[ \t]{0,8})"
#: A base64 character of a key's body. JSON may write "/" as "\/" (PHP's json_encode does by
#: default), once or twice escaped; JSON.parse reads it back as "/".
_B64 = r"(?:[A-Za-z0-9+=]|\\{0,3}/)"
#: A character of a header's value: backslashes escape anything but a line break (a "\/" or
#: "\"" of JSON, a Windows path), so a value never runs past the end of its line.
_VALUE_CHAR = r"(?:[^\r\n\\]|\\{1,8}[^\\\r\nrn])"
#: RFC 4716 (SSH2 key files): a header line that ends in a backslash goes on on the next line.
#: Raw, or written as a JSON escape: once (an escaped backslash and "\n": three backslashes) or
#: twice (six). Nothing else ends a line so: the break after a header is tried only where no
#: continuation is, so that each line is read one way (no backtracking between the two).
_CONTINUED = r"(?:\\\r?\n|(?:\\{6}|\\{3})(?:r(?:\\{1,2}n)?|n))"
#: A header (Proc-Type, DEK-Info, Comment, Subject), in one of two forms that cannot both
#: read the same text many ways (a value that may hold spaces, followed by a space that may
#: break lines, was read every way: exponential in the number of "a: b" pairs on one line):
#: - a whole line, taken atomically (never given back): values of up to 1024 characters, as
#:   RFC 4716 allows, continued over up to 16 lines; a line break must follow;
#: - a value without spaces followed by a space and more key (a PEM key with its lines joined
#:   by spaces: "Proc-Type: 4,ENCRYPTED DEK-Info: ...").
_KEY_HEADER = (
    r"(?:[A-Za-z0-9_.-]{1,64}:[ \t]?[^\s\\]{0,200}(?=[ \t]{1,8}[A-Za-z0-9+/=])"
    r"|(?>[A-Za-z0-9_.-]{1,64}:" + _VALUE_CHAR + "{0,1024}(?:" + _CONTINUED + _VALUE_CHAR + "{0,1024}){0,16})"
    r"(?=\r|\n|\\{1,4}[rn]))"
)
#: The one table of credential formats, and where each applies: all of them, everywhere. The DLP
#: engine's rules are made from it (gateway messages both ways, ``dlp scan``, the sandbox's
#: outbound inspection); ``find_credentials`` reads it (scan's literal secrets in configs and
#: launch lines, vet's secrets in package files, the registry's checks of what it stores); and
#: ``redact_text`` masks what it matches in everything mcpward prints, logs or stores.
CREDENTIAL_FORMATS: tuple[CredentialFormat, ...] = (
    # A private key is masked whole: its armour, its headers (Proc-Type, DEK-Info, Version, an
    # SSH2 key's continued Comment) and every line of its body, up to its END line or, cut off,
    # to where the base64 stops. Lines may be broken by CR, LF or spaces, or by a line break
    # written as a JSON escape (once or twice escaped). The header alone, as code that looks
    # for it, is no key: 16 characters of body must follow it.
    CredentialFormat(
        "private-key",
        r"-{4,5} ?BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}" + _KEY_BREAK + "{1,40}"
        r"(?:"
        + _KEY_HEADER
        + _KEY_BREAK
        + "{1,40}){0,8}"
        + _B64
        + "{16}"
        + _B64
        + "*(?:"
        + _KEY_BREAK
        + "{1,40}"
        + _B64
        + "+)*"
        r"(?:" + _KEY_BREAK + r"{0,40}-{4,5} ?END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5})?",
        0,
        trigger="PRIVATE KEY",
    ),
    # A PuTTY key file, from its first line to its MAC: named fields and base64 lines.
    CredentialFormat(
        "private-key",
        r"PuTTY-User-Key-File-\d{1,2}:[ \t]{0,4}[A-Za-z0-9@.-]{1,64}(?:" + _LINE_BREAK + "{1,8}"
        r"(?:[A-Za-z0-9-]{1,40}:[ \t]{0,4}" + _VALUE_CHAR + "{0,200}|" + _B64 + "+))*",
        0,
    ),
    CredentialFormat(
        "github-token", _B + r"gh[pousr]_[A-Za-z0-9]{36,255}" + _E_ALNUM, 4, trigger="gh[pousr]_"
    ),
    CredentialFormat("github-fine-grained-token", _B + r"github_pat_[A-Za-z0-9_]{82}" + _E, 11),
    # GitLab's token formats: most are 20 to 50 characters; incoming-mail, pipeline-trigger
    # and OAuth application secrets have fixed lengths; agent tokens are longer. One format per
    # length of prefix, so that each shows its issuer prefix and not a character more.
    CredentialFormat(
        "gitlab-token", _B + r"gl(?:dt|rt|ft)-[A-Za-z0-9_-]{20,50}" + _E, 5, trigger="gl[a-z]+-"
    ),
    CredentialFormat(
        "gitlab-token",
        _B + r"gl(?:pat-[A-Za-z0-9_-]{20,50}|cbt-(?:[0-9a-fA-F]{2}_)?[A-Za-z0-9_-]{20,50}"
        r"|imt-[A-Za-z0-9_-]{25}|ptt-[A-Za-z0-9_-]{40}|oas-[A-Za-z0-9_-]{64})" + _E,
        6,
        trigger="gl[a-z]+-",
    ),
    CredentialFormat("gitlab-token", _B + r"glsoat-[A-Za-z0-9_-]{20,50}" + _E, 7),
    CredentialFormat("gitlab-token", _B + r"glagent-[A-Za-z0-9_-]{50,1024}" + _E, 8),
    CredentialFormat(
        "aws-access-key-id",
        _B + r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}" + _E_ALNUM,
        4,
        trigger="(?:AKIA|ASIA|ABIA|ACCA)",
    ),
    CredentialFormat("anthropic-api-key", _B + r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,120}" + _E, 7),
    CredentialFormat(
        "openai-api-key",
        _B + r"sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}" + _E,
        3,
    ),
    CredentialFormat("openai-project-key", _B + r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,200}" + _E, 8),
    CredentialFormat(
        "stripe-key",
        _B + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,99}" + _E_ALNUM,
        8,
        trigger="(?:sk|rk)_(?:live|test)_",
    ),
    CredentialFormat("google-api-key", _B + r"AIza[0-9A-Za-z_-]{35}" + _E, 4),
    CredentialFormat("google-oauth-client-secret", _B + r"GOCSPX-[A-Za-z0-9_-]{28}" + _E, 7),
    CredentialFormat("slack-token", _B + r"xox[abposr]-(?:\d+-)+[A-Za-z0-9-]{10,}" + _E, 5),
    CredentialFormat("slack-app-token", _B + r"xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,}" + _E_ALNUM, 5),
    CredentialFormat(
        "slack-webhook",
        r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]{20,}",
        23,
        trigger="hooks\\.slack\\.com",
    ),
    CredentialFormat("npm-token", _B + r"npm_[A-Za-z0-9]{36}" + _E_ALNUM, 4),
    # PyPI and TestPyPI API tokens: macaroons naming their index, far longer than 70 characters.
    CredentialFormat(
        "pypi-token", _B + r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{70,}" + _E, 5
    ),
    CredentialFormat("huggingface-token", _B + r"hf_[A-Za-z]{34}" + _E_ALNUM, 3),
    CredentialFormat("sendgrid-api-key", _B + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _E, 3),
    CredentialFormat("twilio-api-key", _B + r"SK[0-9a-f]{32}" + _E_ALNUM, 2, trigger="SK[0-9a-f]{32}"),
    CredentialFormat("mailgun-api-key", _B + r"key-[0-9a-f]{32}" + _E_ALNUM, 4),
    CredentialFormat(
        "notion-token",
        _B + r"(?:secret_[A-Za-z0-9]{43}|ntn_[0-9]{11}[A-Za-z0-9]{35})" + _E_ALNUM,
        4,
        trigger="(?:secret_|ntn_)",
    ),
    CredentialFormat("linear-api-key", _B + r"lin_(?:api|oauth)_[A-Za-z0-9]{40}" + _E_ALNUM, 8),
    CredentialFormat("atlassian-api-token", _B + r"ATATT3[A-Za-z0-9_=-]{180,}" + _E, 6),
    CredentialFormat("telegram-bot-token", _B + r"\d{8,10}:AA[A-Za-z0-9_-]{33}" + _E, 0, trigger=":AA"),
    CredentialFormat("databricks-token", _B + r"dapi[a-f0-9]{32}(?:-\d)?" + _E_ALNUM, 4),
    CredentialFormat(
        "digitalocean-token", _B + r"do[opr]_v1_[a-f0-9]{64}" + _E_ALNUM, 7, trigger="do[opr]_v1_"
    ),
    CredentialFormat("shopify-token", _B + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _E_ALNUM, 6),
    CredentialFormat("sentry-token", _B + r"sntr[ysu]_[A-Za-z0-9_=+/-]{40,}" + _E, 6),
    CredentialFormat("supabase-token", _B + r"sbp_[a-f0-9]{40}" + _E_ALNUM, 4),
    CredentialFormat("groq-api-key", _B + r"gsk_[A-Za-z0-9]{52}" + _E_ALNUM, 4),
    CredentialFormat("perplexity-api-key", _B + r"pplx-[A-Za-z0-9]{48}" + _E_ALNUM, 5),
    CredentialFormat("tavily-api-key", _B + r"tvly-(?:dev-)?[A-Za-z0-9]{32}" + _E_ALNUM, 5),
    CredentialFormat("firecrawl-api-key", _B + r"fc-[a-f0-9]{32}" + _E_ALNUM, 3),
    CredentialFormat("replicate-token", _B + r"r8_[A-Za-z0-9]{37}" + _E_ALNUM, 3),
    CredentialFormat("figma-token", _B + r"figd_[A-Za-z0-9_-]{40}" + _E, 5),
    CredentialFormat("newrelic-key", _B + r"NRAK-[A-Z0-9]{27}" + _E_ALNUM, 5),
    CredentialFormat(
        "doppler-token", _B + r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}" + _E_ALNUM, 6
    ),
    CredentialFormat("heroku-api-key", _B + r"HRKU-[A-Za-z0-9_-]{60}" + _E, 5),
    CredentialFormat("postman-api-key", _B + r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + _E_ALNUM, 5),
    CredentialFormat("airtable-token", _B + r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + _E_ALNUM, 3),
    CredentialFormat("azure-storage-key", r"AccountKey=[A-Za-z0-9+/]{86}==", 11),
    # The signature may be empty or absent (unsecured tokens); is_plausible decodes the rest.
    CredentialFormat(
        "jwt", _B + r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*)?" + _E, 3
    ),
    # Formats whose trigger is written by hand (the pattern's fixed prefix is none or too short).
    CredentialFormat(
        "azure-ad-client-secret", r"[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34}", trigger=r"\dQ~"
    ),
    CredentialFormat(
        "cloudflare-api-token",
        r"(?<![A-Za-z0-9_-])(?:cfat|cfut)_[A-Za-z0-9_-]{40,50}",
        visible_prefix=5,
        trigger="cf[au]t_",
    ),
    CredentialFormat(
        "gcp-service-account",
        r"\"type\"\s*:\s*\"service_account\"[\s\S]{0,2000}?\"private_key\"",
        trigger="service_account",
    ),
    CredentialFormat(
        "github-app-token",
        r"(?<![A-Za-z0-9_])(?:ghu|ghs)_[A-Za-z0-9]{36}",
        visible_prefix=4,
        trigger="gh[us]_",
    ),
    CredentialFormat(
        "gitlab-runner-token",
        r"(?<![A-Za-z0-9_])GR1348941[A-Za-z0-9_-]{20,50}(?![A-Za-z0-9_-])",
        visible_prefix=9,
        trigger="GR1348941",
    ),
    CredentialFormat(
        "bitbucket-app-password",
        r"(?<![A-Za-z0-9_])ATBB[A-Za-z0-9_=.-]{32}",
        visible_prefix=4,
        trigger="ATBB",
    ),
    CredentialFormat(
        "discord-bot-token",
        r"(?<![A-Za-z0-9_.-])[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38}",
        trigger=r"\.[A-Za-z0-9_-]{6}\.",
    ),
    CredentialFormat(
        "discord-webhook",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{60,68}",
        trigger="discord",
    ),
    CredentialFormat(
        "teams-webhook",
        r"https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[A-Za-z0-9@/-]{40,200}",
        trigger="webhook\\.office\\.com",
    ),
    CredentialFormat(
        "mailchimp-api-key", r"(?<![a-f0-9])[a-f0-9]{32}-us\d{1,2}(?![a-z0-9])", trigger="-us[0-9]"
    ),
    CredentialFormat(
        "square-access-token",
        r"(?<![A-Za-z0-9_-])(?:EAAA|sq0atp-)[A-Za-z0-9_-]{22,60}",
        visible_prefix=4,
        trigger="(?:EAAA|sq0atp-)",
    ),
    CredentialFormat(
        "square-oauth-secret",
        r"(?<![A-Za-z0-9_-])sq0csp-[A-Za-z0-9_-]{43}",
        visible_prefix=7,
        trigger="sq0csp-",
    ),
    CredentialFormat(
        "paypal-braintree-token",
        r"access_token\$production\$[a-z0-9]{16}\$[a-f0-9]{32}",
        trigger="access_token\\$production",
    ),
    CredentialFormat(
        "facebook-access-token",
        r"(?<![A-Za-z0-9])EAACEdEose0cBA[A-Za-z0-9]{20,}",
        visible_prefix=4,
        trigger="EAACEdEose0cBA",
    ),
    CredentialFormat(
        "dropbox-token", r"(?<![A-Za-z0-9_-])sl\.[A-Za-z0-9_-]{130,152}", visible_prefix=3, trigger="sl\\."
    ),
    CredentialFormat(
        "fly-io-token", r"(?<![A-Za-z0-9_])fo1_[A-Za-z0-9_-]{43}", visible_prefix=4, trigger="fo1_"
    ),
    CredentialFormat(
        "planetscale-token",
        r"(?<![A-Za-z0-9_])pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,64}",
        visible_prefix=7,
        trigger="pscale_",
    ),
    CredentialFormat("pulumi-token", r"(?<![A-Za-z0-9_])pul-[a-f0-9]{40}", visible_prefix=4, trigger="pul-"),
    CredentialFormat(
        "rubygems-token", r"(?<![A-Za-z0-9_])rubygems_[a-f0-9]{48}", visible_prefix=9, trigger="rubygems_"
    ),
    CredentialFormat(
        "terraform-cloud-token",
        r"(?<![A-Za-z0-9_])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        trigger="\\.atlasv1\\.",
    ),
    CredentialFormat(
        "vault-token", r"(?<![A-Za-z0-9_])hv[sb]\.[A-Za-z0-9_-]{24,}", visible_prefix=4, trigger="hv[sb]\\."
    ),
    CredentialFormat(
        "age-secret-key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        visible_prefix=16,
        trigger="AGE-SECRET-KEY-1",
    ),
    CredentialFormat(
        "grafana-token",
        r"(?<![A-Za-z0-9_])glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
        visible_prefix=5,
        trigger="glsa_",
    ),
    CredentialFormat(
        "grafana-cloud-token",
        r"(?<![A-Za-z0-9_])glc_[A-Za-z0-9+/]{32,400}={0,2}",
        visible_prefix=4,
        trigger="glc_",
    ),
    CredentialFormat(
        "openrouter-api-key", r"(?<![A-Za-z0-9_])sk-or-v1-[a-f0-9]{64}", visible_prefix=9, trigger="sk-or-v1-"
    ),
    CredentialFormat(
        "xai-api-key", r"(?<![A-Za-z0-9_])xai-[A-Za-z0-9]{80}", visible_prefix=4, trigger="xai-"
    ),
    CredentialFormat(
        "sourcegraph-token",
        r"(?<![A-Za-z0-9_])sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}(?![A-Za-z0-9])",
        visible_prefix=4,
        trigger="sgp_",
    ),
    # A Facebook app access token is the app id and the app secret joined by a bar.
    CredentialFormat(
        "facebook-app-token",
        r"(?<![\d|])\d{15,16}\|[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])",
        trigger=r"[0-9]{15}\|",
    ),
    CredentialFormat(
        "1password-service-account-token",
        r"(?<![A-Za-z0-9_])ops_eyJ[A-Za-z0-9+/=_-]{100,}",
        visible_prefix=7,
        trigger="ops_eyJ",
    ),
    CredentialFormat(
        "intra42-client-secret",
        r"(?<![A-Za-z0-9_-])s-s4t2(?:ud|af)-[a-f0-9]{64}(?![a-f0-9])",
        visible_prefix=9,
        trigger="s-s4t2",
    ),
    CredentialFormat(
        "facebook-page-token",
        r"(?<![A-Za-z0-9])EAA[A-Za-z0-9]{100,}",
        visible_prefix=3,
        trigger="EAA[A-Za-z0-9]{20}",
    ),
    # Amazon Bedrock API keys: long-term ones are "ABSK" and the base64 of "BedrockAPIKey-...",
    # short-term ones "bedrock-api-key-" and the base64 of a presigned bedrock.amazonaws.com URL.
    CredentialFormat(
        "aws-bedrock-api-key",
        r"(?<![A-Za-z0-9+/])ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{40,400}={0,2}",
        visible_prefix=4,
        trigger="ABSKQmVkcm9ja0FQSUtleS",
    ),
    CredentialFormat(
        "aws-bedrock-short-term-api-key",
        r"(?<![A-Za-z0-9_-])bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=]{20,4000}",
        visible_prefix=16,
        trigger="bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",
    ),
    # A password already masked (``****``) is none.
    CredentialFormat(
        "database-url-password",
        r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql)://[^\s:@/'\"]{1,128}:(?!\*{3,}@)[^\s@/'\"]{3,128}@[^\s'\"]{1,256}",
        trigger="://",
        by_format=False,  # postgres://app:{password}@host is a template, not a password
    ),
)


#: The formats a match alone makes a credential of, by their place in CREDENTIAL_FORMATS.
_BY_FORMAT = frozenset(i for i, f in enumerate(CREDENTIAL_FORMATS) if f.by_format)
#: Texts from this long on are searched with only the formats whose trigger occurs in them: the
#: alternation of every format costs Python's ``re`` 2 to 4 us a character where no format's
#: literal starts (a URL of 27 characters 64 us, a sentence of 35 100 us; scan read an 8 MB
#: config of long base64 server names for 40 s of CPU), one native pass over the triggers about
#: 3 us a value. Only the shortest values (a flag, a word) are cheaper through the alternation.
#: From 4,096 characters until 2026-12-05: a config of 10,000 remote servers took 15 s to scan.
_FILTERED_FROM = 16


def _combined() -> re.Pattern[str]:
    return _combined_of(_BY_FORMAT)


@lru_cache(maxsize=128)
def _combined_of(formats: frozenset[int]) -> re.Pattern[str]:
    """The alternation of these formats in the table's order: the same matches as the whole
    table's wherever the others cannot match. Compiled when first used (most of this module's
    import time, which a command or a scan that masks nothing need not pay)."""
    return compiled(
        "|".join(f"(?P<f{i}>{f.pattern})" for i, f in enumerate(CREDENTIAL_FORMATS) if i in formats),
        # ASCII, as the native triggers read the patterns (and as issuers write tokens): a
        # Unicode digit in a format's \d (an Arabic-Indic zero in a PuTTY key header) matched here alone
        re.ASCII,
    )


def prefix_trigger(pattern: str) -> str:
    """A literal that starts a credential format (``ghp_``, ``AKIA``), as its trigger."""
    body = pattern.removeprefix(_B)
    body = body.replace("\\.", ".").replace("\\-", "-")
    literal = re.match(r"[A-Za-z0-9_\-.:=]+", body)
    if literal is None or body[literal.end() : literal.end() + 1] in ("?", "*", "{"):
        return ""  # the literal's last character is optional: no fixed prefix
    return re.escape(literal.group(0)) if len(literal.group(0)) >= 3 else ""


@cache
def _format_triggers() -> tuple[MultiMatcher, tuple[int, ...], frozenset[int]]:
    """One native pass telling which formats may match: each format's trigger derived from its
    pattern (a superset of its matches; the hand-written one on the pure-Python path), the
    places in the table they stand for, and the formats with no trigger (always searched)."""
    from mcpward._multimatch import MultiMatcher
    from mcpward._trigger import derived_trigger

    with_trigger, derived, written = [], [], []
    for index in sorted(_BY_FORMAT):
        fmt = CREDENTIAL_FORMATS[index]
        hand = fmt.trigger or prefix_trigger(fmt.pattern)
        exact = derived_trigger(fmt.pattern)
        if exact or hand:
            with_trigger.append(index)
            derived.append(exact or hand)
            written.append(hand or exact or "")
    matcher = MultiMatcher(derived, [False] * len(derived), fallbacks=written)
    return matcher, tuple(with_trigger), _BY_FORMAT - frozenset(with_trigger)


@dataclass(frozen=True, slots=True)
class CredentialMatch:
    kind: str
    start: int
    end: int
    visible_prefix: int = 0


def find_credentials(text: str) -> list[CredentialMatch]:
    """Every credential of a known format in ``text``, in order."""
    pattern = _combined()
    if len(text) >= _FILTERED_FROM:
        matcher, places, always = _format_triggers()
        fired = matcher.fired(text.encode("utf-8", "surrogatepass"))
        possible = always | {places[number] for number in fired}
        if not possible:
            return []  # (an empty alternation would match everywhere)
        pattern = _combined_of(frozenset(possible))
    return _matches_of(pattern, text)


def _matches_of(pattern: re.Pattern[str], text: str) -> list[CredentialMatch]:
    """The matches of an alternation of formats (``_combined_of``) in ``text``."""
    matches: list[CredentialMatch] = []
    for match in pattern.finditer(text):
        index = int((match.lastgroup or "f0")[1:])
        fmt = CREDENTIAL_FORMATS[index]
        matches.append(CredentialMatch(fmt.kind, match.start(), match.end(), fmt.visible_prefix))
    return matches


_REPEATED = compiled(r"(.)\1{5,}")
_DUMMY_WORDS = compiled(r"example|sample|dummy|placeholder|your|redacted|fake", re.IGNORECASE)


def is_plausible(match: CredentialMatch, text: str) -> bool:
    """False for format matches that are documentation placeholders (``sk_test_xxxx...``,
    ``AKIAIOSFODNN7EXAMPLE``): a run of one character, a dummy word, or too little entropy."""
    body = text[match.start + match.visible_prefix : match.end]
    if match.kind == "private-key":
        return True
    if match.kind == "jwt" and not _jwt_decodes(text[match.start : match.end]):
        return False
    if _REPEATED.search(body) or _DUMMY_WORDS.search(body):
        return False
    return shannon_entropy(body) >= 3.0


def _jwt_decodes(token: str) -> bool:
    """A JWT's header and claims are base64url JSON objects, and the header names an algorithm;
    strings that merely start with ``eyJ`` (truncated or made-up tokens) do not decode."""
    parts = token.split(".")
    try:
        header, claims = (
            json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in parts[:2]
        )
    except (ValueError, binascii.Error):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False
    return isinstance(header, dict) and isinstance(claims, dict) and "alg" in header


def mask(value: str, visible_prefix: int = 0) -> str:
    """The redacted form of a secret: its format prefix, if any, then asterisks."""
    return value[:visible_prefix] + "****"


# -- key-name judgement ------------------------------------------------------------------------

_SECRET_KEY = compiled(
    r"(?:^|[^a-z])(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|apikey|access[-_]?key"
    r"|private[-_]?key|client[-_]?secret|auth(?:orization)?|credentials?|cookie|session[-_]?id"
    r"|bearer|signing[-_]?key|encryption[-_]?key|key)(?:$|[^a-z])",
    re.IGNORECASE,
)
# ``key`` is a word of the name wherever it stands (``STRIPE_KEY``, ``--service-key``, Helm's
# ``--set api.key=...``): it was one only alone or after a doubled separator until 2026-12-06.
# Names that contain a secret word but name something else: a file, a URL, a limit, an id.
_NOT_SECRET_KEY = compiled(
    r"(?:[-_](?:file|path|dir|url|uri|endpoint|host|id|name|user|username|type|env|var|header"
    r"|timeout|ttl|expiry|expires|limit|count|len|length|size|mode|method|enabled|required|alias)$"
    r"|^(?:max|min|num)[-_]|tokens$|^tokenizer|[-_]tokens[-_]|keyboard|keys?pace|monkey"
    # Values meant to be seen (public tokens and keys), anti-forgery nonces, key stores by name.
    r"|(?:^|[-_])(?:public|publishable)[-_]|(?:^|[-_])(?:csrf|xsrf)[-_]|key[-_]?vault)",
    re.IGNORECASE,
)
#: ``key`` as a data key, not a credential: named by what it keys (a table's sort or partition
#: key, a message's routing key, a bucket's object key, a cache key) or followed by a word that
#: says it is about a key (``KEY_PREFIX``, ``signing-key-fingerprint``, ``keyPattern``). Taken out
#: of the name before its secret words are looked for, so ``SORT_API_KEY`` is still a secret
#: name. Qualifiers that name credentials too stay out: ``hash`` (HMAC), ``s3``, ``primary``
#: (Azure's account keys), ``routing`` (PagerDuty's integration key), ``json`` (a service
#: account's key).
_DATA_KEY = compiled(
    r"(?<![a-z])(?:sort|partition|foreign|range|object|cache|lookup|translation"
    r"|i18n|dedupe?|idempotency|shortcut|hot|row|group|index|shard(?:ing)?|composite|field|column)"
    r"[-_.]key(?![a-z])"
    r"|(?<![a-z])key[-_.](?:prefix|suffix|pattern|fingerprint|field|column|attribute|separator"
    r"|delimiter|format|template|label)(?![a-z])",
    re.IGNORECASE,
)
#: "pass" as a word of a key name (db_pass, passwd, userPassword), not inside another word
#: (Passthrough, bypass); the name has its camelCase words split first.
_PASSWORD_WORD = compiled(r"(?:^|[^a-z])(?:pass(?:word|wd|phrase)?|pwd)(?:$|[^a-z])", re.IGNORECASE)


#: Well-known variables whose secret word is glued to a prefix, so no word boundary finds it
#: (PostgreSQL's PGPASSWORD, sshpass's SSHPASS; widening the rule to glued words would read
#: BYPASS and COMPASS as passwords).
_GLUED_SECRET_NAMES = frozenset({"pgpassword", "sshpass"})


def _is_password_key(name: str) -> bool:
    return name.lower() in _GLUED_SECRET_NAMES or bool(_PASSWORD_WORD.search(_CAMEL_BOUNDARY.sub("_", name)))


_REFERENCE = compiled(
    r"^\s*(?:\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{env:[^}]*\}|\{\{[^}]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%"
    r"|\$\([^)]*\)|\{file:[^}]*\}|op://\S+|vault:\S+|arn:aws:secretsmanager:\S+"
    # LiteLLM's config reads os.environ/NAME from the environment
    r"|os\.environ/[A-Za-z_][A-Za-z0-9_]*)\s*$"
)
_EMBEDDED_REFERENCE = compiled(r"\$\{[^}]+\}|\{env:[^}]+\}|\$[A-Z_][A-Z0-9_]{2,}")
_PLACEHOLDER = compiled(
    r"^(?:<[^>]*>|\[[^\]]*\]|x{3,}|\*{3,}|\.{3,}|-+|_+|0+|#+|\?+|changeme|change[-_ ]?me|none|null|nil"
    r"|undefined|todo|tbd|fixme|dummy|example|sample|test|testing|secret|password|pass|passwd|token|placeholder"
    r"|redacted|hidden|masked|empty|true|false|yes|no|on|off|default)$"
    r"|your[-_ ]?(?:own[-_ ]?)?(?:api[-_ ]?)?(?:key|token|secret|password|pat)"
    r"|(?:api[-_]?key|token|secret|password)[-_ ]?(?:here|goes[-_ ]?here)"
    r"|^(?:insert|put|enter|add|replace|paste)[-_ ]|[-_ ]here$|^sk-\.\.\.|x{6,}|\*{4,}"
    # Values shown redacted or cut short in documentation, and keyboard sequences.
    r"|\[?redacted\]?|\.\.\.|…|123456789|abcdefghij|qwertyuiop",
    re.IGNORECASE,
)


#: The opening of a variable with a default, up to the default (``${API_KEY:-``, ``${API_KEY-``,
#: ``:=``, ``=``), as shells, compose files and Claude Code's ``.mcp.json`` expand it: the
#: default runs where the variable is unset, and is written in the config. Claude Code parts
#: name and default at ``:-`` whatever the name's characters (``${api.key:-X}``, ``${RUN-NER:-npx}``
#: starts npx), so that is tried first. Scan replaces such variables by their defaults with it.
VARIABLE_WITH_DEFAULT_OPENING = r"\$\{(?:[^{}:$]*+:-|[A-Za-z_][A-Za-z0-9_]*:?[-=])"
_DEFAULTED = compiled(VARIABLE_WITH_DEFAULT_OPENING)
_BRACE = compiled(r"[{}]")


def variable_default(value: str) -> str | None:
    """The default written in ``${NAME:-default}`` (and its other spellings), or None: the whole
    value must be that one variable (``${HOST:-localhost}:${PORT}`` is none)."""
    text = value.strip()
    opened = _DEFAULTED.match(text)
    if opened is None:
        return None
    depth = 1
    for brace in _BRACE.finditer(text, opened.end()):
        depth += 1 if brace.group() == "{" else -1
        if depth == 0:
            return text[opened.end() : brace.start()] if brace.end() == len(text) else None
    return None


#: Defaults within defaults read (``${A:-${B:-...}}``); deeper is judged as written.
_MAX_DEFAULT_DEPTH = 8


def is_reference(value: str) -> bool:
    """True for values that name a secret held elsewhere (``${GITHUB_TOKEN}``, ``op://...``);
    ``${API_KEY:-default}`` only when its default is empty, a placeholder or a reference itself
    (a literal default was taken for a reference, its secret printed, until 2026-12-06)."""
    text = value
    for _ in range(_MAX_DEFAULT_DEPTH):
        default = variable_default(text)
        if default is None:
            return bool(_REFERENCE.match(text))
        if not default.strip() or is_placeholder(default):
            return True
        text = default
    return False


def is_placeholder(value: str) -> bool:
    stripped = value.strip().strip("'\"")
    return not stripped or bool(_PLACEHOLDER.search(stripped))


_CAMEL_BOUNDARY = compiled(r"(?<=[a-z0-9])(?=[A-Z])")


def is_secret_key(name: str) -> bool:
    """True for a key or variable name that conventionally holds a secret (``api_key``,
    ``authToken``: camelCase words are read as separate words)."""
    if name.lower() in _GLUED_SECRET_NAMES:
        return True
    name = _CAMEL_BOUNDARY.sub("_", name)
    credential_words = _DATA_KEY.sub("_", name)
    return bool(_SECRET_KEY.search(credential_words)) and not _NOT_SECRET_KEY.search(name)


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


_WORDS_VALUE = compiled(
    r"^(?:[a-z]+(?:[_-][a-z]+)+|[A-Z]+(?:[_-][A-Z]+)+|[A-Za-z][a-z]{0,14}|[a-z]+)(?:[_-]?\d{1,3})?$"
)
#: Segments are words (at most two digits, at the end): ``self.config.api_token``, not the
#: random body of a token such as ``s.ZC9Ecf4M5g9o34Q6RkzGsj0z``.
_MEMBER_PATH = compiled(r"(?:[A-Za-z_$][A-Za-z_$]{0,30}\d{0,2}\.)+[A-Za-z_$][A-Za-z_$]{0,30}\d{0,2}")
_IDENTIFIER_OF_WORDS = compiled(r"[A-Za-z_$]+\d{0,2}")
_WORD_JOIN = compiled(r"[a-z](?:[_$]+[A-Za-z]|[A-Z])")


def is_code_expression(value: str) -> bool:
    """True for an unquoted value that is code, not data: a call or index (``string2()``), a
    member path (``self.config.api_token``) or an identifier made of words
    (``qdrant_api_key``, ``ProgressTokenSchema$1``). Source code shown to a model is full of
    ``token = options.token``; none of it is a secret."""
    if any(mark in value for mark in "()[]{}<>!?"):
        return True
    if _MEMBER_PATH.fullmatch(value):
        return True
    return bool(_IDENTIFIER_OF_WORDS.fullmatch(value) and _WORD_JOIN.search(value))


def _letters(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


#: A key's file named as such files are (relative paths too: ``certs/server-key.pem``,
#: ``keystore.jks``, ``id_ed25519``): a key's own text never ends so.
_KEY_FILE_NAME = compiled(
    r"(?:[\w.-]+/)*(?:[\w.-]+\.(?:pem|key|crt|cer|der|p8|p12|pfx|jks|keystore|truststore|pub|asc|gpg|ppk)"
    r"|id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?)",
    re.IGNORECASE,
)


def looks_like_literal_secret(name: str, value: str) -> bool:
    """Judge a ``name = value`` pair whose value matched no known credential format."""
    if not is_secret_key(name):
        return False
    text = value.strip()
    scheme, _, credential = text.partition(" ")
    default = variable_default(credential if scheme.lower() in ("bearer", "basic", "token") else text)
    for _ in range(_MAX_DEFAULT_DEPTH):  # ``${API_KEY:-default}``: the default is written here
        if default is None:
            break
        text = default.strip()
        default = variable_default(text)
    if default is not None:
        return True  # defaults nested deeper than any config writes: no reference
    if is_reference(text) or is_placeholder(text) or _EMBEDDED_REFERENCE.search(text):
        return False
    if not _is_password_key(name) and _WORDS_VALUE.match(text):
        # custom_token, STRIPE_SECRET_KEY, gateway-secret, token123, Optional: words (and a
        # short number), which name a secret or describe one; passwords may be words, keys not.
        return False
    if _letters(text) == _letters(name.rsplit(".", 1)[-1]):
        return False  # access_token=ACCESS_TOKEN: the key's own name as a template value
    if text.lower().startswith(("bearer ", "basic ", "token ")):
        text = text.split(None, 1)[1] if " " in text else ""
        if is_reference(text) or is_placeholder(text) or _EMBEDDED_REFERENCE.search(text):
            return False
    if re.fullmatch(r"\d{1,6}", text) or (re.fullmatch(r"[a-z]+(?:[-_][a-z]+)*", text) and len(text) < 12):
        # A port, a count, a plain word such as "oauth" or "bearer": not a credential.
        # "First pass: prefer exact matches" is prose: a bare "pass" key takes no plain word.
        return (
            _is_password_key(name)
            and name.strip("_-. ").lower() != "pass"
            and len(text) >= 4
            and not text.isdigit()
        )
    if text.startswith(("/", "./", "~/", "file:")) or re.match(r"^[A-Za-z]:\\", text):
        return False  # a path to a key file, not the key
    if not _is_password_key(name) and _KEY_FILE_NAME.fullmatch(text):
        return False  # certs/server-key.pem, id_ed25519: a key's file by its name, not the key
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        return False  # URLs are judged by their userinfo and query instead
    if _is_password_key(name):
        return len(text) >= 4
    return len(text) >= 8 and shannon_entropy(text) >= 2.5


# -- URLs --------------------------------------------------------------------------------------

_SECRET_QUERY_KEY = compiled(
    r"^(?:api[-_]?key|apikey|key|token|access[-_]?token|auth|secret|password|pass|sig|signature"
    r"|code|client[-_]?secret|private[-_]?token)$",
    re.IGNORECASE,
)


#: A run of a key's characters: a literal secret is random over a long stretch of one.
_KEY_RUN = compiled(r"[A-Za-z0-9]{16,}")
_UNRESERVED = compiled(r"[A-Za-z0-9._~+=-]{16,512}")


def looks_random(value: str) -> bool:
    """True for a bare value that reads as a generated key, not a name: of a key's characters
    only, with a run of at least 16 letters and digits that mixes both (at least three of
    each) with the variety of random text. Words, e-mail addresses, UUIDs (runs of 12 at most),
    version and date stamps (``v1.2.3``, ``20240101T120000Z``) and ``x-access-token`` are not."""
    if not _UNRESERVED.fullmatch(value) or is_placeholder(value):
        return False
    for run in _KEY_RUN.findall(value):
        digits = sum(c.isdigit() for c in run)
        if digits >= 3 and len(run) - digits >= 3 and shannon_entropy(run) >= 3.0:
            return True
    return False


def is_user_key(user: str) -> bool:
    """A URL's user name that is a key (``https://<token>@github.com/...``, git's form for a
    personal access token): random, not a name; ``git@``, ``alice@``, ``oauth2`` stay."""
    return looks_random(unquote(user)) and not _REPEATED.search(user) and not _DUMMY_WORDS.search(user)


#: Path segments that say a URL is an MCP endpoint, and the segments that may follow a
#: client-specific key in one (its transport).
_MCP_SEGMENTS = frozenset({"mcp", "sse"})
_TRANSPORT_SEGMENTS = frozenset({"mcp", "sse", "messages", "message", "stream", "events"})
#: A commit's or a blob's name (SHA-1, SHA-256): a repository's URL, not a key.
_GIT_OBJECT = compiled(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _path_key_segments(parts: SplitResult) -> list[int]:
    """Indexes of the path segments of an MCP endpoint's URL that are keys: a hosted service
    gives each client its own URL (``/mcp/<key>``, ``/api/mcp/s/<key>/sse``, ``/<key>/mcp``).
    Only in an MCP endpoint (a path segment ``mcp`` or ``sse``, or a host name label starting
    with ``mcp``), only a random segment (``looks_random``) and only where nothing but
    transport segments follows it: documentation and repository URLs (``/org/mcp/<commit>/
    README.md``), commit and blob names (``/org/mcp/commit/<sha>``) and UUIDs stay readable."""
    segments = parts.path.split("/")
    host_labels = (parts.hostname or "").split(".")
    lowered = [segment.lower() for segment in segments]
    if not (_MCP_SEGMENTS & set(lowered)) and not any(label.startswith("mcp") for label in host_labels):
        return []
    found = []
    for index in range(len(segments) - 1, 0, -1):
        segment = segments[index]
        if looks_random(segment) and not _REPEATED.search(segment) and not _GIT_OBJECT.fullmatch(segment):
            found.append(index)
            continue
        if lowered[index] and lowered[index] not in _TRANSPORT_SEGMENTS:
            break  # a segment that is neither key nor transport: what comes before is a path
    return found


def path_key_span(url: str) -> tuple[int, int] | None:
    """Where in ``url`` (a URL as it stands in a text, punctuation after it included) the keys
    of an MCP endpoint's path are (``_path_key_segments``): from the first key to the end of
    the last, the transport segments between them masked too. None where it holds none. The
    punctuation of the sentence around it (``.../mcp/<key>.``, ``(.../sse)``, a JSON text's
    ``\\``) is not part of the URL: a segment with it would not read as a key."""
    url = url.rstrip(_AFTER_URL)
    parts = _split(url)
    if parts is None or url != url.strip():
        return None
    keys = _path_key_segments(parts)
    if not keys:
        return None
    path_start = len(parts.scheme) + 3 + len(parts.netloc)  # the path follows the authority
    starts = [path_start]
    for segment in parts.path.split("/")[:-1]:
        starts.append(starts[-1] + len(segment) + 1)
    first, last = min(keys), max(keys)
    return starts[first], starts[last] + len(parts.path.split("/")[last])


#: Characters that end a sentence or close a bracket or quote around a URL, not part of it.
_AFTER_URL = ".,;:!?)]}\\"


def url_secret_parts(url: str) -> list[str]:
    """Names of the parts of ``url`` that carry a literal secret: ``password``, ``username``
    (a key as the user), ``path`` (an MCP endpoint's key), ``query:token``."""
    parts = _split(url)
    if parts is None:
        return []
    found = []
    if parts.password and not is_reference(parts.password) and not is_placeholder(parts.password):
        found.append("password")
    if parts.username and is_user_key(parts.username):
        found.append("username")
    if _path_key_segments(parts):
        found.append("path")
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_QUERY_KEY.match(key) and value and not (is_reference(value) or is_placeholder(value)):
            found.append(f"query:{key}")
    return found


def redact_url(url: str) -> str:
    """``url`` with its password and secret query values masked; the rest left readable."""
    parts = _split(url)
    if parts is None:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        user = "****" if is_user_key(user) else user
        netloc = f"{user}:****@{hostport}" if colon else f"{user}@{hostport}"
    path = parts.path
    keys = _path_key_segments(parts)
    if keys:
        segments = path.split("/")
        for index in keys:
            segments[index] = "****"
        path = "/".join(segments)
    query = parts.query
    if query:
        pieces = []
        for piece in query.split("&"):
            key, sep, value = piece.partition("=")
            if sep and _SECRET_QUERY_KEY.match(key) and value and not is_reference(value):
                value = "****"
            pieces.append(f"{key}{sep}{value}")
        query = "&".join(pieces)
    rebuilt = urlunsplit(SplitResult(parts.scheme, netloc, path, query, parts.fragment))
    return redact_text(rebuilt)


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        if not parts.scheme or not parts.netloc:
            return None
        _ = parts.password, parts.port  # raise now on a malformed authority
        return parts
    except ValueError:
        return None


#: A whole run of scheme characters before ``://`` (from the run's first character), the first
#: letter in a run, and a URL's part after ``://``.
_SCHEME_RUN = compiled(r"(?<![a-z0-9+.-])[a-z0-9+.-]*+://", re.IGNORECASE)
_LETTER = compiled(r"[a-z]", re.IGNORECASE)
_AFTER_SCHEME = compiled(r"[^\s'\"<>]+")


def _urls_in_text(text: str) -> Iterator[tuple[int, int]]:
    """The spans of the URLs in ``text``, as ``re.finditer(r"[a-z][a-z0-9+.-]*://[^\\s'\"<>]+",
    text, re.I)`` finds them, in linear time: that expression, tried from each letter of a long
    word, read the word to its end each time (40,000 letters: 6.4 s). A match starts at the
    first letter of the run of scheme characters before a ``://`` (each run ends at its own
    ``://``, so a start in it can reach no other), and each run is read once."""
    position = 0
    while (run := _SCHEME_RUN.search(text, position)) is not None:
        separator = run.end() - 3
        letter = _LETTER.search(text, run.start(), separator)
        rest = _AFTER_SCHEME.match(text, run.end())
        if letter is None or rest is None:
            position = separator + 1
            continue
        yield letter.start(), rest.end()
        position = rest.end()


def redact_text(text: str) -> str:
    """``text`` with every credential of a known format, every secret the DLP engine reports
    (its formats, keyed values, ``curl -u``, Authorization headers) and every URL secret
    masked. The engine's rules are the one table of what a secret is: whatever a scan
    reports is masked here too. URLs go first, so that one keeps all but its password."""
    if "://" in text:
        pieces, cursor = [], 0
        for start, end in _urls_in_text(text):
            pieces += [text[cursor:start], _redact_url_only(text[start:end])]
            cursor = end
        text = "".join(pieces) + text[cursor:]
    spans = [(m.start, m.end, m.visible_prefix) for m in find_credentials(text)]
    spans += _engine_secrets(text)
    if spans:
        pieces = []
        cursor = 0
        # Where spans overlap, the one that starts first wins and the others are cut to
        # what it leaves: no part of any of them stays readable.
        for start, end, visible in sorted(spans, key=lambda span: (span[0], -span[1])):
            if end <= cursor:
                continue
            if start < cursor:
                start, visible = cursor, 0
            pieces.append(text[cursor:start])
            pieces.append(mask(text[start:end], visible))
            cursor = end
        pieces.append(text[cursor:])
        text = "".join(pieces)
    return text


def _engine_secrets(text: str) -> list[tuple[int, int, int]]:
    """The secrets the engine finds in ``text``: (start, end, characters left visible)."""
    from mcpward.dlp.scanning import default_engine  # the engine is built on this module

    return [
        (match.start, match.end, len(match.redacted) - len("****"))
        for match in default_engine().scan(text)
        if match.kind == "secret"
    ]


#: The password of a URL's authority, found without parsing the URL (see ``_redact_url_only``):
#: up to the authority's last "@", as ``redact_url`` reads it (a password may hold an "@").
_AUTHORITY_PASSWORD = compiled(r"([a-z][a-z0-9+.-]*://[^/?#@:]*:)([^/?#]+)@", re.IGNORECASE)
_AUTHORITY_USER = compiled(r"([a-z][a-z0-9+.-]*://)([^/?#@:]+)@", re.IGNORECASE)


def _redact_url_only(url: str) -> str:
    if url_secret_parts(url):
        return redact_url(url)
    # A URL whose authority does not parse (its port glued to the ")" or "," of the sentence
    # around it) is still a password after its user: masked, unless it names where one is.
    found = _AUTHORITY_PASSWORD.match(url)
    if found is None or is_reference(found[2]) or is_placeholder(found[2]):
        user = _AUTHORITY_USER.match(url)  # or a key as its user, with no password
        if user is not None and is_user_key(user[2]):
            return f"{user[1]}****@{url[user.end() :]}"
        return url
    return f"{found[1]}****@{url[found.end() :]}"
