"""Values of 16 characters or more are searched only for the credential formats whose trigger
occurs in them (one native pass), not with the alternation of all of them: the two must find the
same credentials, or a token in a value would be left readable."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcpward.dlp import _credentials
from mcpward.dlp._credentials import CREDENTIAL_FORMATS, find_credentials

_FORMATS = sorted(_credentials._BY_FORMAT)
#: What stands around a value in configs, headers, command lines and JSON.
_BEFORE = ["", "key=", '"', "x-", "token: ", "\n", "Bearer ", "https://u:", "--api-key=", "é "]
_AFTER = ["", '"', ",", "\n", "-prod", "@db.internal/x", "/path", ".", " and more text"]


@pytest.mark.parametrize("index", _FORMATS, ids=lambda index: f"{index}-{CREDENTIAL_FORMATS[index].kind}")
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_triggered_search_finds_what_the_whole_alternation_finds(index: int, data: st.DataObject) -> None:
    # Every format its own case: drawn from one list, Hypothesis favoured the table's first.
    pattern = re.compile(CREDENTIAL_FORMATS[index].pattern, re.ASCII)
    secret = data.draw(st.from_regex(pattern, fullmatch=True), label="value")
    spaced = f"value: {secret} end"  # a match of its format, or of one before it in the table
    assert find_credentials(spaced) == _credentials._matches_of(_credentials._combined(), spaced) != []
    text = data.draw(st.sampled_from(_BEFORE)) + secret + data.draw(st.sampled_from(_AFTER))
    assert find_credentials(text) == _credentials._matches_of(_credentials._combined(), text), text
