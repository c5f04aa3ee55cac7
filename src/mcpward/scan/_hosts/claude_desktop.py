"""Claude Desktop: ``claude_desktop_config.json`` in the app's config folder, and the extensions
(``.mcpb``, formerly ``.dxt``) it unpacks into ``Claude Extensions/<id>/``: each ``manifest.json``
names the server Claude Desktop starts (``server.mcp_config``, with ``platform_overrides`` and
``${__dirname}`` for the extension's folder). ``Claude Extensions Settings/<id>.json`` holds the
values the user entered (secrets among them) and ``isEnabled``: only the latter is read."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import Document, DocumentError, read_text
from mcpward.scan._hosts._common import McpServersHost, bounded_glob, claude_style_fields, user
from mcpward.scan.interface import ConfigLocation, DiscoveredServer, EntryError, HomeLayout, Parsed, TargetOS

_EXTENSION = "extension"
#: ``process.platform`` of each OS, as ``platform_overrides`` is keyed.
_NODE_PLATFORMS = {TargetOS.LINUX: "linux", TargetOS.MACOS: "darwin", TargetOS.WINDOWS: "win32"}


class ClaudeDesktop(McpServersHost):
    id = "claude-desktop"

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        folders = [layout.config_dir / "Claude"]
        if layout.os is TargetOS.WINDOWS:
            # The Microsoft Store (MSIX) build keeps its AppData in a virtualised folder.
            folders.append(
                layout.local_app_data
                / "Packages"
                / "Claude_pzs8sxrjxfjjc"
                / "LocalCache"
                / "Roaming"
                / "Claude"
            )
        for folder in folders:
            yield user(folder / "claude_desktop_config.json")
        for folder in folders:
            for manifest in bounded_glob(folder / "Claude Extensions", "manifest.json", max_depth=1):
                yield user(manifest, variant=f"{_EXTENSION}:{_NODE_PLATFORMS[layout.os]}")

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        if not location.variant.startswith(_EXTENSION):
            yield from super().parse(location, document)
            return
        data = document.data
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a JSON object, found {type(data).__name__}")
            return
        yield self._extension(location, document, data, location.variant.partition(":")[2])

    def _extension(
        self, location: ConfigLocation, document: Document, manifest: Mapping[str, Any], platform: str
    ) -> DiscoveredServer | EntryError:
        folder = location.path.parent
        name = manifest.get("name")
        name = name[:200] if isinstance(name, str) and name else folder.name
        server = manifest.get("server")
        config = server.get("mcp_config") if isinstance(server, Mapping) else None
        if not isinstance(config, Mapping):
            # Started by Claude Desktop from its entry point (a "uv" bundle): no launch line here.
            return DiscoveredServer(
                host=self.id, location=location, name=name, transport=None, plugin=name, line=1
            )
        config = dict(config)
        overrides = config.get("platform_overrides")
        override = overrides.get(platform) if isinstance(overrides, Mapping) else None
        if isinstance(override, Mapping):
            config["command"] = override.get("command") or config.get("command")
            config["args"] = override.get("args") or config.get("args")
            if isinstance(override.get("env"), Mapping) and isinstance(config.get("env", {}), Mapping):
                config["env"] = {**config.get("env", {}), **override["env"]}
        fields = claude_style_fields(_with_folder(config, str(folder)))
        if _disabled(folder):
            fields["disabled"] = True
        built = self.build(location, document, name, fields)
        if isinstance(built, DiscoveredServer):
            built.plugin = name
        return built


def _with_folder(value: Any, folder: str) -> Any:
    """``value`` with ``${__dirname}`` replaced by the extension's folder, as Claude Desktop does
    (the user's ``${user_config.X}`` values are left as the references they are)."""
    if isinstance(value, str):
        return value.replace("${__dirname}", folder)
    if isinstance(value, list):
        return [_with_folder(item, folder) for item in value]
    if isinstance(value, Mapping):
        return {key: _with_folder(item, folder) for key, item in value.items()}
    return value


def _disabled(folder: Path) -> bool:
    """Whether the extension's settings say ``"isEnabled": false``."""
    settings = folder.parent.parent / "Claude Extensions Settings" / f"{folder.name}.json"
    try:
        data = json.loads(read_text(settings, max_bytes=1024 * 1024))
    except (DocumentError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("isEnabled") is False
