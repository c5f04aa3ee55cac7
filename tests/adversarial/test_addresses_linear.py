"""E-mail addresses found in linear time in what a server sends and a call names.

The gateway's baseline reads every tool argument and the sandbox's outbound check every body a
server sends for addresses (mcpward._addresses), up to 100,000 characters a string. Tried again
from each character of a long word that ends in ``@`` and no domain, the expression cost the
square of the word: 40,000 letters took 2.7 s, the whole limit about 17 s a string."""

from __future__ import annotations

import time

import pytest
from linear_time import superlinear

from mcpward._addresses import EMAIL, destinations, emails

#: Runs of the characters an address's first part takes, each ending where no address follows.
RUNS = {
    "a long word": ("x", "@"),
    "dots between letters": ("a.", "@ x"),
    "plus signs and hyphens": ("a+-", "@-"),
    "underscores": ("_", "@."),
    "a word per address sign": ("ab", "@@"),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_a_long_run_without_an_address_costs_its_length(name: str) -> None:
    run, tail = RUNS[name]
    small, large = (("Contact " + run * (size // len(run)) + tail) for size in (20_000, 80_000))
    assert superlinear(lambda text: list(emails(text)), small, large) is None


def test_a_whole_string_of_the_limit_is_read_at_once() -> None:
    text = "x" * 99_000 + "@ and ops@mail.example.net"
    started = time.thread_time()
    found = list(destinations({"to": text}))
    assert time.thread_time() - started < 0.5
    assert found == ["mail.example.net"]


@pytest.mark.parametrize(
    "text",
    [
        "write to a.b+c@mail.example.org, or to d@e.example.com.",
        "a@b.example.com+c@d.example.net and x@y.z..w@v.example.org",
        "x.@@y@host.example.com.@@",
        "__a_@b-c.d_e.f",
        "no address here @ all",
    ],
)
def test_the_same_addresses_as_the_expression_finds_everywhere(text: str) -> None:
    expected = [m.group(0).lower().strip(".") for m in EMAIL.finditer(text)]
    assert list(emails(text)) == expected
