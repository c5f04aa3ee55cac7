"""Names a package exports but imports at their first use (PEP 562): what pulls in a web
framework or every detector stays out of the commands that do not need it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, table: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` giving each name of ``table`` as (module, attribute)."""

    def __getattr__(name: str) -> Any:
        try:
            module, attribute = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attribute)
        # Kept in the package, so that later uses are a plain look-up: the gateway's checks
        # import from their packages at each message, and each went through the import system.
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
