"""A direct connection to a host service over IPv6: the host's ``::1``, and the IPv4-mapped
form of 127.0.0.1 (``::ffff:127.0.0.1``), which an IPv6 socket reaches an IPv4 listener by.
Under Landlock the supervisor connects only to the proxy's IPv4 loopback address (its mapped
form included); the namespace backends have no host loopback at all. Held when written: this
test keeps it so, on bubblewrap and Landlock (the container engines cost too much to run
here for a check the namespace already makes)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_sandbox_escape import Listener

from needs import sandbox_backend
from test_sandbox import sandboxed


@pytest.fixture(params=["bubblewrap", "landlock"])
def backend(request: pytest.FixtureRequest) -> str:
    sandbox_backend(str(request.param))
    return str(request.param)


@pytest.fixture
def host_tcp6() -> Iterator[Listener]:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        listener = Listener(socket.AF_INET6, socket.SOCK_STREAM, ("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    yield listener
    listener.close()


@pytest.fixture
def host_tcp4() -> Iterator[Listener]:
    listener = Listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0))
    yield listener
    listener.close()


def test_no_host_service_is_reached_over_ipv6(
    tmp_path: Path, backend: str, host_tcp6: Listener, host_tcp4: Listener
) -> None:
    for address, listener in (("::1", host_tcp6), ("::ffff:127.0.0.1", host_tcp4)):
        port = str(listener.socket.getsockname()[1])
        outcome, _ = sandboxed(tmp_path, "direct", address, port, backend=backend)
        assert not outcome["ok"], (address, outcome)
    host_tcp6.close()
    host_tcp4.close()
    assert host_tcp6.received == [] and host_tcp4.received == []
