"""Settings files (DLP policies, gateway configs, sandbox profiles): TOML as people write it,
validated by a pydantic model, refused as a whole with one line naming every problem."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from mcpward._documents import DocumentError, read_raw

Model = TypeVar("Model", bound=BaseModel)


def validation_problems(exc: ValidationError, root: str, limit: int | None = None) -> str:
    """Every problem as ``field.path: message`` (``root`` for the document as a whole)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or root}: {e['msg']}" for e in exc.errors()[:limit])


def load_settings(
    path: Path,
    model: type[Model],
    error: type[Exception],
    *,
    root: str,
    accept_json: bool = False,
    no_link: bool = False,
    accept: Callable[[os.stat_result], str | None] | None = None,
) -> Model:
    """``path`` validated by ``model``; ``error`` with a message naming the file otherwise.
    ``accept_json``: a ``.json`` file is read as JSON (what mcpward itself writes); ``no_link``
    and ``accept``: the file opened must be no link and pass ``accept`` (``read_raw``)."""
    as_json = accept_json and path.suffix == ".json"
    try:
        # Through the bounded reader: a FIFO blocked the command forever and /dev/zero ran it
        # out of memory (an internal error); a settings file is a small regular file.
        text = read_raw(path, no_link=no_link, accept=accept).decode("utf-8")
        document = json.loads(text) if as_json else tomllib.loads(text)
    except DocumentError as exc:
        raise error(f"{path}: {exc}") from None
    except RecursionError:
        # JSON nested thousands of levels deep exhausts the parser's stack.
        raise error(f"{path}: nested too deeply") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise error(f"{path}: not valid {'JSON' if as_json else 'TOML'}: {exc}") from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise error(f"{path}: {validation_problems(exc, root)}") from None
