"""``gateway serve`` and MCP 2026-07-28: stateless requests (the version in each request's
``_meta``, no session), served beside the session-based revisions, with the mirrored headers
checked against the body before anything else, and ``x-mcp-header`` parameters."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from loopback import free_port, gateway_serving
from mcpward.gateway import verify

SERVERS = Path(__file__).parents[1] / "servers"
TOKEN = "mcpg_test-token-for-the-modern-gateway-0123456789"
OTHER_TOKEN = "mcpg_second-client-of-the-modern-gateway-9876543210"
SECRET = "ghp_" + "Z1y2X3w4V5u6T7s8R9q0P1o2N3m4L5k6J7i8"
MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "raw-test-client", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("modern")
    port = free_port()
    config = folder / "gateway.toml"
    config.write_text(
        f"""
max_message = 65536
# Longer than a pool member's start on a loaded machine: the pool test's unanswered question
# must still be open when its second call has started a new member (at 3 s it expired first
# under CI's load, and the second question was rightly asked).
call_timeout = 8
[serve]
port = {port}
[[serve.clients]]
name = "laptop"
sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"
[[serve.clients]]
name = "desk"
sha256 = "{hashlib.sha256(OTHER_TOKEN.encode()).hexdigest()}"
[pins]
store = "{folder / "pins.json"}"
[servers.weather]
command = ["{sys.executable}", "{SERVERS / "mcp_test_server.py"}", "stdio"]
[servers.headers]
command = ["{sys.executable}", "{SERVERS / "header_server.py"}"]
[servers.pooled]
command = ["{sys.executable}", "{SERVERS / "header_server.py"}"]
shared_pool = 2
[servers.changing]
command = ["{sys.executable}", "{SERVERS / "changing_server.py"}"]
[servers.elicit_pool]
command = ["{sys.executable}", "{SERVERS / "elicit_server.py"}"]
shared_pool = 2
[servers.elicit]
command = ["{sys.executable}", "{SERVERS / "elicit_server.py"}"]
[servers.late]
command = ["{sys.executable}", "{SERVERS / "late_asking_server.py"}"]
shared_pool = 1
""",
        encoding="utf-8",
    )
    log = folder / "audit.jsonl"
    with gateway_serving(config, log, port):
        yield f"http://127.0.0.1:{port}", log


async def _official_client(url: str, mode: str) -> tuple[str, list[str], str]:
    from mcp.client import Client
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

    http = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:  # type: ignore[arg-type]
        names = [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool("get_weather", {"city": f"Oslo {SECRET}"})
        return client.protocol_version, names, result.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", [MODERN, "auto"])
def test_the_official_client_speaks_2026_07_28_through_the_gateway(
    gateway: tuple[str, Path], mode: str
) -> None:
    """Pinned to the revision, or negotiating it with ``server/discover`` ("auto"): the same
    checks as a session's (the secret masked in the answer, the audit chain whole)."""
    base, log = gateway
    version, names, text = anyio.run(_official_client, f"{base}/servers/weather/mcp", mode)
    assert version == MODERN
    assert names == ["get_weather"] and text == "Sunny in Oslo ghp_****"
    count, problem = verify(log)
    assert problem is None and count >= 4
    assert SECRET not in log.read_text() and '"client":"laptop"' in log.read_text()


def _post(base: str, server: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    sent = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json, text/event-stream", **headers}
    return httpx.post(f"{base}/servers/{server}/mcp", json=body, headers=sent, timeout=30)


def _call(name: str, arguments: dict[str, Any], request_id: int = 7) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments, "_meta": META}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def _standard(body: dict[str, Any], name: str | None = None) -> dict[str, str]:
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": body["method"]}
    if name is not None:
        headers["Mcp-Name"] = name
    return headers


def test_headers_that_disagree_with_the_body_are_refused_before_any_check(gateway: tuple[str, Path]) -> None:
    """A load balancer or policy that trusts ``Mcp-Name`` while the server runs the body's tool
    is the bypass: such a request is refused (400, -32020) and reaches neither the checks, the
    audit log nor the server."""
    base, log = gateway
    call = _call("get_weather", {"city": "Bergen"})
    good = _post(base, "weather", call, **_standard(call, "get_weather"))
    assert good.status_code == 200 and good.json()["id"] == 7, good.text
    assert good.json()["result"]["resultType"] == "complete"
    before = log.read_bytes()
    for headers in (
        _standard(call, "harmless_tool"),  # Mcp-Name names another tool
        {**_standard(call, "get_weather"), "Mcp-Method": "tools/list"},  # another method
        {"Mcp-Method": "tools/call", "Mcp-Name": "get_weather"},  # no MCP-Protocol-Version
        {**_standard(call, "get_weather"), "MCP-Protocol-Version": "2025-11-25"},  # not the body's
        {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call"},  # no Mcp-Name
        _standard(call, "=?base64?" + base64.b64encode(b"other").decode() + "?="),  # encoded, other
    ):
        refused = _post(base, "weather", call, **headers)
        assert refused.status_code == 400, (headers, refused.text)
        assert refused.json()["error"]["code"] == -32020 and refused.json()["id"] == 7
    assert log.read_bytes() == before  # nothing was judged, forwarded or recorded
    encoded = _standard(call, "=?base64?" + base64.b64encode(b"get_weather").decode() + "?=")
    assert _post(base, "weather", call, **encoded).status_code == 200


def test_a_revision_the_gateway_does_not_serve_is_named_with_those_it_does(gateway: tuple[str, Path]) -> None:
    base, _ = gateway
    call = _call("get_weather", {"city": "Bergen"})
    call["params"]["_meta"] = {**META, "io.modelcontextprotocol/protocolVersion": "2027-01-01"}
    answer = _post(
        base, "weather", call, **{**_standard(call, "get_weather"), "MCP-Protocol-Version": "2027-01-01"}
    )
    assert answer.status_code == 400
    failure = answer.json()["error"]
    assert failure["code"] == -32022 and failure["data"]["requested"] == "2027-01-01"
    assert MODERN in failure["data"]["supported"] and "2025-11-25" in failure["data"]["supported"]


def test_x_mcp_header_parameters_must_mirror_the_body_and_bad_markings_are_withheld(
    gateway: tuple[str, Path],
) -> None:
    base, log = gateway
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": META}}
    listed = _post(base, "headers", listing, **_standard(listing)).json()["result"]
    # A marking on a number, or inside an array item, makes the tool invalid: withheld.
    assert [tool["name"] for tool in listed["tools"]] == ["run_query"]
    assert listed["ttlMs"] == 0 and listed["cacheScope"] == "private"

    def call(arguments: dict[str, Any], **params: str) -> httpx.Response:
        body = _call("run_query", arguments)
        headers = {**_standard(body, "run_query"), **{f"Mcp-Param-{k}": v for k, v in params.items()}}
        return _post(base, "headers", body, **headers)

    ok = call({"region": "eu-west1", "query": "select 1", "limit": 5}, Region="eu-west1", Limit="5.0")
    assert ok.status_code == 200 and "eu-west1" in ok.json()["result"]["content"][0]["text"], ok.text
    spaced = call(
        {"region": " eu west ", "query": "q"},
        Region="=?base64?" + base64.b64encode(b" eu west ").decode() + "?=",
    )
    assert spaced.status_code == 200, spaced.text
    for arguments, params in (
        ({"region": "eu-west1", "query": "q"}, {"Region": "us-east1"}),  # routed to another region
        ({"region": "eu-west1", "query": "q"}, {}),  # the value is in the body, its header missing
        ({"region": "eu-west1", "query": "q"}, {"Region": "eu-west1", "Limit": "9"}),  # no limit in the body
        ({"region": "eu-west1", "query": "q", "limit": 5}, {"Region": "eu-west1", "Limit": "6"}),
    ):
        refused = call(arguments, **params)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == -32020, (
            params,
            refused.text,
        )
    withheld = _post(
        base, "headers", _call("scale", {"factor": 2.5}), **_standard(_call("scale", {}), "scale")
    )
    assert withheld.status_code == 200 and "refused" in withheld.json()["error"]["message"]
    assert "scale:" not in log.read_text()  # never forwarded to the server


def test_a_secret_in_a_header_parameter_is_judged_as_the_body_is(gateway: tuple[str, Path]) -> None:
    """The header must equal the body's value, and the body's arguments pass DLP: the secret
    is recorded masked, never in clear (the header itself is not passed to a stdio server)."""
    base, log = gateway
    body = _call("run_query", {"region": "eu-west1", "query": f"select '{SECRET}'"})
    answer = _post(base, "headers", body, **_standard(body, "run_query"), **{"Mcp-Param-Region": "eu-west1"})
    assert answer.status_code == 200, answer.text
    assert SECRET not in log.read_text() and SECRET not in answer.text


async def _confirmed_delete(url: str, secret_note: str) -> tuple[str, list[str]]:
    import mcp_types as types
    from mcp.client import Client
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

    asked: list[str] = []

    async def confirm(context: Any, params: Any) -> Any:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True, "note": secret_note})

    http = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    transport = streamable_http_client(url, http_client=http)
    async with http, Client(transport, mode=MODERN, elicitation_callback=confirm) as client:  # type: ignore[arg-type]
        result = await client.call_tool("delete_file", {"path": "/srv/report.csv"})
        return result.content[0].text, asked  # type: ignore[union-attr]


def test_a_mid_call_elicitation_becomes_a_round_trip_recorded_as_one_story(gateway: tuple[str, Path]) -> None:
    """A session-era server asks the user mid-call (elicitation/create); a 2026-07-28 client has
    no channel for that, so the gateway answers the call with input_required, and the client's
    retry carries the answer back to the same call. The question is judged as a server request,
    the answer as a client answer (DLP: the secret in it is masked), and the audit log holds the
    call, the question, the answer and the result, in that order."""
    base, log = gateway
    text, asked = anyio.run(_confirmed_delete, f"{base}/servers/elicit/mcp", f"ok {SECRET}")
    assert asked == ["Delete /srv/report.csv?"]
    assert text.startswith("deleted /srv/report.csv (ok ")
    import json

    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    story = [
        r
        for r in records
        if r.get("server") == "elicit" and r.get("method") in ("tools/call", "elicitation/create")
    ]
    stages = [(r["method"], r["stage"]) for r in story]
    assert stages == [
        ("tools/call", "request"),
        ("elicitation/create", "server-request"),
        ("elicitation/create", "client-response"),
        ("tools/call", "response"),
    ], stages
    assert story[0]["id"] == story[3]["id"] and story[1]["id"] == story[2]["id"]
    assert verify(log)[1] is None and SECRET not in log.read_text()


def test_a_request_state_belongs_to_its_call_and_client(gateway: tuple[str, Path]) -> None:
    """A requestState names one pending call: another tool, a made-up state or a second use
    of it is refused (the pending call is not resumed by a request it was not issued for)."""
    base, _ = gateway
    capabilities = {**META, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}
    first = _call("delete_file", {"path": "/srv/a.csv"})
    first["params"]["_meta"] = capabilities
    interim = _post(base, "elicit", first, **_standard(first, "delete_file")).json()["result"]
    assert interim["resultType"] == "input_required"
    ((key, question),) = interim["inputRequests"].items()
    assert question["method"] == "elicitation/create"
    for name, state in (("other_tool", interim["requestState"]), ("delete_file", "made-up-state")):
        retry = _call(name, {"path": "/srv/a.csv"})
        retry["params"].update(
            _meta=capabilities,
            requestState=state,
            inputResponses={key: {"action": "accept", "content": {"approve": True}}},
        )
        refused = _post(base, "elicit", retry, **_standard(retry, name)).json()
        assert refused["error"]["code"] == -32602, refused
    retry = _call("delete_file", {"path": "/srv/a.csv"})
    retry["params"].update(
        _meta=capabilities, requestState=interim["requestState"], inputResponses={key: {"action": "decline"}}
    )
    final = _post(base, "elicit", retry, **_standard(retry, "delete_file")).json()
    assert final["result"]["content"][0]["text"] == "kept /srv/a.csv"
    again = _post(base, "elicit", retry, **_standard(retry, "delete_file")).json()
    assert again["error"]["code"] == -32602  # used once


def test_a_server_question_the_client_did_not_declare_is_refused_to_the_server(
    gateway: tuple[str, Path],
) -> None:
    base, _ = gateway
    call = _call("delete_file", {"path": "/srv/b.csv"})  # no elicitation capability declared
    answer = _post(base, "elicit", call, **_standard(call, "delete_file")).json()
    # The server was told no; the SDK server ends its call with that error. Either way the
    # question never reached a client that did not ask for such questions.
    assert answer["id"] == 7 and "input_required" not in str(answer), answer
    assert "did not declare elicitation" in answer["error"]["message"]
    listing = {"jsonrpc": "2.0", "id": 8, "method": "tools/list", "params": {"_meta": META}}
    assert _post(base, "elicit", listing, **_standard(listing)).status_code == 200  # the session goes on


def test_a_round_trip_the_client_abandons_ends_and_frees_the_session(gateway: tuple[str, Path]) -> None:
    """A client that never retries holds nothing for long: after the call timeout the server's
    question is refused (its call ends) and the next call of that client runs."""
    base, log = gateway
    capabilities = {**META, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}
    first = _call("delete_file", {"path": "/srv/abandoned.csv"})
    first["params"]["_meta"] = capabilities
    interim = _post(base, "elicit", first, **_standard(first, "delete_file")).json()["result"]
    assert interim["resultType"] == "input_required"
    second = _call("delete_file", {"path": "/srv/next.csv"}, request_id=9)
    second["params"]["_meta"] = capabilities
    started = time.monotonic()
    answer = _post(base, "elicit", second, **_standard(second, "delete_file")).json()
    assert answer["result"]["resultType"] == "input_required", answer  # its own question, after
    assert 1.5 < time.monotonic() - started < 20
    refusals = [line for line in log.read_text().splitlines() if "the client gave no answer" in line]
    assert refusals  # the abandoned question was answered to the server, and recorded


def test_a_shared_pool_serves_every_client_within_its_size_and_records_each_caller(
    gateway: tuple[str, Path],
) -> None:
    """``shared_pool = 2``: twelve concurrent calls of two clients run on at most two server
    processes (two handshakes in the log), and each call's records name its own client. A
    server without it gives each client a process of its own."""
    import asyncio
    import json

    base, log = gateway

    async def calls() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as http:

            async def one(number: int) -> int:
                token = TOKEN if number % 2 else OTHER_TOKEN
                body = _call(
                    "run_query", {"region": "eu-west1", "query": f"pooled {number}"}, request_id=number
                )
                headers = {
                    "Authorization": f"Bearer {token}",
                    **_standard(body, "run_query"),
                    "Mcp-Param-Region": "eu-west1",
                }
                answer = await http.post(f"{base}/servers/pooled/mcp", json=body, headers=headers)
                return answer.status_code

            return await asyncio.gather(*(one(number) for number in range(12)))

    assert asyncio.run(calls()) == [200] * 12
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    pooled = [r for r in records if r.get("server") == "pooled"]
    assert 1 <= sum(1 for r in pooled if r.get("method") == "initialize" and r.get("stage") == "request") <= 2
    for record in pooled:
        if record.get("method") == "tools/call" and record.get("stage") == "request":
            number = int(record["arguments"]["query"].split()[-1])
            assert record["client"] == ("laptop" if number % 2 else "desk"), record


@pytest.mark.parametrize("revision", ["2025-03-26", "2025-06-18", "2025-11-25"])
def test_each_session_revision_is_served_beside_2026_07_28(gateway: tuple[str, Path], revision: str) -> None:
    """A client of an earlier revision gets a session (initialize, Mcp-Session-Id) and the
    revision it asked for, on the same endpoint; its calls pass the same checks."""
    base, _ = gateway
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json, text/event-stream"}
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": revision, "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}}  # fmt: skip
    answer = httpx.post(f"{base}/servers/weather/mcp", json=initialize, headers=headers, timeout=30)
    assert answer.status_code == 200 and answer.json()["result"]["protocolVersion"] == revision, answer.text
    session = {**headers, "Mcp-Session-Id": answer.headers["mcp-session-id"]}
    if revision != "2025-03-26":
        session["MCP-Protocol-Version"] = revision
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert (
        httpx.post(f"{base}/servers/weather/mcp", json=initialized, headers=session, timeout=30).status_code
        == 202
    )
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    listed = httpx.post(f"{base}/servers/weather/mcp", json=listing, headers=session, timeout=30).json()
    assert [tool["name"] for tool in listed["result"]["tools"]] == ["get_weather"]
    call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "get_weather", "arguments": {"city": f"Oslo {SECRET}"}}}  # fmt: skip
    answered = httpx.post(f"{base}/servers/weather/mcp", json=call, headers=session, timeout=30).json()
    assert "result" in answered, answered
    assert answered["result"]["content"][0]["text"] == "Sunny in Oslo ghp_****"


def test_a_list_change_reaches_subscribers_and_the_changed_tool_is_withheld(
    gateway: tuple[str, Path],
) -> None:
    """``subscriptions/listen``: the acknowledgement names what is honoured (list changes, and
    the resources the server agreed to watch), the server's ``tools/list_changed`` arrives tagged with the
    subscription, and the gateway lists the tools again before the next call: the tool whose
    description changed after it was pinned is withheld and its call refused (a rug pull
    through a live notification)."""
    base, _ = gateway
    lookup = _call("lookup", {"word": "gateway"})
    assert "definition" in _post(base, "changing", lookup, **_standard(lookup, "lookup")).text
    watch = ["dict://words", "file:///etc/hosts"]  # the server refuses the second
    listen = {"jsonrpc": "2.0", "id": "sub-1", "method": "subscriptions/listen", "params": {"_meta": META,
              "notifications": {"toolsListChanged": True, "resourceSubscriptions": watch}}}  # fmt: skip
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json, text/event-stream",
        **_standard(listen),
    }
    import json

    with httpx.stream(
        "POST", f"{base}/servers/changing/mcp", json=listen, headers=headers, timeout=20
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = (json.loads(line[5:]) for line in stream.iter_lines() if line.startswith("data:"))
        ack = next(events)
        assert ack["method"] == "notifications/subscriptions/acknowledged"
        assert ack["params"]["notifications"] == {
            "toolsListChanged": True,
            "resourceSubscriptions": ["dict://words"],
        }
        assert ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub-1"
        poison = _call("poison", {})
        assert "updated" in _post(base, "changing", poison, **_standard(poison, "poison")).text
        changed = next(events)
        assert changed["method"] == "notifications/tools/list_changed"
        assert changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub-1"
        # An update of a watched resource (a part of it) arrives; one of a resource it did not
        # ask for (dict://grammar, sent first) does not.
        updated = next(events)
        assert updated["method"] == "notifications/resources/updated", updated
        assert updated["params"]["uri"] == "dict://words/lookup"
        assert updated["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub-1"
    refused = _post(base, "changing", lookup, **_standard(lookup, "lookup")).json()
    # Refused for the change itself (the gateway listed again), not for want of a listing.
    assert "changed since it was approved" in refused["error"]["message"], refused
    listing = {"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": {"_meta": META}}
    names = [
        tool["name"]
        for tool in _post(base, "changing", listing, **_standard(listing)).json()["result"]["tools"]
    ]
    assert "lookup" not in names and "poison" in names


def test_a_mirrored_header_sent_twice_or_as_a_non_json_number_is_refused(gateway: tuple[str, Path]) -> None:
    """A load balancer may route on the last of two ``Mcp-Name`` lines (or on both, joined)
    while the gateway compared the first with the body; and ``5_0`` or ``+50`` is 50 to
    Python's float() but not to a router comparing text. Each is a header the gateway and a
    router read differently: refused (-32020) before any check, never forwarded."""
    base, log = gateway
    call = _call("get_weather", {"city": "Bergen"})
    auth = [("Authorization", f"Bearer {TOKEN}"), ("Accept", "application/json, text/event-stream")]
    standard = [("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call")]
    query = _call("run_query", {"region": "eu-west1", "query": "q", "limit": 50})
    query_headers = [*auth, *standard, ("Mcp-Name", "run_query")]
    for limit in ("50", "50.0", "5e1"):  # the number as JSON writes it passes
        passed = httpx.post(
            f"{base}/servers/headers/mcp",
            json=query,
            headers=[*query_headers, ("Mcp-Param-Region", "eu-west1"), ("Mcp-Param-Limit", limit)],
            timeout=30,
        )
        assert passed.status_code == 200 and "result" in passed.json(), (limit, passed.text)
    before = log.read_bytes()
    for extra in (
        [("Mcp-Name", "get_weather"), ("Mcp-Name", "harmless_tool")],
        [("Mcp-Name", "get_weather"), ("Mcp-Method", "tools/list")],
        [("Mcp-Name", "get_weather"), ("MCP-Protocol-Version", MODERN)],
    ):
        refused = httpx.post(
            f"{base}/servers/weather/mcp", json=call, headers=[*auth, *standard, *extra], timeout=30
        )
        assert refused.status_code == 400, (extra, refused.text)
        assert refused.json()["error"]["code"] == -32020 and refused.json()["id"] == 7
    for params in (
        [("Mcp-Param-Region", "eu-west1"), ("Mcp-Param-Region", "us-east1"), ("Mcp-Param-Limit", "50")],
        [("Mcp-Param-Region", "eu-west1"), ("Mcp-Param-Limit", "5_0")],
        [("Mcp-Param-Region", "eu-west1"), ("Mcp-Param-Limit", "+50")],
        [("Mcp-Param-Region", "eu-west1"), ("Mcp-Param-Limit", "0x32")],
    ):
        refused = httpx.post(
            f"{base}/servers/headers/mcp", json=query, headers=[*query_headers, *params], timeout=30
        )
        assert refused.status_code == 400, (params, refused.text)
        assert refused.json()["error"]["code"] == -32020
    # Nothing of these requests judged, forwarded or recorded. Another test's records may come
    # meanwhile: a question it left unanswered is refused at the call timeout, and recorded.
    after = log.read_bytes()
    assert after.startswith(before)
    added = [json.loads(line) for line in after[len(before) :].splitlines()]
    assert [record for record in added if record.get("server") in ("weather", "headers")] == []


def test_a_server_question_asked_between_calls_goes_to_no_client(gateway: tuple[str, Path]) -> None:
    """A shared pool's server asks for approval of one client's transfer after that call has
    ended. What a session-era server asks belongs to the call in flight; with none in flight
    it belongs to no client: it is refused to the server, not handed to the next caller (here
    another client, who would read the first one's account and could approve its transfer)."""
    base, log = gateway
    start = _call("start_transfer", {"account": "laptop-savings-4411"})
    started = _post(base, "late", start, **_standard(start, "start_transfer")).json()
    assert started["result"]["content"][0]["text"] == "started", started
    time.sleep(0.6)  # the server asks 0.2 s after its answer
    status = _call("status", {})
    status["params"]["_meta"] = {
        **META,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}},
    }
    headers = {**_standard(status, "status"), "Authorization": f"Bearer {OTHER_TOKEN}"}
    answer = _post(base, "late", status, **headers)
    assert "laptop-savings" not in answer.text, answer.text
    assert answer.json()["result"]["resultType"] == "complete", answer.text
    # The server was told no one answers: its question did not hang on.
    assert "error" in answer.json()["result"]["content"][0]["text"], answer.text
    import json

    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    asked = [r for r in records if r.get("server") == "late" and r.get("method") == "elicitation/create"]
    assert [r.get("stage") for r in asked] == ["server-request", "client-response"], asked
    # Recorded as the shared pool's, not as the client whose call had ended (the laptop).
    assert {r.get("client") for r in asked} == {"(shared pool)"}, asked


def test_a_url_elicitation_reaches_only_a_client_that_declared_url_mode(gateway: tuple[str, Path]) -> None:
    """A client that declared form elicitation only is not sent a server's "open this URL"
    request (URL mode is declared apart, for its phishing risk): it is refused to the server."""
    base, _ = gateway
    call = _call("sign_in", {})
    call["params"]["_meta"] = {
        **META,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}},
    }
    answer = _post(base, "late", call, **_standard(call, "sign_in"))
    assert "sign-in.invalid" not in answer.text, answer.text
    assert "did not declare" in answer.json()["result"]["content"][0]["text"], answer.text
    declared = {"elicitation": {"form": {}, "url": {}}}
    call["params"]["_meta"] = {**META, "io.modelcontextprotocol/clientCapabilities": declared}
    interim = _post(base, "late", call, **_standard(call, "sign_in")).json()["result"]
    assert interim["resultType"] == "input_required" and "sign-in.invalid" in str(interim), interim
    ((key, _),) = interim["inputRequests"].items()
    call["params"].update(requestState=interim["requestState"], inputResponses={key: {"action": "accept"}})
    final = _post(base, "late", call, **_standard(call, "sign_in")).json()
    assert '"action": "accept"' in final["result"]["content"][0]["text"], final


def test_a_sampling_that_asks_for_other_servers_context_needs_the_context_capability(
    gateway: tuple[str, Path],
) -> None:
    """``includeContext: "allServers"`` asks the client to put what its other servers said into
    the prompt the server gets back: a client that declared sampling without ``context`` is not
    sent such a request (older clients honour the field whatever they declared)."""
    base, _ = gateway
    call = _call("summarise", {})
    call["params"]["_meta"] = {**META, "io.modelcontextprotocol/clientCapabilities": {"sampling": {}}}
    answer = _post(base, "late", call, **_standard(call, "summarise"))
    assert "input_required" not in answer.text, answer.text
    assert "did not declare" in answer.json()["result"]["content"][0]["text"], answer.text
    declared = {"sampling": {"context": {}}}
    call["params"]["_meta"] = {**META, "io.modelcontextprotocol/clientCapabilities": declared}
    interim = _post(base, "late", call, **_standard(call, "summarise")).json()["result"]
    assert interim["resultType"] == "input_required" and "allServers" in str(interim), interim
    ((key, _),) = interim["inputRequests"].items()
    reply = {"role": "assistant", "content": {"type": "text", "text": "short"}, "model": "m"}
    call["params"].update(requestState=interim["requestState"], inputResponses={key: reply})
    final = _post(base, "late", call, **_standard(call, "summarise")).json()
    assert "short" in final["result"]["content"][0]["text"], final


def test_one_client_cannot_take_a_shared_pool_with_questions_it_never_answers(
    gateway: tuple[str, Path],
) -> None:
    """A pool of two shared by every client: a client that leaves its round trips unanswered
    may hold one member, not both; its second question is refused to the server, and another
    client still gets a member (without the bound it waited and got 503)."""
    base, _ = gateway
    capabilities = {**META, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}

    def delete(path: str, token: str, request_id: int) -> dict[str, Any]:
        body = _call("delete_file", {"path": path}, request_id=request_id)
        body["params"]["_meta"] = capabilities
        headers = {**_standard(body, "delete_file"), "Authorization": f"Bearer {token}"}
        sent = {"Accept": "application/json, text/event-stream", **headers}
        answer = httpx.post(f"{base}/servers/elicit_pool/mcp", json=body, headers=sent, timeout=30)
        return answer.json()  # type: ignore[no-any-return]

    first = delete("/srv/one.csv", TOKEN, 21)
    assert first["result"]["resultType"] == "input_required", first
    second = delete("/srv/two.csv", TOKEN, 22)  # left unanswered too: not a second member
    assert second.get("result", {}).get("resultType") != "input_required", second
    assert "as many questions open" in json.dumps(second), second
    other = delete("/srv/three.csv", OTHER_TOKEN, 23)
    assert other["result"]["resultType"] == "input_required", other
