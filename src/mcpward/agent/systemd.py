"""Linux: a systemd service and timer. The service runs as the service account with only the
capability to read every file (CAP_DAC_READ_SEARCH: each user's home), nothing else: no new
privileges, a read-only system, its own state folder for the spool. The timer adds systemd's own
randomised delay, so the run itself waits no more."""

from __future__ import annotations

from mcpward.agent.interface import AgentConfig, AgentError, Scheduler, SchedulerFile

UNIT = "mcpward-agent"
#: What systemd reads at the start of ``ExecStart=``'s first word as its own flags, quoted or
#: not: ``+`` runs the program as root outside the sandbox, ``-`` ignores its failure, ``@``
#: runs the next word as the program, ``!`` and ``:`` drop the account or the variables.
_FLAGS = "-+@!:|"
#: How long one run may take before systemd ends it, as the Windows task's ExecutionTimeLimit:
#: a oneshot service has no start timeout of its own, and a run that hung (a home's file system
#: that never answers) kept every later run of the timer from starting.
_RUN_LIMIT = "1h"


def _word(argument: str) -> str:
    """``argument`` as one word of a unit's command line that systemd reads back unchanged: in
    double quotes, with its backslash escapes, its specifiers (``%``) and its variables (``$``)
    escaped. A shell's quoting (``shlex``) left ``%h`` expanded to the account's home and ``\\n``
    read as a newline, so the unit ran another program than the one given."""
    escaped = argument.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


class Systemd(Scheduler):
    platform = "linux"

    def files(self, config: AgentConfig, config_path: str) -> list[SchedulerFile]:
        if config.command[0][:1] in tuple(_FLAGS):
            # No quoting keeps them a name's: the program in a user's home then ran unchecked
            # (install checks a path beginning with /), and with `+` as root.
            raise AgentError(
                f"the agent's program {config.command[0]!r}: systemd reads a leading "
                f"{config.command[0][0]!r} as a flag of its own; give the program's path"
            )
        command = " ".join(
            _word(part) for part in [*config.command, "agent", "run", "--config", config_path, "--no-jitter"]
        )
        service = f"""[Unit]
Description=mcpward agent: scan every home for MCP servers and report to the registry
Documentation=https://github.com/mcpward/mcpward
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
TimeoutStartSec={_RUN_LIMIT}
User={config.user}
ExecStart={command}
StateDirectory=mcpward-agent
StateDirectoryMode=0700
AmbientCapabilities=CAP_DAC_READ_SEARCH
CapabilityBoundingSet=CAP_DAC_READ_SEARCH
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
UMask=0077
"""
        timer = f"""[Unit]
Description=Run the mcpward agent every {config.interval_minutes} minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec={config.interval_minutes}min
RandomizedDelaySec={config.jitter_minutes}min
Persistent=yes

[Install]
WantedBy=timers.target
"""
        folder = "/etc/systemd/system"
        return [
            SchedulerFile(f"{folder}/{UNIT}.service", service.encode()),
            SchedulerFile(f"{folder}/{UNIT}.timer", timer.encode()),
        ]

    def enable(self) -> list[list[str]]:
        return [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", f"{UNIT}.timer"]]
