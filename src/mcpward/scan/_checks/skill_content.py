"""``skill-content``: an agent skill (``SKILL.md`` and its scripts) checked with the checks that
apply to launch lines and tool descriptions: download-and-run in its commands and scripts,
hidden instructions in the description the model reads to pick it (inspect's rule-based
detectors) and invisible characters anywhere in it, and credentials written in it.

The body of a skill is instructions by design ("always run the linter first"), so the
tool-poisoning detectors read only its description; the body is checked for invisible
characters, whose only use is to hide text from the reviewer.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from mcpward._regex import compiled
from mcpward.dlp import find_credentials, redact_command_line
from mcpward.launch import resolve_launch
from mcpward.model import Category, Finding, Severity
from mcpward.scan.interface import ConfigCheck, ServerContext, SkillContent

_FENCE = compiled(r"^(```|~~~)[^\n]*\n(.*?)^\1", re.MULTILINE | re.DOTALL)
_SHELL_SCRIPT = (".sh", ".bash", ".zsh", ".ps1")
MAX_LINES = 5_000


def _command_lines(skill: SkillContent) -> Iterator[tuple[str, str]]:
    """Lines the skill runs: its fenced code blocks and its shell scripts."""
    count = 0
    for block in _FENCE.finditer(skill.body):
        for line in block[2].splitlines():
            count += 1
            if count > MAX_LINES:
                return
            yield "SKILL.md", line.strip().removeprefix("$ ")
    for path, text in skill.scripts:
        if path.lower().endswith(_SHELL_SCRIPT):
            for line in text.splitlines():
                count += 1
                if count > MAX_LINES:
                    return
                yield path, line.strip()


class SkillContentCheck(ConfigCheck):
    category = Category.SHELL_WRAPPER

    def check(self, server: ServerContext) -> Iterator[Finding]:
        skill = server.raw.skill
        if skill is None:
            return
        yield from self._download_and_run(server, skill)
        yield from self._instructions(server, skill)
        yield from self._credentials(server, skill)

    def _download_and_run(self, server: ServerContext, skill: SkillContent) -> Iterator[Finding]:
        for where, line in _command_lines(skill):
            if not line or line.startswith("#"):
                continue
            shell = resolve_launch("sh", ("-c", line)).shell
            if shell is not None and (shell.downloads_to_shell or shell.encoded):
                yield server.finding(
                    rule="skill-download-exec",
                    category=Category.SHELL_WRAPPER,
                    severity=Severity.HIGH,
                    message=f"The skill's {where} downloads code and runs it: whatever the URL serves "
                    "when the model follows the skill runs with the user's credentials.",
                    # Masked as a launch line is: a skill's command carries tokens as one does.
                    evidence=f"{where}: {redact_command_line(line)[:160]}",
                    remediation="Ship the script in the skill (reviewed, pinned) instead of fetching it.",
                )
                return

    def _instructions(self, server: ServerContext, skill: SkillContent) -> Iterator[Finding]:
        from mcpward.inspect import inspect_tool_texts

        spec = server.spec
        texts = [("description", skill.description)] if skill.description else []
        texts.append(("body", skill.body))
        for finding in inspect_tool_texts(spec.name, texts):
            if finding.tool == "body" and finding.category != Category.INVISIBLE_TEXT:
                continue
            yield dataclasses.replace(
                finding,
                host=spec.host,
                server=spec.name,
                server_id=spec.id,
                config_path=spec.config_path,
                line=None,
            )

    def _credentials(self, server: ServerContext, skill: SkillContent) -> Iterator[Finding]:
        for where, text in (("SKILL.md", skill.description + "\n" + skill.body), *skill.scripts):
            kinds = sorted({match.kind for match in find_credentials(text)})
            if kinds:
                yield server.finding(
                    rule="secret-known-format",
                    category=Category.PLAINTEXT_SECRET,
                    severity=Severity.HIGH,
                    message=f"The skill's {where} holds a {kinds[0]} credential in plain text.",
                    evidence=f"{where}: {', '.join(kinds)}",
                    remediation="Rotate it; have the skill read it from the environment or the OS keychain.",
                )
