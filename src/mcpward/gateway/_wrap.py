"""``mcpward wrap`` and ``unwrap``: route the stdio servers of discovered client configs
through the gateway, and put the configs back exactly as they were.

Each changed file's original bytes are kept (once: wrapping again never replaces the first
backup) with the sha256 of what wrap wrote; unwrap restores the bytes if the file is still what
wrap wrote, and else puts back only the entries wrap routed through the gateway, so an edit made
since is kept; ``force`` restores the original bytes whatever was written since.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mcpward._documents import DocumentError, DocumentFormat, decode_text, parse_text, read_raw
from mcpward._paths import exclusive_lock, foreign_home, place_file, replace_whole
from mcpward._regex import compiled
from mcpward.errors import McpwardError
from mcpward.scan import LaunchKeys, ScanOptions, discovered_servers, host, host_ids


@dataclass(slots=True)
class WrapOutcome:
    wrapped: list[tuple[str, str]] = field(default_factory=list)  # (file, server)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (file, server, why)
    files: list[str] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # (file, server, variable)
    kept: list[tuple[str, str, str, str]] = field(default_factory=list)  # (file, server, variable, why)


# What wrap writes into an entry's arguments (the server's name, the config's and secrets file's
# paths, moved variables' names) must reach the gateway as written. The clients replace
# ``${VAR}`` (Claude Code, Cursor, VS Code's ``${env:VAR}``) and ``$VAR`` (Gemini CLI) in
# arguments, though never in a key: an entry keyed ``${GITHUB_TOKEN}`` put the user's token on
# the gateway's command line, which every local user can read. A control character (a NUL) is
# an argument no client can start.
_UNSAFE_ARGUMENT = compiled(r"\$[\w{]|[\x00-\x1f\x7f]")


# Variables the gateway (and the loader starting it) reads for itself: the client starts the
# wrapped entry with its env, and the gateway is the process it starts. A project's entry set
# ``MCPWARD_DATA_DIR`` (``XDG_DATA_HOME``, ``HOME``) to have the gateway read a registry database
# and pin store of the repository's, ``SSL_CERT_FILE`` to have it trust its certificates, and
# ``LD_PRELOAD`` to run its code in the gateway, outside any sandbox; ``OPENSSL_CONF`` (and the
# folders ``OPENSSL_MODULES``, ``OPENSSL_ENGINES``) the same, libcrypto loading the provider it
# names the first time the gateway hashed. (``PYTHON*``: ``-E``.) These take effect as the
# gateway starts, before it can set them aside as it does the entry's other variables.
_STEERS_THE_GATEWAY = compiled(
    r"(MCPWARD_|LD_|DYLD_|XDG_|OPENSSL_)\w*|HOME|USERPROFILE|APPDATA|LOCALAPPDATA"
    r"|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE",
    re.IGNORECASE,
)

#: The key of an entry naming a file of variables the client adds to its env (VS Code, Cursor).
_ENV_FILE = "envFile"


def _server_env(env: Any) -> list[str]:
    """``--server-env NAME`` for each variable of an entry's ``env`` (the flags, in pairs): the
    gateway takes them out of its own environment as it starts and gives them to the server
    alone. Reaching the gateway, the entry's ``HTTPS_PROXY`` had its registry check (the user's
    token with it) go through a proxy of the repository's, ``OTEL_*`` steered its audit export,
    ``PGHOSTADDR`` sent its registry database's password elsewhere."""
    return [flag for name in env for flag in ("--server-env", str(name))] if isinstance(env, dict) else []


def _unnameable(env: Any) -> bool:
    """Whether a variable of an entry's ``env`` cannot be named in a ``--server-env`` argument
    as it is (empty, an option's look, ``=``, or what the client would replace)."""
    names = [str(name) for name in env] if isinstance(env, dict) else []
    return any(
        not name or name.startswith("-") or "=" in name or _UNSAFE_ARGUMENT.search(name) for name in names
    )


def _steering(env: Any) -> list[str]:
    """The variables of an entry's ``env`` that the gateway would read for itself."""
    return (
        sorted(str(k) for k in env if _STEERS_THE_GATEWAY.fullmatch(str(k))) if isinstance(env, dict) else []
    )


#: How long a run waits for another wrap or unwrap to let go of the restore list.
RESTORE_LIST_WAIT = 30.0


@contextlib.contextmanager
def _restore_list(backups: Path, wait: float, *, enabled: bool = True) -> Iterator[None]:
    """Hold the restore list for one run: each run read it when it began and wrote back what it
    had read after each file, so two runs at once (wrap over two homes, a wrap and an unwrap)
    lost each other's records and unwrap could no longer restore those configs. The lock is a
    file beside the list; a run that holds it too long is an error, not a wait for ever."""
    if not enabled:
        yield
        return
    with contextlib.ExitStack() as held:
        try:  # only taking the lock: what fails while it is held is the run's own to report
            held.enter_context(exclusive_lock(backups / "manifest.lock", wait))
        except TimeoutError:
            raise McpwardError(
                f"the restore list {backups / 'manifest.json'} is in use by another wrap or unwrap"
                f" (waited {wait:g} s); try again when it has ended"
            ) from None
        except OSError as exc:
            raise McpwardError(f"cannot lock the restore list in {backups}: {exc.strerror or exc}") from None
        yield


def gateway_prefix(config: Path | None) -> list[str]:
    """How a client starts the gateway: this interpreter, so that no PATH lookup is needed.
    ``-P``: ``-m`` put the working directory first on the path, and the client starts a server in
    the project the user has open, so a repository's ``mcpward/`` ran in place of the gateway;
    ``-E``: an entry's ``env`` (a project's config) set ``PYTHONPATH`` to the same end."""
    return [
        sys.executable,
        "-E",
        "-P",
        "-m",
        "mcpward",
        "gateway",
        "run",
        *(["--config", str(config)] if config else []),
    ]


#: An interpreter's options before ``-m`` (``-E -P``, as wrap writes them).
_INTERPRETER_OPTION = compiled(r"-[EIPsSuBqO]+")


def _is_wrapped(command: str | None, args: tuple[str, ...]) -> bool:
    """Whether the launch line starts the gateway: ``mcpward gateway run`` (the program by name
    or absolute path) or ``PYTHON [-E -P] -m mcpward gateway run``. ``mcpward`` among the first
    words and ``gateway run`` anywhere let a project's entry (``node evil.js mcpward gateway
    run``, ``./mcpward gateway run``) be skipped as already wrapped, with no gateway in front."""
    if not command or not (os.path.isabs(command) or ("/" not in command and "\\" not in command)):
        return False  # relative: a program of the project's (``./mcpward``)
    program = re.split(r"[\\/]", command)[-1].lower().removesuffix(".exe")
    if program == "mcpward":
        return list(args[:2]) == ["gateway", "run"]
    rest = list(args)
    while rest and _INTERPRETER_OPTION.fullmatch(rest[0]):
        rest.pop(0)
    return re.fullmatch(r"python[0-9.]*w?", program) is not None and rest[:4] == [
        "-m",
        "mcpward",
        "gateway",
        "run",
    ]


def wrap(
    options: ScanOptions,
    backups: Path,
    *,
    config: Path | None = None,
    dry_run: bool = False,
    secrets_file: Path | None = None,
    wait: float = RESTORE_LIST_WAIT,
) -> WrapOutcome:
    """``secrets_file``: move literal secrets of the wrapped servers' environments there (a file
    only the user can read), leaving the config a reference the gateway resolves at launch.
    ``wait``: how long to wait for another wrap or unwrap to let go of the restore list."""
    # Without --home, the home is $HOME: ``sudo`` that keeps it has root write into a user's.
    tenant = _tenant(options.home if options.home is not None else Path.home())
    if tenant is not None and options.owner is None:
        # Root over another user's home: only the configs they own (a link of theirs to another
        # account's config, or a hard link, is not read, as the agent reads homes).
        options = replace(options, owner=tenant.uid)
    by_file: dict[Path, list[Any]] = defaultdict(list)
    for server in discovered_servers(options):
        # Absolute (links kept): the restore list is read from wherever unwrap runs, and a
        # relative ``--home`` made every file missing there.
        by_file[Path(os.path.abspath(server.location.path))].append(server)
    if secrets_file is not None and any(_same_file(secrets_file, config) for config in by_file):
        # Its KEY=value lines went into a config its client then could not parse, or the config
        # was written over them and the moved secret was left only in the backup.
        raise McpwardError(
            f"--move-secrets {secrets_file}: a client config wrap rewrites; name a file of its own"
        )
    # One run at a time reads, changes and writes back the restore list (see _restore_list).
    with _restore_list(backups, wait, enabled=not dry_run):
        return _rewrite(by_file, backups, config, dry_run, secrets_file, tenant)


def _rewrite(
    by_file: dict[Path, list[Any]],
    backups: Path,
    config: Path | None,
    dry_run: bool,
    secrets_file: Path | None,
    tenant: _Tenant | None,
) -> WrapOutcome:
    """Route each file's stdio servers through the gateway, recording each file for unwrap."""
    outcome = WrapOutcome()
    manifest = _Manifest(backups)
    taken = _secrets_in(secrets_file) if secrets_file else {}
    for path, servers in sorted(by_file.items()):
        fmt = servers[0].location.format
        if fmt not in (DocumentFormat.JSON, DocumentFormat.JSONC):
            outcome.skipped += [
                (str(path), s.name, f"{fmt.value} configs are not rewritten yet") for s in servers
            ]
            continue
        if path.is_symlink():
            # Written anew (atomically) the file would replace the link, and unwrap would restore
            # a file: a config kept in a dotfiles repository would no longer follow it.
            link = f"a symbolic link (to {os.readlink(path)}): rewriting it would replace the link"
            link += "; wrap by hand"
            outcome.skipped += [(str(path), s.name, link) for s in servers]
            continue
        try:
            original = read_raw(path, owner=tenant.uid if tenant else None)
            document = parse_text(decode_text(original), fmt)
        except (OSError, DocumentError) as exc:
            outcome.skipped += [(str(path), s.name, f"cannot read: {exc}") for s in servers]
            continue
        plain = _plain_json(original)
        # Root wrapping another user's home: a secrets file it writes is root's, and the user's
        # gateway reads only a file of the user's own, so their servers could not start.
        foreign = secrets_file is not None and hasattr(os, "geteuid") and os.geteuid() == 0
        with contextlib.suppress(OSError):
            foreign = foreign and os.stat(path).st_uid != 0
        objects = _objects_by_key(document)
        launches: dict[tuple[str, LaunchKeys], dict[Any, list[dict[str, Any]]]] = {}
        secrets_moved: dict[str, str] = {}  # key: the sha256 of the value moved under it
        changed = False
        rewrites: list[_Rewrite] = []
        written: list[tuple[str, str]] = []  # (name, digest of the entry as wrap writes it)
        whole_file = False
        for server in servers:
            # The host knows how its entries write a launch line (opencode: one list).
            keys = host(server.host).launch_keys
            launch = (server.command, server.args)
            if server.url or not server.command:
                outcome.skipped.append(
                    (str(path), server.name, "remote server: front it with `gateway serve`")
                )
            elif _is_wrapped(server.command, server.args):
                outcome.skipped.append((str(path), server.name, "already wrapped"))
            elif any(_UNSAFE_ARGUMENT.search(text) for text in (server.name, str(config), str(secrets_file))):
                why = "its name or a path holds `$` or a control character, which the client would"
                why += " replace or cannot pass in an argument; rename it or wrap it by hand"
                outcome.skipped.append((str(path), server.name, why))
            elif (node := _find(objects, server.name, keys, launch, launches)) is None:
                outcome.skipped.append((str(path), server.name, "entry not found unambiguously"))
            elif steering := _steering(node.get(keys.env)):
                why = f"its env sets {', '.join(steering)}, which the gateway itself would read (its"
                why += " registry, pins, trust or libraries); wrap it by hand"
                outcome.skipped.append((str(path), server.name, why))
            elif _ENV_FILE in node:
                # Its variables reach the gateway too, and are the file's as it is at each start:
                # none of them can be checked here, or named to the gateway as the server's.
                why = f"its {_ENV_FILE} gives the gateway variables wrap cannot see (a proxy, its"
                why += " registry, libraries); wrap it by hand"
                outcome.skipped.append((str(path), server.name, why))
            elif _unnameable(node.get(keys.env)):
                why = "a variable of its env has a name that cannot be passed to the gateway in an"
                why += " argument (empty, a leading `-`, `=`, `$` or a control character); wrap it by hand"
                outcome.skipped.append((str(path), server.name, why))
            else:
                # A commented file is never written whole: its secrets stay until wrapped by hand.
                keep = dry_run or not plain
                moved: list[str] = []
                kept: list[str] = []
                why = "the secrets file cannot give it back exactly (or holds another value under its key)"
                if secrets_file and foreign:
                    kept = _literal_secrets(node.get(keys.env))
                    why = "the config is another user's; their gateway reads only a secrets file of theirs"
                elif secrets_file:
                    moved, kept, values = _move_secrets(
                        node, keys.env, server.name, secrets_file, keep, taken
                    )
                    secrets_moved |= {key: _digest(value) for key, value in values.items()}
                outcome.kept += [(str(path), server.name, variable, why) for variable in kept]
                names = _server_env(node.get(keys.env))
                launcher = [*gateway_prefix(config), "--server", server.name, *moved, *names, "--"]
                fields = keys.fields_for(launcher[0], [*launcher[1:], server.command, *server.args])
                node.update(fields)
                rewrites.append(_Rewrite(server.name, keys, launch, fields))
                written.append((server.name, _entry_digest(server.name, node)))
                whole_file = whole_file or bool(moved)  # moved secrets edit env too: written whole
                outcome.moved += [(str(path), server.name, flag.split("=", 1)[0]) for flag in moved[1::2]]
                outcome.wrapped.append((str(path), server.name))
                changed = True
        if changed and not dry_run:
            # The file as it was with only the wrapped entries' command and args replaced, so
            # comments, order and layout stay (VS Code's settings.json lost its comments);
            # written whole only where that cannot be done exactly, and never where writing it
            # whole would drop what plain JSON cannot hold (comments, trailing commas).
            text = None if whole_file else _edited_in_place(original, rewrites, document)
            refused: str | None = None
            if text is None and not plain:
                refused = "it has comments that rewriting it whole would drop; wrap it by hand"
            elif text is None and (text := _whole_json(document)) is None:
                refused = "it holds a number JSON cannot write back (beyond a float's range); wrap it by hand"
            if refused is None:
                assert text is not None
                moved_to = (secrets_file, secrets_moved) if secrets_file and secrets_moved else None
                refused = _write_recorded(manifest, path, original, text.encode(), tenant, moved_to, written)
            if refused is not None:
                if secrets_file is not None and secrets_moved:  # the config keeps them: so not twice
                    with contextlib.suppress(OSError, UnicodeDecodeError):
                        _drop_secrets(secrets_file, _unread(secrets_moved, manifest, secrets_file))
                outcome.wrapped = [item for item in outcome.wrapped if item[0] != str(path)]
                outcome.moved = [item for item in outcome.moved if item[0] != str(path)]
                outcome.skipped += [(str(path), rewrite.name, refused) for rewrite in rewrites]
                continue
            outcome.files.append(str(path))
    return outcome


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one == other or os.path.samefile(one, other)
    except OSError:  # one of them is not there
        return False


def _whole_json(document: Any) -> str | None:
    """``document`` as strict JSON text, or None where it cannot be written back: ``1e999``
    reads as infinity, which dumps as ``Infinity`` (no client's parser reads it); a lone
    surrogate (``"\\ud800"``) has no UTF-8, so such a file is written with ASCII escapes."""
    try:
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError:
        return None
    try:
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(document, indent=2, allow_nan=False) + "\n"
    return text


def _write_recorded(
    manifest: _Manifest,
    path: Path,
    original: bytes,
    wrapped: bytes,
    tenant: _Tenant | None,
    secrets: tuple[Path, dict[str, str]] | None = None,
    routed: list[tuple[str, str]] | None = None,
) -> str | None:
    """Write ``wrapped`` as ``path`` with its original kept and recorded first; None, or why not.
    The restore list was saved only after every file: a failure on a later file (a read-only
    folder, a full disk) left the earlier ones wrapped and nothing for unwrap to restore."""
    key = str(path)
    previous = dict(manifest.entries[key]) if key in manifest.entries else None
    try:
        manifest.record(path, original, wrapped, tenant, secrets, routed or [])
        manifest.save()
        # The client may have rewritten its file since it was read (Claude Code rewrites
        # ``~/.claude.json`` as it runs): replacing it then lost that write, backup and all.
        if _still(path, original, tenant):
            _write_atomically(path, wrapped, tenant)
            return None
        why = "it changed while wrap was writing it (its client rewrote it?); left as it is: wrap again"
    except OSError as exc:
        why = f"cannot write it ({exc.strerror or exc}); left as it was"
    manifest.forget(path, previous)
    with contextlib.suppress(OSError):
        manifest.save()
    return why


def _still(path: Path, original: bytes, tenant: _Tenant | None) -> bool:
    """Whether ``path`` still holds ``original`` (read as wrap read it)."""
    try:
        return read_raw(path, owner=tenant.uid if tenant else None) == original
    except DocumentError:
        return False


def unwrap(
    backups: Path, *, force: bool = False, home: Path | None = None, wait: float = RESTORE_LIST_WAIT
) -> tuple[list[str], list[str]]:
    """Restore every wrapped file (or those under ``home``, as ``wrap --home`` chose them);
    (restored files, problems)."""
    if not (backups / "manifest.json").exists():
        return [], []  # nothing wrapped: no folder or lock file made
    with _restore_list(backups, wait):
        return _unwrap(backups, force, home)


def _unwrap(backups: Path, force: bool, home: Path | None) -> tuple[list[str], list[str]]:
    manifest = _Manifest(backups)
    restored, problems = [], []
    moved: dict[str, dict[str, str]] = defaultdict(dict)  # secrets file: key: digest, of restored files
    under = (Path(os.path.abspath(home)), home.resolve()) if home is not None else None
    for path_text, record in sorted(manifest.entries.items()):
        path = Path(path_text)
        # As recorded (links kept) or resolved: a config the user has made a link since is
        # still theirs to unwrap (resolved alone, it was skipped as "nothing to restore").
        recorded_under = path.is_relative_to(under[0]) if under is not None else True
        if under is not None and not (recorded_under or path.resolve().is_relative_to(under[1])):
            continue
        backup = backups / record["backup"]
        tenant = _tenant(Path(record["home"])) if "home" in record else None
        try:
            original = backup.read_bytes()
        except OSError as exc:
            problems.append(f"{path}: cannot read ({exc.strerror or exc})")
            continue
        try:
            current: bytes | None = _config_now(path, tenant)
        except DocumentError as exc:
            if not force:
                problems.append(f"{path}: {exc}; not restored (use --force to restore the original whole)")
                continue
            current = None  # replaced whole, never written through (see _write_atomically)
        if current == original:  # wrap stopped before writing it (recorded first): nothing to do
            backup.unlink(missing_ok=True)
            for file, keys in manifest.entries.pop(path_text).get("secrets", {}).items():
                moved[file] |= keys
            continue
        restore, given_back = original, record.get("secrets", {})
        as_wrapped = current is not None and hashlib.sha256(current).hexdigest() == record["wrapped_sha256"]
        if current is not None and not as_wrapped and not force:
            # Edited since (Claude Code rewrites its config as it runs): only the entries wrap
            # routed through the gateway are put back, every other edit kept. Restoring the
            # original whole lost what the client and the user wrote since.
            if path.is_symlink():
                # wrap writes no link (it skips a config that is one): this one was made since,
                # and what it points to is not this config's to edit. A project's
                # .cursor/mcp.json checked out as a link to another wrapped config had that
                # config read and written here as this one, its settings and secrets with it.
                problems.append(
                    f"{path}: a symbolic link now (to {os.readlink(path)}) to a file not as wrap"
                    " wrote it; not restored (use --force to restore the original in its place)"
                )
                continue
            try:
                restore, given_back = _unwrapped_entries(
                    current, given_back, record.get("servers"), record.get("entry_digests")
                )
            except _NotUnwrapped as exc:
                problems.append(
                    f"{path}: changed since it was wrapped, and {exc}; not restored"
                    " (use --force to restore the original whole)"
                )
                continue
        try:
            if restore != current:
                _write_atomically(path, restore, tenant)
        except OSError as exc:
            problems.append(f"{path}: cannot restore it ({exc.strerror or exc}); its backup is kept")
            continue
        backup.unlink(missing_ok=True)
        manifest.entries.pop(path_text)
        for file, keys in given_back.items():
            moved[file] |= keys
        restored.append(str(path))
    manifest.save()
    # The restored configs hold their literal secrets again: the lines wrap moved out of them
    # are taken out of the secrets file (each unwrap left one more copy of the user's tokens
    # there), but a value changed since (a rotated token) and a key a config still wrapped
    # reads (the same server and token in two configs) stay.
    for file, keys in moved.items():
        try:
            _drop_secrets(Path(file), _unread(keys, manifest, Path(file)))
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or exc
            problems.append(f"{file}: cannot take the moved secrets out ({why}); remove them by hand")
    return restored, problems


def _config_now(path: Path, tenant: _Tenant | None) -> bytes:
    """A wrapped config's bytes now (none when it is gone), read as the scan reads a config: a
    regular file, bounded, a FIFO opened without blocking, in another account's home (root)
    only a file that account owns. A FIFO or a link to ``/dev/zero`` held unwrap (and the
    restore list) for ever."""
    if not os.path.lexists(path):
        return b""
    return read_raw(path, owner=tenant.uid if tenant else None)


class _NotUnwrapped(Exception):
    """Why a config edited since it was wrapped cannot have its wrapped entries put back."""


def _unwrapped_entries(
    current: bytes, recorded: dict[str, dict[str, str]], servers: list[str] | None, digests: list[str] | None
) -> tuple[bytes, dict[str, dict[str, str]]]:
    """``current`` with each entry wrap routed through the gateway running its own server again
    (the program and arguments after the gateway's ``--``, the secrets it moved back in its
    environment), the rest of the file as it is now; and the moved secrets given back, by
    secrets file. Only an entry under a name wrap routed whose ``--server`` names that key is
    wrap's (no more of a name than wrap routed); a ``--secret`` is read back only from the file
    and key the restore list recorded for this config: a config edited by someone else (a
    project's) must not have unwrap copy another secret into it. ``servers``: the names of the
    entries wrap routed (each as often as it did), None in a record from before 2026-12-05: an
    entry routed by hand under its own name (or added by an edit) was put back as a bare server
    too. ``digests``: of each entry wrap routed, as it wrote it; a moved secret goes back only
    into an entry still as wrap wrote it (None: into none)."""
    try:
        document = parse_text(decode_text(current), DocumentFormat.JSONC)
    except DocumentError as exc:
        raise _NotUnwrapped(f"it cannot be read ({exc})") from None
    shapes = sorted({host(host_id).launch_keys for host_id in host_ids()}, key=repr)
    secrets: dict[str, dict[str, str]] = {}
    given_back: dict[str, dict[str, str]] = defaultdict(dict)
    rewrites: list[_Rewrite] = []
    routed = Counter(servers) if servers is not None else None
    put_back: Counter[str] = Counter()
    for name, nodes in _objects_by_key(document).items():
        for node in nodes:
            for keys in shapes:
                launch = keys.launch_of(node)
                if launch is None or not _is_wrapped(*launch):
                    continue
                if routed is not None and name not in routed:
                    break  # wrap routed no entry of this name: the user's own, left as it is
                wrapped = _wrapped_launch(launch)
                if wrapped is None or wrapped[0] != name:
                    if _server_named(launch) == name:  # wrap's, edited past reading
                        raise _NotUnwrapped(f"server {name}'s gateway arguments were edited")
                    break  # wrapped by hand, not by wrap: left as it is
                put_back[name] += 1
                if routed is not None and put_back[name] > routed[name]:
                    raise _NotUnwrapped(
                        f"server {name} is routed through the gateway in more entries than wrap routed"
                        f" ({routed[name]}): which are the user's is not known"
                    )
                _, moved, _, args = wrapped
                env: dict[str, Any] = {}
                present = node.get(keys.env, {}) if moved else {}
                if not isinstance(present, dict):
                    raise _NotUnwrapped(f"server {name}'s {keys.env} is no longer an object")
                for variable, file, key in moved:
                    if key not in recorded.get(file, {}):
                        raise _NotUnwrapped(f"server {name}'s secret {variable} is not one wrap moved")
                    if file not in secrets:
                        try:
                            secrets[file] = _secrets_in(Path(file))
                        except McpwardError:
                            secrets[file] = {}
                    if key not in secrets[file]:
                        raise _NotUnwrapped(f"{file} no longer holds {key} (server {name}'s {variable})")
                    # A value put back over another was lost: the other secret's line is taken
                    # out of the secrets file too, and a token written in the entry since is
                    # the user's newer one.
                    value = secrets[file][key]
                    if variable in env:
                        raise _NotUnwrapped(f"server {name}'s {variable} is read from two moved secrets")
                    if present.get(variable, value) != value:
                        why = f"server {name}'s {keys.env} holds {variable} again, another value"
                        raise _NotUnwrapped(why)
                    env[variable] = value
                    given_back[file][key] = recorded[file][key]
                if moved and _entry_digest(name, node) not in (digests or []):
                    # While wrapped, the gateway gives the secret to what follows its -- only
                    # inside its sandbox and interceptors; put back, the client would hand it,
                    # bare, to whatever an edit made the entry run: another program or
                    # arguments, a NODE_OPTIONS or LD_PRELOAD in its env, another cwd.
                    raise _NotUnwrapped(
                        f"server {name}'s entry was edited since its secrets were moved out (or they"
                        " were moved before 2026-12-05); put them back by hand"
                    )
                # The program and arguments as the entry holds them: the launch line is read as
                # text, and a port written as a number came back as "8080", a true as "True".
                line = node[keys.command] if keys.args is None else [node[keys.command], *node[keys.args]]
                fields = keys.fields_for(line[-len(args) - 1], line[len(line) - len(args) :])
                if env:
                    fields[keys.env] = {**present, **env}
                rewrites.append(_Rewrite(name, keys, launch, fields))
                node.update(fields)
                break
    if not rewrites:
        return current, {}
    text = _edited_in_place(current, rewrites, document)
    if text is None and _plain_json(current):
        text = _whole_json(document)
    if text is None:
        raise _NotUnwrapped("its wrapped entries cannot be put back in place exactly")
    return text.encode(), dict(given_back)


def _entry_digest(name: str, entry: dict[str, Any]) -> str:
    """What the restore list keeps of an entry wrap routed, as it wrote it: enough to tell it
    unchanged (its keys in any order)."""
    text = json.dumps([name, entry], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _wrapped_launch(
    launch: tuple[str, tuple[str, ...]],
) -> tuple[str, list[tuple[str, str, str]], str, tuple[str, ...]] | None:
    """(the ``--server`` name, the moved secrets as (variable, file, key), the program and its
    arguments) of a launch line wrap wrote, or None when it is not in wrap's shape."""
    line = [launch[0], *launch[1]]
    try:
        start, end = line.index("run") + 1, line.index("--")
    except ValueError:
        return None
    options, server, moved = line[start:end], None, []
    if len(options) % 2 or end + 1 >= len(line):
        return None
    for flag, value in zip(options[::2], options[1::2], strict=True):
        if flag == "--server":
            server = value
        elif flag == "--secret":
            variable, _, reference = value.partition("=file:")
            # As the gateway reads it (sandbox._secrets): cut at the first '#', which the secrets
            # file's path never holds and a server's name (the key's first part) may.
            file, _, key = reference.partition("#")
            if not (variable and file and key):
                return None
            moved.append((variable, file, key))
        elif flag not in ("--config", "--server-env"):
            return None
    if server is None:
        return None
    return server, moved, line[end + 1], tuple(line[end + 2 :])


def _server_named(launch: tuple[str, tuple[str, ...]]) -> str | None:
    """The value after ``--server`` in a gateway launch line, however the rest reads."""
    line = [launch[0], *launch[1]]
    at = line.index("--server") + 1 if "--server" in line else len(line)
    return line[at] if at < len(line) else None


def _move_secrets(
    node: dict[str, Any],
    env_key: str,
    server: str,
    secrets_file: Path,
    dry_run: bool,
    taken: dict[str, str],
) -> tuple[list[str], list[str], dict[str, str]]:
    """Literal secrets in the entry's environment go to the secrets file under ``SERVER.VAR``;
    the entry keeps ``--secret VAR=file:...#SERVER.VAR`` for the gateway. (The flags, in pairs;
    the secrets left in the entry because the gateway would not read them back exactly; the
    values moved, by key.)"""
    from mcpward.sandbox import secret_line

    env = node.get(env_key)
    if not isinstance(env, dict):
        return [], [], {}
    flags: list[str] = []
    kept: list[str] = []
    found: dict[str, str] = {}
    for variable in _literal_secrets(env):
        value = env[variable]
        key = f"{server}.{variable}"
        # The gateway reads one ``KEY=value`` line, spaces and quotes around the value
        # dropped: a PEM key (many lines) came back as its first line, a quoted value
        # without its quotes, a key holding ``=`` not at all. Such a secret stays put, as
        # does one whose name the client would replace in the --secret argument.
        lines = f"{key}={value}".splitlines()
        # ``taken``: the keys the file holds and this run moved. The same server name in two
        # clients' configs (each with its own token) made one key, and the second value
        # replaced the first: both servers started with it.
        exact = len(lines) == 1 and secret_line(lines[0]) == (key, value)
        # ``${TOKEN:-literal}``: the client expands it at each start; the file would give the
        # gateway the text unexpanded.
        exact = exact and "${" not in value
        if _UNSAFE_ARGUMENT.search(variable) or not exact or taken.get(key, value) != value:
            kept.append(variable)
            continue
        taken[key] = value
        found[key] = value
        flags += ["--secret", f"{variable}=file:{secrets_file}#{key}"]
        del env[variable]
    if found and not dry_run:
        _append_secrets(secrets_file, found)
    return flags, kept, found


def _literal_secrets(env: Any) -> list[str]:
    """The variables of an entry's environment that hold a literal secret (as scan judges)."""
    from mcpward.dlp import assess_value

    if not isinstance(env, dict):
        return []
    return [
        variable
        for variable, value in env.items()
        if isinstance(value, str) and assess_value(f"env:{variable}", variable, value)
    ]


def _secrets_in(path: Path) -> dict[str, str]:
    """The values a secrets file gives the gateway, by key (the first line of a key is read)."""
    from mcpward.sandbox import secret_line

    values: dict[str, str] = {}
    if path.is_file() and not path.is_symlink():  # a planted link's target is not taken in
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:  # was an internal error (exit 70)
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise McpwardError(f"--move-secrets {path}: cannot read: {reason or exc}") from None
        for line in text.splitlines():
            if (pair := secret_line(line)) is not None:
                values.setdefault(*pair)
    return values


def _append_secrets(path: Path, values: dict[str, str]) -> None:
    """Add ``KEY=value`` lines to a file only its owner can read (mode 600), made anew beside it
    and moved into place: opened for writing, a link planted under its name was followed and
    the file it pointed to overwritten."""
    try:
        regular = path.is_file() and not path.is_symlink()
        existing = path.read_text("utf-8").splitlines() if regular else []
        kept = [line for line in existing if line.partition("=")[0] not in values]
        lines = kept + [f"{key}={value}" for key, value in values.items()]
        replace_whole(path, ("\n".join(lines) + "\n").encode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        # A folder, a FIFO or a device, a path below a file, a file not UTF-8: an internal error
        # (exit 70). Raised before this config is written: its secrets stay where they were.
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise McpwardError(f"--move-secrets {path}: cannot write: {reason or exc}") from None


def _digest(value: str) -> str:
    """What the restore list keeps of a moved secret: enough to tell the value unchanged (the
    backup beside it holds the config, value and all, anyway)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _unread(digests: dict[str, str], manifest: _Manifest, secrets_file: Path) -> dict[str, str]:
    """The moved secrets of ``digests`` that no config still wrapped reads from the file."""
    read = {
        key
        for record in manifest.entries.values()
        for key in record.get("secrets", {}).get(str(secrets_file), {})
    }
    return {key: digest for key, digest in digests.items() if key not in read}


def _drop_secrets(path: Path, digests: dict[str, str]) -> None:
    """Take the ``KEY=value`` lines out of the secrets file whose key is in ``digests`` and whose
    value is still the one moved; the file is replaced whole (mode 600) or, left with no line,
    removed. A link under its name is not followed (see ``_append_secrets``)."""
    from mcpward.sandbox import secret_line

    if not digests or not path.is_file() or path.is_symlink():
        return
    existing = path.read_text("utf-8").splitlines()
    kept = [
        line
        for line in existing
        if (pair := secret_line(line)) is None or digests.get(pair[0]) != _digest(pair[1])
    ]
    if len(kept) == len(existing):
        return
    if kept:
        replace_whole(path, ("\n".join(kept) + "\n").encode("utf-8"))
    else:
        path.unlink()


def _plain_json(data: bytes) -> bool:
    """Whether ``data`` is strict JSON (no comments, no trailing commas)."""
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Rewrite:
    """One entry to route through the gateway: found by its name and launch line as they are,
    given the ``fields`` that launch the gateway instead."""

    name: str
    keys: LaunchKeys
    launch: tuple[str, tuple[str, ...]]
    fields: dict[str, Any]


def _objects_by_key(document: Any) -> dict[str, list[dict[str, Any]]]:
    """Every object under a key of ``document`` (12 levels deep at most), by the key: walked
    once per file, not once per server."""
    objects: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def walk(node: Any, depth: int) -> None:
        if depth > 12:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict):
                    objects[key].append(value)
                walk(value, depth + 1)
        elif isinstance(node, list):
            for item in node:
                walk(item, depth + 1)

    walk(document, 0)
    return objects


def _find(
    objects: dict[str, list[dict[str, Any]]],
    name: str,
    keys: LaunchKeys,
    launch: tuple[str, tuple[str, ...]],
    launches: dict[tuple[str, LaunchKeys], dict[Any, list[dict[str, Any]]]],
) -> dict[str, Any] | None:
    """The one object under key ``name`` whose launch line is the server's. ``launches``: the
    objects under each name by their launch line in a shape, read once per file: read again for
    each server, a config with a ``github`` in each of 1,600 projects took 34 s."""
    if (name, keys) not in launches:
        by_launch: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for value in objects.get(name, []):
            by_launch[keys.launch_of(value)].append(value)
        launches[name, keys] = by_launch
    found = launches[name, keys].get(launch, [])
    return found[0] if len(found) == 1 else None


def _edited_in_place(original: bytes, rewrites: list[_Rewrite], expected: Any) -> str | None:
    """``original`` with each entry's launch fields' values replaced in the text, or
    None when an entry is not found exactly once or the result does not read back as
    ``expected``. JSONC is read as a JavaScript object (tree-sitter's grammar takes its comments
    and trailing commas); nothing is run."""
    import tree_sitter
    import tree_sitter_javascript

    try:
        text = original.decode("utf-8")
    except UnicodeDecodeError:
        return None
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    source = b"(" + text[len(bom) :].encode() + b"\n)"
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
    tree = parser.parse(source)
    if tree.root_node.has_error:
        return None

    def value_of(node: Any) -> Any:
        try:
            return json.loads(source[node.start_byte : node.end_byte])
        except ValueError:
            return None

    # Every object under a key, by the key, found in one walk: walking the tree again for each
    # entry took 55 s for a config of 1,500 servers.
    objects: dict[Any, list[Any]] = defaultdict(list)
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "pair":
            continue
        key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
        if key is not None and value is not None and value.type == "object":
            with contextlib.suppress(TypeError):  # a key that is no string, number or name
                objects[value_of(key)].append(value)
    # The objects under a name, by the launch line each has in a shape: read once, not once per
    # entry of that name (Claude Code's config has a ``github`` in each project's servers: 800
    # took 16 s to wrap and as long to unwrap).
    launches: dict[tuple[Any, LaunchKeys], dict[Any, list[dict[Any, Any]]]] = {}
    edits: list[tuple[int, int, bytes]] = []
    for rewrite in rewrites:
        if (rewrite.name, rewrite.keys) not in launches:
            by_launch: dict[Any, list[dict[Any, Any]]] = defaultdict(list)
            for value in objects.get(rewrite.name, []):
                fields = {}
                for pair in value.named_children:
                    if pair.type == "pair" and pair.child_by_field_name("key") is not None:
                        fields[value_of(pair.child_by_field_name("key"))] = pair.child_by_field_name("value")
                launch_keys = (rewrite.keys.command, rewrite.keys.args)
                launch_fields = {k: value_of(fields[k]) for k in launch_keys if k is not None and k in fields}
                by_launch[rewrite.keys.launch_of(launch_fields)].append(fields)
            launches[rewrite.name, rewrite.keys] = by_launch
        found = launches[rewrite.name, rewrite.keys].get(rewrite.launch, [])
        if len(found) != 1:
            return None
        command_node = found[0][rewrite.keys.command]
        assert command_node is not None  # its value matched the command
        for field_name, new_value in rewrite.fields.items():
            replacement = json.dumps(new_value).encode()
            if (existing := found[0].get(field_name)) is not None:
                edits.append((existing.start_byte, existing.end_byte, replacement))
            else:  # no args yet: added after the command
                end = command_node.end_byte
                edits.append((end, end, b", " + json.dumps(field_name).encode() + b": " + replacement))
    # Joined in one pass: each edit spliced into a copy of the whole text was quadratic.
    pieces, at = [], 0
    for start, end, replacement in sorted(edits):
        if start < at:  # one entry inside another's replaced value: not put in place
            return None
        pieces += [source[at:start], replacement]
        at = end
    source = b"".join([*pieces, source[at:]])
    edited = bom + source[1:-2].decode()
    try:
        if parse_text(edited, DocumentFormat.JSONC) != expected:
            return None
    except DocumentError:
        return None
    return edited


@dataclass(frozen=True, slots=True)
class _Tenant:
    """Another account's home that root wraps (``--home``), and that account."""

    home: Path
    uid: int
    gid: int


def _tenant(home: Path | None) -> _Tenant | None:
    """``home`` and its owner when this is root and the home is another account's; else None."""
    absolute = Path(os.path.abspath(home)) if home is not None else None
    info = foreign_home(absolute) if absolute is not None else None
    return _Tenant(absolute, info.st_uid, info.st_gid) if absolute is not None and info is not None else None


def _write_atomically(path: Path, data: bytes, tenant: _Tenant | None = None) -> None:
    """``data`` as ``path``, made anew beside it (``O_EXCL``), synced and moved into place, with
    the file's mode and, when root writes another user's config (``--home``), its owner: made
    root's, a mode-600 config was no longer readable by the client it belongs to. On a failure
    the old file stands and nothing is left beside it.

    In a ``tenant``'s home the folders are walked without following a link, as ``enforce``
    writes (``place_file``): the user owns them, and a folder of theirs made a link
    (``~/.cursor -> /home/bob/.cursor``, or to a folder of root's) carried root's write there."""
    if tenant is not None and path.is_relative_to(tenant.home):
        try:
            facts: os.stat_result | None = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            facts = None
        if facts is not None and not stat.S_ISREG(facts.st_mode):
            facts = None  # a link's own mode and owner are not the file's
        mode = stat.S_IMODE(facts.st_mode) if facts is not None else 0o600
        owner = (facts.st_uid, facts.st_gid) if facts is not None else (tenant.uid, tenant.gid)
        parts = path.relative_to(tenant.home).parts
        place_file(tenant.home, parts, data, mode, owner=owner, tenant=tenant.uid)
        return
    try:  # followed: a link's own mode is 777, which a config holding secrets must not take
        info: os.stat_result | None = path.stat()
    except FileNotFoundError:
        info = None
    as_root = info is not None and hasattr(os, "geteuid") and os.geteuid() == 0
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o600
    replace_whole(path, data, mode, (info.st_uid, info.st_gid) if info is not None and as_root else None)


class _Manifest:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "manifest.json"
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            self.entries = json.loads(self.path.read_text("utf-8")).get("files", {})

    def record(
        self,
        path: Path,
        original: bytes,
        wrapped: bytes,
        tenant: _Tenant | None = None,
        secrets: tuple[Path, dict[str, str]] | None = None,
        routed: list[tuple[str, str]] | None = None,
    ) -> None:
        """Keep ``original`` (the first time only) and the digest of what wrap writes (and the
        other account's home it is in, which unwrap writes into as wrap did; the keys of the
        secrets moved out of it, by secrets file, which unwrap takes out again; and the names of
        the entries routed through the gateway, which alone unwrap puts back in a file edited
        since, with a digest of each entry as wrap wrote it, into which alone it puts their
        secrets back)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = str(path)
        if key not in self.entries:  # the first backup is the original; keep it
            backup = hashlib.sha256(key.encode()).hexdigest()[:32] + ".bak"
            _write_atomically(self.folder / backup, original)
            self.entries[key] = {"backup": backup, "wrapped_sha256": hashlib.sha256(original).hexdigest()}
            self.entries[key] |= {"servers": [], "entry_digests": []}
            if tenant is not None:
                self.entries[key]["home"] = str(tenant.home)
        if secrets is not None:  # new dictionaries: ``forget`` puts back the record as it was
            file, moved = str(secrets[0]), secrets[1]
            earlier = self.entries[key].get("secrets", {})
            self.entries[key]["secrets"] = {**earlier, file: {**earlier.get(file, {}), **moved}}
        if "servers" in self.entries[key]:  # a record from before 2026-12-05 has none: left so
            record = self.entries[key]
            record["servers"] = [*record["servers"], *(name for name, _ in routed or [])]
            digests = [digest for _, digest in routed or []]
            record["entry_digests"] = [*record.get("entry_digests", []), *digests]
        # Only a file still as wrap last wrote it takes the new digest. One edited since (a
        # server added, then wrapped by a second wrap) keeps the old one, so unwrap refuses it
        # unless forced: the backup lacks the edit, which unwrap restored away without a word.
        if self.entries[key]["wrapped_sha256"] == hashlib.sha256(original).hexdigest():
            self.entries[key]["wrapped_sha256"] = hashlib.sha256(wrapped).hexdigest()

    def forget(self, path: Path, previous: dict[str, Any] | None) -> None:
        """Put back the record ``record`` replaced (the file was not written after all)."""
        key = str(path)
        if previous is not None:
            self.entries[key] = previous
        elif key in self.entries:
            (self.folder / self.entries.pop(key)["backup"]).unlink(missing_ok=True)

    def save(self) -> None:
        if not self.entries and not self.path.exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.path, json.dumps({"version": 1, "files": self.entries}, indent=1).encode())
