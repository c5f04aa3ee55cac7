"""The layout holds: a part uses another only through its public API.

A part is a top-level package of ``mcpward`` (scan, vet, inspect, dlp, registry, gateway, sandbox,
report, output, ...) or a top-level module (cli). Its ``_private`` modules and names are its own;
the top-level ``mcpward._x`` modules are shared infrastructure, open to every part."""

from __future__ import annotations

import ast
from pathlib import Path

import mcpward

SOURCE = Path(mcpward.__file__).parent


def _private_imports(relative: Path, text: str) -> list[str]:
    """Imports in the module at ``relative`` (to the package) of another part's private module
    or name, as ``path:line: module (private parts)``."""
    own = relative.parts[0] if len(relative.parts) > 1 else relative.stem
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mcpward."):
            modules = [(node.module, [alias.name for alias in node.names])]
        elif isinstance(node, ast.Import):
            modules = [(alias.name, []) for alias in node.names if alias.name.startswith("mcpward.")]
        else:
            continue
        for module, names in modules:
            part, *inner = module.split(".")[1:]
            if part == own or part.startswith("_"):
                continue
            hidden = [segment for segment in inner if segment.startswith("_")]
            hidden += [name for name in names if name.startswith("_") and not name.startswith("__")]
            if hidden:
                found.append(f"{relative}:{node.lineno}: {module} ({', '.join(hidden)})")
    return found


def test_no_part_imports_another_parts_private_modules() -> None:
    found = [
        line
        for path in sorted(SOURCE.rglob("*.py"))
        for line in _private_imports(path.relative_to(SOURCE), path.read_text("utf-8"))
    ]
    assert found == []


def test_the_walk_sees_a_private_import() -> None:
    # The check itself: a gateway module reaching into inspect's and scan's private parts is
    # reported; its own private modules and the shared top-level ones are not.
    text = (
        "from mcpward.inspect._pins import PinStore\n"
        "from mcpward.scan import _engine\n"
        "import mcpward.registry._service\n"
        "from mcpward.gateway._relay import Relay\n"
        "from mcpward._multimatch import MultiMatcher\n"
        "from mcpward.inspect import signature\n"
    )
    assert _private_imports(Path("gateway/_example.py"), text) == [
        "gateway/_example.py:1: mcpward.inspect._pins (_pins)",
        "gateway/_example.py:2: mcpward.scan (_engine)",
        "gateway/_example.py:3: mcpward.registry._service (_service)",
    ]
