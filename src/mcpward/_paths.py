"""Where mcpward keeps refreshed data (advisories, official package lists)."""

from __future__ import annotations

import os
from pathlib import Path


def user_data_dir() -> Path:
    """``MCPWARD_DATA_DIR``, else the platform's user data folder."""
    override = os.environ.get("MCPWARD_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir as platform_data_dir

    return Path(platform_data_dir("mcpward", appauthor=False))
