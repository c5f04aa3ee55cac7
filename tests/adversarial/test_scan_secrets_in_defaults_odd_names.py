"""A literal secret written as the default of a variable whose name no shell takes
(``${api.key:-...}``, ``${MY-TOKEN:-...}``): Claude Code parts a ``${...}`` at ``:-`` whatever the
name's characters, so the default is what the server gets wherever the variable is unset
(always: no shell sets such a name).

Before (2026-12-06): a default was read only after a shell's variable name, so
``${api.key:-SECRET}`` was taken for a reference (``${...}``): its secret was printed in clear in
the record's arguments by every format and made no plaintext-secret finding. Now it is read as
Claude Code reads it. A reference with no default, whatever its name (``${api.key}``), is still
a reference."""

from __future__ import annotations

import pytest

from mcpward.dlp import assess_value, is_reference, redact_argv

SECRET = "Xq7vR2mK9pL4wZ8tQ3"


@pytest.mark.parametrize(
    "argv",
    [
        ("--token", "${api.key:-" + SECRET + "}"),
        ("-e", "API_KEY=${my.key:-" + SECRET + "}"),
        ("--api-key=${MY-KEY:-" + SECRET + "}",),
        ("--token", "${:-" + SECRET + "}"),
    ],
    ids=lambda argv: " ".join(argv)[:24],
)
def test_a_secret_default_behind_an_odd_name_is_masked(argv: tuple[str, ...]) -> None:
    masked, hits = redact_argv(list(argv))
    assert hits
    assert SECRET not in " ".join(masked)


def test_in_env_it_is_a_finding() -> None:
    assert assess_value("env:API_KEY", "API_KEY", "${api.key:-" + SECRET + "}")


@pytest.mark.parametrize("value", ["${api.key}", "${api.key:-}", "${MY-KEY:-${OTHER_KEY}}", "${env:API_KEY}"])
def test_references_stay_references(value: str) -> None:
    assert is_reference(value)
    assert redact_argv(["--token", value]) == (("--token", value), [])
