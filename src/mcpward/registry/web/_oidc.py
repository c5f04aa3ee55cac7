"""Single sign-on for the reviewers' pages: OpenID Connect's authorization-code flow with PKCE
(S256), a ``state`` used once and a ``nonce`` bound into the ID token, the authorization
response's ``iss`` checked (RFC 9207), and the ID token verified (signature with the issuer's
published keys, ``iss``, ``aud`` = our client, ``exp``, ``nonce``). The person's groups map to
the registry's roles at each sign-in, and a decision is taken only within minutes of it
(``role_max_age_minutes``); a person with no mapped group is refused, their row ended. API
tokens stay for automation (and the JSON API takes nothing else)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mcpward._addresses import held_by_another
from mcpward._http import (
    ACCEPT_ENCODING,
    DIRECT_PLAIN_HTTP,
    BodyTooLarge,
    BodyTooSlow,
    EncodingRefused,
    decoded,
    linked_from,
    pin_connections,
    read_bounded,
    tls_or_loopback,
)
from mcpward.registry.interface import Role

router = APIRouter(include_in_schema=False)

#: Binds a sign-in to the browser that started it, so that nobody can finish their own sign-in
#: in someone else's browser (login CSRF); it holds the sign-in under way, sealed (see start).
_STARTED_COOKIE = "mcpward_sso_state"
#: How long a sign-in may take.
_PENDING_SECONDS = 600.0
#: What the state cookie's seal is for (AES-GCM's associated data).
_SEALED_FOR = b"mcpward registry sign-in"
#: The longest page after a sign-in kept (a longer ``next`` goes to /queue): the cookie carries it.
_MAX_NEXT = 2048
_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
_MAX_DOCUMENT = 256 * 1024
#: The provider's keys are fetched again after this long (a key it withdrew stops verifying),
#: and for a token signed with a key not known yet (a rotation), but not more often than every
#: ``_KEYS_REFETCH`` seconds: made-up key ids do not make the registry hammer the provider.
_KEYS_MAX_AGE = 300.0
_KEYS_REFETCH = 30.0
#: The provider's endpoints the registry (or the browser, signing in) sends to or reads from.
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
#: How long after the sign-in that read a person's role their decisions are taken, by default.
ROLE_MAX_AGE_MINUTES = 10


class OidcSettings(BaseModel):
    """``mcpward registry serve --oidc-config FILE`` (TOML)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The identity provider's issuer identifier, compared exactly.
    issuer: str = Field(pattern=r"^https?://")
    client_id: str = Field(min_length=1)
    #: The client secret's value (the CLI reads it from a secret source); None for a public client.
    client_secret: str | None = None
    #: This registry's public URL; the redirect URI is ``PUBLIC_URL/login/sso/callback``.
    public_url: str = Field(pattern=r"^https?://")
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    groups_claim: str = "groups"
    #: The claim that names the person (the first present of these).
    name_claims: tuple[str, ...] = ("email", "preferred_username", "sub")
    #: Group -> role; a person in several mapped groups gets the most powerful role.
    roles: dict[str, Role] = {}
    #: A decision from the pages (approve, reject, revoke, grant write, override, release or
    #: discard a held result) is taken only this long after the sign-in that read the person's
    #: groups; later, they sign in again (the provider reads the groups anew, usually without
    #: asking a password). Ten minutes: a pass through the queue is not interrupted, and a
    #: person removed from a group at the provider stops deciding within them, not at the end
    #: of the eight-hour session. Reading pages stays on the session.
    role_max_age_minutes: int = Field(default=ROLE_MAX_AGE_MINUTES, ge=1, le=480)
    timeout: float = Field(default=10.0, gt=0, le=60)

    @model_validator(mode="after")
    def _tls(self) -> OidcSettings:
        host = (urlsplit(self.issuer).hostname or "").lower()
        if not self.issuer.startswith("https://") and host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("issuer must be https:// (plain http only to this machine)")
        return self


class _SignIn(NamedTuple):
    """A sign-in under way, as its state cookie holds it."""

    state: str
    nonce: str
    verifier: str
    next_path: str
    #: When it expires, on this process's monotonic clock.
    expires: float
    #: When it started, on the registry's clock: the provider read the person's groups after.
    started_at: datetime


class _Provider:
    """The provider's metadata (discovered once), the sign-ins completed lately and its keys."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self.metadata: dict[str, Any] | None = None
        #: Seals the sign-ins under way into their browsers' state cookies (this process's).
        self._seal = AESGCM(AESGCM.generate_key(bit_length=256))
        #: The states of sign-ins completed, until they would have expired: each is taken once.
        self._completed: OrderedDict[str, float] = OrderedDict()
        self.lock = threading.Lock()
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._keys_fetched: float | None = None

    @property
    def redirect_uri(self) -> str:
        return self.settings.public_url.rstrip("/") + "/login/sso/callback"

    def discover(self, client: httpx.Client) -> dict[str, Any]:
        if self.metadata is None:
            issuer = self.settings.issuer
            parts = urlsplit(issuer)
            base, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
            for url in (f"{issuer.rstrip('/')}/.well-known/openid-configuration",
                        f"{base}/.well-known/oauth-authorization-server{path}"):  # fmt: skip
                try:
                    found = _json(client, self.settings.timeout, "GET", url)
                except (httpx.HTTPError, ValueError):
                    continue
                pkce = found.get("code_challenge_methods_supported")
                if found.get("issuer") == issuer and isinstance(found.get("jwks_uri"), str):
                    if not isinstance(pkce, list) or "S256" not in pkce:
                        raise ValueError("the identity provider does not say it supports PKCE (S256)")
                    # Held to the issuer's rule: they were used as named, so the code, the PKCE
                    # verifier and the client secret went out in cleartext, and the ID token and
                    # its keys came from answers anyone on the path could write.
                    cleartext = [
                        n
                        for n in _ENDPOINTS
                        if isinstance(found.get(n), str) and not tls_or_loopback(found[n])
                    ]
                    if cleartext:
                        raise ValueError(
                            f"the identity provider's {', '.join(cleartext)} is over plain http "
                            "(https only, or this machine)"
                        )
                    self.metadata = found
                    break
            else:
                raise ValueError("the identity provider's metadata cannot be read")
        return self.metadata

    def signing_key(self, client: httpx.Client, token: str) -> jwt.PyJWK:
        """The provider's key that signed ``token`` (by its ``kid``), its key set fetched as
        every other answer of the provider is read: within a size and a deadline, no redirect
        followed (PyJWT's own key client read the whole answer, however large or slow).
        Raises ``ValueError`` or a ``jwt.PyJWTError``."""
        assert self.metadata is not None
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is not None and not isinstance(kid, str):  # a list would not even be looked up
            raise ValueError("the token's key id is not a string")
        now = time.monotonic()
        with self.lock:
            keys, fetched = self._keys, self._keys_fetched
        stale = fetched is None or now - fetched > _KEYS_MAX_AGE
        if stale or (kid not in keys and now - (fetched or 0.0) >= _KEYS_REFETCH):
            jwks = str(self.metadata["jwks_uri"])
            document = _json(
                client, self.settings.timeout, "GET", jwks, extensions=linked_from(self.settings.issuer, jwks)
            )
            keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(document).keys}
            with self.lock:
                self._keys, self._keys_fetched = keys, now
        if kid not in keys:
            raise ValueError("no key of the provider signed this token")
        return keys[kid]

    def start(self, next_path: str, started_at: datetime) -> tuple[str, str, str, str]:
        """(state, nonce, PKCE verifier, state cookie) of a new sign-in started at ``started_at``
        (the registry's clock), good for ten minutes.
        The cookie holds the sign-in, sealed under this process's key (the browser can neither
        read nor change it): kept here, at most 1,000 at once and the oldest forgotten first,
        anyone could start sign-ins, with no token, until every reviewer's under way was gone."""
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        expires = time.monotonic() + _PENDING_SECONDS
        started = json.dumps([state, nonce, verifier, next_path, expires, started_at.timestamp()])
        iv = secrets.token_bytes(12)
        sealed = iv + self._seal.encrypt(iv, started.encode(), _SEALED_FOR)
        return state, nonce, verifier, base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()

    def finish(self, cookie: str) -> _SignIn | None:
        """The sign-in a state cookie holds; None when this process did not seal it, it
        expired, or it was completed (a replay)."""
        try:
            sealed = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            opened = json.loads(self._seal.decrypt(sealed[:12], sealed[12:], _SEALED_FOR))
            state, nonce, verifier, next_path, expires, started_at = opened
            started = datetime.fromtimestamp(started_at, UTC)
        except (ValueError, TypeError, InvalidTag, OverflowError, OSError):
            return None
        with self.lock:
            if expires < time.monotonic() or state in self._completed:
                return None
        return _SignIn(state, nonce, verifier, next_path, expires, started)

    def complete(self, state: str, expires: float) -> bool:
        """Records the sign-in ``state`` as completed (its code redeemed); False when it was
        already. Kept until it would have expired: a flood of them needs as many sign-ins."""
        with self.lock:
            now = time.monotonic()
            while self._completed and next(iter(self._completed.values())) < now:
                self._completed.popitem(last=False)
            if state in self._completed:
                return False
            self._completed[state] = expires
            return True


def _json(client: httpx.Client, deadline: float, method: str, url: str, **send: Any) -> dict[str, Any]:
    """The provider's JSON answer, read within ``_MAX_DOCUMENT`` bytes and ``deadline`` seconds
    in all (the client's timeout bounds each read, so an endless or dripping answer held a
    worker and filled its memory). Raises ``ValueError`` (or an ``httpx.HTTPError``)."""
    held = held_by_another(url)
    if held is not None:  # its keys would sign anyone in (a loopback http provider's port taken)
        raise ValueError(held)
    with client.stream(method, url, **send) as response:
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        try:
            body = read_bounded(decoded(response), _MAX_DOCUMENT, give_up=time.monotonic() + deadline)
        except (BodyTooLarge, BodyTooSlow, EncodingRefused) as exc:
            raise ValueError(str(exc) or "too slow") from None
    try:
        document = json.loads(body)
    except RecursionError:  # ``[[[[...``: too deep for the parser, not a provider's document
        raise ValueError("nested too deeply") from None
    if not isinstance(document, dict):
        raise ValueError("not an object")
    return document


def provider_of(request: Request) -> _Provider | None:
    provider = getattr(request.app.state, "oidc", None)
    return provider if isinstance(provider, _Provider) else None


def make_provider(settings: OidcSettings | None) -> _Provider | None:
    return _Provider(settings) if settings is not None else None


def _refused(request: Request, why: str, status: int = 400) -> HTMLResponse:
    from mcpward.registry.web._pages import _render

    return _render(request, "login.html", {"next": "/queue", "error": why, "who": None, "sso": True}, status)


def _with_query(endpoint: str, query: dict[str, str]) -> str:
    """The sign-in page's address with the sign-in's parameters: added to a query it already has
    (RFC 6749 3.1 lets it have one, to be kept: ``?p=policy`` of some providers got a second
    ``?``), a fragment dropped (it may have none)."""
    parts = urlsplit(endpoint)
    joined = "&".join(part for part in (parts.query, urlencode(query)) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, ""))


@router.get("/login/sso")
def sso_start(request: Request, next: str = "/queue") -> Response:
    from mcpward.registry.web._auth import cookies_secure, set_cookie
    from mcpward.registry.web._pages import _local, _registry

    provider = provider_of(request)
    if provider is None:
        return _refused(request, "Single sign-on is not set up here.", 404)
    # Discovered once: a client (its TLS context, tens of ms of CPU) made for every sign-in
    # started, which anyone may start, cost the registry far more than the request did.
    metadata = provider.metadata
    try:
        if metadata is None:
            with httpx.Client(
                timeout=provider.settings.timeout,
                follow_redirects=False,
                mounts=DIRECT_PLAIN_HTTP,
                headers={"Accept-Encoding": ACCEPT_ENCODING},
            ) as client:
                metadata = provider.discover(client)
    except httpx.HTTPError:
        return _refused(request, "The identity provider cannot be reached; try again later.", 503)
    except ValueError as exc:  # our own words: what is wrong with its metadata
        return _refused(request, f"Single sign-on is not usable: {exc}.", 503)
    next_path = _local(next) if len(next) <= _MAX_NEXT else "/queue"
    state, nonce, verifier, cookie = provider.start(next_path, _registry(request).now())
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": provider.settings.client_id,
        "redirect_uri": provider.redirect_uri,
        "scope": " ".join(provider.settings.scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = RedirectResponse(_with_query(metadata["authorization_endpoint"], query), status_code=303)
    # Lax: the identity provider's redirect back is a top-level GET from another site.
    # Behind TLS a __Host- cookie, whose path is "/": a sibling host's cookie of the plain name
    # carried its own started sign-in into a reviewer's browser (its answer then signed them in
    # as the sibling's account).
    path = "/" if cookies_secure(request) else "/login/sso"
    lifetime = int(_PENDING_SECONDS)
    set_cookie(request, response, _STARTED_COOKIE, cookie, samesite="lax", max_age=lifetime, path=path)
    return response


@router.get("/login/sso/callback")
def sso_callback(request: Request) -> Response:
    from mcpward._anchor import same_secret
    from mcpward.registry.web._auth import SESSION_COOKIE, delete_cookie, read_cookie, set_cookie
    from mcpward.registry.web._pages import _registry

    provider = provider_of(request)
    if provider is None or provider.metadata is None:
        return _refused(request, "Single sign-on is not set up here.", 404)
    params = request.query_params
    state, cookie = params.get("state", ""), read_cookie(request, _STARTED_COOKIE) or ""
    if not cookie:
        return _refused(request, "This sign-in was started in another browser; sign in again.")
    started = provider.finish(cookie)
    if started is None:  # not sealed here, expired, or already used
        return _refused(request, "This sign-in was not started here or has expired; sign in again.")
    started_state, nonce, verifier, next_path, expires, started_at = started
    if not same_secret(started_state, state):  # another browser's answer (login CSRF)
        return _refused(request, "This sign-in was started in another browser; sign in again.")
    settings, metadata = provider.settings, provider.metadata
    issuer = params.get("iss")
    if (issuer is not None and issuer != settings.issuer) or (
        issuer is None and metadata.get("authorization_response_iss_parameter_supported") is True
    ):  # RFC 9207: another server's answer (a mix-up); its error text is not shown either
        return _refused(request, "The sign-in answer came from another identity provider.")
    if "code" not in params:
        return _refused(request, "The identity provider did not sign you in.", 401)
    form = {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": provider.redirect_uri,
            "code_verifier": verifier, "client_id": settings.client_id}  # fmt: skip
    auth: Any = (settings.client_id, settings.client_secret) if settings.client_secret else None
    try:
        # The token endpoint's and key set's connections are made only to addresses their
        # links may go to (linked_from).
        with pin_connections(
            httpx.Client(
                timeout=settings.timeout,
                follow_redirects=False,
                mounts=DIRECT_PLAIN_HTTP,
                headers={"Accept-Encoding": ACCEPT_ENCODING},
            )
        ) as client:
            token_endpoint = str(metadata["token_endpoint"])
            # The metadata's endpoints are links: they go where the issuer's side may send a
            # download, as the connection reaches them (a name rebound onto this machine's
            # services or into the network behind it was sent the code and the client secret).
            linked = linked_from(settings.issuer, token_endpoint)
            answer = _json(
                client, settings.timeout, "POST", token_endpoint, data=form, auth=auth, extensions=linked
            )
            id_token = answer.get("id_token")
            if not isinstance(id_token, str):
                raise ValueError("no ID token")
            key = provider.signing_key(client, id_token)
        claims = jwt.decode(id_token, key.key, algorithms=_ALGORITHMS, audience=settings.client_id,
                            issuer=settings.issuer, leeway=30,
                            options={"require": ["exp", "iat", "iss", "aud", "sub"]})  # fmt: skip
    except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWTError):
        return _refused(request, "The identity provider's answer could not be verified; sign in again.", 401)
    if not provider.complete(state, expires):  # the same sign-in completed meanwhile: taken once
        return _refused(request, "This sign-in was not started here or has expired; sign in again.")
    if not same_secret(nonce, str(claims.get("nonce", ""))):
        return _refused(request, "The sign-in answer was not for this sign-in; sign in again.", 401)
    person = next((_person(claims, c) for c in settings.name_claims if _names_person(claims, c)), None)
    groups = claims.get(settings.groups_claim) or []
    groups = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
    # A role that reads nothing (reporter) is no role for the pages.
    roles = [settings.roles[g] for g in groups if isinstance(g, str) and g in settings.roles]
    roles = [role for role in roles if role.allows(Role.VIEWER)]
    if person is None or not roles:
        if person is not None:
            # Removed from every mapped group at the provider: their row, and every session of
            # it in any browser, ends now (recorded), not when those sessions would have.
            _registry(request).end_sso_role(person)
        return _refused(request, "Your account has no role in this registry; ask its admins.", 403)
    role = max(roles, key=lambda r: list(Role).index(r))
    # The role is as old as the sign-in: the provider may have read the groups when the person
    # signed in there, and its answer may have been held back until the sign-in's last minute.
    session_id, _csrf = _registry(request).open_sso_session(person, role, role_read_at=started_at)
    # A page that moves on by itself: the session cookie stays SameSite=Strict (as a token
    # sign-in's), and a redirect straight from the provider's would be a cross-site step that
    # does not carry it.
    page = (f'<!doctype html><meta http-equiv="refresh" content="0;url={html.escape(next_path)}">'
            f'<p>Signed in. <a href="{html.escape(next_path)}">Continue</a></p>')  # fmt: skip
    response = HTMLResponse(page)
    set_cookie(request, response, SESSION_COOKIE, session_id, samesite="strict", max_age=8 * 3600)
    delete_cookie(response, _STARTED_COOKIE, path="/login/sso")
    return response


def load_oidc_settings(path: Path, client_secret: str | None) -> OidcSettings:
    """The TOML at ``path`` (its ``client_secret`` names a secret source, read by the caller)."""
    import tomllib

    from mcpward._documents import read_raw

    data = tomllib.loads(read_raw(path).decode("utf-8"))  # a small regular file, read bounded
    data.pop("client_secret", None)
    return OidcSettings.model_validate({**data, "client_secret": client_secret})


def _names_person(claims: dict[str, Any], claim: str) -> bool:
    """Whether ``claim`` may name the person: an ``email`` only when the provider says it
    verified it (``email_verified``), since at many providers a person types their own email
    and another's would take over that person's ``sso:`` row (the nOAuth attack)."""
    if not isinstance(claims.get(claim), str) or not claims[claim]:
        return False
    return claim != "email" or claims.get("email_verified") is True


def _person(claims: dict[str, Any], claim: str) -> str:
    """The person's name in the registry: a verified email as it is; another claim's value
    after the claim's name, since a username or subject may be spelled as someone else's email
    (``sso:alice@example.com`` from an account whose username is that took alice's row)."""
    return str(claims[claim]) if claim == "email" else f"{claim}:{claims[claim]}"
