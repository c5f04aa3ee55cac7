"""``agent run`` on Windows: its token file's and spool's owner checks read ``os.geteuid``, which
Windows lacks, so every run ended in an internal error (exit 70, a traceback in the task's
log), found by a review on 2026-12-05. Who may read a file there is an ACL question this
version does not answer, and a Windows file's uid (0) and mode (0o666) say nothing: the run is
refused in one line, before the token file is read or anything is sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcpward.agent import AgentConfig, AgentError, run


def test_agent_run_without_owner_checks_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "token"
    token.write_text("mcpw_" + "a" * 40)
    token.chmod(0o600)
    config = AgentConfig(registry="http://127.0.0.1:9", token_file=str(token), spool=str(tmp_path / "spool"))
    monkeypatch.delattr(os, "geteuid")
    with pytest.raises(AgentError, match="not supported on Windows yet") as refused:
        run(config, jitter=False)
    assert "\n" not in str(refused.value) and "mcpw_" not in str(refused.value)
    assert not (tmp_path / "spool").exists()  # nothing made, nothing sent
