"""The audit report at scale: a registry of 5,000 approved entries, a fleet of 1,000 machines
with 20 servers each, and a gateway audit log of a million calls; the time to build the report
and render each format, against the floor of reading the same log with the standard library's
``json`` (what any report over it must at least do).

    python bench/report_scale.py [--entries 5000] [--calls 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from mcpward.registry import InventoryUpload, ObservedServer, Registry
from mcpward.registry._tables import EntryRow, ReviewRow
from mcpward.report.audit import build_audit, render_html, render_json, render_markdown


def seed_registry(registry: Registry, entries: int) -> None:
    """Approved entries written in bulk (the service's one-by-one path is measured elsewhere)."""
    now = datetime.now(UTC)
    rows = []
    for index in range(entries):
        identity = {
            "kind": "package",
            "ecosystem": "npm",
            "name": f"bench-server-{index}",
            "version": "1.0.0",
        }
        rows.append(
            EntryRow(
                name=f"io.github.bench/server-{index}",
                release="1.0.0",
                kind="package",
                ecosystem="npm",
                package=f"bench-server-{index}",
                identity=identity,
                repository_verified=False,
                scope={"reads": ["tickets"]},
                owner="team-bench",
                tier=2,
                derived_tier=2,
                tier_reasons=[],
                pins={},
                vet={"verdict": "pass"},
                inspect_findings=[],
                status="approved",
                revision=2,
                round_revision=1,
                requested_by="alice",
                requested_at=now,
                updated_at=now,
                review_due=(now + timedelta(days=30 + index % 90)).date(),
            )
        )
    with registry.database.writing() as session:
        session.add_all(rows)
        session.flush()
        session.add_all(
            ReviewRow(
                entry_id=row.id,
                reviewer="bob",
                decision="approve",
                rationale="ok",
                override=False,
                revision=1,
                at=now,
            )
            for row in rows
        )


def write_log(path: Path, calls: int, servers: int) -> None:
    """A chained log (no key, as one from before logs had keys): the report checks the chain
    in the pass that counts, and stops counting where it breaks."""
    import hashlib

    now = datetime.now(UTC)
    previous = "0" * 64
    with path.open("wb") as handle:
        for number in range(calls):
            at = (now - timedelta(seconds=calls - number)).isoformat().replace("+00:00", "Z")
            record = {
                "at": at,
                "seq": number + 1,
                "server": f"server-{number % servers}",
                "client": "bench",
                "stage": "request",
                "method": "tools/call",
                "tool": f"tool-{number % 7}",
                "decision": "allow",
                "arguments": {"text": "status of build 812"},
                "request_bytes": 120,
                "prev": previous,
            }
            if number % 5000 == 0:
                record["decision"] = "redact"
                record["events"] = [{"kind": "dlp-argument", "severity": "high", "message": "1 match"}]
            encoded = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
            previous = hashlib.sha256(previous.encode() + encoded).hexdigest()
            handle.write(orjson.dumps({**record, "hash": previous}) + b"\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--machines", type=int, default=1000)
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as scratch:
        registry = Registry.open(f"sqlite:///{scratch}/registry.db")
        seed_registry(registry, args.entries)
        for machine in range(args.machines):
            servers = tuple(
                ObservedServer(
                    host="cursor",
                    name=f"s{i}",
                    kind="package",
                    ecosystem="npm",
                    package=f"bench-server-{(machine * 7 + i) % (args.entries + 200)}",
                    version="1.0.0",
                )
                for i in range(20)
            )
            registry.record_inventory(
                InventoryUpload(machine_id=f"m{machine}", hostname=f"host-{machine}", servers=servers),
                "bench",
            )
        log = Path(scratch) / "audit.jsonl"
        write_log(log, args.calls, args.entries)
        size = log.stat().st_size / 1e6
        print(
            f"{args.entries} approved entries, {args.machines * 20} fleet servers, "
            f"{args.calls} audit records ({size:.0f} MB)"
        )

        started = time.perf_counter()
        count = 0
        with log.open("rb") as handle:
            for line in handle:
                json.loads(line)
                count += 1
        floor = time.perf_counter() - started
        print(f"floor: reading the log with json: {floor:.1f} s")

        started = time.perf_counter()
        document = build_audit(registry, since=timedelta(days=90), audit_log=log)
        built = time.perf_counter() - started
        timings = {}
        for name, render in (("json", render_json), ("md", render_markdown), ("html", render_html)):
            began = time.perf_counter()
            render(document)
            timings[name] = time.perf_counter() - began
        total = built + max(timings.values())
        print(
            f"build: {built:.1f} s; render json {timings['json']:.2f} s, md {timings['md']:.2f} s, "
            f"html {timings['html']:.2f} s"
        )
        print(
            f"slowest report end to end: {total:.1f} s ({total / floor:.2f}x the json floor); "
            f"calls counted {document['summary']['calls']}, "
            f"unused servers {document['summary']['unused_servers']}"
        )
        registry.database.dispose()
    sys.exit(0 if total < 60 else 1)


if __name__ == "__main__":
    main()
