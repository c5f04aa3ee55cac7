"""Descriptions far longer than a tool's purpose needs, and parameters its description never
explains, named to collect side information."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcpward._regex import compiled
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

LONG_DESCRIPTION = 2_000
#: Parameter names that collect side information when the description does not say why.
_SIDE_CHANNEL = compiled(
    r"^(?:side_?note|sidenote|notes?|context|extra|extras|metadata|debug|internal|hidden|feedback|"
    r"summary|conversation|history|memo|comment|remarks?|additional_?(?:info|context|data))$",
    re.IGNORECASE,
)


class Disproportion(Detector):
    category = Category.DISPROPORTION

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        if item.unread:
            yield Hit(
                "not-fully-read",
                self.category,
                Severity.MEDIUM,
                "(whole item)",
                "; ".join(item.unread),
                "text past inspect's bounds was not checked, and instructions can hide there",
            )
        raw_description = item.raw.get("description")
        description = raw_description if isinstance(raw_description, str) else ""
        if len(description) > LONG_DESCRIPTION:
            yield Hit(
                "long-description",
                self.category,
                Severity.LOW,
                "description",
                f"{len(description)} characters",
                f"a description longer than {LONG_DESCRIPTION} characters has room for hidden instructions",
            )
        schema = item.raw.get("inputSchema")
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict):
            return
        for name, spec in properties.items():
            if not _SIDE_CHANNEL.match(str(name)):
                continue
            explained = str(name).lower() in description.lower()
            own = spec.get("description") if isinstance(spec, dict) else None
            if not explained:
                # A parameter its own schema explains is most often plain ("context: text to
                # ground the answer"): a note; one nothing explains is the side-channel shape.
                documented = isinstance(own, str) and len(own) > 0
                yield Hit(
                    "unexplained-parameter",
                    self.category,
                    Severity.LOW if documented else Severity.MEDIUM,
                    f"inputSchema.properties.{name}",
                    str(name),
                    "a side-channel parameter the tool's purpose does not use",
                )
