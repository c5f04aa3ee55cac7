"""Agent skills (``SKILL.md`` folders) and client plugins, shared by the host modules.

A skill is a folder with ``SKILL.md`` (YAML front matter with ``name`` and ``description``,
then the instructions the model follows) and, often, scripts the instructions run. It is
inventoried like a server (``source: skill``) and checked by ``skill-content``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from mcpward._documents import Document, DocumentError, DocumentFormat, parse_text, read_text
from mcpward.scan.interface import ConfigLocation, DiscoveredServer, EntryError, SkillContent

MAX_SCRIPTS = 20
MAX_SCRIPT_BYTES = 256 * 1024
_SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".ps1", ".py", ".js", ".mjs", ".ts", ".rb", ".pl")


def parse_skill(
    host: str, location: ConfigLocation, document: Document
) -> Iterator[DiscoveredServer | EntryError]:
    text = document.data if isinstance(document.data, str) else ""
    front, body = _front_matter(text)
    name = front.get("name") if isinstance(front.get("name"), str) else location.path.parent.name
    description = front.get("description") if isinstance(front.get("description"), str) else ""
    yield DiscoveredServer(
        host=host,
        location=location,
        name=f"skill {str(name)[:200]}",
        transport=None,
        project=location.project,
        source="skill",
        plugin=plugin_of(location.path),
        skill=SkillContent(
            description=str(description), body=body, scripts=tuple(_scripts(location.path.parent))
        ),
    )


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    try:
        data = parse_text(text[3:end], DocumentFormat.YAML)
    except DocumentError:
        data = None
    body = text[end + 4 :].lstrip("-").lstrip("\n")
    return (dict(data) if isinstance(data, dict) else {}), body


def _scripts(folder: Path) -> Iterator[tuple[str, str]]:
    """The skill's script files, two levels deep at most, following no links."""
    count = 0
    stack = [(folder, 0)]
    while stack and count < MAX_SCRIPTS:
        directory, depth = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if depth < 2:
                    stack.append((Path(entry.path), depth + 1))
            elif entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(_SCRIPT_SUFFIXES):
                try:
                    content = read_text(entry.path, max_bytes=MAX_SCRIPT_BYTES)
                except DocumentError:
                    continue
                count += 1
                yield os.path.relpath(entry.path, folder), content
                if count >= MAX_SCRIPTS:
                    return


def plugin_of(path: Path, max_levels: int = 8) -> str | None:
    """The name of the client plugin a file belongs to: the nearest folder above it with
    ``.claude-plugin/plugin.json`` (its ``name``) or ``gemini-extension.json``."""
    for folder in list(path.parents)[:max_levels]:
        for manifest in (folder / ".claude-plugin" / "plugin.json", folder / "gemini-extension.json"):
            if manifest.is_file():
                try:
                    data = json.loads(read_text(manifest, max_bytes=1024 * 1024))
                except (DocumentError, ValueError, RecursionError):
                    data = None
                name = data.get("name") if isinstance(data, dict) else None
                return name[:200] if isinstance(name, str) and name else folder.name
    return None


SKILL = "skill"


def skill_locations(folder: Path) -> list[ConfigLocation]:
    """The ``<folder>/<name>/SKILL.md`` files of a skills folder, as user-level locations."""
    from mcpward.model import Scope
    from mcpward.scan._hosts._common import bounded_glob

    return [
        ConfigLocation(path, Scope.USER, DocumentFormat.TEXT, variant=SKILL)
        for path in bounded_glob(folder, "SKILL.md", max_depth=1)
    ]
