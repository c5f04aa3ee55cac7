"""``shell-wrapper``: the launch goes through a shell, so the config is a shell command line.

Whoever can write the config (a project's ``.mcp.json`` arrives with a ``git clone``) runs
arbitrary commands through it. The plain Windows form ``cmd /c npx -y pkg`` is the documented
way to start npx there and is reported low; scripts with pipes, substitution, encoded
commands or a download piped into an interpreter are reported high to critical.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.dlp import redact_command_line
from mcpward.model import Category, Finding, Severity
from mcpward.scan.interface import ConfigCheck, ServerContext

_REMEDIATION = (
    "Launch the server program directly (command and args, no shell); if a wrapper is needed, "
    "make it a reviewed script file with a fixed path."
)


def _excerpt(script: str, limit: int = 160) -> str:
    text = redact_command_line(" ".join(script.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ShellWrapper(ConfigCheck):
    category = Category.SHELL_WRAPPER

    def check(self, server: ServerContext) -> Iterator[Finding]:
        wrap = server.launch.shell
        if wrap is not None:
            evidence = f"{wrap.shell}: {_excerpt(wrap.script)}"
            if wrap.downloads_to_shell:
                yield server.finding(
                    rule="shell-download-exec",
                    category=self.category,
                    severity=Severity.CRITICAL,
                    message="The launch downloads code and pipes it into an interpreter: whatever "
                    "the URL serves at that moment runs with your credentials.",
                    evidence=evidence,
                    remediation=_REMEDIATION,
                )
            elif wrap.encoded:
                yield server.finding(
                    rule="shell-encoded-command",
                    category=self.category,
                    severity=Severity.HIGH,
                    message="The launch runs a base64-encoded PowerShell command, which hides "
                    "what it does from review.",
                    evidence=evidence,
                    remediation=_REMEDIATION,
                )
            elif wrap.has_metachars or wrap.has_substitution:
                what = "command substitution" if wrap.has_substitution else "shell operators"
                yield server.finding(
                    rule="shell-script",
                    category=self.category,
                    severity=Severity.HIGH,
                    message=f"The launch runs a shell script with {what} through {wrap.shell}.",
                    evidence=evidence,
                    remediation=_REMEDIATION,
                )
            else:
                yield server.finding(
                    rule="shell-wrapper",
                    category=self.category,
                    severity=Severity.LOW,
                    message=f"The launch goes through {wrap.shell}; the server's command line is "
                    "interpreted by a shell.",
                    evidence=evidence,
                    remediation=_REMEDIATION,
                )
        elif server.launch.command_has_shell_syntax:
            yield server.finding(
                rule="shell-syntax-in-command",
                category=self.category,
                severity=Severity.MEDIUM,
                message="The command field holds a whole command line with shell operators; "
                "clients that start servers through a shell will interpret them.",
                evidence=_excerpt(server.raw.command or ""),
                remediation=_REMEDIATION,
            )
