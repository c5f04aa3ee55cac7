"""No confinement at all: only when asked for by name (``--backend none``), and then reported
(a high-severity audit event at every start), so that an unconfined server is never silent."""

from __future__ import annotations

from pathlib import Path

from mcpward.sandbox.interface import Availability, Backend, Launch, Profile, released


class Unconfined(Backend):
    preference = 100
    name = "none"
    #: Never chosen unless named.
    explicit_only = True

    def check(self) -> Availability:
        return Availability(True, "runs the server unconfined; only when asked for, and reported")

    def launch(
        self,
        profile: Profile,
        argv: list[str],
        *,
        state: Path,
        proxy_socket: Path,
        env: dict[str, str],
        proxy_port: int = 0,
    ) -> Launch:
        return Launch(argv=list(argv), env=released(env))  # nothing starts before the server
