"""Attack: someone who can write the folder of the gateway's audit log (a shared log folder,
``--audit-log`` in a team's group-writable directory), but not the gateway user's other files
nor its key, puts links or files of their own where the gateway keeps its log, head and key.

Before (2026-12-05) the gateway followed every one of them: a log that was a symbolic link to
the user's shell startup file had each record appended to it (a client's argument
``$(command)`` included, which the shell runs at its next start); a head that was a link to a
file that did not exist yet was created there; a key planted by someone else (or a key file
that others can read) was used as it was, so whoever knew it signed records that
``mcpward audit verify`` called intact and anchored. The log, head and key are now opened
without following a link, and a key that is not the gateway user's own, or that others can
read or write, is refused by the writer and by verify."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpward._anchor import Head, HeadFile, seal
from mcpward.gateway import AuditLog, anchor_paths, check_audit_log
from mcpward.gateway._audit import _hash


def _written(path: Path, count: int = 2) -> None:
    log = AuditLog(path)
    for number in range(count):
        log.append({"at": "2026-12-05T10:00:00Z", "stage": "request", "method": "tools/call", "n": number})
    log.close()


def test_a_log_that_is_a_link_is_not_written_through(tmp_path: Path) -> None:
    startup = tmp_path / "home" / ".bashrc"
    startup.parent.mkdir()
    startup.write_text("export PATH=$HOME/bin:$PATH\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "audit.jsonl").symlink_to(startup)
    with pytest.raises(OSError, match="symbolic link"):
        log = AuditLog(shared / "audit.jsonl")
        log.append({"arguments": {"text": "$(touch /tmp/owned)"}})
        log.close()
    assert startup.read_text() == "export PATH=$HOME/bin:$PATH\n"


def test_a_head_that_is_a_link_is_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "home" / ".profile"
    target.parent.mkdir()
    shared = tmp_path / "shared"
    shared.mkdir()
    anchor_paths(shared / "audit.jsonl")[1].symlink_to(target)  # not there yet: a dangling link
    with pytest.raises(OSError, match="symbolic link"):
        _written(shared / "audit.jsonl")
    assert not target.exists()


def test_a_head_replaced_by_a_link_after_its_check_is_not_written_through(tmp_path: Path) -> None:
    """The writer read its head by name, then opened it by name again for its first write: a
    head swapped for a link in between (a race the attacker repeats until it wins; here the
    swap is made right after the read) had the link's target overwritten, its first 512 bytes."""
    target = tmp_path / "home" / ".profile"
    target.parent.mkdir()
    target.write_text("umask 077\n" * 100)
    path = tmp_path / "shared" / "audit.jsonl"
    _written(path)
    log = AuditLog(path)
    head = anchor_paths(path)[1]
    read = log._head.read

    def read_then_swap() -> Any:
        found = read()
        head.unlink()
        head.symlink_to(target)
        return found

    log._head.read = read_then_swap  # type: ignore[method-assign]
    try:
        log.append({"at": "2026-12-05T10:00:01Z", "n": 2})
    except OSError:
        pass
    finally:
        log.close()
    assert target.read_text() == "umask 077\n" * 100


def _forge(path: Path, key: bytes) -> None:
    """Append a record signed with ``key`` and move the head to it, as the key's holder can."""
    lines = path.read_bytes().splitlines()
    last: dict[str, Any] = orjson.loads(lines[-1])
    body = {"at": "2026-12-05T10:00:02Z", "method": "tools/call", "tool": "forged", "seq": last["seq"] + 1,
            "prev": last["hash"]}  # fmt: skip
    digest = _hash(last["hash"], body)
    record = {**body, "hash": digest, "mac": seal(key, "record", digest)}
    with path.open("ab") as handle:
        handle.write(orjson.dumps(record) + b"\n")
    head = HeadFile(anchor_paths(path)[1], key)
    head.write(Head(body["seq"], digest, 1))
    head.close()


def test_a_key_planted_by_someone_else_is_refused(tmp_path: Path, cli: Any) -> None:
    """The attacker makes the key before the first gateway does (the folder is theirs to write),
    keeps a copy, and signs records of their own later."""
    path = tmp_path / "shared" / "audit.jsonl"
    path.parent.mkdir()
    known = bytes(range(32))
    key_path = anchor_paths(path)[0]
    key_path.write_text(known.hex() + "\n")
    key_path.chmod(0o644)
    with pytest.raises(OSError, match="others can read"):
        _written(path)
    assert not anchor_paths(path)[1].exists()

    # A key that was the gateway's own, then made readable by others (or by its group): verify
    # no longer calls records signed with it evidence.
    other = tmp_path / "other" / "audit.jsonl"
    _written(other)
    anchor_paths(other)[0].chmod(0o640)
    _forge(other, bytes.fromhex(anchor_paths(other)[0].read_text().strip()))
    assert "others can read" in str(check_audit_log(other).problem)
    result = cli("audit", "verify", str(other))
    assert result.exit_code == 1 and "others can read" in result.stderr, result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file another user's takes root")
def test_a_key_of_another_user_is_refused(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "shared" / "audit.jsonl"
    _written(path)
    os.chown(anchor_paths(path)[0], 65534, 65534)
    with pytest.raises(OSError, match="not owned by"):
        AuditLog(path).close()
    result = cli("audit", "verify", str(path))
    assert result.exit_code == 1 and "not owned by" in result.stderr, result.stderr
    # Root checking the log of the account whose folder it is: that account's key.
    os.chown(path.parent, 65534, 65534)
    assert check_audit_log(path).problem is None


def test_a_key_that_is_a_link_is_refused(tmp_path: Path, cli: Any) -> None:
    """A link to a key the attacker can read (their own log's, say) made their signatures the log's."""
    mine = tmp_path / "mine" / "audit.jsonl"
    _written(mine)
    path = tmp_path / "shared" / "audit.jsonl"
    path.parent.mkdir()
    anchor_paths(path)[0].symlink_to(anchor_paths(mine)[0])
    with pytest.raises(OSError, match="symbolic link"):
        _written(path)
    result = cli("audit", "verify", str(path))
    assert result.exit_code == 1 and "symbolic link" in result.stderr, result.stderr


def test_the_gateway_s_own_files_still_work(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    _written(path)
    _written(path)
    assert all(anchor.stat().st_mode & 0o077 == 0 for anchor in anchor_paths(path))
    result = cli("audit", "verify", str(path))
    assert result.exit_code == 0 and "4 records, chain intact and anchored" in result.stdout, result.stderr
