"""Fresh attacks on issue 26's per-identity policy and the identity an access token gives:
group claims that hide a denying group (past a truncation, or as an object of booleans), a
claim of the wrong type, and argument constraints dodged by nesting the value."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mcpward.gateway import GatewayConfig
from mcpward.gateway._interceptors.policy import ArgumentConstraint, IdentityRule, Policy, ToolPolicyConfig
from mcpward.gateway.interface import Exchange, Identity, Refusal, Session
from oauth_kit import AuthServer, identify_with

RESOURCE = "https://gateway.example"


def _identify(idp: AuthServer, **claims: Any) -> Identity:
    """The identity the gateway's resource server gives a token with ``claims``."""
    settings = GatewayConfig.model_validate(
        {"auth": {"resource": RESOURCE, "issuers": [{"issuer": idp.issuer}]}}
    )
    identity: Identity = identify_with(settings, idp, RESOURCE, **claims)
    return identity


#: Finance may call every ledger tool; whoever is in "suspended" may call none.
RULES = ToolPolicyConfig(
    rules=(
        IdentityRule(name="finance", groups=("finance",), allow=("*",)),
        IdentityRule(name="suspended", groups=("suspended",), deny=("*",)),
    )
)


def _granted(identity: Identity) -> bool:
    return Policy(RULES).decide(Session(server="ledger", target="x", identity=identity), "pay")[0]


def test_a_denying_group_past_the_first_256_still_denies(idp: AuthServer) -> None:
    # Self-service groups are cheap to join: 300 of them pushed "suspended" out of the identity.
    padding = [f"club-{i}" for i in range(300)]
    assert not _granted(_identify(idp, groups=["finance", *padding, "suspended"]))
    assert _granted(_identify(idp, groups=["finance", *padding]))  # the other side: still granted


def test_a_groups_claim_of_booleans_grants_only_the_true_ones(idp: AuthServer) -> None:
    # Some identity providers send {"group": true|false}; a false one is not membership.
    assert not _granted(_identify(idp, groups={"finance": False}))
    assert _granted(_identify(idp, groups={"finance": True}))


@pytest.mark.parametrize("claims", [{"groups": 7}, {"scp": 3}, {"groups": [["finance"]]}])
def test_a_claim_of_the_wrong_type_is_a_clear_refusal_not_a_crash(
    idp: AuthServer, claims: dict[str, Any]
) -> None:
    from mcpward.gateway._oauth import TokenRefused

    try:
        identity = _identify(idp, **claims)
    except TokenRefused:
        return
    assert not _granted(identity)


def test_an_scp_string_is_a_list_of_scopes_not_of_letters(idp: AuthServer) -> None:
    identity = _identify(idp, scope=None, scp="mcp ledger:write")
    assert identity.scopes == frozenset({"mcp", "ledger:write"})


def _call(arguments: dict[str, Any], constraint: ArgumentConstraint) -> None:
    exchange = Exchange(
        id=1,
        method="tools/call",
        request=orjson.loads(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                           "params": {"name": "send_email", "arguments": arguments}})),
    )  # fmt: skip
    Policy(ToolPolicyConfig(constraints=(constraint,))).request(Session(server="mail", target="x"), exchange)


TO_ACME = ArgumentConstraint(tool="send_*", argument="to", domains=("acme.com",))
ANY_ACME = ArgumentConstraint(tool="send_*", argument="*", domains=("acme.com",))
UNDER_SHARE = ArgumentConstraint(tool="send_*", argument="attachment", path_prefixes=("/srv/share",))


@pytest.mark.parametrize(
    ("constraint", "arguments"),
    [
        (TO_ACME, {"to": {"address": "leak@evil.example", "name": "Leak"}}),
        (TO_ACME, {"to": [["leak@evil.example"]]}),
        (TO_ACME, {"to": [{"email": "leak@evil.example"}]}),
        (ANY_ACME, {"to": "ops@acme.com", "cc": [{"email": "leak@evil.example"}]}),
        (UNDER_SHARE, {"attachment": {"path": "/etc/shadow"}}),
        (UNDER_SHARE, {"attachment": [["/etc/shadow"]]}),
    ],
)
def test_a_constrained_value_nested_in_an_object_or_list_is_still_checked(
    constraint: ArgumentConstraint, arguments: dict[str, Any]
) -> None:
    with pytest.raises(Refusal, match="outside the allowed"):
        _call(arguments, constraint)


@pytest.mark.parametrize(
    ("constraint", "arguments"),
    [
        (TO_ACME, {"to": {"address": "ops@acme.com", "name": "Ops team"}}),
        (TO_ACME, {"to": [{"email": "ops@mail.acme.com", "display": "Ops"}], "subject": "hello"}),
        (ANY_ACME, {"to": "ops@acme.com", "cc": [{"email": "audit@acme.com", "name": "Audit"}]}),
        (UNDER_SHARE, {"attachment": {"path": "/srv/share/q3.pdf"}}),
        (TO_ACME, {"to": "ops@acme.com", "priority": 2}),
    ],
)
def test_realistic_nested_values_within_the_constraint_pass(
    constraint: ArgumentConstraint, arguments: dict[str, Any]
) -> None:
    _call(arguments, constraint)


def test_a_value_nested_past_the_bound_is_refused() -> None:
    deep: Any = "ops@acme.com"
    for _ in range(200):
        deep = [deep]
    with pytest.raises(Refusal):
        _call({"to": deep}, TO_ACME)


URL_ACME = ArgumentConstraint(tool="send_*", argument="webhook", domains=("acme.com",))


@pytest.mark.parametrize(
    "url",
    [
        # A WHATWG parser (browsers, Node's fetch) reads "\" as "/" in an http(s) URL: the host is
        # evil.example, while Python's urlsplit saw acme.com after the "@".
        "https://evil.example\\@acme.com/hook",
        "https://evil.example\\.acme.com/hook",
        # and drops tabs and newlines anywhere in it
        "https://evil.example\t\\@acme.com/",
    ],
)
def test_a_url_that_parsers_read_differently_is_judged_by_the_host_it_reaches(url: str) -> None:
    with pytest.raises(Refusal, match="outside the allowed"):
        _call({"webhook": url}, URL_ACME)


@pytest.mark.parametrize(
    "url", ["https://hooks.acme.com/x?next=a\\b", "https://user@acme.com/path", "HTTPS://ACME.COM/x"]
)
def test_ordinary_urls_to_the_allowed_domain_pass(url: str) -> None:
    _call({"webhook": url}, URL_ACME)


def test_a_token_without_iat_is_held_to_the_longest_lifetime_too(idp: AuthServer) -> None:
    from mcpward.gateway._oauth import TokenRefused

    # max_token_lifetime defaults to a day; leaving iat out skipped the check entirely.
    with pytest.raises(TokenRefused, match="lives longer"):
        _identify(idp, iat=None, lifetime=30 * 24 * 3600)
    assert _identify(idp, iat=None, lifetime=600).subject == "alice"  # a short one still passes


def test_a_tools_call_naming_its_tool_by_a_non_string_never_reaches_the_server() -> None:
    # The checks key on the tool's name as a string and skipped a call without one; a server in
    # JavaScript looking it up as handlers[name] reads ["pay"] as "pay".
    from mcpward.gateway._relay import Relay

    relay = Relay(
        Session(server="ledger", target="x"), [Policy(ToolPolicyConfig(deny=("pay",)))], max_message=65536
    )
    for number, name in enumerate((["pay"], {"0": "pay"}, 7, None)):
        call = {
            "jsonrpc": "2.0",
            "id": number,
            "method": "tools/call",
            "params": {"name": name, "arguments": {}},
        }
        outs = relay.client_message(orjson.dumps(call))
        assert [out.to for out in outs] == ["client"], name
        assert orjson.loads(outs[0].data)["error"]["code"] == -32602
    named = {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "read", "arguments": {}}}
    assert [out.to for out in relay.client_message(orjson.dumps(named))] == ["server"]  # the other side


def test_a_token_header_with_characters_a_header_cannot_carry_gets_a_401_not_a_500(
    idp: AuthServer, tmp_path: Any
) -> None:
    # The refusal's reason (which quotes the token's alg) goes into WWW-Authenticate, which
    # carries latin-1 only: "€" there made the server fail (500) instead of refusing.
    import base64

    import httpx
    from test_gateway_oauth_attacks import gateway

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()

    token = f"{part({'alg': 'RS€256', 'kid': 'rsa-1'})}.{part({'iss': idp.issuer, 'sub': 'x'})}.c2ln"
    with gateway(tmp_path, idp) as base:
        response = httpx.delete(
            f"{base}/servers/ledger/mcp", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "to",
    [
        "leak@evil.example ops@acme.com",  # a space-separated list: only the last @ was looked at
        "leak@evil.example\nBcc: ops@acme.com",  # a header injected into a mail tool
        "leak@evil.example <ops@acme.com>",
    ],
)
def test_every_address_in_a_recipient_value_is_judged(to: str) -> None:
    with pytest.raises(Refusal, match="outside the allowed"):
        _call({"to": to}, TO_ACME)


@pytest.mark.parametrize("to", ["Ops <ops@mail.acme.com>", "ops@acme.com", "Ops Team <ops@acme.com>"])
def test_ordinary_recipients_in_the_allowed_domain_pass(to: str) -> None:
    _call({"to": to}, TO_ACME)
