"""What who-is-calling costs ``mcpward gateway serve`` per request, beside the static-token
baseline in the same run:

- admission of a static client token (its sha256 against the config's): the baseline;
- an OAuth access token (RS256 and ES256 JWTs, keys fetched once from a JWKS served on
  loopback): the first sight of a token (signature, claims), and every later request with it
  (remembered by its sha256 until it expires);
- the policy's decision for a tools/call with identity rules (10 and 100 rules), beside the
  same policy without rules;
- end to end: tools/call over streamable HTTP through the gateway to a stdio server, with a
  static token, and with an access token under 10 identity rules (p50 and calls per second).

    python bench/gateway_auth.py [--repeat 20000] [--calls 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from loopback import serving
from mcpward.gateway import (
    AuditLog,
    ClientLimits,
    Exchange,
    GatewayConfig,
    Identity,
    Session,
    Upstream,
    build_interceptors,
    create_app,
    resource_server_from,
)

TOOL_SERVER = r"""
import json, sys
tools = [{"name": "read_ledger", "description": "Read.", "inputSchema": {"type": "object"}}]
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m or "method" not in m:
        continue
    if m["method"] == "initialize":
        result = {"protocolVersion": m["params"]["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "ledger", "version": "1"}}
    elif m["method"] == "tools/list":
        result = {"tools": tools}
    else:
        result = {"content": [{"type": "text", "text": "ok"}]}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}) + "\n")
    sys.stdout.flush()
"""
STATIC = "mcpg_bench-static-token-0123456789abcdef0123456789"


def drive(coroutine: Any) -> Any:
    """A coroutine that never waits (the keys are fetched already), run without an event loop:
    the loop's own cost (about 10 us a round here) is not the token check's."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the check waited: the keys were not fetched")


def micro(repeat: int, work: Callable[[], Any]) -> float:
    """Median of five runs of ``repeat`` calls, in microseconds per call."""
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            work()
        runs.append((time.perf_counter() - started) / repeat * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks = {"keys": [
        {**jwt.get_algorithm_by_name(alg).to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": alg}
        for key, kid, alg in ((rsa_key, "r", "RS256"), (ec_key, "e", "ES256"))
    ]}  # fmt: skip

    async def keys(_request: Request) -> Response:
        return JSONResponse(jwks)

    print(f"# gateway_auth on {platform.machine()}, Python {platform.python_version()}")
    with serving(lambda _port: Starlette(routes=[Route("/jwks", keys)]))as idp, \
            tempfile.TemporaryDirectory() as folder:  # fmt: skip
        rules = [{"name": f"team-{n}", "groups": [f"team-{n}"], "allow": [f"tool_{n}_*"]} for n in range(99)]
        rules.append({"name": "finance", "groups": ["finance"], "allow": ["read_ledger"]})

        def settings(rule_count: int) -> GatewayConfig:
            return GatewayConfig.model_validate({
                "pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": {"enabled": False},
                "policy": {"rules": rules[-rule_count:] if rule_count else []},
                "auth": {"resource": "https://gateway.example",
                         "issuers": [{"issuer": idp, "jwks_url": f"{idp}/jwks"}]},
            })  # fmt: skip

        def token(key: Any, alg: str, kid: str, audience: str, subject: str = "alice") -> str:
            now = time.time()
            claims = {"iss": idp, "sub": subject, "aud": audience, "exp": now + 3600, "iat": now,
                      "groups": ["finance"], "azp": "agent", "scope": "mcp"}  # fmt: skip
            return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})

        # Admission: static token (baseline) and access tokens.
        digests = {hashlib.sha256(STATIC.encode()).hexdigest(): "laptop"}

        def static_admission() -> None:
            digest = hashlib.sha256(STATIC.encode()).hexdigest()
            next(name for known, name in digests.items() if known == digest)

        resource_server = resource_server_from(settings(0))
        assert resource_server is not None
        loop = asyncio.new_event_loop()
        audience = "https://gateway.example"
        rs_tokens = [
            token(rsa_key, "RS256", "r", audience, f"u{n}") for n in range(max(1, args.repeat // 10) * 5 + 10)
        ]
        es_tokens = [
            token(ec_key, "ES256", "e", audience, f"u{n}") for n in range(max(1, args.repeat // 10) * 5 + 10)
        ]
        loop.run_until_complete(resource_server.identify(rs_tokens[-1], "ledger"))  # keys fetched once
        fresh_rs, fresh_es = iter(rs_tokens), iter(es_tokens)

        def first_sight(tokens: Iterator[str]) -> Callable[[], Any]:
            return lambda: drive(resource_server.identify(next(tokens), "ledger"))

        remembered = rs_tokens[-1]
        results = {
            "static token (baseline)": micro(args.repeat, static_admission),
            "JWT RS256, first sight": micro(max(1, args.repeat // 10), first_sight(fresh_rs)),
            "JWT ES256, first sight": micro(max(1, args.repeat // 10), first_sight(fresh_es)),
            "JWT, remembered": micro(
                args.repeat, lambda: drive(resource_server.identify(remembered, "ledger"))
            ),
        }
        identity = Identity(subject="alice", issuer=idp, client_id="agent", groups=("finance",),
                            scopes=frozenset({"mcp"}))  # fmt: skip
        log = AuditLog(Path(folder) / "audit.jsonl")
        for count in (0, 10, 100):
            chain = build_interceptors(settings(count), audit_log=log)
            policy = next(i for i in chain if i.name == "policy")
            session = Session(server="ledger", target="x", identity=identity)
            request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "read_ledger", "arguments": {"q": "x"}}}  # fmt: skip

            def decide(policy: Any = policy, session: Session = session, request: Any = request) -> None:
                policy.request(session, Exchange(1, "tools/call", request))

            results[f"policy, {count} identity rules"] = micro(args.repeat, decide)
        for name, value in results.items():
            print(f"{name:45s} {value:9.1f} us per request")

        # End to end over HTTP.
        command = (sys.executable, "-c", TOOL_SERVER)
        for label, rule_count, oauth in (
            ("static token, no rules", 0, False),
            ("access token, 10 rules", 10, True),
        ):
            config = settings(rule_count)

            def app_for(port: int, config: GatewayConfig = config, oauth: bool = oauth) -> Starlette:
                base = f"http://127.0.0.1:{port}"
                return create_app(
                    {"ledger": Upstream(command=command)},
                    lambda _n, up, config=config: build_interceptors(
                        config, audit_log=log, command=up.command
                    ),
                    token_hashes=digests,
                    allowed_hosts=(f"127.0.0.1:{port}",),
                    max_message=65536,
                    call_timeout=30,
                    limits=ClientLimits(requests_per_second=1e6, request_burst=1_000_000),
                    resource_server=resource_server_from(config, resource=base) if oauth else None,
                )

            with serving(app_for) as base:
                url = f"{base}/servers/ledger/mcp"
                bearer = token(rsa_key, "RS256", "r", url) if oauth else STATIC
                headers = {
                    "Authorization": f"Bearer {bearer}",
                    "Accept": "application/json, text/event-stream",
                }
                with httpx.Client(timeout=30) as client:
                    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                       "clientInfo": {"name": "bench", "version": "1"}}}  # fmt: skip
                    opened = client.post(url, json=init, headers=headers)
                    headers["Mcp-Session-Id"] = opened.headers["mcp-session-id"]
                    latencies = []
                    for n in range(args.calls + 100):
                        call = {"jsonrpc": "2.0", "id": n + 1, "method": "tools/call",
                                "params": {"name": "read_ledger", "arguments": {"q": "x"}}}  # fmt: skip
                        started = time.perf_counter()
                        answer = client.post(url, json=call, headers=headers)
                        if n >= 100:
                            latencies.append(time.perf_counter() - started)
                        assert answer.status_code == 200, answer.text
            p50 = statistics.median(latencies) * 1000
            print(
                f"end to end, {label:28s} p50 {p50:6.2f} ms, {len(latencies) / sum(latencies):7.0f} calls/s"
            )
        log.close()
        loop.close()


if __name__ == "__main__":
    main()
