"""Rug pulls: tools whose signature differs from the approved pin are withheld from the client
and calls to them refused, until ``mcpward pins approve``. The registry entry's pins rule when
the server matched one; otherwise the local pin store (``inspect --pin`` writes it too)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward.dlp import redact_text
from mcpward.gateway.interface import Exchange, Interceptor, PipelineContext, Refusal, SecurityEvent, Session
from mcpward.inspect import PinStore, compare, pin_record, signature
from mcpward.model import Severity

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig

_SEVERITY = {
    "tool-changed": Severity.HIGH,
    "tool-added": Severity.MEDIUM,
    "tool-renamed": Severity.MEDIUM,
    "tool-removed": Severity.LOW,
}
_LOCK = threading.Lock()  # the HTTP gateway serves several sessions from one process


class Pins(Interceptor):
    name = "pins"

    def __init__(self, store: Path, *, first_use: str = "pin") -> None:
        self.store_path = store
        #: "pin" trusts a server's first tool list (and records that it did); "withhold" shows
        #: no tool of a server that was never pinned.
        self.first_use = first_use

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Pins | None:
        if not config.pins.enabled:
            return None
        from mcpward.inspect import default_pin_store

        return cls(config.pins.store or default_pin_store(), first_use=config.pins.first_use)

    def _store(self) -> PinStore:
        return PinStore(self.store_path)

    def response(self, session: Session, exchange: Exchange) -> None:
        if exchange.method != "tools/list" or exchange.response is None:
            return
        result = exchange.response.get("result")
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return
        listed = [
            tool for tool in result["tools"] if isinstance(tool, dict) and isinstance(tool.get("name"), str)
        ]
        # A name listed twice is judged nowhere: pins compare by name (the last copy would stand
        # for all) while the client may show any copy. Every copy is withheld.
        counts = Counter(tool["name"] for tool in listed)
        duplicated = sorted(name for name, count in counts.items() if count > 1)
        tools = [tool for tool in listed if counts[tool["name"]] == 1]
        signed = [signature(session.server, "tool", tool) for tool in tools]
        withheld: dict[str, str] = {}
        for name in duplicated:
            withheld[name] = "listed more than once under one name"
            exchange.events.append(
                SecurityEvent(
                    "tool-duplicated",
                    Severity.HIGH,
                    f"tool {name!r} withheld: listed {counts[name]} times under one name",
                    tool=name,
                )
            )
        with _LOCK:
            store = self._store()
            baseline = _entry_pins(session) or store.data.get(session.server)
            if baseline is not None and duplicated:
                # Its pin stays; it is neither removed nor the source of a rename.
                baseline = {key: pin for key, pin in baseline.items() if key[5:] not in withheld}
            if baseline is None:
                if self.first_use == "pin":
                    store.pin(session.server, signed)
                    store.save()
                    exchange.events.append(
                        SecurityEvent(
                            "pinned-on-first-use",
                            Severity.INFO,
                            f"{len(signed)} tools of {session.server} pinned",
                        )
                    )
                else:
                    withheld.update({tool["name"]: "never approved" for tool in tools})
            else:
                for change in compare(baseline, signed):
                    if change.kind == "tool-removed":
                        exchange.events.append(
                            SecurityEvent(change.kind, Severity.LOW, f"tool {change.name!r} was removed")
                        )
                        continue
                    withheld[change.name] = change.kind
                    exchange.events.append(
                        SecurityEvent(
                            change.kind,
                            _SEVERITY[change.kind],
                            f"tool {change.name!r} withheld: "
                            f"{change.kind.replace('tool-', '')} since it was approved",
                            tool=change.name,
                            detail={"diff": redact_text(change.diff)} if change.diff else {},
                        )
                    )
            waiting = [pair for pair in signed if pair[0].name in withheld]
            if waiting:  # a duplicated name has nothing to approve: the server must list it once
                store.pending[session.server] = pin_record(waiting)
                store.save()
        session.withheld_tools = withheld
        session.visible_tools = {tool["name"]: tool for tool in tools if tool["name"] not in withheld}
        session.tools_listed = True
        # What is forwarded is the list rebuilt from the tools judged visible, never the list
        # as it came (same length means same tools: the visible ones are taken from it in order).
        if withheld or len(session.visible_tools) != len(result["tools"]):
            result["tools"] = list(session.visible_tools.values())
            exchange.response_changed = True
            exchange.note(
                "alert", f"withheld {len(withheld)} tool(s) pending approval: {', '.join(sorted(withheld))}"
            )

    def request(self, session: Session, exchange: Exchange) -> None:
        tool = exchange.tool
        if tool is None:
            return
        if tool in session.withheld_tools:
            raise Refusal(
                f"tool {tool!r} of {session.server} changed since it was approved "
                f"({session.withheld_tools[tool]}); "
                f"review it and run `mcpward pins approve {session.server} --tool {tool}`"
            )
        if not session.tools_listed:
            # The client called before listing: only tools pinned by name may pass.
            baseline = _entry_pins(session) or self._store().data.get(session.server) or {}
            if f"tool:{tool}" not in baseline:
                raise Refusal(f"tool {tool!r} of {session.server} is not pinned; list the tools first")
        elif tool not in session.visible_tools:
            raise Refusal(f"{session.server} offers no tool {tool!r}")

    def notification(self, session: Session, message: dict[str, Any], from_server: bool) -> None:
        if from_server and message.get("method") == "notifications/tools/list_changed":
            session.tools_listed = False  # the client lists again; the new list is checked then


def _entry_pins(session: Session) -> dict[str, dict[str, str]] | None:
    pins = (session.entry or {}).get("pins")
    if isinstance(pins, dict) and any(key.startswith("tool:") for key in pins):
        return {key: value for key, value in pins.items() if key.startswith("tool:")}
    return None


def approve(store_path: Path, server: str, tools: list[str] | None = None) -> list[str]:
    """Move pending signatures of ``server`` (all, or the named tools) into its pins."""
    with _LOCK:
        store = PinStore(store_path)
        pending = store.pending.get(server, {})
        chosen = {k: v for k, v in pending.items() if tools is None or k.split(":", 1)[1] in tools}
        if not chosen:
            return []
        store.data.setdefault(server, {}).update(chosen)
        remaining = {k: v for k, v in pending.items() if k not in chosen}
        if remaining:
            store.pending[server] = remaining
        else:
            store.pending.pop(server, None)
        store.save()
        return sorted(key.split(":", 1)[1] for key in chosen)
