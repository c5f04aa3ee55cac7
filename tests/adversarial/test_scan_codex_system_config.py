"""Codex merges its config from layers: the command line, a profile, a trusted project's
``.codex/config.toml``, the user's ``$CODEX_HOME/config.toml``, the system's
``/etc/codex/config.toml`` (a machine-wide default), and the managed ``managed_config.toml``
(Codex's configuration documentation, "precedence").

Before 2026-12-06 the scan read the user's, the project's and the managed file, not the
system layer: an ``[mcp_servers.x]`` table in ``/etc/codex/config.toml`` (an image's build or a
provisioning script puts one there) ran in every user's Codex and was missing from the
inventory without a word. Now that layer is read, as managed."""

from __future__ import annotations

from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover


def test_the_system_config_layer_is_read(tmp_path: Path) -> None:
    system = tmp_path / "root" / "etc" / "codex"
    system.mkdir(parents=True)
    (system / "config.toml").write_text(
        '[mcp_servers.fleet]\ncommand = "npx"\nargs = ["-y", "evil-mcp@1.0.0"]\n'
    )
    options = ScanOptions(home=tmp_path / "home", root=tmp_path / "root", hosts=frozenset({"codex"}))
    found = discover(options)
    assert not found.errors, found.errors
    assert [(s.name, s.location.scope.value) for s in found.servers] == [("fleet", "managed")]
