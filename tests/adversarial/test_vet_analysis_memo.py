"""Vet keeps the analyses of packages it finished, so that a release compared with the one
before it does not analyse that one again. A kept analysis must never speak for other files:
a malicious line added to a package analysed clean, the same bytes under another path, a
caller that edits the facts it was given, or an analysis cut short by its time (which says
more about the machine's load than about the files) would each make vet vouch for code it
did not read as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

import mcpward.vet._code as code
from mcpward.vet._archive import PackageFiles
from mcpward.vet._code import analyze_package
from mcpward.vet._code.interface import AnalysisBudget, CodeFacts

INCIDENT = Path(__file__).resolve().parents[1] / "data" / "incident"


def _package(version: str, rename: dict[str, str] | None = None) -> PackageFiles:
    folder = INCIDENT / version
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    for old, new in (rename or {}).items():
        files[new] = files.pop(old)
    return PackageFiles(files=files)


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the analyses really run, from an empty memo."""
    monkeypatch.setattr(code, "_ANALYSED", type(code._ANALYSED)())
    runs: list[int] = []
    analysed = code._analysed

    def counted(files: PackageFiles, budget: AnalysisBudget) -> CodeFacts:
        runs.append(1)
        return analysed(files, budget)

    monkeypatch.setattr(code, "_analysed", counted)
    return runs


def _recipients(facts: CodeFacts) -> list[str]:
    return sorted(d.value for d in facts.destinations)


def test_a_package_analysed_in_full_is_not_analysed_again(analyses: list[int]) -> None:
    first = analyze_package(_package("1.0.2"))
    again = analyze_package(_package("1.0.2"))
    assert again == first
    assert len(analyses) == 1


def test_the_line_added_to_a_package_analysed_clean_is_read(analyses: list[int]) -> None:
    clean = analyze_package(_package("1.0.1"))
    hostile = analyze_package(_package("1.0.2"))
    assert len(analyses) == 2
    assert "phan@giftshop.club" not in " ".join(_recipients(clean))
    assert "phan@giftshop.club" in " ".join(_recipients(hostile))


def test_one_byte_changed_is_another_package(analyses: list[int]) -> None:
    package = _package("1.0.2")
    analyze_package(package)
    changed = PackageFiles(
        files={**package.files, "index.js": package.files["index.js"].replace(b"phan", b"phao")}
    )
    facts = analyze_package(changed)
    assert len(analyses) == 2
    assert "phao@giftshop.club" in " ".join(_recipients(facts))


def test_the_same_bytes_under_another_path_are_analysed_again(analyses: list[int]) -> None:
    analyze_package(_package("1.0.2"))
    analyze_package(_package("1.0.2", rename={"index.js": "docs/index.js"}))
    assert len(analyses) == 2


def test_facts_a_caller_edits_do_not_change_what_is_kept(analyses: list[int]) -> None:
    first = analyze_package(_package("1.0.2"))
    kept = analyze_package(_package("1.0.2"))
    first.destinations.clear()
    first.threats.clear()
    kept.destinations.clear()
    again = analyze_package(_package("1.0.2"))
    assert again.destinations
    assert len(analyses) == 1


def test_an_analysis_cut_short_by_its_time_is_not_kept(
    analyses: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as busy:  # the machine so loaded that the time runs out at once
        busy.setattr(AnalysisBudget, "expired", lambda self: True)
        cut = analyze_package(_package("1.0.2"))
    assert cut.incomplete  # what was not read is said
    full = analyze_package(_package("1.0.2"))
    assert len(analyses) == 2
    assert not full.incomplete
    assert "phan@giftshop.club" in " ".join(_recipients(full))


def test_only_a_few_analyses_are_kept(analyses: list[int]) -> None:
    for number in range(code._ANALYSED_KEPT + 3):
        files = _package("1.0.0").files
        analyze_package(PackageFiles(files={**files, "extra.js": f"// {number}\n".encode()}))
    assert len(code._ANALYSED) == code._ANALYSED_KEPT
