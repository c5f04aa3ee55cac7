"""``[dlp] injection = "quarantine"`` (or ``"block"``) with ``[dlp] enabled = false`` or
``scan_results = false``: the injection check runs in the DLP interceptor, on the results it
scans, so the gateway started, said nothing, and passed every injected answer of a real server
to the client, neither held nor blocked, until 2026-12-05. Now the combination is a config
error naming both settings, and the gateway does not start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from quarantine_kit import MCPWARD, SECRET, SERVERS


@pytest.mark.parametrize("injection", ["quarantine", "block"])
@pytest.mark.parametrize("off", ["enabled = false", "scan_results = false"])
def test_a_check_the_config_turns_off_is_a_config_error(tmp_path: Path, injection: str, off: str) -> None:
    from mcpward.gateway import ConfigError, load_config

    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[pins]\nstore = "{tmp_path / "pins.json"}"\n[dlp]\ninjection = "{injection}"\n{off}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="needs enabled = true and scan_results = true"):
        load_config(config)
    started = subprocess.run(
        [*MCPWARD, "gateway", "run", "--server", "pages", "--config", str(config),
         "--audit-log", str(tmp_path / "audit.jsonl"), "--",
         sys.executable, str(SERVERS / "injecting_server.py"), SECRET],
        input="", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert started.returncode != 0 and "scan_results" in started.stderr
    assert (
        not (tmp_path / "audit.jsonl").exists() or "read_page" not in (tmp_path / "audit.jsonl").read_text()
    )


def test_alert_and_off_stay_allowed_with_dlp_off(tmp_path: Path) -> None:
    from mcpward.gateway import load_config

    config = tmp_path / "gateway.toml"
    for injection in ("alert", "off"):
        config.write_text(f'[dlp]\nenabled = false\ninjection = "{injection}"\n', encoding="utf-8")
        assert load_config(config).dlp.injection == injection
