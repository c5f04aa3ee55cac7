"""Attack: someone who can write the gateway's audit log (not read its key) rewrites the bytes of
a signed record so that it reads otherwise to anything but mcpward, while it parses to the same
values: a tool's name spelled with JSON escapes (``"\\u0064elete_repository"``, which a grep,
an alert on the raw line or a reader's eye does not match), or a key given twice, the false
value first (a reader that keeps the first of two, or a person reading the line, sees it).

Before (2026-12-05) ``mcpward audit verify`` parsed each line and hashed its values written out
again, so every such line verified as intact and anchored: the MAC covered the values, not the
line an auditor or a log shipper reads. A signed record must now be, byte for byte, the line its
writer wrote (the values written out as the writer does, the hash and MAC after them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mcpward.gateway import AuditLog, check_audit_log


def _log(tmp_path: Path) -> tuple[Path, list[bytes]]:
    path = tmp_path / "logs" / "audit.jsonl"
    log = AuditLog(path)
    for tool in ("read_file", "delete_repository", "read_file"):
        log.append({"at": "2026-12-05T10:00:00Z", "stage": "request", "method": "tools/call",
                    "server": "github", "tool": tool, "decision": "allow", "client": "alice"})  # fmt: skip
    log.close()
    return path, path.read_bytes().splitlines(keepends=True)


RESPELLINGS = {
    "a name spelled with escapes": lambda line: line.replace(
        b'"delete_repository"', b'"\\u0064elete_repository"'
    ),
    "a key given twice, the false value first": lambda line: line.replace(
        b'{"at"', b'{"tool":"read_file","at"', 1
    ),
    "spaces between the members": lambda line: line.replace(b'","', b'", "'),
}


@pytest.mark.parametrize("respelling", sorted(RESPELLINGS))
def test_a_signed_record_respelled_does_not_verify(tmp_path: Path, respelling: str, cli: Any) -> None:
    path, lines = _log(tmp_path)
    assert check_audit_log(path).problem is None
    lines[1] = RESPELLINGS[respelling](lines[1])
    assert b"delete_repository" not in lines[1] or respelling != "a name spelled with escapes"
    path.write_bytes(b"".join(lines))
    verdict = check_audit_log(path)
    assert verdict.problem == "line 2 was altered (not as its writer wrote it)", verdict.problem
    result = cli("audit", "verify", str(path))
    assert result.exit_code == 1 and "line 2 was altered" in result.stderr, result.stdout + result.stderr


def test_records_as_written_by_the_writer_of_2026_12_03_still_verify(tmp_path: Path) -> None:
    """Before the writer wrote the hash and MAC after the values, it sorted them in with them."""
    import orjson

    path, lines = _log(tmp_path)
    older = [orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS) + b"\n" for line in lines]
    assert older != lines
    path.write_bytes(b"".join(older))
    assert check_audit_log(path).problem is None and check_audit_log(path).count == 3
