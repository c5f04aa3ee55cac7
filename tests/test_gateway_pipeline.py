"""The gateway's checks are listed once, in order, each built from its own config section."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from mcpward.gateway import AuditLog, GatewayConfig, Interceptor, _interceptors, build_interceptors


def _names(config: GatewayConfig, tmp_path: Path) -> list[str]:
    log = AuditLog(tmp_path / "audit.jsonl")
    try:
        return [check.name for check in build_interceptors(config, audit_log=log, command=("server",))]
    finally:
        log.close()


def test_the_pipeline_holds_every_interceptor_module_in_its_order(tmp_path: Path) -> None:
    every = GatewayConfig.model_validate({"registry": {"enabled": True}})
    assert _names(every, tmp_path) == [
        "registry",
        "pins",
        "policy",
        "elicitation",
        "dlp",
        "baseline",
        "audit",
    ]
    defined = set()
    for module in pkgutil.iter_modules(_interceptors.__path__):
        loaded = importlib.import_module(f"{_interceptors.__name__}.{module.name}")
        defined |= {
            value.name
            for value in vars(loaded).values()
            if isinstance(value, type) and issubclass(value, Interceptor) and value is not Interceptor
        }
    assert defined == set(_names(every, tmp_path))  # a new module's check is in the list


def test_each_check_reads_only_its_section(tmp_path: Path) -> None:
    config = GatewayConfig.model_validate(
        {"pins": {"enabled": False}, "dlp": {"enabled": False}, "baseline": {"enabled": False}}
    )
    assert _names(config, tmp_path) == ["policy", "elicitation", "audit"]  # the audit is never off
