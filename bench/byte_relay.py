"""The floor for ``bench/gateway_overhead.py``: a relay that starts the server and copies bytes
both ways (a blocking thread each way), with no parsing and no check. What any relay process
costs here (two pipe hops, one more process to schedule) before a gateway does anything.

    python bench/byte_relay.py SERVER [ARGS...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading


def _copy(source: int, target: int) -> None:
    while data := os.read(source, 1 << 16):
        while data:
            data = data[os.write(target, data) :]
    os.close(target)


def main() -> None:
    server = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert server.stdin is not None and server.stdout is not None
    back = threading.Thread(target=_copy, args=(server.stdout.fileno(), sys.stdout.fileno()), daemon=True)
    back.start()
    _copy(sys.stdin.fileno(), server.stdin.fileno())
    server.wait()
    back.join(timeout=5)


if __name__ == "__main__":
    main()
