"""Expressions written inline (not compiled at import) in linear time on hostile input.

A package's repository URL (its package.json, up to 32 MB) was searched for a GitHub or
GitLab path by an expression tried again from each ``github.com:`` of a run with no slash,
reading the run to its end each time: 80,000 characters took 0.2 s and 1 MB 30 s, as the
square of the run. The scan's file names (a cloned tree's, named by whoever wrote it) were
matched by Kubernetes and flow-export patterns whose first word could be any of many, each
read to the end: a 255-character name (the longest a file system gives) cost 100 us, twenty
times a plain one. The hint for ``pypi:NAME VERSION`` split a run of spaces every way (8,000
took 0.65 s). Each is given long runs of its own pieces and a tail that makes it fail."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest
from linear_time import superlinear

from mcpward.scan._manifests.kubernetes import KubernetesManifests
from mcpward.scan._platforms import PlatformFiles
from mcpward.vet import VetError, parse_target
from mcpward.vet._rules import _repository_path


def _hint(text: str) -> None:
    with contextlib.suppress(VetError):
        parse_target(text)


_KUBERNETES = KubernetesManifests().claims
_EXPORT = PlatformFiles().claims

#: A hostile text of n characters for each reader, with the sizes to compare.
SHAPES: dict[str, tuple[Callable[[str], object], Callable[[int], str], int]] = {
    "hosts without a slash": (_repository_path, lambda n: "github.com:" * (n // 11), 20_000),
    "hosts of both kinds": (_repository_path, lambda n: "gitlab.com:a.github.com:" * (n // 24), 20_000),
    "a pypi name then spaces": (_hint, lambda n: "pypi:a" + " " * n + "x", 2_000),
    "a pypi name then tabs and an @": (_hint, lambda n: "pypi:a" + "\t" * n + "@x", 2_000),
    "workload words": (_KUBERNETES, lambda n: "k8s" * (n // 3) + "x", 5_000),
    "workload words and dots": (_KUBERNETES, lambda n: "pod." * (n // 4) + "x", 5_000),
    "export words and dots": (_EXPORT, lambda n: "n8n." * (n // 4) + "x", 8_000),
    "flow words and dots": (_EXPORT, lambda n: "flow." * (n // 5) + "x", 8_000),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_hostile_text_costs_its_length(name: str) -> None:
    call, shape, size = SHAPES[name]
    assert superlinear(call, shape(size), shape(4 * size)) is None


@pytest.mark.parametrize("stem", ["k8s", "pod.", "n8n.", "flow."])
def test_the_longest_file_names_cost_what_plain_ones_do(stem: str) -> None:
    def cost(names: list[str]) -> float:
        started = time.thread_time()
        for name in names:
            _KUBERNETES(name)
            _EXPORT(name)
        return time.thread_time() - started

    hostile = [(f"{i:05d}" + stem * 100)[:254] + "x" for i in range(1000)]
    plain = [(f"{i:05d}" + "a" * 300)[:254] + "x" for i in range(1000)]
    assert cost(hostile) < 4 * min(cost(plain) for _ in range(2)) + 0.005


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("git+https://github.com/Acme/Tools.git", "acme/tools"),
        ("git@gitlab.com:team/repo#readme", "team/repo"),
        ("github.com:github.com:x/y", "github.com:x/y"),
        ("https://github.com//x/github.com/a/b", "a/b"),
        ("https://github.com/acme/?q", ""),
        ("github.com:" * 3, ""),
        ("acme/tools", "acme/tools"),
    ],
)
def test_the_repository_path_is_read_as_before(url: str, path: str) -> None:
    assert _repository_path(url) == path
