"""What a setup.py passes to ``setup()``, read from its syntax tree: never run.

Most setup scripts pass literals (``install_requires=[…]``, ``entry_points={…}``,
``scripts=[…]``), directly or through a module-level name, or in a dict handed on with
``**``. A value computed otherwise is not seen.
"""

from __future__ import annotations

import ast
from typing import Any

#: Bytes of a setup.py parsed: larger ones are code, not a declaration.
MAX_SETUP_PY_BYTES = 1024 * 1024
#: Values gathered from one setup.py at most.
_MAX_VALUES = 1000


def parsed(source: bytes) -> ast.Module | None:
    try:
        return ast.parse(source[:MAX_SETUP_PY_BYTES])
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def keyword_values(tree: ast.Module, names: frozenset[str]) -> list[tuple[str, ast.expr]]:
    """(keyword, value) of each call's keyword in ``names`` (``setup(scripts=…)``,
    ``dict(scripts=…)``) and each dict literal's key (``{"scripts": …}``), a value that is a
    module-level name replaced by what it is assigned."""
    assigned: dict[str, ast.expr] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = statement.value
    found: list[tuple[str, ast.expr]] = []
    for node in ast.walk(tree):
        named: list[tuple[Any, ast.expr]] = []
        if isinstance(node, ast.Call):
            named = [(keyword.arg, keyword.value) for keyword in node.keywords]
        elif isinstance(node, ast.Dict):
            named = [
                (key.value, value)
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant)
            ]
        for name, value in named:
            if name in names:
                found.append((name, assigned.get(value.id, value) if isinstance(value, ast.Name) else value))
            if len(found) >= _MAX_VALUES:
                return found
    return found


def literal_strings(node: ast.expr) -> list[str]:
    """String constants of a value (a list, a tuple, a set, a dict's values), each split by
    lines as setuptools splits a string of several."""
    roots = [v for v in node.values if v is not None] if isinstance(node, ast.Dict) else [node]
    found: list[str] = []
    for root in roots:
        for child in ast.walk(root):
            if isinstance(child, ast.Constant) and isinstance(child.value, str):
                found.extend(child.value.splitlines())
            if len(found) >= _MAX_VALUES:
                return found
    return found
