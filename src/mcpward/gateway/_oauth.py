"""``gateway serve`` as an OAuth 2.1 resource server (the MCP authorization specification):
who calls is the subject of an access token that one of the configured issuers signed for this
gateway (its resource URL, RFC 8707), checked here on every request.

- JWT access tokens: the signature with the issuer's keys (its JWKS, named or found in its
  RFC 8414 metadata), an asymmetric algorithm from an allow-list (never ``none``, never HS*:
  a public key is public, so an HMAC "signed" with it proves nothing), ``iss`` equal to a
  configured issuer character for character (RFC 9207's thinking: no normalising), one the
  server asked for takes (``servers.NAME.issuers``), ``aud`` naming this gateway or the server
  asked for and nothing but this gateway's resources and the configured ``other_audiences``
  (RFC 8707: a token "issued specifically for" this resource; one that other services also
  take is one any of them could replay here), ``exp``/``nbf`` with a small leeway, a lifetime
  no longer than the config allows, and the required scopes.
- Opaque tokens: RFC 7662 introspection at the issuer, with the same checks on its answer,
  only where every issuer the server takes introspects: an opaque token names no issuer, so
  one that could be another's is sent to no one.
- Keys are fetched with a timeout and a size bound, kept for ``jwks_refresh`` seconds, used
  for at most ``jwks_max_age`` when the issuer cannot be reached (then every token is refused
  with 503: fail closed), and fetched again for an unknown ``kid`` at most once per
  ``jwks_min_refetch`` seconds, so a flood of made-up key ids cannot make the gateway hammer
  the identity provider.
- A token that passed is remembered (by its sha256, never itself) until its expiry, so the
  signature is checked once per token, not per request; a key removed from the JWKS ends the
  tokens it signed at the next fetch.

Replay: a bearer token is replayable by whoever holds it until it expires (RFC 6750), and so
it is here; the defences are the audience (a token for another resource is refused, and ours
is refused elsewhere), short lifetimes (``max_token_lifetime``) and TLS in front of the
gateway. Nothing is gained by refusing a second use of a ``jti``: a client sends its token on
every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import jwt
import orjson

from mcpward._addresses import held_by_another
from mcpward._bounded import keep_recent
from mcpward._http import (
    ACCEPT_ENCODING,
    DIRECT_PLAIN_HTTP,
    BodyTooLarge,
    EncodingRefused,
    abounded,
    adecoded,
    alinked_from,
    pin_connections,
    tls_or_loopback,
)
from mcpward.gateway.interface import Identity

#: Signature algorithms a token may use: asymmetric only.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
#: A JWKS or metadata document larger than this is refused (real ones are a few KB).
_MAX_DOCUMENT = 256 * 1024
#: Tokens remembered after a full check (each a few hundred bytes).
_MAX_REMEMBERED = 10_000
#: Client addresses whose introspection buckets are kept, the most recently asking.
_MAX_CALLERS = 10_000
#: One client address's share of the introspection rate: its flood leaves the rest to others.
_CALLER_SHARE = 0.25
#: An access token longer than this is refused before it is parsed.
_MAX_TOKEN = 16 * 1024
#: Groups or scopes a token may name (an introspection answer is bounded only by its size).
_MAX_NAMES = 4096
#: A server's source of the config's static client tokens (``servers.NAME.issuers``; the policy's).
_STATIC = "static"
#: RFC 8693's name of an access token's type.
_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 - a type's name


#: PyJWT checks the signature, the algorithm and ``iss``; the rest is checked here.
_DECODE_OPTIONS: Any = {
    "require": ["exp", "iss", "aud"],
    "verify_aud": False,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
}


def _network_of(address: str) -> str:
    """A client address as its share is kept: an IPv6 address by its /64, which one host
    usually holds whole (each of its addresses would otherwise have a share of its own)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else address


class TokenRefused(Exception):
    """The token does not grant access: ``status`` 401 (``invalid_token``) or 403
    (``insufficient_scope``, with the ``scope`` needed); ``why`` is safe to show the client."""

    def __init__(self, why: str, *, status: int = 401, error: str = "invalid_token", scope: str = "") -> None:
        super().__init__(why)
        self.why, self.status, self.error, self.scope = why, status, error, scope


class IssuerUnavailable(Exception):
    """The issuer's keys or introspection cannot be reached now: 503, the request is refused."""


@dataclass(frozen=True, slots=True)
class IssuerSettings:
    """One trusted authorization server (see ``[[auth.issuers]]`` in the gateway config)."""

    issuer: str
    jwks_url: str | None = None
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    groups_claim: str = "groups"
    introspection_url: str | None = None
    introspection_client_id: str | None = None
    introspection_secret: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceSettings:
    #: The gateway's public base URL (scheme, host, port): each server's resource is
    #: ``RESOURCE/servers/NAME/mcp``, and a token's ``aud`` must name one of the two.
    resource: str
    issuers: tuple[IssuerSettings, ...]
    scopes: tuple[str, ...] = ()
    leeway: float = 30.0
    max_token_lifetime: float = 24 * 3600.0
    jwks_refresh: float = 300.0
    jwks_max_age: float = 3600.0
    jwks_min_refetch: float = 30.0
    #: Seconds for a whole key fetch, metadata document or introspection (and so for each read).
    fetch_timeout: float = 5.0
    #: Introspection requests per second to the issuer, at most (twice that at once).
    introspections_per_second: float = 20.0
    #: Audiences a token may name beside this gateway's resources (anything else refuses it).
    other_audiences: tuple[str, ...] = ()
    #: Per server, the issuers whose callers it takes (a server not named: every issuer's).
    server_issuers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def canonical(uri: str) -> str:
    """A resource URI as compared: scheme and host lowercased, no trailing slash (the MCP
    specification asks servers to accept uppercase scheme and host)."""
    parts = urlsplit(uri.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


class _Keys:
    """One issuer's signing keys, fetched from its JWKS as the module's docstring says."""

    def __init__(self, settings: IssuerSettings, resource: ResourceSettings, client: httpx.AsyncClient,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        self._settings, self._resource, self._client, self._clock = settings, resource, client, clock
        self._jwks_url = settings.jwks_url
        self._keys: dict[str, dict[str, Any]] = {}
        self._prepared: dict[tuple[str, str], jwt.PyJWK] = {}
        self._fetched: float | None = None
        self._attempted: float | None = None
        self._lock = asyncio.Lock()
        #: Fetches made (for the tests and the bench: the IdP is not hammered).
        self.fetches = 0

    def known(self, kid: str) -> bool:
        """Whether ``kid`` is among the keys, and they are not due for a fetch."""
        fetched, refresh = self._fetched, self._resource.jwks_refresh
        return kid in self._keys and fetched is not None and self._clock() - fetched < refresh

    async def key(self, kid: str, alg: str) -> jwt.PyJWK:
        fetched = self._fetched
        if fetched is None or self._clock() - fetched >= self._resource.jwks_refresh or kid not in self._keys:
            await self._refresh()
        if self._fetched is None or self._clock() - self._fetched > self._resource.jwks_max_age:
            raise IssuerUnavailable(f"the signing keys of {self._settings.issuer} cannot be fetched")
        jwk = self._keys.get(kid)
        if jwk is None:
            raise TokenRefused("the token is signed with a key its issuer does not publish")
        if jwk.get("alg", alg) != alg:  # a key published for one algorithm is used for no other
            raise TokenRefused(f"the token's algorithm {alg} is not its key's")
        prepared = self._prepared.get((kid, alg))
        if prepared is None:
            try:
                prepared = jwt.PyJWK(jwk, algorithm=alg)
            except jwt.PyJWTError:
                raise TokenRefused(f"the token's algorithm {alg} does not fit its key") from None
            self._prepared[(kid, alg)] = prepared
        return prepared

    async def _refresh(self) -> None:
        async with self._lock:
            now = self._clock()
            if self._attempted is not None and now - self._attempted < self._resource.jwks_min_refetch:
                return  # fetched or tried just now (a flood of unknown kids, an outage): not again
            self._attempted = now
            self.fetches += 1
            try:
                url = self._jwks_url or await self._discover()
                # A key set the issuer's metadata named is a link: it goes where the issuer's
                # side may send a download, as the connection reaches it (not a configured one).
                linked = (
                    {}
                    if self._settings.jwks_url
                    else await alinked_from(self._settings.issuer, url, timeout=self._resource.fetch_timeout)
                )
                document = await _get_json(
                    self._client, url, deadline=self._resource.fetch_timeout, extensions=linked
                )
                keys = document.get("keys")
                if not isinstance(keys, list):
                    raise ValueError("no keys")
                # Signing keys of asymmetric types only: an "oct" (HMAC) key is never used.
                found = {
                    str(k["kid"]): k
                    for k in keys
                    if isinstance(k, dict)
                    and isinstance(k.get("kid"), str)
                    and k.get("kty") in ("RSA", "EC", "OKP")
                    and k.get("use", "sig") == "sig"
                }
            except (httpx.HTTPError, ValueError, orjson.JSONDecodeError):
                return  # the old keys stand until jwks_max_age
            self._jwks_url = url
            self._keys, self._prepared, self._fetched = found, {}, self._clock()

    async def _discover(self) -> str:
        """The JWKS URL from the issuer's RFC 8414 metadata (or OpenID configuration), whose
        ``issuer`` must be the configured one exactly."""
        issuer = self._settings.issuer
        parts = urlsplit(issuer)
        path = parts.path.rstrip("/")
        base = f"{parts.scheme}://{parts.netloc}"
        for url in (f"{base}/.well-known/oauth-authorization-server{path}",
                    f"{base}/.well-known/openid-configuration{path}",
                    f"{issuer.rstrip('/')}/.well-known/openid-configuration"):  # fmt: skip
            try:
                metadata = await _get_json(self._client, url, deadline=self._resource.fetch_timeout)
            except (httpx.HTTPError, ValueError, orjson.JSONDecodeError):
                continue
            jwks = metadata.get("jwks_uri")
            # Held to the rule the config holds a jwks_url to: a discovered one was used whatever
            # it was, and over plain http anyone on the path could add a key and sign in as anybody.
            if metadata.get("issuer") == issuer and isinstance(jwks, str) and tls_or_loopback(jwks):
                return jwks
        raise ValueError("no usable metadata")


class _TooSlow(ValueError):
    """The answer was not whole within its deadline."""


async def _get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    deadline: float,
    extensions: dict[str, Any] | None = None,
    **post: Any,
) -> dict[str, Any]:
    """A JSON object from ``url`` (POSTed ``post`` when given; the request's ``extensions``,
    :func:`~mcpward._http.linked_from`'s), read up to the size bound and
    whole within ``deadline`` seconds: the client's timeout bounds each read, so an endpoint
    answering a byte at a time held a key fetch (under its issuer's lock: every token of that
    issuer waited), an introspection or a token exchange for as long as it dripped."""
    method = "POST" if post else "GET"
    held = held_by_another(url)
    if held is not None:
        # A key set, an introspection or a token exchange answered by another local account
        # (a loopback http issuer whose port it took first) would let it mint any identity.
        raise ValueError(held)
    try:
        async with (
            asyncio.timeout(deadline),
            client.stream(method, url, extensions=extensions, **post) as response,
        ):
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}")
            body = bytearray()
            async for chunk in abounded(adecoded(response), _MAX_DOCUMENT):
                body += chunk
    except BodyTooLarge:
        raise ValueError("document too large") from None
    except EncodingRefused as exc:
        raise ValueError(str(exc)) from None
    except TimeoutError:
        raise _TooSlow(f"no whole answer within {deadline:g} s") from None
    document = orjson.loads(body)
    if not isinstance(document, dict):
        raise ValueError("not an object")
    return document


class ResourceServer:
    """Checks access tokens for the gateway: :meth:`identify` gives the caller's
    :class:`Identity` or raises :class:`TokenRefused` / :class:`IssuerUnavailable`."""

    def __init__(self, settings: ResourceSettings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        # A key set's connection is made only to an address its link may go to (linked_from).
        self._client = pin_connections(
            httpx.AsyncClient(
                timeout=settings.fetch_timeout,
                follow_redirects=False,
                mounts=DIRECT_PLAIN_HTTP,
                headers={"Accept-Encoding": ACCEPT_ENCODING},
            )
        )
        self._issuers = {i.issuer: i for i in settings.issuers}
        self.keys = {i.issuer: _Keys(i, settings, self._client, clock) for i in settings.issuers}
        self._resource = canonical(settings.resource)
        self._other_audiences = frozenset(canonical(a) for a in settings.other_audiences)
        #: Introspections left (a token bucket: the issuer's ceiling) and when it was last filled.
        self._introspections = (2 * settings.introspections_per_second, clock())
        #: Per client address, its share of that bucket (the most recently asking addresses').
        self._caller_introspections: OrderedDict[str, tuple[float, float]] = OrderedDict()
        #: sha256 of an opaque token that passed its introspection and every check since it
        #: was last refused: asked about again, it may draw on the half of the bucket that
        #: tokens not yet seen active leave (and is held to no address's share).
        self._seen_active: OrderedDict[str, float] = OrderedDict()
        #: sha256 of a token -> (identity, remembered until, issuer, kid): checked once, until
        #: it expires (an introspected one: a minute at most).
        self._remembered: OrderedDict[str, tuple[Identity, float, str, str]] = OrderedDict()

    def resource_for(self, server: str) -> str:
        return f"{self._resource}/servers/{server}/mcp"

    def takes_static(self, server: str) -> bool:
        """Whether ``server`` takes the config's static client tokens beside access tokens."""
        named = self.settings.server_issuers.get(server)
        return named is None or _STATIC in named

    def issuers_for(self, server: str) -> tuple[IssuerSettings, ...]:
        """The issuers whose callers ``server`` takes."""
        named = self.settings.server_issuers.get(server)
        issuers = self.settings.issuers
        return issuers if named is None else tuple(i for i in issuers if i.issuer in named)

    def metadata_url(self, server: str | None) -> str:
        """Where this gateway's protected-resource metadata (RFC 9728) is: per server, the
        path-suffixed form the MCP specification names. The name is percent-encoded (the route
        decodes it): it is the request's path, and went into the challenge's quoted value as it
        came, a quote adding parameters to it and a letter a header cannot carry making a 500."""
        suffix = f"/servers/{quote(server, safe='')}/mcp" if server else ""
        return f"{self._resource}/.well-known/oauth-protected-resource{suffix}"

    def metadata(self, server: str | None) -> dict[str, Any]:
        # A server's own issuers (servers.NAME.issuers): a client sent to another signed in for nothing.
        issuers = self.issuers_for(server) if server else self.settings.issuers
        document: dict[str, Any] = {
            "resource": self.resource_for(server) if server else self._resource,
            "authorization_servers": [i.issuer for i in issuers],
            "bearer_methods_supported": ["header"],
            "resource_name": f"mcpward gateway: {server}" if server else "mcpward gateway",
        }
        if self.settings.scopes:
            document["scopes_supported"] = list(self.settings.scopes)
        return document

    async def identify(self, token: str, server: str, *, caller: str = "") -> Identity:
        """The identity ``token`` grants on ``server``; ``caller`` is the client's address
        (each has its share of the introspections)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        remembered = self._remembered.get(digest)
        if remembered is not None:
            self._remembered.move_to_end(digest)  # the least recently used are forgotten first
            identity, until, issuer, kid = remembered
            # A JWT's key must still be published (a fetch is due now and then: see _Keys).
            if self._clock() < until and (not kid or self.keys[issuer].known(kid)):
                self._check_audience(identity, server)
                self._check_issuer(identity, server)
                return identity
            del self._remembered[digest]
        if len(token) > _MAX_TOKEN:
            raise TokenRefused("the token is too long")
        try:
            if token.count(".") == 2:
                identity, until, issuer, kid = await self._from_jwt(token)
            else:
                identity, until, issuer, kid = await self._introspected(token, server, digest, caller)
            self._check_audience(identity, server)
            self._check_issuer(identity, server)
            missing = [s for s in self.settings.scopes if s not in identity.scopes]
            if missing:
                raise TokenRefused(
                    f"the token lacks the scope(s) {' '.join(missing)}",
                    status=403,
                    error="insufficient_scope",
                    scope=" ".join(self.settings.scopes),
                )
        except TokenRefused:
            # Refused, it is not remembered and each request asks again: with the priority of
            # a token that passed, one (revoked, or for another resource) spent the whole ceiling.
            self._seen_active.pop(digest, None)
            raise
        if not kid:  # introspected, and passed: asked about again, it has the kept half
            keep_recent(self._seen_active, digest, until, _MAX_REMEMBERED)
        keep_recent(self._remembered, digest, (identity, until, issuer, kid), _MAX_REMEMBERED)
        return identity

    def _spend_introspection(self, digest: str, caller: str) -> None:
        """One introspection, within the client address's share of the rate and the issuer's
        ceiling: opaque tokens need no key to make up, so each made-up one would otherwise be a
        request to the issuer. One bucket for all made one caller's flood of made-up tokens
        refuse every other caller's (503); now a flood spends its address's share, and tokens
        not yet seen active spend the ceiling only down to half, the rest kept for the tokens
        that passed every check before (behind one proxy every caller has one address)."""
        rate, now = self.settings.introspections_per_second, self._clock()
        burst = 2 * rate
        known = digest in self._seen_active
        tokens, at = self._introspections
        tokens = min(burst, tokens + (now - at) * rate)
        if tokens - 1 < (0 if known else burst / 2):
            self._introspections = (tokens, now)
            raise IssuerUnavailable("too many token introspections at once")
        if not known:
            share, caller = rate * _CALLER_SHARE, _network_of(caller)
            own, own_at = self._caller_introspections.get(caller, (2 * share, now))
            own = min(max(1.0, 2 * share), own + (now - own_at) * share)
            if own < 1:
                keep_recent(self._caller_introspections, caller, (own, now), _MAX_CALLERS)
                raise IssuerUnavailable("too many token introspections from this address at once")
            keep_recent(self._caller_introspections, caller, (own - 1, now), _MAX_CALLERS)
        self._introspections = (tokens - 1, now)

    def _check_audience(self, identity: Identity, server: str) -> None:
        """``aud`` names the gateway as a whole, or the server asked for (a token for one server
        is no key to the others), and nothing but this gateway's resources and the configured
        other audiences: every other service a token names holds one that works here."""
        if self._resource not in identity.audience and self.resource_for(server) not in identity.audience:
            raise TokenRefused(f"the token is not for this resource ({self.resource_for(server)})")
        ours = f"{self._resource}/servers/"
        others = [
            a
            for a in identity.audience
            if a != self._resource and not a.startswith(ours) and a not in self._other_audiences
        ]
        if others:
            raise TokenRefused(
                f"the token names other audiences ({', '.join(sorted(others))[:200]}): it is "
                "taken only when issued for this gateway alone (or auth.other_audiences)"
            )

    def _check_issuer(self, identity: Identity, server: str) -> None:
        if all(i.issuer != identity.issuer for i in self.issuers_for(server)):
            raise TokenRefused("the token's issuer is not trusted for this server")

    async def _from_jwt(self, token: str) -> tuple[Identity, float, str, str]:
        """The token's identity, until when it may be remembered, its issuer and key id."""
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenRefused("the token is not a well-formed JWT") from None
        issuer = claims.get("iss")
        settings = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if settings is None:
            raise TokenRefused("the token's issuer is not trusted here")
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in settings.algorithms or alg not in ASYMMETRIC:
            raise TokenRefused(f"the token's algorithm {alg!r} is not accepted")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("the token names no signing key (kid)")
        key = await self.keys[settings.issuer].key(kid, alg)
        try:
            # exp and nbf are checked below on the gateway's clock (the one the remembered
            # tokens are judged by, and that the tests move).
            verified = jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=settings.issuer,
                options=_DECODE_OPTIONS,
            )
        except jwt.PyJWTError:
            raise TokenRefused("the token's signature or claims do not verify") from None
        now, leeway = self._clock(), self.settings.leeway
        expires, not_before = verified.get("exp"), verified.get("nbf", 0)
        if not _a_time(expires) or not _a_time(not_before):
            raise TokenRefused("the token's exp or nbf is not a number")
        if expires + leeway <= now:
            raise TokenRefused("the token has expired")
        if not_before - leeway > now:
            raise TokenRefused("the token is not valid yet")
        return self._identity(verified, settings), float(verified["exp"]) + leeway, settings.issuer, kid

    async def _introspected(
        self, token: str, server: str, digest: str, caller: str
    ) -> tuple[Identity, float, str, str]:
        """An opaque token, asked of the issuer that introspects (RFC 7662), when it is the
        only one ``server`` takes: an opaque token names no issuer, and one of an issuer that
        does not introspect was handed to the one that does (which learned it, and could
        answer for it)."""
        issuers = self.issuers_for(server)
        settings = issuers[0] if len(issuers) == 1 else None
        if settings is None or settings.introspection_url is None:
            raise TokenRefused(
                "the token is not a JWT, and it could be of an issuer that does not introspect "
                "tokens: it is sent to no other's introspection"
            )
        self._spend_introspection(digest, caller)
        auth = (settings.introspection_client_id or "", settings.introspection_secret or "")
        try:
            claims = await _get_json(
                self._client,
                settings.introspection_url,
                deadline=self.settings.fetch_timeout,
                data={"token": token, "token_type_hint": "access_token"},
                auth=auth,
            )
        except (httpx.HTTPError, ValueError, orjson.JSONDecodeError):
            raise IssuerUnavailable(f"{settings.issuer} did not answer the token introspection") from None
        if claims.get("active") is not True:
            raise TokenRefused("the token is not active")
        # Introspection answers for refresh tokens too (the hint is a hint), and says so here: a
        # refresh token (or one bound to a key, DPoP) was taken as a bearer access token.
        kind = claims.get("token_type", "bearer")
        if not isinstance(kind, str) or kind.lower() not in ("bearer", "access_token", _ACCESS_TOKEN):
            raise TokenRefused("the token is not a bearer access token (its introspection says otherwise)")
        if claims.get("iss", settings.issuer) != settings.issuer:
            raise TokenRefused("the token's issuer is not trusted here")
        expires = claims.get("exp")
        if not _a_time(expires) or expires + self.settings.leeway <= self._clock():
            raise TokenRefused("the token has expired")
        # Remembered for a minute at most: introspection is how a revocation is learned. (The
        # leeway was added to that minute as to an exp: a revoked token was taken for 90 s.)
        until = min(float(expires) + self.settings.leeway, self._clock() + 60)
        return self._identity(claims, settings), until, settings.issuer, ""

    def _identity(self, claims: dict[str, Any], settings: IssuerSettings) -> Identity:
        if claims.get("cnf") is not None:
            # Bound to a key of its client (DPoP, mutual TLS): good only with a proof of that
            # key, which a bearer token's presenter does not give. Taken, its thief was its owner.
            raise TokenRefused(
                "the token is bound to a key (cnf: DPoP or mutual TLS); this gateway takes bearer tokens only"
            )
        issued, longest = claims.get("iat"), self.settings.max_token_lifetime
        now, leeway = self._clock(), self.settings.leeway
        if issued is not None and not _a_time(issued):
            raise TokenRefused("the token's iat is not a number")
        # Issued in the future (a clock days ahead, made-up times): not valid yet, as PyJWT
        # judges it. Taken, it lived its lifetime counted from that iat, past the bound.
        if issued is not None and issued - leeway > now:
            raise TokenRefused("the token is not valid yet (issued in the future)")
        # Without iat, what is left of its life is held to the bound (not skipped: a token
        # that leaves iat out would otherwise live as long as its exp says).
        start = now + leeway if issued is None else issued
        if float(claims["exp"]) - start > longest:
            raise TokenRefused("the token lives longer than this gateway accepts")
        audience = claims.get("aud")
        audiences = [] if audience is None else audience if isinstance(audience, list) else [audience]
        if not all(isinstance(a, str) for a in audiences):
            # Skipped, a list of the gateway and a number was a token for the gateway alone.
            raise TokenRefused("the token's aud claim holds something other than names")
        client = claims.get("azp") or claims.get("client_id")
        # A token without ``sub`` (a client acting for itself; introspection may leave it out)
        # is named by its client, marked as one: a client whose id was "alice" was the subject
        # "alice", and every rule written for that person granted it.
        subject = claims.get("sub") or (f"client:{client}" if isinstance(client, str) and client else None)
        if not isinstance(subject, str) or not subject:
            raise TokenRefused("the token names no subject")
        scope = claims.get("scope")
        scopes = _names(scope if isinstance(scope, str) else claims.get("scp"), "scope")
        return Identity(
            subject=subject,
            issuer=settings.issuer,
            client_id=client if isinstance(client, str) else None,
            groups=_names(claims.get(settings.groups_claim), "groups", split=False),
            scopes=frozenset(scopes),
            audience=frozenset(canonical(a) for a in audiences),
        )

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.aclose()


def _a_time(value: Any) -> TypeGuard[float]:
    """Whether ``value`` is a JWT time: a finite number. Python's JSON reader (PyJWT's) takes
    NaN, which compares false with everything: a token whose exp was NaN never expired, and
    one whose iat was NaN passed any lifetime bound."""
    return isinstance(value, int | float) and math.isfinite(value)


def _names(claim: Any, what: str, *, split: bool = True) -> tuple[str, ...]:
    """A scope or groups claim as its names: a string (space-separated for scopes), a list of
    strings, or an object whose true members count (some issuers send ``{"group": true}``).
    Any other form, or more than ``_MAX_NAMES``, refuses the token: a name dropped could be
    the group a deny rule is about, so none is dropped silently (no truncation)."""
    if claim is None:
        return ()
    if isinstance(claim, str):
        names: list[Any] = claim.split() if split else [claim]
    elif isinstance(claim, list):
        names = claim
    elif isinstance(claim, dict):
        names = [name for name, member in claim.items() if member is True]
    else:
        raise TokenRefused(f"the token's {what} claim is neither a string nor a list")
    if not all(isinstance(name, str) for name in names):
        raise TokenRefused(f"the token's {what} claim holds something other than names")
    if len(names) > _MAX_NAMES:
        raise TokenRefused(f"the token's {what} claim names more than {_MAX_NAMES}")
    return tuple(names)


def challenge(server: ResourceServer, name: str | None, refused: TokenRefused | None) -> str:
    """The ``WWW-Authenticate`` value (RFC 6750 section 3, RFC 9728 section 5.1): no error when
    no token came; the quoted parts never carry a quote."""
    parts = []
    if refused is not None:
        parts.append(f'error="{refused.error}"')
        # RFC 6750 allows printable ASCII but '"' and '\\' here; the reason may quote the
        # token (its alg), and a header that cannot be encoded failed the response (a 500).
        described = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in refused.why)
        parts.append(f'error_description="{described}"')
    scope = refused.scope if refused is not None and refused.scope else " ".join(server.settings.scopes)
    if scope:
        parts.append(f'scope="{scope}"')
    parts.append(f'resource_metadata="{server.metadata_url(name)}"')
    return "Bearer " + ", ".join(parts)


#: An exchanged token is used for at most this long, whatever its ``expires_in``.
_MAX_EXCHANGED_KEPT = 3600.0
#: ... and, for a caller's opaque token, a minute (the gateway introspects it again then).
_OPAQUE_SUBJECT_KEPT = 60.0


def _subject_expiry(subject_token: str) -> float | None:
    """The ``exp`` of the caller's access token when it is a JWT (the gateway verified it
    before the session took it), else None."""
    if subject_token.count(".") != 2:
        return None
    try:
        expires = jwt.decode(subject_token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return None
    return float(expires) if _a_time(expires) else None


class ExchangeFailed(Exception):
    """The issuer would not exchange the caller's token for one for the upstream server."""


@dataclass(frozen=True, slots=True)
class ExchangeSettings:
    """RFC 8693 token exchange for one upstream server (``[servers.NAME.token_exchange]``)."""

    token_url: str
    client_id: str
    client_secret: str | None = None
    #: What the upstream token is for: ``audience`` (a logical name) and/or ``resource`` (its URL).
    audience: str | None = None
    resource: str | None = None
    scope: str | None = None
    #: Seconds for the whole exchange (and so for each read).
    timeout: float = 5.0
    #: The issuer whose callers' tokens are exchanged here (None: any caller's). Another
    #: issuer's token, valid at the gateway, would let this endpoint's provider act as its user.
    issuer: str | None = None


class TokenExchange:
    """The caller's access token exchanged (RFC 8693) for a token the upstream server accepts,
    on the caller's behalf: the upstream learns who calls, and the caller's own token, whose
    audience is this gateway, never leaves it. Exchanged tokens are kept (by the sha256 of the
    caller's token) until 30 s before they expire, and no longer than the caller's token lives
    (its ``exp``; an opaque one's: a minute, as the gateway trusts an introspection) nor an
    hour: kept for the ``expires_in`` the issuer gave, an exchanged token went on acting for a
    caller whose own token had expired or been revoked."""

    #: The grant and token types of RFC 8693.
    GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
    ACCESS_TOKEN = _ACCESS_TOKEN

    def __init__(self, settings: ExchangeSettings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=settings.timeout,
            follow_redirects=False,
            mounts=DIRECT_PLAIN_HTTP,
            headers={"Accept-Encoding": ACCEPT_ENCODING},
        )
        self._issued: OrderedDict[str, tuple[str, float]] = OrderedDict()
        #: Exchanges under way, by the digest of the caller's token: whoever needs the same one
        #: meanwhile waits for it (and fails with it) instead of asking the issuer again.
        self._under_way: dict[str, asyncio.Task[str]] = {}

    async def token_for(self, subject_token: str, issuer: str | None) -> str:
        """The upstream token for the caller's (an access token of ``issuer``);
        :class:`ExchangeFailed` within ``timeout`` seconds as a whole (each read had the
        timeout, so an issuer answering a byte at a time held the session, and every message
        waiting for its token, for as long as it dripped)."""
        if not subject_token:
            raise ExchangeFailed(
                "this server takes a token exchanged for the caller's access token; sign in "
                "through the identity provider (a static client token cannot be exchanged)"
            )
        if self.settings.issuer is not None and issuer != self.settings.issuer:
            # Never sent: that provider could present the caller's token here as the caller.
            raise ExchangeFailed(
                f"this server's token exchange is for callers of {self.settings.issuer}; "
                "sign in there (a token of another issuer is not sent to its token endpoint)"
            )
        digest = hashlib.sha256(subject_token.encode()).hexdigest()
        kept = self._issued.get(digest)
        if kept is not None and kept[1] > self._clock():
            return kept[0]  # kept no longer than the caller's token lives
        expires = _subject_expiry(subject_token)
        if expires is not None and expires <= self._clock():
            # Not sent: the caller's own token no longer grants anything. (What the gateway
            # sends upstream by itself, answers to the server's own requests, comes with no
            # caller's request whose token check would have refused it.)
            raise ExchangeFailed("the caller's access token has expired; sign in again")
        task = self._under_way.get(digest)
        if task is None:
            task = asyncio.create_task(self._exchange(subject_token, digest, expires))
            self._under_way[digest] = task
            task.add_done_callback(lambda done: self._ended(digest, done))
        # Shielded: one caller giving up (its request cancelled) does not end the others' exchange.
        return await asyncio.shield(task)

    def _ended(self, digest: str, task: asyncio.Task[str]) -> None:
        if self._under_way.get(digest) is task:
            del self._under_way[digest]
        if not task.cancelled():
            task.exception()  # retrieved: no "never retrieved" warning when every waiter left

    async def _exchange(self, subject_token: str, digest: str, subject_expires: float | None) -> str:
        settings = self.settings
        form = {
            "grant_type": self.GRANT,
            "subject_token": subject_token,
            "subject_token_type": self.ACCESS_TOKEN,
            "requested_token_type": self.ACCESS_TOKEN,
        }
        wanted = {"audience": settings.audience, "resource": settings.resource, "scope": settings.scope}
        form |= {k: v for k, v in wanted.items() if v}
        try:
            answer = await _get_json(
                self._client,
                settings.token_url,
                deadline=settings.timeout,
                data=form,
                auth=(settings.client_id, settings.client_secret or ""),
            )
        except _TooSlow:
            raise ExchangeFailed(f"the token exchange took longer than {settings.timeout:g} s") from None
        except (httpx.HTTPError, ValueError, orjson.JSONDecodeError) as exc:
            raise ExchangeFailed(f"the token exchange failed ({exc.__class__.__name__})") from None
        token, lifetime = answer.get("access_token"), answer.get("expires_in", 300)
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
            raise ExchangeFailed("the token exchange gave no access token")
        # What was asked for, and sent upstream as "Bearer": a refresh or ID token, or one bound
        # to a key (DPoP), was sent as the caller's access token (RFC 8693 2.2.1: both required).
        kind, scheme = answer.get("issued_token_type"), answer.get("token_type")
        if kind != self.ACCESS_TOKEN or not isinstance(scheme, str) or scheme.lower() != "bearer":
            raise ExchangeFailed("the token exchange gave a token that is not a bearer access token")
        now = self._clock()
        # Used until 30 s before it expires, and never past the caller's own token (an opaque
        # one is introspected again each minute: a revocation there ends its use here too).
        subject_until = now + _OPAQUE_SUBJECT_KEPT if subject_expires is None else subject_expires
        until = min(now + float(lifetime) - 30, subject_until, now + _MAX_EXCHANGED_KEPT)
        keep_recent(self._issued, digest, (token, until), _MAX_REMEMBERED)
        return token

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.aclose()
