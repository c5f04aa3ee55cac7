"""A package's repository URL is read for its owner in linear time.

The URL is the publisher's (package metadata). The expression that read it was tried again
from each ``@`` of a run, reading the run to its end each time: 20,000 took 2.1 s, as the
square of the run; "@a:" repeated read to the end from each colon too."""

from __future__ import annotations

import pytest
from linear_time import superlinear

from mcpward.vet._rules import repository_owner

#: Hostile URLs of n characters.
SHAPES = {
    "a run of at signs": lambda n: "@" * n,
    "at signs between letters": lambda n: "a@" * (n // 2),
    "hosts and colons without a slash": lambda n: "@a:" * (n // 3),
    "schemes without a host": lambda n: "://" * (n // 3),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_hostile_url_costs_its_length(name: str) -> None:
    shape = SHAPES[name]
    assert superlinear(repository_owner, shape(20_000), shape(80_000)) is None


@pytest.mark.parametrize(
    ("url", "owner"),
    [
        ("git+https://github.com/Stripe/agent-toolkit.git", "stripe"),
        ("git@github.com:acme/tools.git", "acme"),
        ("ssh://git@host.example:22/team/repo", "22"),
        ("@@//:x/y/", ""),
        ("https://example.org", ""),
        (None, ""),
    ],
)
def test_the_owner_is_the_part_after_the_host(url: str | None, owner: str) -> None:
    assert repository_owner(url) == owner
