"""The DLP engine: credential formats and personal data, flagged and not, one Hyperscan pass
with a pure-Python path that gives the same results, JSON field paths, redaction, and hostile
input in bounded time."""

from __future__ import annotations

import base64
import json
import time

import pytest

from mcpward.dlp._engine import Engine, builtin_rules
from mcpward.dlp.report import scan_source
from mcpward.dlp.scanning import ScanLimitError, redact, scan_json, scan_text, strings_of

GITHUB = "ghp_" + "R8xkq2Vb7LmN4pZs1TyW9cUf3HjD6gAe0K5o"


def _b64(document: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


JWT_HEADER = _b64({"alg": "HS256", "typ": "JWT"})
JWT_CLAIMS = _b64({"sub": "4711", "name": "Ada", "iat": 1760000000})

FLAGGED = [
    (f"export GITHUB_TOKEN={GITHUB}", "github-token"),
    ("aws_access_key_id = AKIA" + "Q3EGRKL5M7ZXN2TB", "aws-access-key-id"),
    ("slack: xoxb-" + "2468013579-1357924680-Zk8Lm2Vb9RtN4pZs1TyW8cUf", "slack-token"),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "private-key",
    ),
    ("DATABASE_URL=postgres://app:Wq8Lm2Vb9Rt@db.internal:5432/prod", "database-url-password"),
    ("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", "openrouter-api-key"),
    ("Please write to jane.doe@corp-mail.co.uk today", "email-address"),
    ("Card 4539 1488 0343 6467 expires 04/29", "credit-card"),
    ("IBAN GB82 WEST 1234 5698 7654 32", "iban"),
    ("SSN 536-22-4567 on file", "us-ssn"),
    ("connect from 81.2.69.142 please", "ipv4-address"),
    ("client 2a02:8071:51d0:3f00:9c1d:4e2b:77a1:2c05 connected", "ipv6-address"),
    ("call +44 20 7946 0958 tomorrow", "phone-number"),
    ('db: {password: "Winter2025!x"}', "keyed-secret"),
    ("API_KEY=a8F3kq92LmZx71PqR ./run.sh", "keyed-secret"),
    (
        'curl -H "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0" https://api.example.io',
        "authorization-header",
    ),
    ("curl -u admin:Sup3rS3cret! https://api.example.io", "curl-user-password"),
    ("pip index https://deploy:Wq8Lm2Vb9R@pypi.corp-internal.io/simple", "url-password"),
    # over continued lines, and a key given as the user name with an empty password
    (
        "curl -X POST https://api.corp.io/v1/jobs \\\n  -H 'Accept: application/json' \\\n  -u ci:Tq7vG2h1L8",
        "curl-user-password",
    ),
    ('curl -u "d2LkV78zLx!t:" https://search.corp.io:9200', "curl-user-password"),
    (
        "AWS_BEARER_TOKEN_BEDROCK=ABSK"
        + base64.b64encode(b"BedrockAPIKey-k9q2-at-123456789012:Zq8Lm2Vb9RtN4pZs1TyW8c").decode(),
        "aws-bedrock-api-key",
    ),
    (f"token={JWT_HEADER}.{JWT_CLAIMS}.Xq3LmZ81pR_v0aK2wN9eT4cYb7", "jwt"),
    (f"unsigned: {JWT_HEADER}.{JWT_CLAIMS}", "jwt"),  # an unsecured token is still a bearer token
    ("//npm.corp-registry.io/:_authToken=9b2e41c7-55d0-4f3a-8e6b-1c7d0a9f2e34", "keyed-secret"),
    ('{"clientSecret": "Qm8zLp2Vx7RkN4sT"}', "keyed-secret"),
    ("DB_PASS=hunter22 ./migrate", "keyed-secret"),
    ("curl --user deploy:'Tq7vG2h1L8nRkW' -X PATCH https://api.corp.io", "curl-user-password"),
    ('curl -u ":Zk4Lm9Vq2Rt!" https://localhost:9200', "curl-user-password"),
    (
        "curl -H 'Authorization: 7c1e9a42-3b5d-4f8e-a6c0-2d9b8e1f4a73' https://api.corp.io",
        "authorization-header",
    ),
    ('-H "Authorization: Api-Token 41dc876a2b0e4f59c31a8d7e6f20b95c4d1e3a87"', "authorization-header"),
    ("app token 1624358790123456|Kq8zLp2Vx7RkN4sTw1Yb9Cd3Ef5", "facebook-app-token"),
    ("Mobile: 041-412-293, desk 986.291.2294x751", "phone-number"),
    ("Can someone call me on (07) 5331 0577? Thanks", "phone-number"),
    ("Kate Edger Place\n69 987 88 37 office", "phone-number"),
    ("trigger: glptt-" + "4f0c9a2e7b1d38e65a2c9f0b7d3e1a46c8b2d5f9", "gitlab-token"),
    ("UV_PUBLISH_TOKEN=pypi-AgEIcHlwaS5vcmc" + "CJGQ3Zjk2" * 10, "pypi-token"),
    ("testpypi: pypi-AgENdGVzdC5weXBpLm9yZw" + "IkN2YxOW" * 10, "pypi-token"),
    ("twilio SK" + "3f9a0c2e7b4d18e65a2c9f0b7d3e1a46", "twilio-api-key"),
    ("http://hooks.slack.com/services/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", "slack-webhook"),
]
NOT_FLAGGED = [
    "export GITHUB_TOKEN=${GITHUB_TOKEN}",
    "STRIPE_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx",
    "version 1.2.3.4 released",
    "Card 4539 1488 0343 6468 is not a valid number",  # fails Luhn
    "IBAN GB82 WEST 1234 5698 7654 33",  # fails mod-97
    "SSN 000-12-3456 and 666-12-3456 are never issued",
    "order 123-45-6789 is a test number",
    "postgres://localhost/app and https://example.com/path",
    "the aws region is us-east-1 and the bucket is logs-2025",
    "DB_PASSWORD=${DB_PASSWORD} and token: <your-token>",
    "max_tokens: 4096, TOKEN_URL=https://auth.example.com/t, password: changeme",
    "Authorization: Bearer ${TOKEN} and https://user:password@host/ and curl -u me:$PASS",
    # Starts like a JWT but the header is cut short, so it does not decode.
    f"id {JWT_HEADER[:-3]}.{JWT_CLAIMS}.Xq3LmZ81pR_v0aK2wN9eT4cYb7",
    'maxTokens: 4096, publicToken = "pk9Xw2LmQ7rT4vB8nZ1s", keyVaultName: kv-prod-westeu-0042',
    "csrf-token=Zq8Lm2Vb9RtN4pZs1TyW8cUf and access_token=ACCESS_TOKEN",
    "curl http://files.local:5000/f --user user:pass --digest and Authorization: Bearer",
    "curl -u $API_KEY: https://api.corp.io and curl -u YOUR_API_KEY: https://api.corp.io",
    "ABSKQmVkcm9ja0FQSUtleS1" + "EXAMPLE" * 14 + "=",  # the documentation's example key
    "curl https://api.corp.io/status\nthe user ran -u admin:Tq7vG2h1L8 elsewhere",  # not the same command
    "| 2024 | 123456789012345|notes about the release and more |",  # a table, not a token
    "The office reopened on 2024-05-01 10:30 after the move.",
    "listen on 127.0.0.1:8080, docs use 203.0.113.7 and 2001:db8::1, the LAN is 10.0.0.0/8",
    # code shown to a model: names, member paths and calls are not secret values
    "token = options.token; password = self.config.api_token; apiKey: string2(),",
    "headers: {Authorization: 'Bearer token123'}, --api-key=YOUR_STRIPE_SECRET_KEY",
    'if (pem.indexOf("-----BEGIN PRIVATE KEY-----") !== 0) throw new Error("not PKCS#8");',
    "write to user@example.com or ops@build.test for the sample",
    "enableTokenPassthrough: boolean\n# First pass: prefer exact matches, bypass: disabled",
    "glptt-" + "4f0c9a2e7b1d38e65a2c",  # a pipeline-trigger token is 40 characters, not 20
    "Office 365 E3: 12 seats; call the API 3 times; home directory size 2048",
]


@pytest.mark.parametrize("text,rule", FLAGGED)
def test_flagged(text: str, rule: str) -> None:
    assert rule in [m.rule for m in scan_text(text)]


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_not_flagged(text: str) -> None:
    assert [(m.rule, text[m.start : m.end]) for m in scan_text(text)] == []


def test_one_table_of_credential_formats_serves_the_engine_the_scan_and_redaction() -> None:
    from mcpward.dlp import find_credentials, redact_text
    from mcpward.dlp._credentials import CREDENTIAL_FORMATS

    secret_rules = {r.id for r in builtin_rules() if r.kind == "secret"}
    assert {f.kind for f in CREDENTIAL_FORMATS} <= secret_rules
    # Formats that once lived in the engine's own table only: found by all three now.
    token = "cfut_" + "Q2x9Lm4Nb7Vc1Xz8Kj3Hg6Fd5Sa0Pw2Oe4Ri7Ty9Uu1Io3Pa"
    text = f"CLOUDFLARE_API_TOKEN={token}"
    assert [m.kind for m in find_credentials(text)] == ["cloudflare-api-token"]
    assert [m.rule for m in scan_text(text)] == ["cloudflare-api-token"]
    assert token not in redact_text(text) and "cfut_" in redact_text(text)
    # A format whose match alone does not make a credential (a URL template's {password}) is
    # not one of find_credentials' (whose callers refuse or report on a match alone).
    assert find_credentials("DATABASE_URL=postgres://app:{password}@localhost/app") == []


def test_at_least_sixty_credential_types() -> None:
    assert len({r.id for r in builtin_rules() if r.kind == "secret"}) >= 60


def test_hyperscan_and_python_paths_agree() -> None:
    native, python = Engine(), Engine(use_hyperscan=False)
    assert native.native and not python.native
    corpus = "\n".join(text for text, _ in FLAGGED) + "\n" + "\n".join(NOT_FLAGGED)
    assert native.scan(corpus) == python.scan(corpus)
    assert len(native.scan(corpus)) >= len(FLAGGED)


def test_json_paths_keys_and_redaction() -> None:
    value = {
        "params": {
            "arguments": {"to": "jane.doe@corp-mail.co.uk", "notes": [f"token {GITHUB}"]},
            "jane@corp-mail.co.uk": "key",
        }
    }
    found = {(m.rule, m.path) for m in scan_json(value)}
    assert found == {
        ("email-address", "$.params.arguments.to"),
        ("github-token", "$.params.arguments.notes[0]"),
        ("email-address", "$.params['jane@corp-mail.co.uk'](key)"),
    }
    assert redact(f"use {GITHUB} now") == "use ghp_**** now"


def test_deep_json_is_a_clear_limit_not_a_crash() -> None:
    deep: object = "x"
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ScanLimitError, match="deeper than"):
        list(strings_of(deep))
    report = scan_source(json.dumps(deep).encode(), "deep.json")
    assert any("not scanned completely" in e.message for e in report.errors)


def test_pathological_inputs_run_in_bounded_time() -> None:
    cases = [
        "a" * 200_000 + "@",
        "1-" * 100_000,
        "ghp_" * 50_000,
        "://" + ":" * 100_000 + "@",
        "\x00\xff" * 100_000,
        "eyJ" + "a" * 200_000 + ".",
        ("1." * 100_000) + "1",
        "curl " + "\\\n" * 100_000 + " -u",
        "curl -u " + "k" * 200_000 + ":",
    ]
    for text in cases:
        started = time.monotonic()
        scan_text(text)
        assert time.monotonic() - started < 10, text[:20]


def test_invalid_utf8_is_reported_and_still_scanned() -> None:
    data = b"\xff\xfe broken " + f"token {GITHUB}".encode()
    report = scan_source(data, "blob.bin")
    assert [f.rule for f in report.findings] == ["github-token"]
    assert any("not valid UTF-8" in e.message for e in report.errors)


def test_cli_json_output_has_types_paths_offsets_and_masks(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "call.json"
    source.write_text(json.dumps({"arguments": {"body": f"here is {GITHUB}"}}))
    result = cli("dlp", "scan", str(source), "-f", "json", "--fail-on", "high")
    assert result.exit_code == 1
    [finding] = result.json()["findings"]
    assert (finding["rule"], finding["field"], finding["start"], finding["evidence"]) == (
        "github-token",
        "$.arguments.body",
        8,
        "ghp_****",
    )
    assert GITHUB not in result.stdout


def test_keyed_secrets_are_found_at_the_right_offsets_whatever_the_case_and_script() -> None:
    from mcpward.dlp.scanning import scan_text

    for text in (
        "İstanbul ofis PASSWORD=Zq8#mW2$vL7pRt4",
        "Config: Api_Key = 'Zq8mW2vL7pRt4kN9xB3c'",
        "passed; password: Zq8#mW2$vL7pRt4",
    ):
        matches = [m for m in scan_text(text) if m.rule == "keyed-secret"]
        assert len(matches) == 1, text
        assert text[matches[0].start : matches[0].end].startswith("Zq8")
    assert [
        m for m in scan_text("The build passed all 1,204 tests; tokens were refreshed.") if m.kind == "secret"
    ] == []
