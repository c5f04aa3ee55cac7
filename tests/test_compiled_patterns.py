"""``mcpward._regex.compiled``: the same pattern as ``re.compile``, whether made here or read
back from the code an earlier process kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mcpward._regex as kept
from mcpward._regex import compiled

CASES: list[tuple[str | bytes, int]] = [
    (r"(?P<user>[\w.+-]+)@(?P<host>[\w-]+(?:\.[\w-]+)+)", 0),
    (r"\bpass(?:word)?\s*[:=]\s*(\S+)", re.IGNORECASE),
    (r"(?i)ghp_[A-Za-z0-9]{36}(?![A-Za-z0-9])", 0),
    (r"(?<=key=)[^&\s]+|(?<!\w)sk-[a-z0-9]{8,}", re.MULTILINE | re.DOTALL),
    (r"[\u00c0-\u2fff]+|\d{3}-\d{4}", re.ASCII),
    (rb"\x00\x01(?P<body>.{0,8})\xff", re.DOTALL),
    (r"^(a|b)*?c$", re.VERBOSE),
    (r"", 0),
]
TEXTS = [
    "mail bob@example.org, Password = hunter2 key=abc&x sk-abcdef123 ÀÉÎ 555-1234 GHP_" + "a" * 36,
    "aabbc\nabc\nc",
    "",
]


def _same(pattern: str | bytes, flags: int, made: re.Pattern[str] | re.Pattern[bytes]) -> None:
    reference = re.compile(pattern, flags)
    assert (made.pattern, made.flags, made.groups, dict(made.groupindex)) == (
        reference.pattern,
        reference.flags,
        reference.groups,
        dict(reference.groupindex),
    )
    for text in TEXTS:
        sample = text.encode("utf-8", "replace") + b"\x00\x01body\xff" if isinstance(pattern, bytes) else text
        assert [m.span() for m in made.finditer(sample)] == [m.span() for m in reference.finditer(sample)]  # type: ignore[arg-type]
        assert [m.groupdict() for m in made.finditer(sample)] == [
            m.groupdict() for m in reference.finditer(sample)
        ]  # type: ignore[arg-type]


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The module as in a new process, its cache folder empty."""
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kept, "_known", None)
    monkeypatch.setattr(kept, "_added", {})
    monkeypatch.setattr(kept, "_used", set())
    return tmp_path


@pytest.mark.parametrize(("pattern", "flags"), CASES)
def test_made_here_and_read_back_match_as_re_does(fresh: Path, pattern: str | bytes, flags: int) -> None:
    _same(pattern, flags, compiled(pattern, flags))
    kept._keep()
    kept._known, kept._used = None, set()
    again = compiled(pattern, flags)
    assert (pattern, flags) in kept._used  # read back, not made anew
    _same(pattern, flags, again)


def test_an_invalid_pattern_raises_as_re_does(fresh: Path) -> None:
    with pytest.raises(re.error):
        compiled(r"(unclosed")
    assert not kept._added


def test_the_file_is_bounded(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept, "_MOST_KEPT", 5)
    for number in range(8):
        compiled(f"old-{number}")
    kept._keep()
    kept._known, kept._used = None, set()
    compiled("old-1")  # read back: used by this process
    compiled("new")
    kept._keep()
    kept._known = None
    assert set(kept._read()) == {("old-1", 0), ("new", 0)}
