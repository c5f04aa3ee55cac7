"""A key's file named by a relative path or a bare file name (``--ssl-key certs/server-key.pem``,
``--tls-key=server.key``, ``-e SSH_KEY=id_ed25519``, ``--key-store conf/keys.p12``) and a key's
alias (``KEY_ALIAS=mcp-prod-2024``): none is a secret.

Since 2026-12-06 ``key`` is a word of a secret name wherever it stands, and a path counted as
one only when absolute or beginning ``./`` or ``~/``: each of these benign launch words was
masked and made a plaintext-secret finding. A key file's name ends as such files do (``.pem``,
``.key``, ``.p12``, ``.jks``, ``id_ed25519``); a key itself is masked as before."""

from __future__ import annotations

import pytest

from mcpward.dlp import redact_argv

SECRET = "Xq7vR2mK9pL4wZ8tQ3"

BENIGN = [
    ("--ssl-key", "certs/server-key.pem"),
    ("--tls-key=server.key",),
    ("--sign-key", "keys/sign.pem"),
    ("--key-store", "conf/keys.p12"),
    ("-Djavax.net.ssl.keyStore=keystore.jks",),
    ("-e", "SSH_KEY=id_ed25519"),
    ("--set", "tls.key=server.key"),
    ("--key", "certs/privkey.pem"),
    ("-e", "KEY_ALIAS=mcp-prod-2024"),
]


@pytest.mark.parametrize("argv", BENIGN, ids=lambda argv: " ".join(argv)[:40])
def test_a_key_file_or_alias_is_no_secret(argv: tuple[str, ...]) -> None:
    assert redact_argv(list(argv)) == (argv, [])


ATTACKS = [
    ("--ssl-key", SECRET),
    ("--tls-key=" + SECRET,),
    ("-e", f"SSH_KEY={SECRET}"),
    ("--key", f"{SECRET}.pem.{SECRET}"),
    ("--password", "certs/server.pem"),
]


@pytest.mark.parametrize("argv", ATTACKS, ids=lambda argv: " ".join(argv)[:30])
def test_a_key_is_still_masked(argv: tuple[str, ...]) -> None:
    masked, hits = redact_argv(list(argv))
    assert hits
    assert SECRET not in " ".join(masked)
