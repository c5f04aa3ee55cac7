"""What normal looks like, per server and tool: how often it is called, which argument fields
it gets, and where its arguments point (recipient domains, URL hosts). After a learning period
a new destination, a new argument field, a spike in calls or the first use of a dormant tool
raises an alert event; nothing is blocked on a baseline alone."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward._addresses import destinations as destinations_in
from mcpward.gateway.interface import Exchange, Interceptor, PipelineContext, SecurityEvent, Session
from mcpward.model import Severity

_log = logging.getLogger(__name__)
#: Bounds of a tool's profile: argument field names and destinations kept.
MAX_FIELDS, MAX_DESTINATIONS = 200, 1000

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig
    from mcpward.registry import ProfileDelta


class Baseline(Interceptor):
    name = "baseline"

    def __init__(
        self,
        path: Path,
        *,
        learning_calls: int = 20,
        dormant_days: float = 30.0,
        spike_factor: float = 5.0,
        spike_floor: int = 30,
        clock: Callable[[], float] = time.time,
        database: str | None = None,
    ) -> None:
        self.path = path
        #: The registry database the replicas share profiles in (``local`` or a URL), or None.
        self.database = database
        #: What this replica saw since it last merged into the shared profiles.
        self._deltas: dict[str, ProfileDelta] = {}
        self._loaded = False
        self.learning_calls = learning_calls
        self.dormant_seconds = dormant_days * 86400
        self.spike_factor = spike_factor
        self.spike_floor = spike_floor
        self.clock = clock
        self.data: dict[str, dict[str, Any]] = {} if database else _load(path)
        self._recent: dict[str, deque[float]] = {}
        self._saved = 0.0
        self._touched: set[str] = set()
        self._unsaved = False
        #: Tools in a call spike already reported: one alert per spike, not one per call in it.
        self._spiking: set[str] = set()
        #: One instance serves every session of ``gateway serve``, whose large messages are
        #: judged in threads.
        self._lock = threading.RLock()

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Interceptor | None:
        if not config.baseline.enabled:
            return None
        return context.shared_baseline or cls.configured(config)

    @classmethod
    def configured(cls, config: GatewayConfig) -> Baseline:
        """A baseline as the config's section sets it (its file, by default in the user data
        folder)."""
        from mcpward._paths import user_data_dir

        settings = config.baseline
        return cls(
            settings.path or user_data_dir() / "gateway-baseline.json",
            learning_calls=settings.learning_calls,
            dormant_days=settings.dormant_days,
            spike_factor=settings.spike_factor,
            database=settings.database,
        )

    def request(self, session: Session, exchange: Exchange) -> None:
        tool = exchange.tool
        if tool is None:
            return
        arguments = exchange.params.get("arguments")
        arguments = arguments if isinstance(arguments, dict) else {}
        found = set(destinations_in(arguments))  # outside the lock: a large message takes long
        with self._lock:
            self._request(session, exchange, tool, arguments, found)

    def _request(
        self, session: Session, exchange: Exchange, tool: str, arguments: dict[str, Any], found: set[str]
    ) -> None:
        now = self.clock()
        if self.database is not None and not self._loaded and now - self._saved >= 1.0:
            self._saved = now
            self._merge()  # what the other replicas learned, before the first judgement
        key = f"{session.server}/{tool}"
        profile = self.data.setdefault(
            key, {"calls": 0, "first": now, "last": now, "fields": [], "destinations": []}
        )
        learned = profile["calls"] >= self.learning_calls
        events = []
        if learned and now - profile["last"] > self.dormant_seconds:
            days = (now - profile["last"]) / 86400
            events.append(("dormant-tool-used", f"{tool} called after {days:.0f} days unused"))
        fields = sorted(set(arguments) - set(profile["fields"]))
        if learned and fields:
            events.append(
                ("new-argument-field", f"{tool} called with new argument field(s): {', '.join(fields)}")
            )
        destinations = sorted(found - set(profile["destinations"]))
        if learned and destinations:
            events.append(
                ("new-destination", f"{tool} sends to a destination never seen: {', '.join(destinations)}")
            )
        recent = self._recent.setdefault(key, deque())
        recent.append(now)
        while recent and recent[0] < now - 60:
            recent.popleft()
        minutes = max((now - profile["first"]) / 60, 1.0)
        usual = profile["calls"] / minutes
        if learned and len(recent) > max(self.spike_floor, self.spike_factor * usual):
            if key not in self._spiking:
                self._spiking.add(key)
                events.append(
                    ("call-spike", f"{tool}: {len(recent)} calls in the last minute (usual {usual:.1f})")
                )
        else:
            self._spiking.discard(key)
        self._touched.add(key)
        if self.database is not None:
            delta = self._deltas.get(key)
            if delta is None:
                from mcpward.registry import ProfileDelta  # SQLAlchemy only for shared profiles

                delta = self._deltas[key] = ProfileDelta(0, now, now)
            delta.calls += 1
            delta.last = now
            if len(delta.fields) < MAX_FIELDS:
                delta.fields.update(arguments)
            if len(delta.destinations) < MAX_DESTINATIONS:
                delta.destinations.update(destinations)
        profile["calls"] += 1
        profile["last"] = now
        profile["fields"] = sorted(set(profile["fields"]) | set(arguments))[:MAX_FIELDS]
        profile["destinations"] = sorted(set(profile["destinations"]) | set(destinations))[:MAX_DESTINATIONS]
        for kind, message in events:
            exchange.events.append(SecurityEvent(kind, Severity.MEDIUM, message, tool=tool))
            exchange.note("alert", message)
        # Written at most once a second (a write per call cost 0.5 ms) and when the session ends.
        self._unsaved = True
        if now - self._saved >= 1.0:
            self.save()
            self._saved = now

    def closed(self, session: Session) -> None:
        with self._lock:
            if self._unsaved:
                self.save()

    def save(self) -> None:
        """Write our tools' profiles into the file, keeping what other gateways (one per stdio
        server) wrote for theirs."""
        with self._lock:
            self._save()

    def _save(self) -> None:
        if self.database is not None:
            self._merge()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            merged = _load(self.path)
            merged.update({key: self.data[key] for key in self._touched})
            with tempfile.NamedTemporaryFile(
                "w", dir=self.path.parent, delete=False, suffix=".tmp"
            ) as handle:
                json.dump({"version": 1, "tools": merged}, handle)
            os.replace(handle.name, self.path)
        self._unsaved = False

    def _merge(self) -> None:
        """Add this replica's calls to the shared profiles and judge from then on with what all
        replicas learned. A database that cannot be written keeps the calls for the next try."""
        from mcpward.registry import shared_registry

        try:
            merged = shared_registry(self.database or "local").merge_profiles(self._deltas)
        except Exception as exc:  # noqa: BLE001 - alerts only: traffic goes on, the calls are kept
            _log.warning("baseline: the shared profiles could not be written (%s)", type(exc).__name__)
            return
        self._deltas.clear()
        self._touched.clear()
        self.data = merged
        self._loaded = True
        self._unsaved = False


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    tools = document.get("tools") if isinstance(document, dict) else None
    return tools if isinstance(tools, dict) else {}


def learned_destinations(path: Path, server: str) -> set[str]:
    """The destinations the baseline in ``path`` learned for any tool of ``server``."""
    return {
        destination
        for key, profile in _load(path).items()
        if key.startswith(f"{server}/") and isinstance(profile, dict)
        for destination in profile.get("destinations") or []
        if isinstance(destination, str)
    }
