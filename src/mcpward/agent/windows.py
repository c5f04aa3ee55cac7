"""Windows: a Task Scheduler task (XML, for ``schtasks /Create /XML``) run as the service
account every interval with the scheduler's own random delay, without a logged-on user."""

from __future__ import annotations

from xml.sax.saxutils import escape

from mcpward.agent.interface import AgentConfig, AgentError, Scheduler, SchedulerFile

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


#: What Task Scheduler starts as a program (a path with no such ending, as ``C:\\Program`` of an
#: unquoted ``C:\\Program Files\\...``, is the classic unquoted path: another program there runs).
_PROGRAM_ENDINGS = (".exe", ".com", ".bat", ".cmd")


class WindowsTask(Scheduler):
    platform = "windows"

    def files(self, config: AgentConfig, config_path: str) -> list[SchedulerFile]:
        words = [*config.command, "agent", "run", "--config", config_path]
        if any("%" in word for word in words):
            # Expanded when the task runs (the Exec action's Path and Arguments), with no escape.
            raise AgentError(
                "the Windows task's command holds '%': Task Scheduler expands %NAME% in a task's "
                "program and arguments and has no escape for it, so the task would run another "
                "program or read other settings than these; refused (install where the path has no '%')"
            )
        if not config.command[0].lower().endswith(_PROGRAM_ENDINGS):
            raise AgentError(
                f"the Windows task's program {config.command[0]!r} does not end in "
                f"{', '.join(_PROGRAM_ENDINGS)}: a path with spaces is one word only in double "
                "quotes (--command '\"C:\\Program Files\\mcpward\\mcpward.exe\"')"
            )
        arguments = " ".join(_quoted(a) for a in words[1:])
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

    def split_command(self, text: str) -> list[str]:
        """The words of a command line as a Windows program reads its own (CommandLineToArgvW):
        spaces part words outside double quotes, a backslash is itself but before a quote (each two
        one backslash, an odd one escaping the quote), ``""`` inside quotes is a quote. A shell's
        rules (``shlex``) read ``C:\\Program Files\\mcpward\\mcpward.exe`` as two words and ate its
        backslashes: the task ran ``C:Program``."""
        words: list[str] = []
        word: list[str] = []
        started = quoted = False
        index = 0
        while index < len(text):
            char = text[index]
            if char == "\\":
                run = 1
                while text[index + run : index + run + 1] == "\\":
                    run += 1
                if text[index + run : index + run + 1] == '"':
                    word.append("\\" * (run // 2))
                    if run % 2:
                        word.append('"')
                        index += run + 1
                    else:
                        index += run
                else:
                    word.append("\\" * run)
                    index += run
                started = True
                continue
            if char == '"':
                if quoted and text[index + 1 : index + 2] == '"':
                    word.append('"')
                    index += 2
                    continue
                quoted, started = not quoted, True
            elif char in " \t" and not quoted:
                if started:
                    words.append("".join(word))
                    word, started = [], False
            else:
                word.append(char)
                started = True
            index += 1
        if started:
            words.append("".join(word))
        return words

    def enable(self) -> list[list[str]]:
        return [["schtasks", "/Create", "/TN", TASK, "/XML", rf"C:\ProgramData\mcpward\{TASK}.xml", "/F"]]
