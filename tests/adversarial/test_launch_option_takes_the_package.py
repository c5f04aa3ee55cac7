"""Attack: ``npx -y --loglevel @acme/ok@1.0.0 evil@1.0.0``: npm reads ``--loglevel`` with the
next word as its value (an invalid one, which it warns of and drops), so the approved name is
taken as the option's value and ``evil@1.0.0`` is the package it fetches and runs (npm 11.19,
offline: it asked the registry for ``evil-pkg``). The launch's parse took ``--loglevel`` for a
flag (it is on the list of options that change nothing), ``@acme/ok@1.0.0`` for the package and
``evil@1.0.0`` for the server's argument: the gateway started it as the approved entry and the
scan reported it approved until 2026-12-05. Of the options judged harmless for npm's runners,
only ``--loglevel`` takes the next word (each tried with npm). Now the parse reads its value as
npm does.
"""

from __future__ import annotations

from pathlib import Path

from test_launch_judges_agree import _gateway_refuses, _scan_refuses

from mcpward.launch import resolve_launch


def test_an_option_that_takes_the_approved_name_as_its_value_is_not_the_approved_package(
    tmp_path: Path,
) -> None:
    command = "npx -y --loglevel @acme/ok@1.0.0 evil-pkg@1.0.0"
    words = command.split()
    launch = resolve_launch(words[0], tuple(words[1:]))
    assert launch.package is not None and launch.package.name == "evil-pkg"
    assert _scan_refuses(command, {})
    assert _gateway_refuses(command, {}, tmp_path)


def test_the_option_with_its_value_still_starts(tmp_path: Path) -> None:
    for command in (
        "npx -y --loglevel error @acme/ok@1.0.0",
        "npx -y --loglevel=error @acme/ok@1.0.0 --root .",
    ):
        assert not _gateway_refuses(command, {}, tmp_path)
        assert not _scan_refuses(command, {})
