"""Before launch: the server must be an approved registry entry (package at the exact version,
image by digest, or URL). An unapproved server is not started; the client is told why."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mcpward.gateway.interface import Interceptor, PipelineContext, Refusal, Session
from mcpward.launch import resolve_launch
from mcpward.registry import ApprovalIndex, ObservedServer, normalise_url

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig

_WHAT_TO_DO = {
    "unapproved": "request a review with `mcpward registry request`",
    "version-drift": "run the approved version, or request a review of this one",
    "integrity-mismatch": "do not run it; reinstall the approved image and investigate",
    "review-expired": "ask the owner to have the entry re-reviewed",
    "revoked": "remove the server: its approval was withdrawn",
}


class Registry(Interceptor):
    name = "registry"

    def __init__(
        self, index: Callable[[], ApprovalIndex], *, command: tuple[str, ...] = (), url: str | None = None
    ):
        self.index = index
        self.command = command
        self.url = url

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Registry | None:
        if not config.registry.enabled:
            return None
        from mcpward.registry import approval_index

        source = config.registry.source
        return cls(lambda: approval_index(source), command=context.command, url=context.url)

    def launch(self, session: Session) -> None:
        observed = self._observed(session)
        try:
            index = self.index()
        except Exception as exc:  # noqa: BLE001 - fail closed: no registry, no launch
            raise Refusal(f"the registry could not be read ({type(exc).__name__}); not started") from None
        judgement = index.judge(observed)
        if judgement.status != "approved":
            raise Refusal(
                f"{session.server} is {judgement.status}: {judgement.message}; "
                f"{_WHAT_TO_DO[judgement.status]}"
            )
        if judgement.entry_id is not None:
            for entries in index.by_key.values():
                for entry in entries:
                    if entry.id == judgement.entry_id:
                        session.entry = entry.model_dump(mode="json")

    def _observed(self, session: Session) -> ObservedServer:
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
