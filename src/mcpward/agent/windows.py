"""Windows: a Task Scheduler task (XML, for ``schtasks /Create /XML``) run as the service
account every interval with the scheduler's own random delay, without a logged-on user."""

from __future__ import annotations

from xml.sax.saxutils import escape

from mcpward.agent.interface import AgentConfig, Scheduler, SchedulerFile

TASK = "mcpward-agent"
_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"


def _quoted(argument: str) -> str:
    # Windows command-line quoting (CommandLineToArgvW): quotes around, inner quotes and the
    # backslashes before them doubled.
    if argument and not any(c in argument for c in ' \t"'):
        return argument
    out, slashes = [], 0
    for char in argument:
        if char == "\\":
            slashes += 1
            continue
        if char == '"':
            out.append("\\" * (2 * slashes + 1) + '"')
        else:
            out.append("\\" * slashes + char)
        slashes = 0
    out.append("\\" * (2 * slashes))
    return '"' + "".join(out) + '"'


class WindowsTask(Scheduler):
    platform = "windows"

    def files(self, config: AgentConfig, config_path: str) -> list[SchedulerFile]:
        arguments = " ".join(
            _quoted(a) for a in [*config.command[1:], "agent", "run", "--config", config_path]
        )
        task = f"""<?xml version="1.0" encoding="UTF-8"?>
<Task version="1.2" xmlns="{_NS}">
  <RegistrationInfo>
    <Description>mcpward agent: scan every home for MCP servers and report to the registry</Description>
    <URI>\\{TASK}</URI>
  </RegistrationInfo>
  <Triggers>
    <TimeTrigger>
      <StartBoundary>2026-01-01T00:05:00</StartBoundary>
      <Enabled>true</Enabled>
      <RandomDelay>PT{config.jitter_minutes}M</RandomDelay>
      <Repetition>
        <Interval>PT{config.interval_minutes}M</Interval>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>
    </TimeTrigger>
  </Triggers>
  <Principals>
    <Principal id="Agent">
      <UserId>{escape(config.user)}</UserId>
      <LogonType>ServiceAccount</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Agent">
    <Exec>
      <Command>{escape(config.command[0])}</Command>
      <Arguments>{escape(arguments)}</Arguments>
    </Exec>
  </Actions>
</Task>
"""
        return [SchedulerFile(f"C:/ProgramData/mcpward/{TASK}.xml", task.encode())]

    def enable(self) -> list[list[str]]:
        return [["schtasks", "/Create", "/TN", TASK, "/XML", rf"C:\ProgramData\mcpward\{TASK}.xml", "/F"]]
