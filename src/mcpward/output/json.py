"""``--format json``: the report as one JSON document (``servers``, ``findings``, ``errors``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, TextIO

from mcpward.model import Report, to_jsonable
from mcpward.output.interface import OutputFormat


def report_document(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = to_jsonable(report)
    counts = Counter(f.severity.value for f in report.findings)
    data["summary"] = {
        "servers": len(report.servers),
        "findings": len(report.findings),
        "errors": len(report.errors),
        "by_severity": {s: counts.get(s, 0) for s in ("critical", "high", "medium", "low", "info")},
    }
    return data


class JsonFormat(OutputFormat):
    name = "json"

    def write(self, report: Report, out: TextIO, *, terminal: bool = False) -> None:
        json.dump(report_document(report), out, indent=2, ensure_ascii=False)
        out.write("\n")
