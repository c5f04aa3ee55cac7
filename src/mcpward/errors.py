"""One base for the errors mcpward shows its users, and the exit codes the command line ends with.

Every error a part raises for its caller to show (a file that cannot be used, a target that
cannot be vetted, a sandbox that cannot be set up) derives from :class:`McpwardError`; its
message is one line, safe to print (it quotes no secret and no content it was given). The
command line prints such an error as ``mcpward: <message>`` and exits with the error's
``exit_code``; anything else that escapes is an internal error (:attr:`ExitCode.INTERNAL`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What ``mcpward`` exits with (the README's table)."""

    #: Done: nothing reached a ``--fail-on`` threshold; vet's verdict was pass.
    OK = 0
    #: A finding reached the ``--fail-on`` threshold; vet's verdict was review.
    FINDINGS = 1
    #: A usage error, or an input that cannot be used: one line on standard error.
    USAGE = 2
    #: Not everything asked was done: an input could not be read under ``--fail-on`` (a gate
    #: must not pass what it did not see), or the gateway refused to start the server.
    NOT_DONE = 3
    #: vet's verdict was block; a DLP scan whose action is block.
    BLOCK = 4
    #: A bug: an error no part expected. One line, asking for a report (sysexits' EX_SOFTWARE).
    INTERNAL = 70
    #: Interrupted (Ctrl-C).
    INTERRUPTED = 130


class McpwardError(Exception):
    """An error whose message is meant for the user."""

    exit_code: ExitCode = ExitCode.USAGE
