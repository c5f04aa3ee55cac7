"""``scan -f cyclonedx`` of a tree whose config declares thousands of servers (one ``.mcp.json``
in a cloned repository may hold any number) took time in the square of their number: before
writing, the CycloneDX library gives each component an entry in the dependency graph, looking
each one up among all those already registered. 8,000 servers took 20 s of CPU where the scan
took 2, 32,000 would take minutes of a CI job. The graph is now registered through an index:
four times the servers cost about four times as much."""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime

from linear_time import costs_superlinear, cpu_cost

from mcpward.model import Category, Ecosystem, Finding, PackageRef, Report, Scope, ServerSpec, Severity
from mcpward.output import write_report


def _report(servers: int) -> Report:
    specs = tuple(
        ServerSpec(
            id=f"id{index}",
            host="claude-code",
            name=f"server-{index}",
            config_path="/repo/.mcp.json",
            scope=Scope.PROJECT,
            command="npx",
            args=("-y", f"pkg-{index}@1.0.0"),
            package=PackageRef(ecosystem=Ecosystem.NPM, name=f"pkg-{index}", version="1.0.0", pinned=True),
        )
        for index in range(servers)
    )
    findings = tuple(
        Finding(
            rule="known-vulnerable",
            category=Category.KNOWN_VULNERABLE,
            severity=Severity.HIGH,
            message="affected",
            remediation="upgrade",
            server_id=f"id{index}",
            identifiers=(f"GHSA-{index}",),
        )
        for index in range(0, servers, 10)
    )
    return Report(
        tool_version="0",
        command="scan",
        generated_at=datetime.now(UTC),
        subject="t",
        servers=specs,
        findings=findings,
    )


def _bom_cost(report: Report) -> Callable[[], float]:
    def cost() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cpu_cost(lambda _: write_report(report, "cyclonedx", io.StringIO()), "")

    return cost


def test_the_bom_of_four_times_the_servers_costs_about_four_times_as_much() -> None:
    # Linear but for the library's sorted sets (n log n): 4.5 to 5 times; the square, 10 or more
    # at these sizes, where writing the BOM is most of the cost.
    small, large = _report(2000), _report(8000)
    assert costs_superlinear(_bom_cost(small), _bom_cost(large), factor=8) is None


def test_the_bom_of_many_servers_has_each_one_in_its_graph() -> None:
    """The clean case: every server a component and an entry of the dependency graph."""
    text = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_report(_report(300), "cyclonedx", text)
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text.getvalue()) is None
    bom = json.loads(text.getvalue())
    refs = {component["bom-ref"] for component in bom["components"]}
    assert len(refs) == 300
    assert {entry["ref"] for entry in bom["dependencies"]} >= refs
    assert len(bom["vulnerabilities"]) == 30
