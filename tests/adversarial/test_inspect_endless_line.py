"""A stdio server that ``inspect --run`` starts answers ``initialize`` and then writes one endless
line (no newline, up to 512 MiB here) on its output: the official SDK's stdio transport reads a
line whole before it looks at it, adding each chunk to what it holds, so inspect's memory grew
for as long as the deadline allowed (a remote server's answers are bounded at 32 MiB, a stdio
server's line was not). The keeper the server runs under now passes the server's output on a
whole line at a time, none over 32 MiB: past it the line is dropped there, never reaching
inspect, and the look ends at once with an error saying why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the keeper is Linux's")

#: A server in JSON lines: ``initialize`` answered, then an endless line (bounded: 512 MiB);
#: ``clean``: no tools, as a server answers; ``gone``: exits at once.
SERVER = r"""
import json, sys, time
if sys.argv[1] == "gone":
    sys.exit(3)
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message:
        continue
    if message["method"] == "initialize":
        result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "endless", "version": "1"}}
        sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
        sys.stdout.flush()
        continue
    if sys.argv[1] == "clean":
        sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"tools": []}}) + "\n")
        sys.stdout.flush()
        continue
    chunk = '{"jsonrpc": "2.0", "id": ' + json.dumps(message["id"]) + ', "result": {"tools": [' + " " * 65536
    for _ in range(8192):
        sys.stdout.write(chunk)
        chunk = " " * 65536
    sys.stdout.flush()
    time.sleep(30)
"""

#: Looks at the server with a 20 s deadline (after a look at it clean and one at it gone, which
#: import what a look and its error need); prints its error, then how much the process's peak
#: memory grew during the look (MiB).
LOOK = r"""
import sys
from mcpward.inspect import ServerTarget, fetch_all

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024

def target(how):
    return ServerTarget("endless", "stdio", command=sys.executable, args=("-c", sys.argv[1], how))

assert fetch_all([target("clean")], 20)[1] == [] and fetch_all([target("gone")], 20)[1]
before = peak()
fetched, errors = fetch_all([target("endless")], 20)
print(errors[0].message)
print(peak() - before)
"""


def test_an_endless_line_is_not_held_and_ends_the_look() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOOK, SERVER],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    message, grown = done.stdout.strip().splitlines()
    assert "a line over 32 MiB" in message, message
    assert int(grown) < 16, f"inspect's peak memory grew by {grown} MiB"
