"""Regular expressions compiled once per interpreter, not at every start of a process.

``re`` compiles an expression in Python (its parser, then the engine's code): mcpward's 800 or
so cost about 0.2 s of CPU at every start, half of a ``gateway run``'s start-up (one per stdio
server) and of every scan's. :func:`compiled` keeps the engine's code of each in the user cache
folder and gives it back to the engine (``_sre.compile``, which checks the code it is given),
so a later process skips the parser and the compiler (the first compiles each twice: with
``re``, whose pattern it uses, and into the code it keeps, checked to have the same groups and
flags).

The kept file is read under the rule of the compiled Hyperscan databases beside it: a file of
the user's own that no one else may write (a code that matches nothing, planted in a shared
cache folder, would blind the checks that use it), beginning with its key, which is the
interpreter's exact version and its engine's: code made by another interpreter is never read.
Anything unexpected (no such file, another key, damaged data, an interpreter whose internals
moved) compiles as ``re`` does. New expressions are added to the file when the process ends."""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # the engine of re (no stubs)
import atexit
import contextlib
import hashlib
import marshal
import re
import sys
from pathlib import Path
from typing import Any, AnyStr

#: The interpreter's build and its engine's: the code of an expression is theirs.
_KEY = hashlib.sha256(f"{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}|{sys.maxunicode}".encode()).hexdigest()[
    :32
]
#: The file holds at most this many expressions (those of older releases pile up; a release has
#: about 400): past it, only those this process compiled or read are kept.
_MOST_KEPT = 2_000
#: A kept file larger than this is not read (the expressions of a release take about 1 MB).
_MOST_BYTES = 32 << 20

#: The code of each expression, by (expression, flags): read from the file on first use.
_known: dict[tuple[str | bytes, int], tuple[Any, ...]] | None = None
#: What this process compiled that the file did not hold.
_added: dict[tuple[str | bytes, int], tuple[Any, ...]] = {}
#: What this process took from the file.
_used: set[tuple[str | bytes, int]] = set()


def compiled(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, from the code kept by an earlier process when there is
    one. Raises ``re.error`` as ``re.compile`` does."""
    key = (pattern, int(flags))
    known = _read() if _known is None else _known
    made = known.get(key) or _added.get(key)
    if made is not None:
        try:
            found: re.Pattern[AnyStr] = _sre.compile(pattern, *made)
            _used.add(key)
            return found
        except Exception:  # noqa: BLE001 - not code the engine takes: compiled anew below
            known.pop(key, None)
    result = re.compile(pattern, flags)  # raises re.error as it should
    try:
        made = _code(pattern, int(flags))
        again: re.Pattern[AnyStr] = _sre.compile(pattern, *made)
    except Exception:  # noqa: BLE001 - the internals this relies on moved: re's alone
        return result
    if (again.flags, again.groups, again.groupindex) != (result.flags, result.groups, result.groupindex):
        return result  # made otherwise than re makes it: not kept
    if not _added:
        atexit.register(_keep)
    _added[key] = made
    return result


def _code(pattern: str | bytes, flags: int) -> tuple[Any, ...]:
    """What ``re._compiler.compile`` gives the engine, but the expression itself."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    # The opcodes are int subclasses, which marshal does not keep: plain ints, the same code.
    code = [int(word) for word in code]
    return (int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex, tuple(indexgroup))


def _file() -> Path:
    from mcpward._paths import user_cache_dir

    return user_cache_dir() / "patterns" / f"{_KEY}.marshal"


#: A kept file's first line (see ``read_own_named``).
_NAME = f"mcpward-patterns {_KEY}"


def _read() -> dict[tuple[str | bytes, int], tuple[Any, ...]]:
    global _known
    _known = {}
    try:
        from mcpward._paths import read_own_named

        data = read_own_named(_file(), _NAME, _MOST_BYTES)
    except Exception:  # noqa: BLE001 - no cache folder (no home): compiled each time
        return _known
    if data is None:
        return _known  # absent, not the user's own, or another interpreter's
    try:
        # The user's own file (as a module's .pyc, also marshal), checked by read_own_named.
        loaded = marshal.loads(data)  # noqa: S302
    except (EOFError, ValueError, TypeError):
        return _known  # damaged: made anew
    if isinstance(loaded, dict):
        _known = loaded
    return _known


def _keep() -> None:
    """This process's new expressions added to the file (replaced whole: another process's
    writing at the same time loses one of the two additions, made again later)."""
    if not _added:
        return
    merged = {**(_known or {}), **_added}
    if len(merged) > _MOST_KEPT:
        merged = {key: made for key, made in merged.items() if key in _used or key in _added}
    # Not kept where it cannot be (no home, a read-only one): compiled again next time.
    with contextlib.suppress(Exception):
        from mcpward._paths import keep_owner_only_named

        keep_owner_only_named(_file(), _NAME, marshal.dumps(merged))
    _added.clear()
