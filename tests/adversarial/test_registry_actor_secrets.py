"""A registry actor's name is stored as typed in the audit trail (`--as WHO`, an API token's
name), never masked there: a requester's name must compare equal to itself, or masking it
would let a requester approve their own request. So a token pasted where a name goes was kept
for good, in the trail and its exports (found by an independent review, 2026-12-04). Such a
name is refused now, with one line that does not repeat it."""

from __future__ import annotations

from pathlib import Path

from cli_kit import mcpward

PASTED = "ghp_" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"  # the shape of a GitHub token, not one


def test_a_secret_as_the_actor_or_a_token_name_is_refused(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    for args in (
        ("registry", "token", "create", "ci-bot", "--role", "viewer", "--as", PASTED),
        ("registry", "token", "create", PASTED, "--role", "viewer", "--as", "alice"),
    ):
        done = mcpward(*args, "--database", database)
        assert done.returncode == 2, (done.returncode, done.stderr)
        assert "secret" in done.stderr and PASTED not in done.stderr + done.stdout
    audit = mcpward("registry", "audit", "--database", database, "--format", "json")
    assert PASTED not in audit.stdout
    fine = mcpward(
        "registry", "token", "create", "ci-bot", "--role", "viewer", "--as", "alice", "--database", database
    )
    assert fine.returncode == 0 and fine.stdout.startswith("mcpw_"), fine.stderr
