"""A token of a known format with a suffix after it, as tokens are named in configs and notes
(``ghp_<36 characters>-prod``, ``sk_live_<...>_staging``, ``AKIA<16>-ci``): every format's end
refused a "-" and a "_" after the token (so that a match could not stop inside a longer one),
also for formats whose alphabet holds neither, where nothing of the token is left after it.

Before (2026-12-05): ``find_credentials``, ``redact_text``, ``dlp scan`` and the gateway's DLP
found nothing: the token passed ``gateway run`` whole, both ways, with no event.

Now a "-" or "_" after a token whose alphabet holds neither ends it: the token is found and
masked and the suffix stays readable (``ghp_****-prod``). A "+" or "=" after it (inside
base64) still ends no token, nor does a "_" or "+" before it, and random base64 and base64url
hold no match."""

from __future__ import annotations

import base64
import random
import string
from pathlib import Path

from dlp_spelling_kit import assert_native_and_python_agree, notes_through_gateway

from mcpward.dlp import redact_text
from mcpward.dlp._credentials import find_credentials
from mcpward.dlp.scanning import scan_text

ALNUM = string.ascii_letters + string.digits


def _token(prefix: str, alphabet: str, length: int, seed: int) -> str:
    chooser = random.Random(seed)  # noqa: S311 - a made-up token in the issuer's format, seeded
    return prefix + "".join(chooser.choice(alphabet) for _ in range(length))


#: (rule, token, characters shown)
TOKENS = (
    ("github-token", _token("ghp_", ALNUM, 36, 901), 4),
    ("npm-token", _token("npm_", ALNUM, 36, 902), 4),
    ("stripe-key", _token("sk_live_", ALNUM, 24, 903), 8),
    ("aws-access-key-id", _token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 904), 4),
    ("groq-api-key", _token("gsk_", ALNUM, 52, 905), 4),
    ("supabase-token", _token("sbp_", "0123456789abcdef", 40, 906), 4),
)
SUFFIXES = ("-prod", "_staging", "-staging-v2", "_ci", "-")


def test_a_token_with_a_suffix_is_found_and_masked() -> None:
    for rule, token, shown in TOKENS:
        for suffix in SUFFIXES:
            for text in (token + suffix, f"GITHUB_TOKEN={token}{suffix}", f"the {token}{suffix} key"):
                assert [m.kind for m in find_credentials(text)] == [rule], text
                assert [m.rule for m in scan_text(text) if m.kind == "secret"] == [rule], text
                masked = redact_text(text)
                assert token[shown:] not in masked, masked
                assert f"{token[:shown]}****{suffix}" in masked, masked
    assert_native_and_python_agree([token + suffix for _, token, _ in TOKENS for suffix in SUFFIXES])


def test_masked_through_gateway_run(tmp_path: Path) -> None:
    texts = [f"{token}-prod and {token}_staging" for _, token, _ in TOKENS]
    read, notes = notes_through_gateway(tmp_path, texts, texts)
    received = notes.split("backup: ", 1)[1]
    for _, token, shown in TOKENS:
        assert token[shown:] not in read and token[shown:] not in received, token
    assert read.count("****-prod") == len(TOKENS) and received.count("****_staging") == len(TOKENS)


def test_no_token_inside_base64_or_a_longer_identifier() -> None:
    chooser = random.Random(907)  # noqa: S311 - noise, not a secret
    data = chooser.randbytes(3 << 20)
    for blob in (base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()):
        assert find_credentials(blob) == []
        assert [m.rule for m in scan_text(blob) if m.kind == "secret"] == []
    _, github, _ = TOKENS[0]
    for text in (f"abc+{github}-prod", f"name_{github}_prod", f"{github}+prod", f"{github}="):
        assert find_credentials(text) == [], text
    # ordinary names with a prefix of a format
    for text in ("ghp_token-prod", "npm_package_name_staging", "sk_live_mode_enabled-v2", "AKIA_prefix-ci"):
        assert find_credentials(text) == [] and redact_text(text) == text, text
