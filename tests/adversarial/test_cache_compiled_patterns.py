"""The engine's code of mcpward's regular expressions is kept in the user cache folder
(``mcpward._regex``), read back by later processes. Whoever may put a file there could give
the DLP a code that matches nothing (a check blinded) or code the engine cannot run: such a
file must not be read (another user's, one others may write, another interpreter's, damaged),
and what is read must be code the engine takes. The user's own policy patterns (which may name
what they guard) are never written there.

Each side runs in a process of its own, as mcpward's commands do: the first compiles and keeps,
the next reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: A built-in DLP rule's pattern used, then a match that depends on it.
_PROBE = r"""
import json, sys
from mcpward._regex import compiled
import mcpward._regex as kept
from mcpward.dlp.scanning import default_engine
pattern = compiled(r"(?P<user>[a-z]+)@(?P<host>[a-z.]+)", 0)
found = pattern.search("mail bob@example.org now")
hits = default_engine().scan("token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + " here")
print(json.dumps({
    "groups": found.groupdict() if found else None,
    "secret_found": any(h.kind == "secret" for h in hits),
    "read": len(kept._used), "added": len(kept._added),
}))
"""


def _run(cache: Path, program: str = _PROBE) -> dict[str, object]:
    # The run's compiled Hyperscan databases shared (2 s of CPU each made anew); the patterns
    # folder the test's own.
    shared = Path(os.environ["MCPWARD_CACHE_DIR"]) / "hyperscan"
    if not (cache / "hyperscan").exists():
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "hyperscan").symlink_to(shared.resolve(), target_is_directory=True)
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MCPWARD_CACHE_DIR": str(cache)},
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def _kept(cache: Path) -> Path:
    (kept,) = (cache / "patterns").glob("*.marshal")
    return kept


def test_a_later_process_reads_the_kept_code_and_matches_the_same(tmp_path: Path) -> None:
    first = _run(tmp_path)
    assert first["added"] and not first["read"]
    assert _kept(tmp_path).stat().st_mode & 0o077 == 0  # the owner's alone
    second = _run(tmp_path)
    assert second["read"] and not second["added"]
    assert first["groups"] == second["groups"] == {"user": "bob", "host": "example.org"}
    assert first["secret_found"] and second["secret_found"]


def _blinding_code(cache: Path) -> None:
    """Every kept expression's code replaced by the code of one that never matches (the engine
    takes it), under the file's own key: what a planted file would hold."""
    program = r"""
import marshal, sys
from pathlib import Path
import mcpward._regex as kept
path = Path(sys.argv[1])
header = (kept._NAME + "\n").encode()
entries = marshal.loads(path.read_bytes()[len(header):])
never = kept._code("(?!)", 0)
blinded = {key: (made[0],) + never[1:2] + made[2:] if made[2] == -1 and not made[3] else made
           for key, made in entries.items()}
path.write_bytes(header + marshal.dumps(blinded))
"""
    subprocess.run([sys.executable, "-c", program, str(_kept(cache))], check=True, timeout=60)


def test_a_kept_file_others_may_write_or_own_is_not_read(tmp_path: Path) -> None:
    _run(tmp_path)
    _blinding_code(tmp_path)
    kept = _kept(tmp_path)
    kept.chmod(0o666)  # anyone may write it
    after = _run(tmp_path)
    assert not after["read"] and after["secret_found"]
    if os.geteuid() == 0:
        _run(tmp_path / "again")
        _blinding_code(tmp_path / "again")
        other = _kept(tmp_path / "again")
        os.chown(other, 65534, 65534)  # owner-only, but another user's
        assert not _run(tmp_path / "again")["read"]


def test_another_interpreters_or_a_damaged_file_is_compiled_anew(tmp_path: Path) -> None:
    _run(tmp_path)
    kept = _kept(tmp_path)
    header, body = kept.read_bytes().split(b"\n", 1)
    for planted in (
        b"mcpward-patterns " + b"0" * 32 + b"\n" + body,  # another key's
        header + b"\n" + body[: len(body) // 2],  # cut short
        header + b"\n" + b"\x00garbage",
        header + b"\n" + b"[1, 2, 3]",  # not marshal of a table
    ):
        kept.write_bytes(planted)
        kept.chmod(0o600)
        after = _run(tmp_path)
        assert after["groups"] == {"user": "bob", "host": "example.org"} and after["secret_found"]
        assert not after["read"]


def test_code_the_engine_refuses_is_compiled_anew(tmp_path: Path) -> None:
    _run(tmp_path)
    program = r"""
import marshal, sys
from pathlib import Path
import mcpward._regex as kept
path = Path(sys.argv[1])
header = (kept._NAME + "\n").encode()
entries = marshal.loads(path.read_bytes()[len(header):])
broken = {key: (made[0], [99999, 1, 2]) + made[2:] for key, made in entries.items()}
broken.update({key: ("not", "the", "shape") for key in list(entries)[:3]})
path.write_bytes(header + marshal.dumps(broken))
"""
    subprocess.run([sys.executable, "-c", program, str(_kept(tmp_path))], check=True, timeout=60)
    after = _run(tmp_path)
    assert not after["read"] and after["added"]
    assert after["groups"] == {"user": "bob", "host": "example.org"} and after["secret_found"]


@pytest.mark.parametrize("secret_word", ["Zq9-internal-codename-Kx41"])
def test_a_custom_policy_pattern_is_never_written(tmp_path: Path, secret_word: str) -> None:
    program = f"""
from mcpward.dlp.policy import CustomRule
from mcpward.dlp._engine import Engine, builtin_rules
rule = CustomRule(id="codename", pattern=r"{secret_word}").dlp_rule()
engine = Engine([*builtin_rules(), rule])
print('{{"found": %s}}' % str(bool(engine.scan("the {secret_word} launch"))).lower())
"""
    assert _run(tmp_path, program)["found"] is True
    assert secret_word.encode() not in _kept(tmp_path).read_bytes()
