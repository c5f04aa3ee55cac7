"""Walking project trees for MCP configs and manifests.

The walk is the hot path of ``scan --path`` over large trees: one ``scandir`` per directory,
entry types from the directory listing (no ``stat`` per file), file names looked up in sets,
and nothing opened until the walk is over. Symbolic links are never followed, so the walk
cannot leave the tree or loop.
"""

from __future__ import annotations

import os
import re
import stat
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path, PurePosixPath

from mcpward._regex import compiled
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


_PSEUDO_FILESYSTEMS = frozenset({"proc", "sys", "dev"})
_VENV_MARKER = "pyvenv.cfg"  # a virtual environment: installed packages, not projects
_NAMES_REMEMBERED = 1 << 14


@dataclass(slots=True)
class TreeFindings:
    """What the walk found: config files per host, manifests per reader and directory."""

    #: (host id, file path, the path relative to the project that matched the host's pattern)
    configs: list[tuple[str, str, str]] = field(default_factory=list)
    #: Manifest files by (reader index, directory), as strings: most trees have thousands.
    manifests: dict[tuple[int, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[tuple[str, str]] = field(default_factory=list)
    directories: int = 0
    files: int = 0

    def merge(self, other: TreeFindings) -> None:
        self.configs.extend(other.configs)
        for key, paths in other.manifests.items():
            self.manifests[key].extend(paths)
        self.errors.extend(other.errors)
        self.directories += other.directories
        self.files += other.files


class ProjectTreeWalker:
    def __init__(
        self,
        hosts: Iterable[HostApp],
        readers: Iterable[ManifestReader],
        skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS,
    ) -> None:
        hosts = list(hosts)
        self._readers = list(readers)
        self._skip_dirs = skip_dirs
        # Index host project files by their last path part; wildcard parts by their folder. In
        # lower case: on macOS and Windows the client opening ``.vscode/mcp.json`` gets
        # ``.VSCode/MCP.json``, so a name in any case is a config.
        self._by_name: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        self._by_folder: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        #: Files of any folder known by their ending (``*.code-workspace``).
        self._by_suffix: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for host in hosts:
            for pattern, _fmt in host.project_files:
                parts = PurePosixPath(pattern).parts
                entry = (host.id, pattern, len(parts))
                if len(parts) == 1 and parts[0].startswith("*") and "*" not in parts[0][1:]:
                    self._by_suffix[parts[0][1:].lower()].append(entry)
                elif "*" in parts[-1]:
                    self._by_folder[parts[-2].lower()].append(entry)
                else:
                    self._by_name[parts[-1].lower()].append(entry)
        #: What was found below each folder a link leads to, and the entries still to list there.
        self._linked: dict[tuple[str, tuple[str, ...]], list[str] | None] = {}
        self._linked_budget = [MAX_LINKED_ENTRIES]
        #: The real path of the tree walked (see :meth:`walking`).
        self._tree: str | None = None
        #: Every pattern of two parts or more, for what a link to a folder may stand in.
        self._folder_patterns = [
            (host.id, PurePosixPath(pattern).parts)
            for host in hosts
            for pattern, _fmt in host.project_files
            if len(PurePosixPath(pattern).parts) > 1
        ]
        # One regular expression recognises every file name of interest, so that the great
        # majority of files cost a single C-level match.
        names = [re.escape(n) for n in self._by_name] + [re.escape(_VENV_MARKER)]
        names += [r.file_pattern for r in self._readers]
        full_match = compiled("|".join(f"(?:{n})" for n in names)).fullmatch
        suffixes, by_name = tuple(self._by_suffix), self._by_name
        # Remembered by name: the same names (index.js, README.md, package.json) recur all over
        # a tree, and a lookup costs a sixth of the match, the largest part of a walk's time.
        self._interesting = lru_cache(maxsize=_NAMES_REMEMBERED)(
            lambda name: (
                full_match(name) is not None
                or name.lower() in by_name
                or (bool(suffixes) and name.lower().endswith(suffixes))
            )
        )
        self._reader_patterns = [compiled(r.file_pattern).fullmatch for r in self._readers]

    def _reader_for(self, name: str) -> int | None:
        return next((i for i, match in enumerate(self._reader_patterns) if match(name)), None)

    def walking(self, root: Path) -> None:
        """Say which tree is walked next: a link to a folder outside it is not looked into."""
        try:
            self._tree = os.path.realpath(root)
        except (OSError, ValueError):
            self._tree = None

    def walk(self, root: Path, on_progress: Callable[[int, int], None] | None = None) -> TreeFindings:
        self.walking(root)
        found = TreeFindings()
        self.walk_from([os.fspath(root)], found, on_progress)
        return found

    def walk_from(
        self, stack: list[str], found: TreeFindings, on_progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Walk the trees below each directory of ``stack`` into ``found``."""
        stack = list(reversed(stack))
        while stack:
            stack.extend(reversed(self._visit(stack.pop(), found)))
            if on_progress is not None and found.directories % 256 == 0:
                on_progress(found.directories, found.files)
        if on_progress is not None:
            on_progress(found.directories, found.files)

    def frontier(self, root: Path, found: TreeFindings, minimum: int) -> list[str]:
        """Visit the tree breadth-first until at least ``minimum`` directories wait (or none
        are left): the directories still to walk, for sharing between workers."""
        level = [os.fspath(root)]
        while level and len(level) < minimum:
            level = [child for directory in level for child in self._visit(directory, found)]
        return level

    def _visit(self, directory: str, found: TreeFindings) -> list[str]:
        """Record the matching files of one directory; return its subdirectories to walk."""
        try:
            with os.scandir(directory) as iterator:
                entries = list(iterator)
        except OSError as exc:
            found.errors.append((directory, exc.strerror or type(exc).__name__))
            return []
        skip, interesting = self._skip_dirs, self._interesting
        if directory == os.sep:  # walking a whole machine: leave the kernel's pseudo-filesystems
            skip = skip | _PSEUDO_FILESYSTEMS
        folder_patterns = self._by_folder.get(directory.rpartition(os.sep)[2].lower())
        subdirs = []
        matched = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in skip:
                        subdirs.append(entry.path)
                    continue
                if entry.is_symlink() and self._folder_patterns:
                    self._match_linked_folder(directory, entry.path, found)
            except OSError:
                continue
            if folder_patterns is not None or interesting(entry.name):
                matched.append(entry)
        found.directories += 1
        found.files += len(entries) - len(subdirs)
        if not matched:
            return subdirs
        is_venv = False
        for entry in matched:
            name = entry.name
            if name == _VENV_MARKER:
                is_venv = True
            candidates = self._by_name.get(name.lower())
            for suffix, entries_of_suffix in self._by_suffix.items():
                if name.lower().endswith(suffix):
                    candidates = [*(candidates or ()), *entries_of_suffix]
            if candidates is not None or folder_patterns is not None:
                self._match_config(entry.path, candidates, folder_patterns, found)
            reader = self._reader_for(name)
            if reader is not None and not entry.is_symlink():
                found.manifests[(reader, directory)].append(entry.path)
        return [] if is_venv else subdirs

    def _match_linked_folder(self, directory: str, link: str, found: TreeFindings) -> None:
        """The config files a link to a folder stands for (``.vscode -> config/editor``, a skill
        linked into ``.claude/skills``): the walk follows no link, so that it cannot leave the
        tree or loop, and every config under such a link was missing from the inventory. Only
        the files of the patterns the link's name takes a part of are looked for, through at most
        the pattern's own depth; whether they lie inside the tree is judged where they are read."""
        name = os.path.basename(link)
        above = Path(directory).parts
        for host, parts in self._folder_patterns:
            for position in range(len(parts) - 1):
                if len(above) < position:
                    continue
                # Matched ignoring case, named as the host names them (see ``_match_config``).
                found_parts = (*above[len(above) - position :], name)
                pairs = tuple(zip(found_parts, parts[: position + 1], strict=True))
                if not all(fnmatchcase(have.lower(), want.lower()) for have, want in pairs):
                    continue
                leading = tuple(have if "*" in want else want for have, want in pairs)
                below = self._linked_files(link, parts[position + 1 :])
                if below is None:
                    if self._linked_budget[0] < 0:
                        reason = f"more than {MAX_LINKED_ENTRIES} entries listed below linked folders"
                    else:
                        reason = "a symbolic link to a folder outside the scanned tree"
                    found.errors.append((link, f"{reason}; not looked into"))
                    return
                for suffix in below:
                    found.configs.append((host, os.path.join(link, suffix), "/".join((*leading, suffix))))

    def _linked_files(self, link: str, parts: tuple[str, ...]) -> list[str] | None:
        """:func:`_files_below` ``link`` as paths from it, listed once per folder it leads to (a
        tree may link many folders to one) and within the walk's budget; None past it, and for
        a folder outside the tree, which is not listed (an automounted ``/net`` would mount what
        it names)."""
        try:
            target = os.path.realpath(link)
        except (OSError, ValueError):
            return []
        tree = self._tree
        if tree is not None and os.path.commonpath((tree, target)) != tree:
            return None
        key = (target, parts)
        if key not in self._linked:
            paths = _files_below(link, parts, self._linked_budget)
            self._linked[key] = None if paths is None else [p[len(link) + 1 :] for p in paths]
        return self._linked[key]

    @staticmethod
    def _match_config(
        path_text: str,
        by_name: list[tuple[str, str, int]] | None,
        by_folder: list[tuple[str, str, int]] | None,
        found: TreeFindings,
    ) -> None:
        parts = Path(path_text).parts
        for host, pattern, depth in (by_name or []) + (by_folder or []):
            if len(parts) <= depth:
                continue
            named = PurePosixPath(pattern).parts
            pairs = tuple(zip(parts[-depth:], named, strict=True))
            if all(fnmatchcase(part.lower(), want.lower()) for part, want in pairs):
                # The relative path as the host names it (its own case), wildcards as found.
                relative = "/".join(part if "*" in want else want for part, want in pairs)
                found.configs.append((host, path_text, relative))


#: Entries a walk lists below linked folders (``.devcontainer/*/``, ``skills/*/``), in all: a
#: tree's links may each lead to a large folder, or out of the tree.
MAX_LINKED_ENTRIES = 200_000


def _files_below(folder: str, parts: tuple[str, ...], budget: list[int]) -> list[str] | None:
    """The files below ``folder`` whose path from it matches ``parts`` (names and ``*``
    patterns, one per level), listing no more than ``budget[0]`` entries (taken from it); None
    when that was not enough."""
    paths = [folder]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following: list[str] = []
        for path in paths:
            if "*" not in part:
                following.append(os.path.join(path, part))
                continue
            try:
                with os.scandir(path) as iterator:
                    names = []
                    for entry in iterator:
                        budget[0] -= 1
                        if budget[0] < 0:
                            return None
                        names.append(entry.name)
            except OSError:
                continue
            following += [os.path.join(path, n) for n in names if fnmatchcase(n, part)]
        paths = following if last else [p for p in following if _is_folder(p)]
    return [p for p in paths if _is_regular(p)]


def _is_folder(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _is_regular(path: str) -> bool:
    # Anything but a folder, as the walk takes a file by its name: what it is (a FIFO, a link
    # out of the tree) is judged where it is read, and said.
    try:
        return os.path.lexists(path) and not _is_folder(path)
    except ValueError:
        return False
