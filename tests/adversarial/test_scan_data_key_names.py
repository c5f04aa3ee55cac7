"""Names in which ``key`` is a data key, not a credential: a table's sort and partition keys,
an object's key in a bucket, a cache key's prefix, a translation key,
a keyboard shortcut, a signing key's fingerprint.

Since 2026-12-06 ``key`` is a word of a secret name wherever it stands (``STRIPE_KEY``,
``--service-key``, ``api.key``), and each of these benign launch words was masked and made a
plaintext-secret finding (``--sort-key createdAt``, ``-e CACHE_KEY_PREFIX=mcp:cache:v2``,
``--s3-object-key exports/2025-01.parquet``): a data key is named by what it keys, or by a word
after it that says it is no key itself (prefix, fingerprint, pattern). A credential named with
such a word besides a secret word (``SORT_API_KEY``) is still one."""

from __future__ import annotations

import pytest

from mcpward.dlp import is_secret_key, redact_argv

SECRET = "Xq7vR2mK9pL4wZ8tQ3"

BENIGN = [
    ("--sort-key", "createdAt"),
    ("--sort-key", "updated_at:desc"),
    ("--partition-key", "tenant#42"),
    ("-e", "DYNAMO_RANGE_KEY=created_at"),
    ("--object-key", "exports/2025-01.parquet"),
    ("-e", "CACHE_KEY_PREFIX=mcp:cache:v2"),
    ("--key-prefix", "tenant-42/"),
    ("--lookup-key", "email.address"),
    ("--dedupe-key", "order_id,line_no"),
    ("--translation-key", "home.title.welcome"),
    ("--shortcut-key", "Ctrl+Shift+K"),
    ("--signing-key-fingerprint", "3AA5C34371567BD2"),
    ("--set", "cache.keyPattern=user:*:profile"),
    ("-e", "IDEMPOTENCY_KEY_HEADER=Idempotency-Key"),
    # A publishable key is published by design (Stripe's pk_...), as a public one is.
    ("--publishable-key", "pk_test_TYooMQauvdEDq54NiTphI7jx"),
]


@pytest.mark.parametrize("argv", BENIGN, ids=lambda argv: " ".join(argv)[:40])
def test_a_data_key_is_no_secret(argv: tuple[str, ...]) -> None:
    redacted, hits = redact_argv(list(argv))
    assert hits == []
    assert redacted == argv


ATTACKS = [
    ("--service-key", SECRET),
    ("-e", f"STRIPE_KEY={SECRET}"),
    ("--set", f"api.key={SECRET}"),
    ("-e", f"SORT_API_KEY={SECRET}"),
    ("-e", f"CACHE_SECRET_KEY={SECRET}"),
    ("--key", SECRET),
    ("-e", f"ROUTING_KEY_TOKEN={SECRET}"),
    # Qualifiers that name credentials too: PagerDuty's integration key, Azure's account key, a
    # service account's JSON key.
    ("-e", f"PAGERDUTY_ROUTING_KEY={SECRET}"),
    ("-e", f"COSMOS_PRIMARY_KEY={SECRET}"),
    ("--json-key", SECRET),
]


@pytest.mark.parametrize("argv", ATTACKS, ids=lambda argv: " ".join(argv)[:30])
def test_a_credential_named_key_is_still_masked(argv: tuple[str, ...]) -> None:
    redacted, hits = redact_argv(list(argv))
    assert hits
    assert SECRET not in " ".join(redacted)


@pytest.mark.parametrize(
    "name", ["STRIPE_KEY", "openaiKey", "service-key", "api.key", "LICENSE_KEY", "MASTER_KEY"]
)
def test_secret_key_names_still_named(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["SORT_KEY", "partitionKey", "object-key", "KEY_PREFIX", "cache.keyPattern"])
def test_data_key_names_are_not_secret_names(name: str) -> None:
    assert not is_secret_key(name)
