"""The shared vocabulary of model.py."""

from __future__ import annotations

import pytest

from mcpward.model import MessageAction


def test_actions_on_a_message_only_rise() -> None:
    assert [action.rank for action in MessageAction] == [0, 1, 2, 3]
    assert MessageAction.stronger("alert", "redact") is MessageAction.REDACT
    assert MessageAction.stronger("block", "allow") is MessageAction.BLOCK
    with pytest.raises(ValueError):
        MessageAction.stronger("allow", "hold")  # not an action: refused, never ranked
