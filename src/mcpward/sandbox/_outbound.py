"""The judgement of one outbound HTTP request against the tool call that caused it.

A malicious server can send more than it was asked to: the ``postmark-mcp`` release added a
``Bcc`` to every e-mail inside the server, invisible in the tool call. So each inspected request
is read (body decoded: JSON, forms, text, gzip and deflate) and checked for
- recipients (``to``/``cc``/``bcc`` and their kin, JSON or MIME) that the call did not name:
  critical;
- other addresses, phone numbers and URL hosts that neither the call, nor the profile's
  declared values, nor the gateway's baseline know;
- secrets and personal data (the DLP engine and policy), less what the call itself carried and
  the server's own credentials (sending its API key to its API is its job).
The proxy (``_proxy.py``) acts on the judgement; this module only judges, so it is tested alone.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from mcpward._addresses import emails, url_hosts
from mcpward._regex import compiled
from mcpward.dlp.policy import DlpPolicy, decision, strongest_severity
from mcpward.dlp.scanning import ScanLimitError, json_strings, redact_json, strings_of
from mcpward.model import MessageAction
from mcpward.sandbox._calls import InFlightCall
from mcpward.sandbox.interface import InspectionRules

#: Key names (lower-case letters only) whose values are where a message goes.
_RECIPIENT_KEYS = frozenset(
    {
        "to", "cc", "bcc", "recipient", "recipients", "torecipients", "ccrecipients",
        "bccrecipients", "envelopeto", "forwardto", "resentto", "resentcc", "resentbcc",
    }
)  # fmt: skip
_MIME_RECIPIENT = compiled(
    r"^(?:resent-)?(?:to|cc|bcc)[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE
)
_MEMBER = compiled(r"\.([A-Za-z_]\w*)|\[(['\"])((?:\\.|(?!\2).)*)\2\]")
_PHONE = compiled(r"^\+?[\d\s().-]{7,20}$")
#: Hosts named by document formats, not destinations (XML namespaces, schemas).
_SCHEMA_HOSTS = frozenset(
    {"www.w3.org", "w3.org", "schemas.xmlsoap.org", "schemas.microsoft.com", "purl.org", "json-schema.org",
     "schemas.openxmlformats.org", "ns.adobe.com"}
)  # fmt: skip


class Uninspectable(Exception):
    """A request whose content cannot be read; the profile's policy decides what happens."""


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    method: str
    host: str
    port: int
    #: The request target as sent (origin form: path and query).
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), "")

    def codings(self) -> str:
        """The Content-Encoding as the API reads it: every such header, in order, as one list
        (the first alone, ``identity``, hid a ``gzip`` the API applied after it)."""
        return ", ".join(value for key, value in self.headers if key.lower() == "content-encoding")


@dataclass(slots=True)
class Judgement:
    action: str = "allow"
    events: list[dict[str, Any]] = field(default_factory=list)
    #: With ``redact``: the body and target to send instead.
    body: bytes | None = None
    target: str | None = None

    def raise_to(self, action: str) -> None:
        self.action = MessageAction.stronger(self.action, action).value


class OutboundInspector:
    def __init__(
        self,
        server: str,
        rules: InspectionRules,
        *,
        allowed_hosts: Iterable[str] = (),
        known_secrets: Iterable[str] = (),
        learned: Iterable[str] = (),
        policy: DlpPolicy | None = None,
    ) -> None:
        self.server = server
        self.rules = rules
        self.policy = policy or DlpPolicy()
        self.max_body = rules.max_body_mb * 1024 * 1024
        declared = [value.strip().lower() for value in rules.declared if value.strip()]
        #: Exact addresses and phone numbers (digits) declared.
        self.declared_values = {value for value in declared if "@" in value[1:]} | {
            _digits(value) for value in declared if _PHONE.match(value)
        }
        #: Domains: their addresses, sub-domains and URLs are declared.
        domains = [v for v in declared if "@" not in v[1:] and not _PHONE.match(v)]
        self.declared_domains = {value.lstrip("@").removeprefix("*.") for value in domains} | {
            host.split(":")[0].removeprefix("*.") for host in allowed_hosts
        }
        self.learned = {value.lower() for value in learned}
        #: The server's own credentials (its launch environment): expected in its requests.
        self.known_secrets = {value for value in known_secrets if len(value) >= 8}

    def judge(self, request: OutboundRequest, calls: list[InFlightCall]) -> Judgement:
        """Raises :class:`Uninspectable` when the body cannot be read."""
        judgement = Judgement()
        document = self._document(request)
        named = _Named.of(call.arguments for call in calls)
        try:
            leaves = dict(strings_of(document))  # one walk serves every check
        except ScanLimitError as exc:
            raise Uninspectable(str(exc)) from None
        self._recipients_and_destinations(request, leaves, named, judgement)
        self._secrets_and_personal_data(request, document, leaves, named, calls, judgement)
        return judgement

    # -- what the request carries ------------------------------------------------------------

    def _document(self, request: OutboundRequest) -> dict[str, Any]:
        # Split at the "?" alone: urlsplit reads "//<token>/x" as a host and the path "/x",
        # where the API reads an origin-form target as all path.
        path, _, query = request.target.partition("?")
        # The path as the URL it is: the engine reads an MCP endpoint's key only in a URL (its
        # ``url-path-key`` rule), and the key sent as the request's own path passed unread.
        document: dict[str, Any] = {"path": _site_url(request) + path}
        if query:
            document["query"] = _form(query)
        if request.body:
            document["body"] = self._body(request)
        return document

    def _body(self, request: OutboundRequest) -> Any:
        data = _decoded(request.body, request.codings(), self.max_body)
        kind = request.header("content-type").split(";")[0].strip().lower()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Uninspectable(f"a binary body ({kind or 'no content type'}) is not inspected") from None
        # Read as UTF-8, a body the API reads otherwise hides what it says: the ASCII of UTF-16
        # or UTF-32 (which Python's json.loads detects in bytes by their NULs, with no charset
        # named) is valid UTF-8 with NULs between the letters, and UTF-7 spells "_" as "+AF8-".
        if "\x00" in text:
            raise Uninspectable(f"a body with NUL bytes ({kind or 'no content type'}) is not inspected")
        charset = _charset(request.header("content-type"))
        if charset not in _ASCII_SUPERSETS:
            raise Uninspectable(f"a body in the charset {charset!r} is not inspected")
        if kind == "application/json" or kind.endswith("+json"):
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                return text
        if kind == "application/x-www-form-urlencoded":
            return _form(text)
        # Many APIs parse JSON whatever the header says: read as one text, a token cut into a
        # list of strings, or a "bcc" member, sent as text/plain was neither secret nor recipient.
        if text.lstrip()[:1] in ("{", "["):
            with contextlib.suppress(orjson.JSONDecodeError):
                return orjson.loads(text)
        return text

    # -- the checks --------------------------------------------------------------------------

    def _recipients_and_destinations(
        self, request: OutboundRequest, leaves: dict[str, str], named: _Named, judgement: Judgement
    ) -> None:
        flagged: set[str] = set()
        for path, text in leaves.items():
            if path.endswith("(key)"):
                continue
            addresses = set(emails(text))
            recipient_field = any(_is_recipient_key(key) for key in _keys(path))
            recipients = set(addresses) if recipient_field else set()
            for match in _MIME_RECIPIENT.finditer(text) if "\n" in text and ":" in text else ():
                recipients |= set(emails(match.group(1)))
            for address in sorted(recipients - flagged):
                if address in named.emails or self._declared(address, learned=False):
                    continue
                flagged.add(address)
                judgement.events.append(self._event(
                    "undeclared-recipient", "critical", self.rules.recipients, path, address,
                    f"{request.method} {request.host}{request.target.partition('?')[0]} sends to {address} "
                    f"({path}), an address the tool call did not name (it named: "
                    f"{', '.join(sorted(named.emails)) or 'no address'})",
                ))  # fmt: skip
            if recipient_field and _PHONE.match(text.strip()) and len(_digits(text)) >= 7:
                number = _digits(text)
                if number not in named.digits | self.declared_values | flagged:
                    flagged.add(number)
                    judgement.events.append(self._event(
                        "undeclared-recipient", "critical", self.rules.recipients, path, text.strip(),
                        f"{request.method} {request.host} sends to the number {text.strip()} ({path}), "
                        "which the tool call did not name",
                    ))  # fmt: skip
            undeclared = [
                (address, f"the address {address}")
                for address in sorted(addresses - recipients - flagged)
                if address not in named.emails and not self._declared(address, learned=True)
            ] + [
                (host, f"a URL to {host}")
                for host in sorted(set(url_hosts(text)) - flagged)
                if not (
                    _site(host) == _site(request.host)
                    or host in _SCHEMA_HOSTS
                    or host in named.hosts
                    or self._covered(host, learned=True)
                )
            ]
            for value, what in undeclared:
                flagged.add(value)
                judgement.events.append(self._event(
                    "undeclared-destination", "high", self.rules.undeclared, path, value,
                    f"{request.method} {request.host} carries {what} ({path}), "
                    "which neither the tool call, the profile nor the baseline names",
                ))  # fmt: skip
        for event in judgement.events:
            judgement.raise_to(event["action"])

    def _secrets_and_personal_data(
        self,
        request: OutboundRequest,
        document: dict[str, Any],
        leaves: dict[str, str],
        named: _Named,
        calls: list[InFlightCall],
        judgement: Judgement,
    ) -> None:
        tool = f"{self.server}.{calls[0].tool}" if len(calls) == 1 else None
        # Every string, and the text each list of bytes or of short pieces spells (at the
        # list's path): a token sent as ``list(token.encode())``, cut into a list, or over a
        # repeated query parameter has no string of its own that is a secret.
        # The headers too, for secrets only (their other values are a client's, not the call's):
        # a token in "X-Data" or a cookie, or cut over a header repeated, left unread before.
        headers = _headers(request)
        try:
            strings = json_strings({**document, "headers": headers} if headers else document, joined=True)
        except ScanLimitError as exc:
            raise Uninspectable(str(exc)) from None
        texts = {strings.path(index): text for index, text in enumerate(strings.texts)}
        found = [
            match
            for match in self.policy.scan_strings(list(texts.items()), tool=tool)
            # A list's joined text is read for secrets only (as ``scan_json`` reads it): its
            # pieces may join into a card number's digits by chance.
            if match.path in leaves or match.kind == "secret"
        ]
        # What the address checks reported already is not reported twice.
        reported = {str(event.get("value", "")).lower() for event in judgement.events}
        reported |= {_digits(value) for value in reported if _PHONE.match(value)}
        matches = []
        for match in found:
            value = texts.get(match.path or "", "")[match.start : match.end]
            # Addresses are judged above; what the call carried was judged on the way in; the
            # server's own credentials are expected at its API.
            if (
                match.kind == "email"
                or self._own(value)
                or named.carries(value)
                or value.lower() in reported
                or (match.rule == "phone-number" and _digits(value) in named.digits | reported)
            ):
                continue
            matches.append(match)
        if not matches:
            return
        action = decision(matches)
        kinds = sorted({m.rule for m in matches})
        judgement.events.append(
            {
                "kind": "dlp-outbound",
                "severity": strongest_severity(m.severity for m in matches),
                "action": action if action != "pass" else "alert",
                "paths": sorted({m.path or "" for m in matches})[:20],
                "message": f"{request.method} {request.host} carries {', '.join(kinds)} that the tool call "
                f"did not ({len(matches)} match(es))",
            }
        )
        masked = None
        redacted = [m for m in matches if m.action in ("redact", "block")]
        in_headers = any((m.path or "").startswith("$.headers") for m in redacted)
        if action == "redact" and "body" in document and not request.codings() and not in_headers:
            masked = redact_json(document, redacted)
        site = _site_url(request)
        if masked is not None and masked["path"].startswith(site):
            judgement.body = _encoded(masked["body"], request.header("content-type"))
            # The target too when a secret was masked in it: a masked path was sent as it came
            # when the request had no query string.
            if masked["path"] != document["path"] or masked.get("query") != document.get("query"):
                query = request.target.partition("?")[2]
                if masked.get("query") != document.get("query"):
                    query = urlencode(masked["query"], doseq=True)
                judgement.target = masked["path"].removeprefix(site) + ("?" + query if query else "")
        elif action == "redact":
            action = "block"  # a compressed body or a header is not rewritten: refuse rather than leak
            judgement.events[-1]["action"] = "block"
        judgement.raise_to(action if action != "pass" else "alert")

    # -- helpers -----------------------------------------------------------------------------

    def _own(self, value: str) -> bool:
        """Whether ``value`` is one of the server's own credentials or part of one (the key of
        its MCP endpoint's URL, given whole)."""
        return value in self.known_secrets or any(value in secret for secret in self.known_secrets)

    def _declared(self, address: str, *, learned: bool) -> bool:
        domain = address.rpartition("@")[2]
        return address in self.declared_values or self._covered(domain, learned=learned)

    def _covered(self, host: str, *, learned: bool = False) -> bool:
        """``host`` is a declared domain or under one (or a learned one, when they count)."""
        domains = self.declared_domains | self.learned if learned else self.declared_domains
        return any(host == domain or host.endswith("." + domain) for domain in domains)

    @staticmethod
    def _event(kind: str, severity: str, action: str, path: str, value: str, message: str) -> dict[str, Any]:
        return {"kind": kind, "severity": severity, "action": action, "path": path, "value": value,
                "message": message}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Named:
    """What the tool calls in flight named: their strings, addresses, hosts and numbers."""

    texts: tuple[str, ...]
    emails: frozenset[str]
    hosts: frozenset[str]
    digits: frozenset[str]

    @classmethod
    def of(cls, arguments: Iterable[Any]) -> _Named:
        texts = []
        for value in arguments:
            try:
                texts += [text for _, text in strings_of(value)]
            except ScanLimitError:
                continue
        lowered = tuple(text.lower() for text in texts)
        addresses = frozenset(address for text in lowered for address in emails(text))
        return cls(
            texts=lowered,
            emails=addresses,
            hosts=frozenset(host for text in lowered for host in url_hosts(text))
            | frozenset(address.rpartition("@")[2] for address in addresses),
            digits=frozenset(_digits(text) for text in lowered if _PHONE.match(text.strip())),
        )

    def carries(self, value: str) -> bool:
        lowered = value.lower()
        return bool(lowered) and any(lowered in text for text in self.texts)


def _site(host: str) -> str:
    """The registrable part of a host name, roughly: ``github.com`` for ``api.github.com``, three
    labels under a two-letter country code's short second level (``acme.co.uk``). Links to the
    API's own site (its web pages, its CDN) are not destinations of their own."""
    labels = host.rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


#: Headers not read for secrets: the proxy's own (not sent on), and the server's credential to
#: the API (its job; a token it obtained at run time is not in its launch environment).
_UNREAD_HEADERS = frozenset({"authorization", "proxy-authorization", "proxy-connection"})


#: Charsets that read ASCII as ASCII, as the UTF-8 the body is read in does ("" when none is named).
_ASCII_SUPERSETS = frozenset(
    {"", "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252"}
)


def _charset(content_type: str) -> str:
    """The charset parameter of a Content-Type, lower-case and unquoted ("" if none)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return ""


def _headers(request: OutboundRequest) -> dict[str, Any]:
    """The request's headers by lower-case name (a list where one is repeated)."""
    fields: dict[str, list[str]] = {}
    for name, value in request.headers:
        if name.lower() not in _UNREAD_HEADERS:
            fields.setdefault(name.lower(), []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


def _site_url(request: OutboundRequest) -> str:
    """The scheme and authority of the URL ``request`` is for (its path follows)."""
    host = f"[{request.host}]" if ":" in request.host else request.host
    scheme = "http" if request.port == 80 else "https"
    return f"{scheme}://{host}" + ("" if request.port in (80, 443) else f":{request.port}")


def _keys(path: str) -> list[str]:
    return [match.group(1) or match.group(3) for match in _MEMBER.finditer(path)]


def _is_recipient_key(key: str) -> bool:
    return re.sub(r"[^a-z]", "", key.lower()) in _RECIPIENT_KEYS


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


_MOST_FIELDS = 10_000


def _form(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MOST_FIELDS)
    except ValueError:  # raised unread, it ended the connection with no record
        raise Uninspectable(f"a form of more than {_MOST_FIELDS} fields is not inspected") from None
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in fields.items()}


def _decoded(body: bytes, encoding: str, limit: int) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    windows = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS,
               "raw-deflate": -zlib.MAX_WBITS}  # fmt: skip
    if encoding not in windows:
        raise Uninspectable(f"the content encoding {encoding!r} is not inspected")
    data, rest = b"", body
    while True:
        room = limit - len(data)
        inflater = zlib.decompressobj(windows[encoding])
        try:
            data += inflater.decompress(rest, room) if room > 0 else b""
        except zlib.error:
            if encoding == "deflate" and rest is body:
                # "deflate" as some clients send it: without the zlib header
                return _decoded(body, "raw-deflate", limit)
            raise Uninspectable(f"the {encoding} body is corrupt") from None
        if inflater.unconsumed_tail or (room <= 0 and rest):
            raise Uninspectable(f"the {encoding} body inflates beyond {limit // (1024 * 1024)} MB")
        rest = inflater.unused_data
        if not rest:
            return data
        # Bytes after the end of the stream: a gzip body's next member, which the API's decoder
        # reads too (RFC 1952); anything else is read by no one the same way. Inflating the
        # first stream alone left a secret in a second member unread.
        if windows[encoding] != windows["gzip"] or not rest.startswith(b"\x1f\x8b"):
            raise Uninspectable(f"the {encoding} body has bytes after its end")


def _encoded(body: Any, content_type: str) -> bytes:
    kind = content_type.split(";")[0].strip().lower()
    if isinstance(body, str):
        return body.encode("utf-8")
    if kind == "application/x-www-form-urlencoded":
        return urlencode(body, doseq=True).encode("ascii")
    return orjson.dumps(body)
