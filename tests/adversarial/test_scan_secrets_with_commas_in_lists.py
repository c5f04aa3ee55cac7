"""A secret with a comma in it, in a list of pairs (Helm's ``--set log.level=debug,api.key=...``):
unescaped (``api.key=Xq7v,R2mK...``, as a tool that splits on ``key=`` reads it) and escaped as
Helm writes it (``api.key=Xq7v\\,R2mK...``).

Before (2026-12-06): the list was cut at every comma and each piece judged alone, so the piece
after the comma was no pair and the one before it too short for a secret: the whole list
printed in clear (unescaped) or all of the secret but its first characters (escaped), with no
plaintext-secret finding. Now a piece with no ``=`` continues the pair before it, and ``\\,`` is
no separator."""

from __future__ import annotations

import pytest

from mcpward.dlp import redact_argv

SECRET_HEAD, SECRET_TAIL = "Xq7v", "R2mK9pL4wZ8tQ3"

ATTACKS = [
    ("--set", f"log.level=debug,api.key={SECRET_HEAD},{SECRET_TAIL}"),
    ("--set", f"log.level=debug,api.key={SECRET_HEAD}\\,{SECRET_TAIL}"),
    (f"--set=replicas=2,auth.token={SECRET_HEAD},{SECRET_TAIL},image.tag=1.2",),
]


@pytest.mark.parametrize("argv", ATTACKS, ids=lambda argv: " ".join(argv)[:30])
def test_a_secret_with_a_comma_is_masked_whole(argv: tuple[str, ...]) -> None:
    masked, hits = redact_argv(list(argv))
    assert hits
    assert SECRET_TAIL not in " ".join(masked)


BENIGN = [
    ("--set", "log.level=debug,replicas=2,image.tag=1.2"),
    ("--set", "nodeSelector.zone=a\\,b,replicas=2"),
    ("--set", "hosts=a.example.org,b.example.org"),
]


@pytest.mark.parametrize("argv", BENIGN, ids=lambda argv: " ".join(argv)[:30])
def test_a_list_of_plain_pairs_prints_as_written(argv: tuple[str, ...]) -> None:
    assert redact_argv(list(argv)) == (argv, [])


def test_the_other_pairs_of_the_list_are_kept() -> None:
    masked, _ = redact_argv(["--set", f"log.level=debug,api.key={SECRET_HEAD},{SECRET_TAIL},replicas=2"])
    assert masked == ("--set", "log.level=debug,api.key=****,replicas=2")
