"""Fleet reports are kept per (machine, home), through a real registry server on loopback: an
upload replaces the record of its exact pair and nothing else, whatever machine id and home
label it carries, and nothing a viewer reads gives away the id that would let an uploader
replace another machine's record."""

from __future__ import annotations

from typing import Any

import httpx

from mcpward.registry import Registry, Role

VICTIM = "victim-machine-7f3a"


def _server(name: str, package: str = "@acme/files", version: str = "1.2.3") -> dict[str, Any]:
    return {"host": "cursor", "name": name, "kind": "package", "ecosystem": "npm",
            "package": package, "version": version}  # fmt: skip


def _report(
    base: str, token: str, machine: str, home: str | None, servers: list[dict[str, Any]], **extra: Any
) -> httpx.Response:
    body: dict[str, Any] = {"machine_id": machine, "hostname": "laptop-alice", "servers": servers, **extra}
    if home is not None:
        body["home"] = home
    return httpx.post(
        f"{base}/api/fleet/reports", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=20
    )


def _fleet(base: str, token: str) -> set[tuple[str | None, str]]:
    rows = httpx.get(
        f"{base}/api/fleet/servers", headers={"Authorization": f"Bearer {token}"}, timeout=20
    ).json()
    return {(row["home"], row["server"]["name"]) for row in rows}


def test_an_upload_replaces_only_its_own_machine_and_home(registry: Registry, live_server: str) -> None:
    from mcpward.registry._fleet import fleet_key

    uploader = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    viewer = registry.create_token("auditor", Role.VIEWER, "setup")
    alice, bob = "/home/alice", "/home/bob"
    assert _report(live_server, uploader, VICTIM, alice, [_server("a1"), _server("a2")]).status_code == 201
    assert _report(live_server, uploader, VICTIM, bob, [_server("b1")]).status_code == 201
    # An older client sends no home: its record is the machine's own, beside the homes.
    assert _report(live_server, uploader, VICTIM, None, [_server("m1")]).status_code == 201
    before = _fleet(live_server, viewer)
    assert before == {(alice, "a1"), (alice, "a2"), (bob, "b1"), (None, "m1")}

    attacks: list[tuple[str, str | None]] = [
        (VICTIM, "/home/carol"),  # another home of the same machine
        (f"{VICTIM}{alice}", None),  # machine and home run together, as a naive key would
        (f"{VICTIM}/", "home/alice"),
        (f"{VICTIM}|", alice),
        (f'["{VICTIM}", "{alice}"]', None),  # the folding's own input, sent as a machine id
        (fleet_key(VICTIM, alice), None),  # the folded key itself, sent as a machine id
        (fleet_key(VICTIM, None), None),
        ("other-machine", alice),  # the same home on another machine
    ]
    for machine, home in attacks:
        answer = _report(live_server, uploader, machine, home, [])
        assert answer.status_code == 201, answer.text
        assert _fleet(live_server, viewer) == before, (machine, home)

    # Labels that only look like the victim's are refused, not folded onto it.
    for machine, home in ((VICTIM, ""), (VICTIM, alice + "\x00"), (VICTIM + "\x1b[2J", alice)):
        refused = _report(live_server, uploader, machine, home, [])
        assert refused.status_code == 422 and "\x1b" not in refused.text, (machine, home)
    assert _fleet(live_server, viewer) == before

    # The victim's own re-report replaces its own record only.
    assert _report(live_server, uploader, VICTIM, bob, [_server("b2")]).status_code == 201
    assert _fleet(live_server, viewer) == (before - {(bob, "b1")}) | {(bob, "b2")}

    # Every (machine, home) stays listed, the empty ones too, each with its last report; the
    # viewer sees a fingerprint of the machine id, never the id an upload would need.
    headers = {"Authorization": f"Bearer {viewer}"}
    machines = httpx.get(f"{live_server}/api/fleet/machines", headers=headers, timeout=20).json()
    victims = [m for m in machines if m["home"] in (alice, bob, None) and m["servers"]]
    assert len(victims) == 3 and len({m["machine"] for m in victims}) == 1
    assert {m["home"] for m in machines} >= {alice, bob, None, "/home/carol"}
    assert all(m["reported_at"] for m in machines)
    spoof = next(m for m in machines if m["home"] == alice and not m["servers"])  # other-machine
    assert spoof["hostname"] == "laptop-alice" and spoof["machine"] != victims[0]["machine"]
    shown = [
        httpx.get(f"{live_server}/api/fleet/servers", headers=headers, timeout=20).text,
        httpx.get(f"{live_server}/api/fleet/machines", headers=headers, timeout=20).text,
    ]
    assert all(VICTIM not in text and fleet_key(VICTIM, alice) not in text for text in shown)


def test_a_home_label_is_shown_as_text_on_the_fleet_page(registry: Registry, live_server: str) -> None:
    uploader = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    home = '/home/<script>alert("x")</script>'
    assert _report(live_server, uploader, VICTIM, home, [_server("a1")]).status_code == 201
    admin = registry.create_token("admin", Role.ADMIN, "setup")
    with httpx.Client(base_url=live_server, timeout=20) as client:
        signed_in = client.post("/login", data={"token": admin, "next": "/fleet"})
        assert signed_in.status_code == 303, signed_in.text
        page = client.get("/fleet")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert VICTIM not in page.text
