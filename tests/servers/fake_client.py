"""A stand-in for an AI client application: starts the MCP servers it is given on standard
input (one command line as JSON per line) as its children over stdio, keeps them running,
and exits when its standard input closes. The servers' command lines are not in its own."""

from __future__ import annotations

import json
import subprocess
import sys

children = []
for line in sys.stdin:
    if not line.strip():
        break
    argv = json.loads(line)
    children.append(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL))
    print("started", flush=True)
sys.stdin.read()
for child in children:
    child.kill()
    child.wait()
