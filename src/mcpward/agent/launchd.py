"""macOS: a launchd daemon run as the service account every interval. launchd has no random
delay of its own, so the run waits a random part of the jitter itself. The account needs Full
Disk Access (granted by an MDM's privacy profile) to read other users' homes."""

from __future__ import annotations

import plistlib

from mcpward.agent.interface import AgentConfig, Scheduler, SchedulerFile

LABEL = "io.mcpward.agent"


class Launchd(Scheduler):
    platform = "macos"

    def files(self, config: AgentConfig, config_path: str) -> list[SchedulerFile]:
        document = {
            "Label": LABEL,
            "ProgramArguments": [*config.command, "agent", "run", "--config", config_path],
            "UserName": config.user,
            "StartInterval": config.interval_minutes * 60,
            "RunAtLoad": True,
            "ProcessType": "Background",
            "LowPriorityIO": True,
            "Umask": 0o077,
            "StandardOutPath": "/var/log/mcpward-agent.log",
            "StandardErrorPath": "/var/log/mcpward-agent.log",
        }
        content = plistlib.dumps(document, fmt=plistlib.FMT_XML, sort_keys=True)
        return [SchedulerFile(f"/Library/LaunchDaemons/{LABEL}.plist", content)]

    def enable(self) -> list[list[str]]:
        return [["launchctl", "bootstrap", "system", f"/Library/LaunchDaemons/{LABEL}.plist"]]
