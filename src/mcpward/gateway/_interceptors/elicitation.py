"""A server that asks the user for a secret in a form: MCP's elicitation (2025-06-18 on) lets a
server put a form before the user, and the specification forbids what a phishing server wants
from it: "Servers MUST NOT use form mode elicitation to request sensitive information such as
passwords, API keys, access tokens, or payment credentials" (URL mode, a page of the service's
own, is the way for those). A client shows the form as the server wrote it, beside the
assistant the user trusts; "Your session expired. Paste your GitHub token to continue." is
answered. So a form request that asks for one is refused to the server (``block``, the default)
or recorded and passed (``alert``).

What counts as asking for a secret, decided here (the specification names the kinds, not the
words): a field of the form that is free text or a number (not a yes/no, not a choice from a
list) whose name or title names a credential (a password or passphrase, a PIN, an API key,
access, refresh or session token, a client secret, a private key, a recovery phrase, a card
number or its security code, a one-time or verification code), or whose description, or the
form's message, asks the user to enter, paste or give one. A credential's *name*, id, label,
expiry, scope, length or path is not the credential ("api_key_name", "the name of the API key
to rotate", "private_key_path"); a username or an e-mail address is not a secret (the
specification says so)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from mcpward.gateway.interface import Exchange, Interceptor, PipelineContext, SecurityEvent, Session
from mcpward.model import Severity

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig

#: A form is a few fields and a sentence or two: one with more fields, or more text in all,
#: than this is refused as unreadable (the check reads it whole, about a microsecond a byte, and
#: a secret's field past a cap would pass).
_MAX_FIELDS, _MAX_TEXT = 200, 64 * 1024

_CREDENTIAL = (
    r"(?:pass(?:word|wd|phrase|code)s?|pwd|pin(?:\s?(?:code|number))?"
    r"|(?:api|access|auth|bearer|refresh|session|secret|personal\s+access|oauth|private|signing"
    r"|client|app|bot|deploy|github|gitlab|slack|npm|pypi|aws|openai|anthropic|stripe)\s?(?:key|token)s?"
    r"|(?:client\s|app\s|api\s|aws\s|secret\s)?secret(?:\s?access\s?key)?|token"
    r"|(?:seed|recovery|backup|mnemonic)\s(?:phrase|words?|codes?|keys?)|mnemonic"
    r"|(?:credit|debit|payment|bank)?\s?card\s?(?:number|num|no|details)|cvv2?|cvc2?|card\s(?:security\s)?code"
    r"|security\s(?:code|answer)|one[\s-]?time\s(?:pass(?:word|code)|code)|otp|totp|(?:2fa|mfa|two[\s-]factor)\scode"
    r"|verification\scode|authenticator\scode|credentials?)"
)
#: A credential named with one of these after it is about the credential, not the credential.
_QUALIFIED = (
    r"(?:\s(?:names?|ids?|identifiers?|labels?|hints?|polic(?:y|ies)|length|counts?|limits?|types?|kinds?"
    r"|expiry|expiration|expires|scopes?|urls?|paths?|files?|locations?|formats?|prefix|descriptions?"
    r"|usage|rotation|reset|strength|rules?|requirements?|manager|store|vault|env(?:ironment)?"
    r"|variables?|fingerprints?|created|age|status))"
)
#: A field named for a credential: its name (as words) ends on one, so that nothing qualifies it
#: ("api key name", "private key path" end otherwise).
_NAMES_ONE = re.compile(rf"(?:^|\s){_CREDENTIAL}$")
#: Text that asks for one: a verb of giving, then (within a clause) "your"/"the" credential,
#: which no qualifier follows and no word for its name or id comes between.
_ASKS_FOR_ONE = re.compile(
    r"\b(?:enter|re-?enter|paste|provide|type|input|give|share|supply|submit)\b"
    rf"(?P<between>[^.?!;:\n]{{0,40}}?)\b(?:your|the|an?|its)\s(?:[\w-]+\s){{0,2}}?{_CREDENTIAL}\b"
    # "the token's name", "give the new token a label"
    rf"(?!(?:'s)?(?:\s(?:a|an|the|its))?{_QUALIFIED})",
)
_NOT_THE_VALUE = re.compile(
    r"\b(?:names?|labels?|ids?|nicknames?|descriptions?|titles?|expir\w*|scopes?|lengths?|numbers\sof|types?)\b"
)


def _words(text: str) -> str:
    """``apiKey``, ``api_key``, ``X-API-Key``, ``API Key``: ``api key`` (a field's name as words;
    only its end, where a credential would name it)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[_\-.:/]+", " ", text[-100:])
    return " ".join(spaced.lower().split())


_NEGATED = re.compile(r"\b(?:not|never|no)\s(?:\w+\s)?$|n't\s$")


def _asks(text: str) -> bool:
    """Whether ``text`` asks the reader to give a credential ("Paste your GitHub token"), not
    for its name ("Enter the name of the API key to rotate") and not against it ("never
    paste your password here")."""
    text = " ".join(text.lower().split())
    for match in _ASKS_FOR_ONE.finditer(text):
        before = text[max(0, match.start() - 20) : match.start()]
        if not _NOT_THE_VALUE.search(match.group("between")) and not _NEGATED.search(before):
            return True
    return False


def secret_fields(params: Any) -> list[str]:
    """The fields of an ``elicitation/create`` form (its ``params``) that ask the user for a
    secret, by name (``(message)`` when the form's message asks for one and a field could hold
    it); none for a URL-mode request."""
    if not isinstance(params, dict) or params.get("mode", "form") != "form":
        return []
    schema = params.get("requestedSchema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return []
    message = params.get("message")
    fields = [field for field in properties.values() if isinstance(field, dict)]
    texts = [message, *(field.get(key) for field in fields for key in ("title", "description"))]
    if len(properties) > _MAX_FIELDS or sum(len(t) for t in texts if isinstance(t, str)) > _MAX_TEXT:
        return [f"(a form of more than {_MAX_FIELDS} fields or {_MAX_TEXT // 1024} KiB of text)"]
    found: list[str] = []
    free = False
    for name, field in properties.items():
        if not isinstance(field, dict) or field.get("type") not in ("string", "number", "integer"):
            continue  # a yes/no holds no secret
        if any(key in field for key in ("enum", "oneOf", "anyOf", "const")):
            continue  # a choice among the server's own values
        free = True
        title, description = field.get("title"), field.get("description")
        named = [str(name), title if isinstance(title, str) else ""]
        if (
            field.get("format") == "password"
            or field.get("writeOnly") is True
            or any(_NAMES_ONE.search(_words(text)) for text in named if text)
            or (isinstance(description, str) and _asks(description))
        ):
            found.append(str(name))
    if not found and free and isinstance(message, str) and _asks(message):
        found.append("(message)")
    return found


class ElicitationConfig(BaseModel):
    """``[elicitation]``: what a form that asks the user for a secret does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets: Literal["block", "alert", "off"] = "block"


class Elicitation(Interceptor):
    name = "elicitation"

    def __init__(self, config: ElicitationConfig) -> None:
        self.action = config.secrets

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Elicitation | None:
        return cls(config.elicitation) if config.elicitation.secrets != "off" else None

    def server_message(self, session: Session, exchange: Exchange) -> None:
        if exchange.method != "elicitation/create" or exchange.id is None:
            return
        fields = secret_fields(exchange.request.get("params"))
        if not fields:
            return
        why = (
            f"the server asks the user for a secret in a form ({', '.join(fields)}); the MCP "
            "specification allows that only in URL mode, on the service's own page"
        )
        event = SecurityEvent("secret-elicitation", Severity.HIGH, why, detail={"fields": fields})
        exchange.events.append(event)
        if self.action == "block":
            exchange.block(why)
        else:
            exchange.note("alert", why)
