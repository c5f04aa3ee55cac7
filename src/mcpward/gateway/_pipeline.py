"""The checks of one session, in order: each interceptor builds itself from its section of
the config (``Interceptor.from_config``); this list is the one place that orders them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mcpward.gateway.interface import Interceptor, PipelineContext

if TYPE_CHECKING:
    from mcpward.gateway._audit import AuditLog
    from mcpward.gateway._config import GatewayConfig
    from mcpward.gateway._sinks import AuditSink


def _pipeline() -> tuple[type[Interceptor], ...]:
    """The order. Checks that can refuse come before the audit, which records their decision
    before anything is forwarded: the registry refuses a launch before anything else runs; the
    pins judge a tool list before the policy hides what it refuses from it (so a denied tool is
    not reported as removed from its pinned list at every listing); a form asking the user for a
    secret is refused before DLP reads it; DLP masks what the baseline then learns from."""
    from mcpward.gateway._interceptors.audit import Audit
    from mcpward.gateway._interceptors.baseline import Baseline
    from mcpward.gateway._interceptors.dlp import Dlp
    from mcpward.gateway._interceptors.elicitation import Elicitation
    from mcpward.gateway._interceptors.pins import Pins
    from mcpward.gateway._interceptors.policy import Policy
    from mcpward.gateway._interceptors.registry import Registry

    return (Registry, Pins, Policy, Elicitation, Dlp, Baseline, Audit)


def build_interceptors(
    config: GatewayConfig,
    *,
    audit_log: AuditLog,
    command: tuple[str, ...] = (),
    url: str | None = None,
    shared_baseline: Interceptor | None = None,
    sinks: Sequence[AuditSink] = (),
    server_env: Mapping[str, str] | None = None,
) -> list[Interceptor]:
    """The pipeline of one session, each check as the config sets it up (those it turns off
    left out)."""
    context = PipelineContext(audit_log, command, url, shared_baseline, tuple(sinks), dict(server_env or {}))
    built = (kind.from_config(config, context) for kind in _pipeline())
    return [interceptor for interceptor in built if interceptor is not None]
