"""``mcpward enforce``: the approved registry compiled into each AI client's own managed
configuration (Claude Code, VS Code, Gemini CLI, Codex), as files under a root or as MDM
payloads, and the drift of a machine's managed files from what enforce would write.

Each client is one module of this package (a :class:`ClientPolicy`); ``_policy`` makes the
policy from the registry's entries, ``_mdm`` the profile, the script and the trees.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpward._paths import below, place_at
from mcpward._plugins import implementations
from mcpward.enforce._mdm import powershell, profile
from mcpward.enforce._policy import GatewayRoute, compile_policy, direct_launch, server_key
from mcpward.enforce.interface import (
    ClientPolicy,
    Control,
    Decision,
    EnforceError,
    ManagedFile,
    Platform,
    Policy,
    PolicyServer,
    ProfilePayload,
    RegistryValue,
)
from mcpward.model import Category, Finding, Severity

__all__ = [
    "ClientPolicy",
    "Control",
    "Decision",
    "EnforceError",
    "GatewayRoute",
    "ManagedFile",
    "Platform",
    "Policy",
    "PolicyServer",
    "ProfilePayload",
    "RegistryValue",
    "Written",
    "clients",
    "compile_policy",
    "direct_launch",
    "drift",
    "managed_files",
    "mdm_bundle",
    "powershell",
    "profile",
    "read_policy",
    "server_key",
    "write_tree",
]

#: The largest managed file read back when looking for drift.
MAX_MANAGED_FILE = 4 * 1024 * 1024


#: The largest policy file read (10,000 servers fit in a few MiB).
MAX_POLICY_FILE = 32 * 1024 * 1024


def read_policy(path: Path) -> Policy:
    """The policy in ``path`` (``enforce --export-policy``); a clear error for anything else."""
    try:
        # Opened without blocking and checked on the descriptor: a FIFO given as the policy
        # blocked the command forever.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise EnforceError(f"the policy {path} is not a file")
            with os.fdopen(descriptor, "rb", closefd=False) as handle:
                raw = handle.read(MAX_POLICY_FILE + 1)
        finally:
            os.close(descriptor)
    except OSError as exc:
        raise EnforceError(f"cannot read the policy {path}: {exc.strerror}") from None
    if len(raw) > MAX_POLICY_FILE:
        raise EnforceError(f"the policy {path} is larger than {MAX_POLICY_FILE // (1024 * 1024)} MiB")
    try:
        return Policy.from_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise EnforceError(f"the policy {path} is not UTF-8 text") from None
    except EnforceError as exc:
        raise EnforceError(f"{path}: {exc}") from None  # the message named no file


def clients(only: Sequence[str] | None = None) -> list[ClientPolicy]:
    found: list[ClientPolicy] = implementations(__name__, __path__, ClientPolicy)
    found.sort(key=lambda client: client.id)
    if only:
        unknown = sorted(set(only) - {client.id for client in found})
        if unknown:
            known = ", ".join(client.id for client in found)
            raise EnforceError(f"unknown client {', '.join(unknown)}; known: {known}")
        found = [client for client in found if client.id in only]
    return found


def managed_files(policy: Policy, platform: Platform, only: Sequence[str] | None = None) -> list[ManagedFile]:
    return [file for client in clients(only) for file in client.files(policy, platform)]


def _under(root: Path, path: str) -> Path:
    """``path`` (absolute on its platform) below ``root``: ``C:/Program Files/x`` ->
    ``root/C/Program Files/x``."""
    try:
        return below(root, path)
    except ValueError as exc:
        raise EnforceError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    client: str


def _write(root: Path, path: str, content: bytes) -> Path:
    # Readable by every user, as the clients need; written whole under a name made anew, then
    # moved into place, through folders only this account or root can change (never a link).
    _under(root, path)  # a plain path, or EnforceError
    return place_at(root, path, content, 0o644)


def write_tree(files: Sequence[ManagedFile], root: Path) -> list[Written]:
    written = []
    for file in files:
        try:
            target = _write(root, file.path, file.content)
        except OSError as exc:
            raise EnforceError(f"cannot write {_under(root, file.path)}: {exc.strerror}") from None
        written.append(Written(target, file.client))
    return written


def _installed_files(policy: Policy, platform: Platform, only: Sequence[str] | None) -> list[ManagedFile]:
    """The files an MDM installs as files on ``platform``: on macOS and Windows, a client whose
    managed preferences or policy values carry its settings gets only the files they cannot
    carry (Claude Code's ``managed-mcp.json``)."""
    if platform is Platform.LINUX:
        return managed_files(policy, platform, only)
    files = []
    for client in clients(only):
        carried = (
            client.profile_payloads(policy) if platform is Platform.MACOS else client.registry_values(policy)
        )
        files += [file for file in client.files(policy, platform) if not (carried and file.carried)]
    return files


def mdm_bundle(policy: Policy, out: Path, only: Sequence[str] | None = None) -> list[Written]:
    """The MDM payloads under ``out``: ``macos/mcpward.mobileconfig`` (+ ``macos/files/``, the
    files no preference carries), ``windows/mcpward-enforce.ps1`` and ``linux/files/``."""
    chosen = clients(only)
    written: list[Written] = []
    payloads = [payload for client in chosen for payload in client.profile_payloads(policy)]
    mac_files = _installed_files(policy, Platform.MACOS, only)
    try:
        if payloads:
            target = _write(out, "macos/mcpward.mobileconfig", profile(payloads))
            written.append(Written(target, "macos-profile"))
        written += write_tree(mac_files, out / "macos" / "files")
        values = [value for client in chosen for value in client.registry_values(policy)]
        win_files = _installed_files(policy, Platform.WINDOWS, only)
        target = _write(out, "windows/mcpward-enforce.ps1", powershell(values, win_files))
        written.append(Written(target, "windows-script"))
        written += write_tree(managed_files(policy, Platform.LINUX, only), out / "linux" / "files")
    except OSError as exc:
        raise EnforceError(f"cannot write under {out}: {exc.strerror}") from None
    return written


def _parsed(file: ManagedFile, content: bytes) -> Any:
    if file.compare == "json":
        # As the clients read it: UTF-8 text, no byte order mark. ``json.loads`` of the bytes
        # also took UTF-16, UTF-32 and a BOM, which a client's JSON.parse does not: a managed
        # file the client cannot read passed as no drift.
        if content.startswith(b"\xef\xbb\xbf"):
            raise ValueError("a byte order mark")
        return json.loads(content.decode("utf-8"))
    if file.compare == "toml":
        return tomllib.loads(content.decode())
    return content


def _differences(expected: Any, actual: Any, prefix: str = "", depth: int = 0) -> list[str]:
    """Where two parsed documents differ, as dotted paths (names only, never values)."""
    if isinstance(expected, dict) and isinstance(actual, dict) and depth < 2:
        found: list[str] = []
        for key in sorted(set(expected) | set(actual), key=str):
            where = f"{prefix}.{key}" if prefix else str(key)
            if key not in actual:
                found.append(f"{where} missing")
            elif key not in expected:
                found.append(f"{where} added")
            elif expected[key] != actual[key]:
                found += _differences(expected[key], actual[key], where, depth + 1)
        return found
    return [] if expected == actual else [f"{prefix or 'the document'} changed"]


def _read_managed(path: Path) -> tuple[bytes, os.stat_result] | None:
    """At most one byte more than the largest managed file, and the file's facts; None for
    anything but a regular file. Opened without blocking, so a FIFO put at a managed path cannot
    hang the scan, and checked on the open descriptor, so a swap after the check changes nothing."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        facts = os.fstat(descriptor)
        if not stat.S_ISREG(facts.st_mode):
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return handle.read(MAX_MANAGED_FILE + 1), facts
    finally:
        os.close(descriptor)


def _writable_by_others(file: os.stat_result, folder: os.stat_result, tree: os.stat_result) -> bool:
    """Whether an account other than root or the tree's owner (root, for ``/``) may change a
    managed file: it or its folder is another's, or writable by group or others (a folder unless
    sticky). Such a file read as enforce wrote it passed, though its user could widen the
    allowlist at will and put it back before the next scan."""
    if sys.platform == "win32":
        return False  # ACLs, not modes (the MDM script writes those files)
    trusted = {0, tree.st_uid}
    if file.st_uid not in trusted or file.st_mode & 0o022:
        return True
    return folder.st_uid not in trusted or bool(folder.st_mode & 0o022 and not folder.st_mode & stat.S_ISVTX)


def drift(policy: Policy, platform: Platform, root: Path, only: Sequence[str] | None = None) -> list[Finding]:
    """``enforcement-drift`` findings: each managed file that is missing under ``root`` or
    differs from what ``enforce`` writes for ``policy`` (on macOS and Windows, the files an MDM
    installs as files; the values a profile or policy carries are the MDM's to check)."""
    findings: list[Finding] = []
    for file in _installed_files(policy, platform, only):
        target = _under(root, file.path)
        problem: str | None = None
        try:
            read = _read_managed(target)
            folder, tree = os.stat(target.parent), os.stat(root)
        except FileNotFoundError:
            problem = "is missing"
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror})"
        else:
            content = read[0] if read is not None else b""
            if read is None:
                problem = "is not a regular file"
            elif _writable_by_others(read[1], folder, tree):
                problem = "is writable by an account other than root (the file or its folder)"
            elif len(content) > MAX_MANAGED_FILE:
                problem = "is larger than any file enforce writes"
            else:
                try:
                    differences = _differences(_parsed(file, file.content), _parsed(file, content))
                except (ValueError, UnicodeDecodeError, RecursionError):
                    # RecursionError: a file nested thousands of levels deep ran the parser out
                    # of stack, and the whole scan ended with an internal error.
                    differences = ["it cannot be parsed"]
                if differences:
                    shown = "; ".join(differences[:5]) + ("; ..." if len(differences) > 5 else "")
                    problem = f"differs from what enforce writes ({shown})"
        if problem is None:
            continue
        findings.append(
            Finding(
                rule="enforcement-drift",
                category=Category.REGISTRY,
                severity=Severity.HIGH,
                message=f"the managed file {file.path} {problem}",
                remediation="deploy the files `mcpward enforce` writes for the current policy again",
                host=file.client,
                config_path=str(target),
            )
        )
    return findings
