"""``plaintext-secret``: a credential written literally into a config.

Recognised by its issuer's format anywhere in env values, headers, arguments and URLs, and by
key name (``API_KEY``, ``--token``, ``Authorization``) where the value looks like a secret
rather than a reference (``${env:TOKEN}``) or a placeholder. Only masked text is reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.dlp import SecretHit, assess_value, redact_argv, redact_text, shell_words
from mcpward.model import Category, Finding, Severity
from mcpward.output.words import with_article
from mcpward.scan.interface import ConfigCheck, ServerContext


def secret_hits(server: ServerContext) -> list[SecretHit]:
    raw = server.raw
    hits: list[SecretHit] = []
    # A name is shown masked (where it says the value is): a token pasted as a name is a token.
    for name, value in raw.env.items():
        hits.extend(assess_value(f"env:{redact_text(name)}", name, value))
    for name, value in raw.headers.items():
        hits.extend(assess_value(f"header:{redact_text(name)}", name, value))
    if raw.url:
        hits.extend(assess_value("url", None, raw.url))
    hits.extend(redact_argv(raw.args, command=raw.command)[1])
    if raw.command and " " in raw.command.strip():
        words = shell_words(raw.command)
        hits.extend(
            SecretHit(f"command {h.where}", h.kind, h.redacted, h.by_format) for h in redact_argv(words)[1]
        )
    elif raw.command:
        # A program given by its path: a token of a known format in a folder's name
        # (``/home/u/ghp_.../bin/server``) is shown masked, and is a finding as in an argument.
        # By its form only: a path is no key=value, and ordinary folder names are no secret.
        hits.extend(hit for hit in assess_value("command", None, raw.command) if hit.by_format)
    return hits


class PlaintextSecret(ConfigCheck):
    category = Category.PLAINTEXT_SECRET

    def check(self, server: ServerContext) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        for hit in secret_hits(server):
            if (hit.where, hit.kind) in seen:
                continue
            seen.add((hit.where, hit.kind))
            how = with_article(f"{hit.kind} credential") if hit.by_format else "a literal secret"
            yield server.finding(
                rule="secret-known-format" if hit.by_format else "secret-by-key-name",
                category=self.category,
                severity=Severity.HIGH if hit.by_format else Severity.MEDIUM,
                message=f"{how} is written in plain text in {hit.where}.",
                evidence=f"{hit.where}: {hit.redacted}",
                remediation="Rotate it, then reference it instead of writing it: an environment "
                "variable (${env:NAME} / ${NAME}), the client's input prompt or secret storage, "
                "or the OS keychain.",
            )
