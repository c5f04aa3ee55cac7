"""A vendor's brand written so the word check does not see it: run into ``mcp`` or a word
that makes an account look like the vendor's (``postmarkmcp``, ``mcppostmark``,
``postmarkapp-mcp``), misspelt by one letter (``postmak-mcp``, ``postmarks-mcp``), or as a
scope made to pass for the vendor's (``@postmarkhq/mcp``, ``@postmark-official/mcp``,
``@stripe-inc/mcp``, ``@notionhq-official/…``). The brand check read whole words only, so each
of these had no identity finding and passed, while ``postmark-mcp`` was review."""

from __future__ import annotations

import pytest

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Ecosystem


@pytest.mark.parametrize(
    ("ecosystem", "name", "brand"),
    [
        (Ecosystem.NPM, "postmarkmcp", "postmark"),
        (Ecosystem.NPM, "mcppostmark", "postmark"),
        (Ecosystem.NPM, "stripemcp", "stripe"),
        (Ecosystem.NPM, "slackmcp-server", "slack"),
        (Ecosystem.NPM, "postmarkapp-mcp", "postmark"),
        (Ecosystem.NPM, "postmarkhq-mcp-server", "postmark"),
        (Ecosystem.NPM, "postmak-mcp", "postmark"),
        (Ecosystem.NPM, "posmark-mcp", "postmark"),
        (Ecosystem.NPM, "postmarks-mcp", "postmark"),
        (Ecosystem.NPM, "hubspott-mcp", "hubspot"),
        (Ecosystem.PYPI, "PostmarkMCP", "postmark"),
        (Ecosystem.PYPI, "mcp_postmarkapp", "postmark"),
        (Ecosystem.PYPI, "postmak-mcp-server", "postmark"),
        (Ecosystem.NPM, "@postmarkhq/mcp", "postmark"),
        (Ecosystem.NPM, "@postmark-official/mcp", "postmark"),
        (Ecosystem.NPM, "@postmarkapp/mcp-server", "postmark"),
        (Ecosystem.NPM, "@postmark-hq/mcp", "postmark"),
        (Ecosystem.NPM, "@stripe-inc/mcp", "stripe"),
        (Ecosystem.NPM, "@stripehq/agent-toolkit", "stripe"),
        (Ecosystem.NPM, "@notionhq-official/notion-mcp-server", "notion"),
        (Ecosystem.NPM, "@anthropic-ai-official/sdk", "@anthropic-ai"),
    ],
)
def test_a_disguised_brand_needs_review(ecosystem: Ecosystem, name: str, brand: str) -> None:
    risks = assess_name(ecosystem, name)
    assert [(risk.kind, risk.imitates) for risk in risks] == [(NameRiskKind.BRAND, brand)]


@pytest.mark.parametrize(
    ("ecosystem", "name"),
    [
        (Ecosystem.NPM, "@stripe/mcp"),
        (Ecosystem.NPM, "@someone/postmarkmcp"),  # under its author's scope, as before
        (Ecosystem.NPM, "@google-cloud/storage"),  # vendors' own scopes with other words
        (Ecosystem.NPM, "@aws-sdk/client-s3"),
        (Ecosystem.NPM, "@twilio-labs/serverless-api"),
        (Ecosystem.NPM, "@google-ai/generativelanguage"),
        (Ecosystem.NPM, "@sentry-internal/tracing"),
        (Ecosystem.NPM, "motion-mcp"),  # one letter from a short brand (notion) is a word
        (Ecosystem.NPM, "stack-mcp"),
        (Ecosystem.NPM, "slick-mcp"),
        (Ecosystem.NPM, "confluent-mcp"),
        (Ecosystem.NPM, "mcp-server-kubernetes"),
        (Ecosystem.NPM, "mcp-remote"),
        (Ecosystem.NPM, "superpostmarket"),  # a brand inside a longer word is not the brand
        (Ecosystem.NPM, "awesome-mcp"),
        (Ecosystem.NPM, "drawsmcp"),
        (Ecosystem.PYPI, "postmarker"),
        (Ecosystem.PYPI, "pymongo"),
        (Ecosystem.PYPI, "mcp-server-fetch"),
        (Ecosystem.PYPI, "mcp-neo4j-cypher"),
        (Ecosystem.PYPI, "snowflake-connector-mcp-bridge"),
    ],
)
def test_ordinary_and_own_names_are_not_taken_for_a_brand(ecosystem: Ecosystem, name: str) -> None:
    kinds = [risk.kind for risk in assess_name(ecosystem, name)]
    # snowflake is the brand there, spelt right: the existing word check, not a disguise
    assert kinds == ([NameRiskKind.BRAND] if "snowflake" in name else [])


def test_a_long_name_is_judged_in_linear_time() -> None:
    import time

    many_words = "-".join(f"abcd{i:06d}" for i in range(150_000))  # each a brand's length
    for name in (
        "postmarkapp" * 20_000 + "-mcp",
        "mcp-" + "postmak-" * 20_000,
        "@" + "hq-" * 20_000 + "/x",
        "mcp-" + many_words,
    ):
        started = time.perf_counter()
        assess_name(Ecosystem.NPM, name)
        assert time.perf_counter() - started < 2.0
