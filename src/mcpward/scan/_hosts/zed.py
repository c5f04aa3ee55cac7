"""Zed: ``context_servers`` in ``settings.json`` (user and ``.zed/settings.json``), JSONC; in the
user file also in the overrides of one release channel (``"stable": {...}``) or one OS
(``"linux": {...}``) and in named profiles' ``settings``. Custom servers give a command (as a
string, or the older ``{path, args, env}`` object) or a URL; servers provided by Zed extensions
give only settings and are listed without a launch line. ``agent.always_allow_tool_actions``
lets every tool run without asking."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mcpward._documents import Document, DocumentFormat
from mcpward.model import Transport
from mcpward.scan._hosts._common import McpServersHost, build_server, iter_server_map, user
from mcpward.scan.interface import (
    ConfigLocation,
    DiscoveredServer,
    EntryError,
    HomeLayout,
    Parsed,
    TargetOS,
    ToolApproval,
)


class Zed(McpServersHost):
    id = "zed"
    project_files = ((".zed/settings.json", DocumentFormat.JSONC),)

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        if layout.os is TargetOS.WINDOWS:
            yield user(layout.config_dir / "Zed" / "settings.json", DocumentFormat.JSONC)
        else:
            yield user(layout.xdg_config_dir / "zed" / "settings.json", DocumentFormat.JSONC)

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        data = document.data
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a JSON object, found {type(data).__name__}")
            return
        names: set[str] = set()
        profiles = data.get("profiles")
        if location.project is None and isinstance(profiles, Mapping) and len(profiles) > MAX_PROFILES:
            yield EntryError("profiles", f"more than {MAX_PROFILES} profiles; the rest not read")
        for section, settings in _sections(data, user_file=location.project is None):
            where = f"{section}.context_servers" if section else "context_servers"
            for item in iter_server_map(settings.get("context_servers"), where):
                if isinstance(item, EntryError):
                    yield item
                    continue
                name, entry = item
                # The same name in an override is the same server, changed there: one record each.
                name = f"{name} ({section})" if name in names else name
                names.add(name)
                yield self._entry(location, document, name, entry)
            agent = settings.get("agent")
            if isinstance(agent, Mapping) and agent.get("always_allow_tool_actions") is True:
                setting = f"{section + '.' if section else ''}agent.always_allow_tool_actions: true"
                yield ToolApproval(self.id, location, None, ("*",), setting)

    def _entry(
        self, location: ConfigLocation, document: Document, name: str, entry: Mapping[str, Any]
    ) -> DiscoveredServer | EntryError:
        command = entry.get("command")
        fields: dict[str, Any] = {k: entry[k] for k in ("args", "env", "url", "headers") if k in entry}
        if isinstance(command, Mapping):  # {"path": ..., "args": [...], "env": {...}}
            fields["command"] = command.get("path")
            fields.update({k: command[k] for k in ("args", "env") if k in command})
        elif command is not None:
            fields["command"] = command
        if "command" not in fields and "url" not in fields:
            # Provided by a Zed extension: the extension decides the launch line.
            return DiscoveredServer(
                host=self.id,
                location=location,
                name=name,
                transport=None,
                disabled=entry.get("enabled") is False,
                project=location.project,
                line=document.line_of(name),
            )
        if entry.get("enabled") is False:
            fields["disabled"] = True
        return build_server(self.id, location, document, name, fields, url_transport=Transport.HTTP)


#: Keys of Zed's user settings whose value is settings for one release channel or one OS.
_OVERRIDES = ("stable", "preview", "nightly", "dev", "linux", "macos", "windows")
MAX_PROFILES = 100


def _sections(data: Mapping[str, Any], *, user_file: bool) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The settings of a Zed settings file, by where they stand: the top level (""), and in a
    user file each release-channel and OS override and each profile's ``settings``."""
    yield "", data
    if not user_file:
        return  # a project's .zed/settings.json has no overrides
    for key in _OVERRIDES:
        if isinstance(data.get(key), Mapping):
            yield key, data[key]
    profiles = data.get("profiles")
    if isinstance(profiles, Mapping):
        for name, profile in list(profiles.items())[:MAX_PROFILES]:
            settings = profile.get("settings") if isinstance(profile, Mapping) else None
            if isinstance(settings, Mapping):
                yield f"profiles.{str(name)[:100]}", settings
