"""Fairness between the clients of one ``gateway serve``: a client holding a valid token sends
large messages dense with personal data (the costliest thing to judge), within its limits;
another client's small calls must not wait for them.

An independent review measured a ping of one client waiting 14 s behind four 7 MB posts of
another: the checks ran on the event loop, the one thread that serves every client. The test
is a ratio, measured in one run: the small call's latency while the heavy client is active
against the same call's latency alone, so a slow or loaded machine moves both sides."""

from __future__ import annotations

import contextlib
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
from gateway_attack_kit import HOSTILE_SERVER, INITIALIZE, TOKEN_A, TOKEN_B, auth, post, serve_process

from loopback import clients_toml

#: Pings timed alone, then while the heavy client floods; the loop stops early past the deadline.
_PINGS = 9
_DEADLINE = 90.0
#: How much slower the other client's median ping may be while the heavy client is judged
#: (the judging threads share the interpreter's lock with the event loop; see SECURITY.md),
#: and a floor under which a difference is noise whatever the ratio.
_RATIO = 25.0
_FLOOR = 0.25


def _dense(size: int) -> str:
    """Text as dense with personal data as it gets: e-mail addresses and card numbers."""
    unit = [f"user.{i % 9999}@mail{i % 97}.example.org 4539 1488 0343 6467 " for i in range(2000)]
    block = "".join(unit)
    return (block * (size // len(block) + 1))[:size]


def _config(tmp_path: Path) -> str:
    script = tmp_path / "hostile.py"
    script.write_text(HOSTILE_SERVER, encoding="utf-8")
    return f"""{clients_toml({"alice": TOKEN_A, "bob": TOKEN_B})}[pins]
store = "{tmp_path / "pins.json"}"
[baseline]
enabled = false
[servers.hostile]
command = ["{sys.executable}", "{script}", "x"]
"""


def _open(base: str, token: str) -> str:
    session = str(post(base, "hostile", INITIALIZE, token).headers["mcp-session-id"])
    post(base, "hostile", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, token, session)
    return session


def _ping(client: httpx.Client, url: str, session: str, number: int) -> float:
    started = time.monotonic()
    answer = client.post(
        url,
        json={"jsonrpc": "2.0", "id": number, "method": "ping"},
        headers={"Mcp-Session-Id": session},
    )
    waited = time.monotonic() - started
    assert answer.status_code == 200, answer.text[:300]
    assert orjson.loads(answer.content).get("result") == {}, answer.text[:300]
    return waited


def test_one_clients_dense_messages_do_not_stall_another_clients_calls(tmp_path: Path) -> None:
    """The heavy client posts 600 KB dense with personal data from four sessions at once, to a tool
    that sends it back twice in an error (so both directions are judged), over and over, within
    its request rate and the size limit. Another client's pings, timed in the same run alone and
    during the flood, must stay within a generous ratio of each other; and the heavy client is
    still served (its calls are judged, not dropped)."""
    dense = _dense(600_000)  # judged on the event loop, each took about half a second
    with serve_process(tmp_path, _config(tmp_path)) as (base, _process, _log):
        url = f"{base}/servers/hostile/mcp"
        heavy = [_open(base, TOKEN_A) for _ in range(4)]
        light = _open(base, TOKEN_B)
        with httpx.Client(headers=auth(TOKEN_B), timeout=120) as pinger:
            _ping(pinger, url, light, 3)  # the connection is up before anything is timed
            alone = [_ping(pinger, url, light, 10 + n) for n in range(_PINGS)]

            stop = threading.Event()
            judged = threading.Event()
            answered: list[int] = []
            in_flight = [0]
            lock = threading.Lock()

            def flood(session: str, first: int) -> None:
                headers = auth(TOKEN_A) | {"Mcp-Session-Id": session, "Content-Type": "application/json"}
                with httpx.Client(headers=headers, timeout=120) as client:
                    for number in range(first, first + 20):  # bounded; stopped long before
                        if stop.is_set():
                            return
                        body = orjson.dumps({"jsonrpc": "2.0", "id": number, "method": "tools/call",
                                             "params": {"name": "error", "arguments": {"text": dense}}})  # fmt: skip
                        with lock:
                            in_flight[0] += 1
                        try:
                            with contextlib.suppress(httpx.HTTPError):
                                if client.post(url, content=body).status_code == 200:
                                    with lock:
                                        answered.append(number)
                                    judged.set()
                        finally:
                            with lock:
                                in_flight[0] -= 1

            senders = [
                threading.Thread(target=flood, args=(session, 100 * (i + 1)), daemon=True)
                for i, session in enumerate(heavy)
            ]
            for sender in senders:
                sender.start()
            # From the heavy client's first answer on, its other posts are being judged (they
            # arrived with it) and each sender posts again at once: every ping below overlaps.
            assert judged.wait(_DEADLINE), "the heavy client's first call was never answered"
            began = time.monotonic()
            during: list[float] = []
            for n in range(_PINGS):
                during.append(_ping(pinger, url, light, 100_000 + n))
                if time.monotonic() - began > _DEADLINE:
                    break
            with lock:
                active = in_flight[0]
            stop.set()
            ends = time.monotonic() + 180  # its posts in flight are judged one after the other
            for sender in senders:
                sender.join(timeout=max(0.0, ends - time.monotonic()))
    calm, busy = statistics.median(alone), statistics.median(during)
    assert active > 0, "the heavy client's posts had all ended before the pings did: nothing was measured"
    assert busy <= max(_RATIO * calm, _FLOOR), (
        f"another client's ping took {busy * 1000:.0f} ms (median of {len(during)}) while one client's "
        f"dense messages were judged, against {calm * 1000:.1f} ms alone"
    )
    assert answered, "the heavy client's calls were never answered"
