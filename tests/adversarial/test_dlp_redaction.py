"""Private keys and every credential the engine reports must leave no readable part behind.

The attacker (a tool result, a rationale, an error message that quotes a file) carries a real
private key; what the gateway forwards, what the audit log keeps and what the registry stores
must hold none of its body, whatever the line endings, escaping or truncation. And every value
the engine reports as a secret must be masked by ``redact_text`` too (two tables once had
different reach: a Cloudflare ``cfat_`` token was reported and left readable)."""

from __future__ import annotations

import base64
import json
import random
import re
import string
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from mcpward.dlp import redact_text
from mcpward.dlp._engine import CHUNK, Engine, builtin_rules
from mcpward.dlp.scanning import redact, redact_json, scan_json, scan_text

_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_EC = ec.generate_private_key(ec.SECP256R1())
_ED = ed25519.Ed25519PrivateKey.generate()


def _pem(key: Any, fmt: serialization.PrivateFormat, password: bytes | None = None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return str(key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode())


def _armored(kind: str, payload: bytes, headers: str = "", width: int = 64) -> str:
    body = base64.b64encode(payload).decode()
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    return f"-----BEGIN {kind}-----\n{headers}" + "\n".join(lines) + f"\n-----END {kind}-----\n"


def _pgp_private_block() -> str:
    payload = random.Random(7).randbytes(900)  # noqa: S311 (reproducible test data)
    body = base64.b64encode(payload).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: exported\n\n"
        + "\n".join(lines)
        + "\n=Zk4Q\n-----END PGP PRIVATE KEY BLOCK-----\n"
    )


def _putty_key(encrypted: bool) -> str:
    rng = random.Random(11)  # noqa: S311

    def lines(size: int) -> list[str]:
        body = base64.b64encode(rng.randbytes(size)).decode()
        return [body[i : i + 64] for i in range(0, len(body), 64)]

    public, private = lines(51), lines(200)
    kdf = (
        "Key-Derivation: Argon2id\nArgon2-Memory: 8192\nArgon2-Passes: 13\nArgon2-Parallelism: 1\n"
        "Argon2-Salt: 3c9a1e7f25b04d68a1e2f3c4d5b6a798\n"
        if encrypted
        else ""
    )
    return (
        "PuTTY-User-Key-File-3: ssh-ed25519\n"
        f"Encryption: {'aes256-cbc' if encrypted else 'none'}\n"
        "Comment: deploy@build-07\n"
        f"Public-Lines: {len(public)}\n"
        + "\n".join(public)
        + "\n"
        + kdf
        + f"Private-Lines: {len(private)}\n"
        + "\n".join(private)
        + "\n"
        "Private-MAC: 6f1c0b9e8d7a4c3b2a19f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a49\n"
    )


KEYS: dict[str, str] = {
    "rsa-pkcs1": _pem(_RSA, serialization.PrivateFormat.TraditionalOpenSSL),
    "rsa-pkcs8": _pem(_RSA, serialization.PrivateFormat.PKCS8),
    "rsa-pkcs8-encrypted": _pem(_RSA, serialization.PrivateFormat.PKCS8, b"correct horse"),
    "rsa-pkcs1-encrypted": _pem(_RSA, serialization.PrivateFormat.TraditionalOpenSSL, b"correct horse"),
    "ec-sec1": _pem(_EC, serialization.PrivateFormat.TraditionalOpenSSL),
    "ed25519-openssh": _pem(_ED, serialization.PrivateFormat.OpenSSH),
    "ed25519-pkcs8": _pem(_ED, serialization.PrivateFormat.PKCS8),
    "pgp": _pgp_private_block(),
    "putty": _putty_key(encrypted=False),
    "putty-encrypted": _putty_key(encrypted=True),
}

_HEADER_LINE = re.compile(r"^(?:-----|[A-Za-z0-9-]+: )")


def _secret_lines(key: str) -> list[str]:
    """The lines of a key that carry key material (not its armour or its header names)."""
    found = []
    for line in key.splitlines():
        line = line.strip()
        if line.startswith(("Argon2-Salt: ", "Private-MAC: ")):
            found.append(line.split(": ", 1)[1])
        elif line and not _HEADER_LINE.match(line) and len(line) >= 8:
            found.append(line)
    assert found
    return found


def _cut_off(key: str) -> str:
    """The key without its END line (or MAC) and with its last line cut in half, as a
    truncated paste."""
    lines = key.rstrip("\n").splitlines()[:-1]
    return "\n".join([*lines[:-1], lines[-1][: len(lines[-1]) // 2]]) + "\n"


def _variants(key: str) -> dict[str, tuple[str, str]]:
    """(text the attacker sends, the key as it appears in it) in several spellings."""
    crlf = key.replace("\n", "\r\n")
    escaped = json.dumps(key)[1:-1]
    double = json.dumps(json.dumps(key))[1:-1]
    one_line = key.replace("\n", " ")
    indented = "\n".join("    " + line for line in key.splitlines())
    cut = _cut_off(key)
    return {
        "lf": (f"here is the file:\n{key}\nthanks", key),
        "crlf": (f"file:\r\n{crlf}\r\nthanks", key),
        "json-escaped": ('{"path": "id_key", "content": "' + escaped + '"}', key),
        "json-in-json": ('{"log": "' + double + '"}', key),
        # PEM keys pasted with their lines joined by spaces (a PuTTY file is line-oriented)
        **({"spaces": (f"KEY='{one_line}' ./deploy", key)} if key.startswith("-----") else {}),
        "yaml-indented": (f"ssh_key: |\n{indented}\nhost: build-07", key),
        "cut-off": (f"the paste ends here:\n{cut}", cut),
        "cut-off-escaped": ('{"content": "' + json.dumps(cut)[1:-1] + '"}', cut),
    }


CASES = [
    (f"{name}/{variant}", text, shown)
    for name, key in KEYS.items()
    for variant, (text, shown) in _variants(key).items()
]


def _leaks(output: str, shown: str) -> list[str]:
    # The output may keep the JSON escapes of its input: look for each line as it was sent.
    return [line for line in _secret_lines(shown) if line in output or line[:16] in output]


@pytest.mark.parametrize(("text", "shown"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_redact_text_masks_the_whole_private_key(text: str, shown: str) -> None:
    assert _leaks(redact_text(text), shown) == []


@pytest.mark.parametrize(("text", "shown"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_engine_masks_the_whole_private_key(text: str, shown: str) -> None:
    matches = scan_text(text)
    assert any(m.rule == "private-key" for m in matches)
    assert _leaks(redact(text, matches), shown) == []
    # Forwarded as a tool result: the gateway redacts the JSON value by its matches.
    message = {"content": [{"type": "text", "text": text}]}
    forwarded = json.dumps(redact_json(message, scan_json(message)))
    assert _leaks(json.loads(forwarded)["content"][0]["text"], shown) == []


def test_a_header_line_in_code_is_no_key() -> None:
    code = 'if (pem.indexOf("-----BEGIN PRIVATE KEY-----") !== 0) throw new Error("not PKCS#8");'
    assert redact_text(code) == code
    assert [m.rule for m in scan_text(code)] == []


# -- every secret the engine reports is masked by redact_text ---------------------------------

_p: Any = __import__("re._parser", fromlist=["_parser"])
_c: Any = __import__("re._constants", fromlist=["_constants"])


def _example(pattern: str, rng: random.Random, caseless: bool) -> str:
    """A random string that the pattern matches (most of the time): each set drawn from, each
    repetition at a random count within its bounds (capped), the first branch or another."""
    groups: dict[int, str] = {}

    def pick(items: Any) -> str:
        choices: list[str] = []
        for op, value in items:
            if op is _c.LITERAL:
                choices.append(chr(value))
            elif op is _c.RANGE:
                choices += [chr(c) for c in range(value[0], value[1] + 1)]
            elif op is _c.CATEGORY:
                choices += list(
                    {
                        _c.CATEGORY_DIGIT: string.digits,
                        _c.CATEGORY_WORD: string.ascii_letters + string.digits,
                        _c.CATEGORY_SPACE: " ",
                        _c.CATEGORY_NOT_SPACE: string.ascii_letters,
                        _c.CATEGORY_NOT_DIGIT: string.ascii_letters,
                        _c.CATEGORY_NOT_WORD: ".",
                    }[value]
                )
            elif op is _c.NEGATE:
                return rng.choice(string.ascii_letters + string.digits)
        return rng.choice(choices)

    def walk(tree: Any) -> str:
        out = []
        for op, value in tree:
            if op is _c.LITERAL:
                out.append(chr(value))
            elif op is _c.IN:
                out.append(pick(value))
            elif op is _c.NOT_LITERAL or op is _c.ANY:
                out.append(rng.choice(string.ascii_letters))
            elif op is _c.BRANCH:
                out.append(walk(rng.choice(value[1])))
            elif op is _c.SUBPATTERN:
                text = walk(value[3])
                if value[0] is not None:
                    groups[value[0]] = text
                out.append(text)
            elif op is _c.GROUPREF:
                out.append(groups.get(value, ""))
            elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
                low, high, sub = value
                high = min(high, low + 40, 400)
                out.append("".join(walk(sub) for _ in range(rng.randint(low, max(low, high)))))
            elif op is _c.ATOMIC_GROUP:
                out.append(walk(value))
        return "".join(out)

    return walk(_p.parse(pattern, re.IGNORECASE if caseless else 0))


def _jwt() -> str:
    def part(document: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

    return part({"alg": "HS256"}) + "." + part({"sub": "4711", "iat": 1760000000}) + ".Xq3LmZ81pR_v0aK2wN9eT4"


#: Rules whose matches a random string rarely makes (context, validators): written examples.
_WRITTEN: dict[str, Callable[[], str]] = {
    "jwt": _jwt,
    "keyed-secret": lambda: 'db: {password: "Winter2025!x"}',
    "authorization-header": lambda: "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "curl-user-password": lambda: "curl -u admin:Sup3rS3cret! https://api.example.io",
    "url-password": lambda: "pip index https://deploy:Wq8Lm2Vb9R@pypi.corp-internal.io/simple",
    "url-user-key": lambda: "git clone https://Wq8Lm2Vb9RtN4pZs1TyW8c@git.corp-internal.io/acme/tools.git",
    "url-path-key": lambda: "endpoint: https://mcp.corp-internal.io/mcp/Wq8Lm2Vb9RtN4pZs1TyW8c/sse",
    "database-url-password": lambda: "DATABASE_URL=postgres://app:Wq8Lm2Vb9Rt@db.internal:5432/prod",
    "gcp-service-account": lambda: '{"type": "service_account", "project_id": "p-7", "private_key": "x"}',
    "private-key": lambda: KEYS["rsa-pkcs8"],
    "aws-bedrock-api-key": lambda: (
        "ABSK" + base64.b64encode(b"BedrockAPIKey-k9q2-at-123456789012:Zq8Lm2Vb9RtN4pZs1TyW8c").decode()
    ),
}


def _examples_by_rule() -> dict[str, list[str]]:
    engine = Engine()
    found: dict[str, list[str]] = {}
    for rule in builtin_rules():
        if rule.kind != "secret":
            continue
        if rule.id in _WRITTEN:
            text = " " + _WRITTEN[rule.id]() + " "
            if any(m.kind == "secret" for m in engine.scan(text)):
                found.setdefault(rule.id, []).append(text)
            continue
        rng = random.Random(rule.id)  # noqa: S311
        for _ in range(200):
            text = " " + _example(rule.pattern, rng, rule.caseless) + " "
            # reported by this rule or by a broader one (ghu_ tokens are github-token's too)
            if any(m.kind == "secret" for m in engine.scan(text)):
                found.setdefault(rule.id, []).append(text)
                break
    return found


def test_every_secret_the_engine_reports_is_masked_by_redact_text() -> None:
    examples = _examples_by_rule()
    secret_rules = {rule.id for rule in builtin_rules() if rule.kind == "secret"}
    assert secret_rules - examples.keys() == set(), "a secret rule without an example"
    engine = Engine()
    leaked = []
    for rule_id, texts in examples.items():
        for text in texts:
            masked = redact_text(text)
            for match in engine.scan(text):
                if match.kind != "secret":
                    continue
                value = text[match.start : match.end]
                hidden = value[len(match.redacted.removesuffix("****")) :]
                if len(hidden) >= 4 and hidden in masked:
                    leaked.append((rule_id, match.rule))
    assert leaked == []


def test_cloudflare_token_is_masked() -> None:
    token = "cfat_" + "Zq8Lm2Vb9RtN4pZs1TyW8cUfK3HjD6gAe0K5oQ7xY2wB"
    assert any(m.rule == "cloudflare-api-token" for m in scan_text(f"CF={token}"))
    assert token[5:] not in redact_text(f"export CF_API={token}")
    assert "cfat_****" in redact_text(f"export CF_API={token}")


def test_a_long_key_across_the_engines_chunk_boundary_is_masked_whole() -> None:
    """The engine scans long texts in chunks of 1 MB; a 16 KB key that starts just before a
    chunk's end must not leave the part past that end readable."""
    big = _armored("PGP PRIVATE KEY BLOCK", random.Random(3).randbytes(12_000))  # noqa: S311
    filler = "log line without anything in it\n" * ((CHUNK - 200) // 32)
    text = filler + big + "\nend of the log"
    assert len(filler) < CHUNK < len(filler) + len(big)
    masked = redact(text, scan_text(text))
    assert _leaks(masked, big) == []
    assert _leaks(redact_text(text), big) == []


def test_a_key_pasted_into_a_registry_rationale_is_not_stored(tmp_path: Any) -> None:
    """A reviewer pastes the server's key into the rationale of a decision: the registry
    (a real SQLite file) must store and audit none of it, nor a Cloudflare token."""
    from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome

    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    entry = registry.request(
        EntryRequest(
            name="io.github.acme/files",
            identity=Identity(kind="package", ecosystem="npm", name="@acme/files", version="1.2.3"),
            owner="team-platform",
            scope=DataScope(reads=("project files",)),
            vet=VetOutcome(verdict="pass"),
        ),
        "alice",
    )
    token = "cfat_" + "Zq8Lm2Vb9RtN4pZs1TyW8cUfK3HjD6gAe0K5oQ7xY2wB"
    key = KEYS["ed25519-openssh"].replace("\n", "\r\n")
    registry.reject(entry.id, "carol", f"it ships its own key:\r\n{key}\r\nand {token}")
    stored = json.dumps([str(registry.get(entry.id)), [str(event) for event in registry.audit()]])
    assert _leaks(stored.replace("\\r\\n", "\n"), KEYS["ed25519-openssh"]) == []
    assert token[5:] not in stored


def test_the_engines_other_formats_are_masked_in_a_scanned_config(tmp_path: Any) -> None:
    """A launch line and an environment carry a Cloudflare and a Vault token under names that
    say nothing: the inventory (a real scan of a real config file) keeps neither readable."""
    from mcpward.model import to_jsonable
    from mcpward.scan import ScanOptions, run_scan

    cloudflare = "cfat_" + "Zq8Lm2Vb9RtN4pZs1TyW8cUfK3HjD6gAe0K5oQ7xY2wB"
    vault = "hvs." + "CAESIJq8Lm2Vb9RtN4pZs1TyW8cUfK3HjD6g"
    config = tmp_path / "home" / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    servers = {
        "cf": {"command": "npx", "args": ["-y", "cf-mcp", "--header", cloudflare], "env": {"V": vault}}
    }
    config.write_text(json.dumps({"mcpServers": servers}))
    report = json.dumps(to_jsonable(run_scan(ScanOptions(home=tmp_path / "home"))))
    assert "cf-mcp" in report
    assert cloudflare[5:] not in report
    assert vault[4:] not in report
