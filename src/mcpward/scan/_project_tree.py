"""Walking project trees for MCP configs and manifests.

The walk is the hot path of ``scan --path`` over large trees: one ``scandir`` per directory,
entry types from the directory listing (no ``stat`` per file), file names looked up in sets,
and nothing opened until the walk is over. Symbolic links are never followed, so the walk
cannot leave the tree or loop.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mcpward.scan._manifests.interface import ManifestReader
from mcpward.scan.interface import HostApp

#: Directories that hold installed or generated files, never a project's own MCP config.
DEFAULT_SKIP_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".cache",
        ".npm",
        ".pnpm-store",
        ".yarn",
        ".next",
        ".nuxt",
        ".gradle",
        ".terraform",
        "bower_components",
        ".direnv",
        ".eggs",
        ".idea",
    }
)


@dataclass(slots=True)
class TreeFindings:
    """What the walk found: config files per host, manifests per reader and directory."""

    configs: list[tuple[HostApp, Path, PurePosixPath]] = field(default_factory=list)
    manifests: dict[tuple[int, Path], list[Path]] = field(default_factory=lambda: defaultdict(list))
    errors: list[tuple[Path, str]] = field(default_factory=list)
    directories: int = 0
    files: int = 0


class ProjectTreeWalker:
    def __init__(
        self,
        hosts: Iterable[HostApp],
        readers: Iterable[ManifestReader],
        skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS,
    ) -> None:
        self._readers = list(readers)
        self._skip_dirs = skip_dirs
        # Index host project files by their last path part; wildcard parts by their folder.
        self._by_name: dict[str, list[tuple[HostApp, str, int]]] = defaultdict(list)
        self._by_folder: dict[str, list[tuple[HostApp, str, int]]] = defaultdict(list)
        for host in hosts:
            for pattern, _fmt in host.project_files:
                parts = PurePosixPath(pattern).parts
                entry = (host, pattern, len(parts))
                if "*" in parts[-1]:
                    self._by_folder[parts[-2]].append(entry)
                else:
                    self._by_name[parts[-1]].append(entry)
        self._manifest_cache: dict[str, int | None] = {}

    def _reader_for(self, name: str) -> int | None:
        try:
            return self._manifest_cache[name]
        except KeyError:
            index = next((i for i, r in enumerate(self._readers) if r.claims(name)), None)
            self._manifest_cache[name] = index
            return index

    def walk(self, root: Path, on_progress: Callable[[int, int], None] | None = None) -> TreeFindings:
        found = TreeFindings()
        by_name, by_folder = self._by_name, self._by_folder
        skip = self._skip_dirs
        stack = [os.fspath(root)]
        while stack:
            directory = stack.pop()
            try:
                with os.scandir(directory) as iterator:
                    entries = list(iterator)
            except OSError as exc:
                found.errors.append((Path(directory), exc.strerror or type(exc).__name__))
                continue
            found.directories += 1
            if on_progress is not None and found.directories % 256 == 0:
                on_progress(found.directories, found.files)
            subdirs = []
            folder = os.path.basename(directory)
            folder_patterns = by_folder.get(folder)
            is_venv = False
            for entry in entries:
                name = entry.name
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    if name not in skip:
                        subdirs.append(entry.path)
                    continue
                found.files += 1
                if name == "pyvenv.cfg":
                    is_venv = True
                candidates = by_name.get(name)
                if candidates is not None or folder_patterns is not None:
                    self._match_config(entry.path, candidates, folder_patterns, found)
                reader = self._reader_for(name)
                if reader is not None and not entry.is_symlink():
                    found.manifests[(reader, Path(directory))].append(Path(entry.path))
            if not is_venv:
                stack.extend(reversed(subdirs))
        if on_progress is not None:
            on_progress(found.directories, found.files)
        return found

    @staticmethod
    def _match_config(
        path_text: str,
        by_name: list[tuple[HostApp, str, int]] | None,
        by_folder: list[tuple[HostApp, str, int]] | None,
        found: TreeFindings,
    ) -> None:
        path = Path(path_text)
        for host, pattern, depth in (by_name or []) + (by_folder or []):
            if len(path.parts) <= depth:
                continue
            relative = PurePosixPath(*path.parts[-depth:])
            if relative.match(pattern):
                found.configs.append((host, path, relative))
