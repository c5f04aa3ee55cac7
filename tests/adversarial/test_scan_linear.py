"""The scan's readers of config files and manifests in linear time on hostile lines.

A project tree the scan walks may be anyone's (a cloned repository), so its config files and
package.json are written by an attacker. Two expressions split a run of tabs or spaces two
ways: a YAML ``- name:`` line followed by tabs and a ``#`` took 0.46 s for 1,000 tabs and
8.8 s for 4,000 in the key index of _documents (every key of every config read), and a
version spec of spaces and no version grew as their square in npm's exact-version test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from linear_time import superlinear

from mcpward._documents import Document
from mcpward.scan._manifests.npm import _exact


def _key_lines(text: str) -> dict[str, int]:
    return Document(Path("servers.yaml"), text, None)._key_lines


#: A hostile text of n characters for each reader.
SHAPES: dict[str, tuple[Callable[[str], object], Callable[[int], str]]] = {
    "a name line of tabs and a comment": (_key_lines, lambda n: "servers:\n- name:" + "\t" * n + "#\n"),
    "a name line of spaces and two quotes": (_key_lines, lambda n: "- name:" + " " * n + "''\n"),
    "a name then spaces and a comment": (_key_lines, lambda n: "- name: a" + " " * n + "#\n"),
    "a key then spaces": (_key_lines, lambda n: "key" + " " * n + "x\n"),
    "a version spec of spaces": (_exact, lambda n: " " * n + "x"),
    "a version spec of spaces around =": (_exact, lambda n: " " * n + "=" + " " * n + "x"),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_hostile_line_costs_its_length(name: str) -> None:
    read, shape = SHAPES[name]
    assert superlinear(read, shape(2000), shape(8000)) is None


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("- name: files\n- name: 'web search'  \n", {"files": 1, "web search": 2}),
        ('- name:   "db" # x\n', {"name": 1}),
        ("- name:   \n- name: ''\n- name: '\t\n", {"": 1}),
        ('"mcpServers": {\n  "fs": {}\n}\n', {"mcpServers": 1, "fs": 2}),
    ],
)
def test_the_keys_a_config_names_are_found_where_they_stand(text: str, keys: dict[str, int]) -> None:
    found = _key_lines(text)
    assert {key: found[key] for key in keys} == keys


def test_an_exact_version_is_read_with_its_spaces() -> None:
    assert _exact(" = v1.2.3-rc.1+b7 ") == "1.2.3-rc.1+b7"
    assert _exact("^1.2.3") is None
