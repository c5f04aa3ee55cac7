"""A real OAuth 2.1 authorization server for the gateway's tests, served on loopback: RFC 8414
metadata, dynamic client registration, the authorization-code grant with PKCE (the "user"
signs in at once: the test names who), RS256/ES256 JWT access tokens bound to the ``resource``
asked for, a JWKS the test can rotate or take down, and RFC 7662 introspection of opaque
tokens. And a small stdio MCP server with a read tool and a payment tool."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

#: A stdio MCP server: read_ledger and pay_invoice (to, amount), answering what it was asked.
TOOL_SERVER = r"""
import json, sys
tools = [{"name": "read_ledger", "description": "Read the ledger.", "inputSchema": {"type": "object"},
          "annotations": {"readOnlyHint": True}},
         {"name": "pay_invoice", "description": "Pay an invoice.", "inputSchema": {"type": "object",
          "properties": {"to": {"type": "string"}, "amount": {"type": "number"}}}}]
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m or "method" not in m:
        continue
    if m["method"] == "initialize":
        result = {"protocolVersion": m["params"]["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "ledger", "version": "1"}}
    elif m["method"] == "tools/list":
        result = {"tools": tools}
    elif m["method"] == "tools/call":
        text = m["params"]["name"] + " " + json.dumps(m["params"].get("arguments", {}), sort_keys=True)
        result = {"content": [{"type": "text", "text": text}]}
    else:
        result = {}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}) + "\n")
    sys.stdout.flush()
"""

#: How long a test's browser waits for the registry: its first error answer builds DLP's engine
#: (about 2 s in a test's empty cache, more on a loaded machine), past httpx's 5 s default.
BROWSER_TIMEOUT = 30.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.alg)
        public = algorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


@dataclass
class AuthServer:
    """The authorization server's state; ``app(issuer)`` serves it."""

    keys: list[SigningKey]
    #: Who signs in at the next authorization request, with their groups.
    user: str = "alice"
    groups: dict[str, list[str]] = field(default_factory=dict)
    scope: str = "mcp"
    #: False: the JWKS answers 503 (the identity provider is down).
    jwks_up: bool = True
    #: A query the sign-in page's address carries in the metadata (``p=policy``), and the
    #: parameters the last sign-in sent there.
    authorize_query: str = ""
    authorize_seen: dict[str, str] = field(default_factory=dict)
    jwks_fetches: int = 0
    introspections: int = 0
    exchanges: int = 0
    #: Set: the ID token carries this nonce instead of the one asked for (a mix-up).
    nonce: str | None = None
    #: A person's email as they typed it, unverified (the ID token says email_verified false).
    emails: dict[str, str] = field(default_factory=dict)
    issuer: str = ""
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    opaque: dict[str, dict[str, Any]] = field(default_factory=dict)

    def token(self, *, key: SigningKey | None = None, lifetime: float = 300, **claims: Any) -> str:
        """A JWT access token signed with ``key`` (the first by default); ``claims`` override."""
        key = key or self.keys[0]
        now = time.time()
        body = {"iss": self.issuer, "sub": self.user, "aud": claims.pop("aud", None), "iat": int(now),
                "exp": int(now + lifetime), "scope": self.scope, "groups": self.groups.get(self.user, []),
                "azp": "test-agent", "jti": secrets.token_hex(8)}  # fmt: skip
        body.update(claims)
        body = {name: value for name, value in body.items() if value is not None}  # None: left out
        return jwt.encode(body, key.private, algorithm=key.alg, headers={"kid": key.kid})

    def app(self, issuer: str) -> Starlette:
        self.issuer = issuer

        async def metadata(_request: Request) -> Response:
            return JSONResponse({
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize" + (f"?{self.authorize_query}" if self.authorize_query else ""),
                "token_endpoint": f"{issuer}/token", "registration_endpoint": f"{issuer}/register",
                "jwks_uri": f"{issuer}/jwks", "introspection_endpoint": f"{issuer}/introspect",
                "response_types_supported": ["code"], "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"], "token_endpoint_auth_methods_supported": ["none"],
                "authorization_response_iss_parameter_supported": True, "scopes_supported": ["mcp"],
            })  # fmt: skip

        async def jwks(_request: Request) -> Response:
            self.jwks_fetches += 1
            if not self.jwks_up:
                return JSONResponse({"error": "down"}, status_code=503)
            return JSONResponse({"keys": [k.jwk() for k in self.keys]})

        async def register(request: Request) -> Response:
            client = await request.json()
            client_id = "client-" + secrets.token_hex(4)
            self.clients[client_id] = client
            return JSONResponse(
                {**client, "client_id": client_id, "client_id_issued_at": int(time.time())}, 201
            )

        async def authorize(request: Request) -> Response:
            q = request.query_params
            self.authorize_seen = dict(q)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"client_id": q["client_id"], "challenge": q["code_challenge"],
                                "resource": q.get("resource"), "user": self.user, "nonce": q.get("nonce"),
                                "scope": q.get("scope", "")}  # fmt: skip
            back = {"code": code, "state": q["state"], "iss": issuer}
            return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", status_code=302)

        async def token(request: Request) -> Response:
            form = await request.form()
            if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange":
                return exchange(request, {k: str(v) for k, v in form.items()})
            grant = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            if grant is None or _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            user = grant["user"]
            access = self.token(sub=user, aud=grant["resource"], azp=grant["client_id"],
                                groups=self.groups.get(user, []))  # fmt: skip
            answer = {"access_token": access, "token_type": "Bearer", "expires_in": 300, "scope": self.scope}
            if "openid" in grant["scope"].split():  # OpenID Connect: who signed in, for the client
                answer["id_token"] = self.token(sub=user, aud=grant["client_id"], nonce=self.nonce or grant["nonce"],
                                                email=self.emails.get(user, f"{user}@example.com"),
                                                email_verified=user not in self.emails,
                                                groups=self.groups.get(user, []))  # fmt: skip
            return JSONResponse(answer)

        def exchange(request: Request, form: dict[str, str]) -> Response:
            """RFC 8693: a token of ours for the gateway, exchanged for one for the upstream."""
            expected = "Basic " + base64.b64encode(b"gateway:exchange-secret").decode()
            if request.headers.get("authorization") != expected:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            by_kid = {k.kid: k for k in self.keys}
            try:
                kid = jwt.get_unverified_header(form["subject_token"])["kid"]
                subject = jwt.decode(form["subject_token"], by_kid[kid].private.public_key(),
                                     algorithms=[by_kid[kid].alg], options={"verify_aud": False})  # fmt: skip
            except (jwt.PyJWTError, KeyError):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            self.exchanges += 1
            issued = self.token(sub=subject["sub"], aud=form.get("audience"), act={"sub": "gateway"},
                                groups=subject.get("groups", []))  # fmt: skip
            return JSONResponse({"access_token": issued, "token_type": "Bearer", "expires_in": 300,
                                 "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})  # fmt: skip

        async def introspect(request: Request) -> Response:
            self.introspections += 1
            form = await request.form()
            found = self.opaque.get(str(form.get("token")))
            return JSONResponse({"active": True, **found} if found else {"active": False})

        return Starlette(
            routes=[
                Route("/.well-known/oauth-authorization-server", metadata),
                Route("/.well-known/openid-configuration", metadata),
                Route("/jwks", jwks),
                Route("/register", register, methods=["POST"]),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
                Route("/introspect", introspect, methods=["POST"]),
            ]
        )


def identify_with(settings: Any, issuer: AuthServer, resource: str, **claims: Any) -> Any:
    """The identity the gateway's resource server (built from ``settings``, a GatewayConfig)
    gives a token ``issuer`` signs with ``claims`` for ``resource``."""
    return identify_token(settings, issuer.token(aud=resource, **claims))


def identify_token(settings: Any, token: str, server_name: str = "ledger") -> Any:
    """The identity the gateway's resource server (built from ``settings``, a GatewayConfig)
    gives ``token`` on the server ``server_name``; its refusal raised."""
    import asyncio

    from mcpward.gateway import resource_server_from

    server = resource_server_from(settings)
    assert server is not None

    async def run() -> Any:
        try:
            return await server.identify(token, server_name)
        finally:
            await server.close()

    return asyncio.run(run())


class WallClock:
    """The wall clock, moved forward by hand (``ahead`` seconds)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


def oauth_gateway(settings: Any, servers: dict[str, Any], log: Any, clock: Any = time.time) -> Any:
    """What ``loopback.serving`` starts for ``gateway serve``: ``servers`` (name: Upstream)
    behind the access-token check of ``settings`` (a GatewayConfig), auditing to ``log``, its
    tokens judged by ``clock``."""
    from mcpward.gateway import build_interceptors, create_app, resource_server_from

    def app_for(port: int) -> Starlette:
        return create_app(
            servers,
            lambda _name, up: build_interceptors(settings, audit_log=log, command=up.command, url=up.url),
            token_hashes={},
            allowed_hosts=(f"127.0.0.1:{port}",),
            max_message=65536,
            call_timeout=30,
            resource_server=resource_server_from(settings, resource=f"http://127.0.0.1:{port}", clock=clock),
        )

    return app_for


@contextmanager
def issuers_serving(*kids: str) -> Iterator[list[AuthServer]]:
    """One authorization server per key id, each serving on its own loopback port."""
    from loopback import serving

    servers = [AuthServer(keys=[rsa_key(kid)]) for kid in kids]
    with ExitStack() as stack:
        for server in servers:
            stack.enter_context(serving(lambda port, server=server: server.app(f"http://127.0.0.1:{port}")))
        yield servers
