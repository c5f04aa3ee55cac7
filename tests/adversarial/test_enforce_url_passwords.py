"""The files enforce writes are readable by every user of each machine (the clients run as the
user), so they hold no secret. ``--registry-url https://svc:PASSWORD@registry`` (VS Code's
gallery URL) and ``--gateway-url https://svc:PASSWORD@gateway`` were written as given: the
password reached every managed machine in a file each local user could read (and the macOS
profile, the Windows script). A URL naming a user or password is refused in one line, nothing
written, as the registry refuses one in a remote's identity."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import mcpward
from enforce_kit import registry_with_a_remote


@pytest.mark.parametrize(
    "option",
    [
        ("--registry-url", "https://svc:s3cret-Pa55@registry.example.internal"),
        ("--wrap", "--gateway-url", "https://svc:s3cret-Pa55@gateway.example.internal"),
        ("--registry-url", "https://token-only@registry.example.internal"),
    ],
)
def test_a_url_with_a_password_is_refused_and_never_written(tmp_path: Path, option: tuple[str, ...]) -> None:
    database = registry_with_a_remote(tmp_path)
    tree = tmp_path / "tree"
    done = mcpward("enforce", "--root", str(tree), "--registry", database, *option)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "user or password" in done.stderr and "s3cret" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not tree.exists() or not any("s3cret" in p.read_text() for p in tree.rglob("*") if p.is_file())


def test_plain_urls_are_written(tmp_path: Path) -> None:
    database = registry_with_a_remote(tmp_path)
    tree = tmp_path / "tree"
    done = mcpward("enforce", "--root", str(tree), "--registry", database, "--registry-url",
                   "https://registry.example.internal/", "--wrap", "--gateway-url",
                   "https://gateway.example.internal")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "https://registry.example.internal/" in (tree / "etc" / "vscode" / "policy.json").read_text()


def test_a_registry_url_with_a_password_beside_a_policy_file_is_refused_without_showing_it(
    tmp_path: Path,
) -> None:
    from enforce_kit import one_server_policy

    policy = tmp_path / "policy.json"
    policy.write_text(one_server_policy().to_json())
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--policy", str(policy),
                   "--registry-url", "https://svc:s3cret-Pa55@registry.example.internal")  # fmt: skip
    assert done.returncode == 2 and "user or password" in done.stderr, done.stderr
    assert "s3cret" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "tree").exists()
