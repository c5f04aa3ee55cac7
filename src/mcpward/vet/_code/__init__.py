"""Code analysis: one module per language, each a :class:`SourceAnalyzer`."""

from __future__ import annotations

from functools import cache

from mcpward._plugins import implementations
from mcpward.vet._archive import PackageFiles
from mcpward.vet._code.interface import AnalysisBudget, CodeFacts, SourceAnalyzer

#: Minified bundles above this are not parsed; their size is reported instead.
_SKIP_DIRECTORIES = ("node_modules/", "test/", "tests/", "__tests__/", "examples/", "docs/")


@cache
def analyzers() -> tuple[SourceAnalyzer, ...]:
    return tuple(implementations(__name__, __path__, SourceAnalyzer))


def analyze_package(files: PackageFiles) -> CodeFacts:
    """Facts of every source file of a package (tests, docs and bundled dependencies aside)."""
    facts = CodeFacts()
    chosen = analyzers()
    budget = AnalysisBudget()
    for path in sorted(files.files):
        if path.startswith(_SKIP_DIRECTORIES) or any(f"/{d}" in path for d in _SKIP_DIRECTORIES):
            continue
        for analyzer in chosen:
            if path.endswith(analyzer.suffixes):
                facts.extend(analyzer.analyze(path, files.files[path], budget))
                break
    return facts
