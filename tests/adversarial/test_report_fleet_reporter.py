"""Attack: make another machine look bad in the quarterly audit. Any requester token may send a
fleet report, and the host name in it is the sender's word (SECURITY.md: not promised true).
Mallory, holding a requester token of her own, reported `build-01` (a real machine the fleet's
agent reports) running a malicious package. `report audit` then said "Remove 1 malicious
package from machines: ... on build-01", and neither that line nor any row of the report said
who sent the record: the fleet page names the reporting token beside each record, the report
(what a security team reads and files) did not, so her record read as the agent's, until
2026-12-05.

Now every fleet row and record of the report names the token that last reported it, and so
does the line under "Act on"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mcpward.registry import InventoryUpload, ObservedServer, Registry
from mcpward.report import audit


def test_the_report_names_who_reported_each_record(tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    clean = (ObservedServer(host="cursor", name="files", kind="local", launch="node files.js"),)
    registry.record_inventory(
        InventoryUpload(
            machine_id="agent-id-of-build-01", hostname="build-01", home="/home/ci", servers=clean
        ),
        "fleet-agent",
    )
    planted = (
        ObservedServer(host="cursor", name="evil", kind="package", ecosystem="npm", package="evil-mcp",
                       launch="npx -y evil-mcp"),
    )  # fmt: skip
    registry.record_inventory(
        InventoryUpload(machine_id="made-up", hostname="build-01", home="/home/ci", servers=planted),
        "mallory",
    )
    document = audit.build_audit(registry, since=timedelta(days=90))
    reporters = {(row["machine"], row["server"]): row.get("reported_by") for row in document["fleet"]}
    # Was None for both: the planted row read as the agent's.
    assert reporters == {("build-01", "files"): "fleet-agent", ("build-01", "evil"): "mallory"}
    assert {row.get("reported_by") for row in document["machines"]} == {"fleet-agent", "mallory"}
    markdown = audit.render_markdown(document)
    assert "| reported_by |" in markdown or "reported_by |" in markdown
    unapproved = next(item for item in document["act_on"] if item["section"] == "unapproved")
    assert 'reported by "mallory"' in unapproved["text"], unapproved
    html = audit.render_html(document)
    assert "mallory" in html
    registry.database.dispose()
