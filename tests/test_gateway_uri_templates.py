"""``expands_to``: whether a URI template (RFC 6570) can produce a URI, as the gateway asks it to
refuse reads that only a withheld template would serve. It over-approximates (any text for an
expression) so that no expansion is missed, and stays linear on a hostile template."""

from __future__ import annotations

import time

import pytest

from mcpward.gateway._interceptors.pins import expands_to


@pytest.mark.parametrize(
    ("template", "uri"),
    [
        ("docs://pages/{page}", "docs://pages/intro"),
        ("file:///{+path}", "file:///home/user/notes.txt"),
        ("repo://{owner}/{repo}/issues/{number}", "repo://octo/hello/issues/42"),
        ("search://q{?query,limit}", "search://q?query=mcp&limit=5"),
        ("api://{a}{b}", "api://xy"),
        ("plain://no-expressions", "plain://no-expressions"),
        ("tail://{x}/end", "tail:///end"),
    ],
)
def test_uris_a_template_expands_to(template: str, uri: str) -> None:
    assert expands_to(template, uri)


@pytest.mark.parametrize(
    ("template", "uri"),
    [
        ("docs://pages/{page}", "docs://private/intro"),
        ("repo://{owner}/{repo}/issues/{number}", "repo://octo/hello/pulls/42"),
        ("plain://no-expressions", "plain://no-expressions/more"),
        ("a{x}a", "a"),  # the two literals may not share a character
        ("x://{a}/mid/{b}/end", "x://a/end/mid"),
    ],
)
def test_uris_it_does_not(template: str, uri: str) -> None:
    assert not expands_to(template, uri)


def test_a_hostile_template_costs_linear_time() -> None:
    template = "x://" + "{a}a" * 20_000 + "{b}z"
    uri = "x://" + "a" * 200_000
    started = time.process_time()
    assert not expands_to(template, uri)
    assert time.process_time() - started < 1.0
