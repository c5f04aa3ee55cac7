"""Before launch: the server must be an approved registry entry (package at the exact version,
image by digest, or URL). An unapproved server is not started; the client is told why."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mcpward.errors import McpwardError
from mcpward.gateway.interface import Exchange, Interceptor, PipelineContext, Refusal, Session
from mcpward.launch import resolve_launch

# The registry (and SQLAlchemy) load only where a gateway checks it: every gateway imports this
# module (the policy asks it about probation), and importing them was 0.1 s of every start.
if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig
    from mcpward.registry import ApprovalIndex, ObservedServer

_WHAT_TO_DO = {
    "unapproved": "request a review with `mcpward registry request`",
    "version-drift": "run the approved version, or request a review of this one",
    "integrity-mismatch": "do not run it; reinstall the approved image and investigate",
    "review-expired": "ask the owner to have the entry re-reviewed",
    "revoked": "remove the server: its approval was withdrawn",
}


class Registry(Interceptor):
    """The server must be approved when it starts, and stay approved: the registry is read again
    at most every ``recheck_seconds`` while the session is open, and from the first request after
    an approval is withdrawn (revoked, review expired, entry changed) every request is refused."""

    name = "registry"

    def __init__(
        self,
        index: Callable[[], ApprovalIndex],
        *,
        command: tuple[str, ...] = (),
        url: str | None = None,
        server_env: Mapping[str, str] | None = None,
        directory: Path | None = None,
        recheck_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.index = index
        self.command = command
        self.url = url
        #: The server's own variables (its entry's env) and the folder it starts in (None: this
        #: process's, which the server inherits).
        self.server_env = dict(server_env or {})
        self.directory = directory
        self._recheck, self._clock = recheck_seconds, clock
        self._checked = float("-inf")
        self._withdrawn: str | None = None

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Registry | None:
        if not config.registry.enabled:
            return None
        source, seconds = config.registry.source, config.registry.recheck_seconds
        return cls(
            lambda: _shared_index(source, seconds),
            command=context.command,
            url=context.url,
            server_env=context.server_env,
            recheck_seconds=seconds,
        )

    def launch(self, session: Session) -> None:
        try:
            index = self.index()
        except Exception as exc:  # noqa: BLE001 - fail closed: no registry, no launch
            # mcpward's own errors say why in a line that quotes no secret (a refused token, an
            # unreachable server); "(RegistryError)" alone left the user to guess which.
            why = f": {exc}" if isinstance(exc, McpwardError) else f" ({type(exc).__name__})"
            raise Refusal(f"the registry could not be read{why}; not started") from None
        self._checked = self._clock()
        judgement = index.judge(self._observed(session))
        if judgement.status != "approved":
            raise Refusal(
                f"{session.server} is {judgement.status}: {judgement.message}; "
                f"{_WHAT_TO_DO[judgement.status]}"
            )
        self._same_source(session)
        if judgement.entry_id is not None:
            for entries in index.by_key.values():
                for entry in entries:
                    if entry.id == judgement.entry_id:
                        session.entry = entry.model_dump(mode="json")

    def request(self, session: Session, exchange: Exchange) -> None:
        if self._withdrawn is None and self._clock() - self._checked >= self._recheck:
            try:
                self.launch(session)  # the entry read again: its pins too, if they changed
            except Refusal as exc:
                if self._checked < self._clock() - self._recheck:
                    # The registry could not be read (launch sets the time only once it has
                    # an index): this request is refused, the next one reads again; an
                    # outage of the database does not end the session for good.
                    raise Refusal(str(exc).replace("; not started", "")) from None
                self._withdrawn = str(exc).replace("; not started", "")
        if self._withdrawn is not None:
            raise Refusal(self._withdrawn)
        if exchange.method == "tools/call" and session.entry:
            _on_probation(session, exchange)

    def _same_source(self, session: Session) -> None:
        """An approved package is taken as approved only if nothing of the launch's, its entry's
        or its project's chooses where it comes from or runs something beside it."""
        if self.url or not self.command:
            return
        from mcpward.package_sources import other_sources

        launch = resolve_launch(self.command[0], tuple(self.command[1:]))
        try:
            directory = self.directory or Path.cwd()
        except OSError:  # removed since the gateway started: nothing to judge the project by
            raise Refusal(f"{session.server}: the folder it starts in is gone; not started") from None
        why = other_sources(self.command, self.server_env, directory, Path.home())
        if why and launch.package is not None:
            raise Refusal(
                f"{session.server} names {launch.package.display}, approved, but {'; '.join(why[:5])}"
                f"{f' (and {len(why) - 5} more)' if len(why) > 5 else ''}: what runs is not what was "
                "approved; not started. Launch it without them: a mirror is the user's to set (in "
                "~/.npmrc, the user's uv config), not an entry's or a project's"
            )

    def _observed(self, session: Session) -> ObservedServer:
        from mcpward.registry import ObservedServer, normalise_url

        if self.url:
            return ObservedServer(
                host="gateway", name=session.server, kind="remote", package=normalise_url(self.url)
            )
        launch = resolve_launch(self.command[0] if self.command else None, tuple(self.command[1:]))
        package = launch.package
        if package is None:
            return ObservedServer(
                host="gateway", name=session.server, kind="local", launch=" ".join(self.command[:1])
            )
        if launch.beyond_package:
            # The approved package, and with it what nobody reviewed (another package, index,
            # or command): not the approved package, whatever its name and version.
            return ObservedServer(
                host="gateway",
                name=session.server,
                kind="local",
                launch=f"{package.display} with {', '.join(launch.beyond_package)}"[:2000],
            )
        kind = "oci" if package.ecosystem.value == "oci" else "package"
        return ObservedServer(
            host="gateway",
            name=session.server,
            kind=kind if package.ecosystem.value in ("npm", "pypi", "oci") else "local",  # type: ignore[arg-type]
            ecosystem=package.ecosystem.value if kind == "package" else None,
            package=package.name,
            version=package.version,
            digest=package.digest,
            launch=package.display,
        )


def _on_probation(session: Session, exchange: Exchange) -> None:
    params = exchange.request.get("params") if isinstance(exchange.request, dict) else None
    why = probation_refusal(session, params.get("name") if isinstance(params, dict) else None)
    if why is not None:
        raise Refusal(why)


def probation_refusal(session: Session, tool: object) -> str | None:
    """Why ``tool`` is refused while the server's entry is on probation (approved, write not
    yet granted: its read-only tools only, by the registry's list, never the server's own
    annotations), or None. The policy also leaves such tools out of ``tools/list``."""
    entry = session.entry or {}
    if entry.get("status") != "approved" or not entry.get("probation_until") or entry.get("write_granted_by"):
        return None
    if isinstance(tool, str) and tool in (entry.get("read_only_tools") or ()):
        return None
    return (
        f"{str(tool)[:100]!r} is not one of {session.server}'s read-only tools, and it is on probation "
        f"until {entry['probation_until']}: a reviewer grants write with "
        f"`mcpward registry grant {entry.get('id')}`"
    )


#: Approval indexes by source, each read at most once per recheck interval in a process (the
#: sessions of one gateway share it instead of each opening the database).
_INDEXES: dict[str, tuple[float, ApprovalIndex]] = {}
_INDEXES_LOCK = threading.Lock()


def _shared_index(source: str, seconds: float) -> ApprovalIndex:
    from mcpward.registry import approval_index

    now = time.monotonic()
    with _INDEXES_LOCK:
        known = _INDEXES.get(source)
        if known is not None and now - known[0] < seconds:
            return known[1]
    index = approval_index(source)
    with _INDEXES_LOCK:
        _INDEXES[source] = (now, index)
    return index
