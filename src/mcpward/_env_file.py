"""A ``.env`` file read as the dotenv loaders read it: ``NAME=value`` and ``export NAME=value``
lines, a value in matching quotes unquoted, blank lines and ``#`` comments skipped. One reader
for the scan (what an entry's ``envFile`` sets) and the gateway's launch check (what a
project's ``.env`` would set for the package manager)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcpward._regex import compiled

_LINE = compiled(r"\s*+(?:export\s++)?+([A-Za-z_][A-Za-z0-9_]*+)\s*+=")


@dataclass(frozen=True, slots=True)
class EnvFile:
    #: The variables set, by name (a later line wins, as in the loaders).
    variables: dict[str, str] = field(default_factory=dict)
    #: The lines that are neither blank, a comment, nor an assignment (their first 100 characters).
    unread: list[str] = field(default_factory=list)
    #: Whether reading stopped at ``max_variables``.
    cut: bool = False


def read_env_file(text: str, *, max_variables: int | None = None) -> EnvFile:
    """The file's variables, at most ``max_variables`` of them, and the lines not read."""
    read = EnvFile()
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                read.unread.append(stripped[:100])
            continue
        if max_variables is not None and len(read.variables) >= max_variables:
            return EnvFile(read.variables, read.unread, cut=True)
        raw = line[match.end() :].strip()  # not in the pattern: a lazy value before \s*$ is quadratic
        quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\""
        read.variables[match.group(1)] = raw[1:-1] if quoted else raw
    return read
