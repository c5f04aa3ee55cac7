"""What a test needs from the machine, and what happens when it is missing.

Outside CI a test whose backend or tool is missing skips with the reason. ``MCPWARD_REQUIRE``
names what must be there (a comma-separated list of the names below, or ``all``): a missing one
then fails the test instead, so that CI, which installs every one of them, cannot pass with a
containment or validation test skipped. ``.ci/run`` also sets ``MCPWARD_NO_SKIPS=1``, which
fails the run if any test skipped at all (tests/conftest.py).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from mcpward.sandbox import Backend

#: Everything a test may need that .ci/run installs.
KNOWN = frozenset(
    {"postgres", "browser", "npm-server", "sarif-multitool", "bubblewrap", "landlock", "podman", "docker"}
)


def required(what: str) -> bool:
    assert what in KNOWN, what
    named = {part.strip() for part in os.environ.get("MCPWARD_REQUIRE", "").split(",") if part.strip()}
    return "all" in named or what in named


def missing(what: str, why: str) -> NoReturn:
    """Skip (or, where ``what`` is required, fail) a test because ``what`` is missing."""
    if required(what):
        pytest.fail(f"{what} is required here (MCPWARD_REQUIRE) but {why}", pytrace=False)
    pytest.skip(f"{what}: {why}")


def sandbox_backend(name: str) -> Backend:
    """The sandbox backend ``name``, where it works on this machine (else :func:`missing`)."""
    from mcpward.sandbox import backends

    chosen = next(b for b in backends() if b.name == name)
    availability = chosen.check()
    if not availability.works:
        missing(name, availability.why)
    return chosen
