"""Finding the implementations of an abstraction by listing its package.

pip-audit style: an abstraction lives in ``interface.py`` and each implementation in a module
of its own, so adding one means adding a file. Modules whose name starts with ``_`` hold
shared helpers and are not searched.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable
from typing import Any


def implementations(package: str, search_path: Iterable[str], base: type) -> list[Any]:
    """One instance of every concrete subclass of ``base`` defined in the package's modules."""
    found: list[Any] = []
    for module_info in pkgutil.iter_modules(list(search_path)):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{module_info.name}")
        # inspect.getmembers(module, inspect.isclass), without its getattr of every member
        # (a tenth of the start of a scan): a module's members by name, classes only.
        for _, cls in sorted(vars(module).items()):
            if not isinstance(cls, type):
                continue
            if (
                issubclass(cls, base)
                and cls.__module__ == module.__name__
                and not inspect.isabstract(cls)
                and not cls.__name__.startswith("_")  # a shared base of the module's own
            ):
                found.append(cls())
    return found
