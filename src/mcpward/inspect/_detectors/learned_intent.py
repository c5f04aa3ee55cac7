"""The learned scorer as a detector: plainly worded harmful intent that no rule names."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.inspect._scorer import features, shipped_scorer
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

LEARNED_RULE = "learned-harmful-intent"


class LearnedIntent(Detector):
    category = Category.MALICIOUS_CAPABILITY
    learned = True

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        scorer = context.scorer or shipped_scorer()
        if scorer is None or item.kind != "tool":
            return
        schema = item.raw.get("inputSchema")
        names = (
            list(schema.get("properties", {}))
            if isinstance(schema, dict) and isinstance(schema.get("properties"), dict)
            else []
        )
        description = item.raw.get("description")
        texts = [item.name, description if isinstance(description, str) else "", *map(str, names)]
        found = features(texts)
        probability = scorer.probability(found)
        if probability >= scorer.threshold:
            yield Hit(
                LEARNED_RULE,
                self.category,
                Severity.MEDIUM,
                "description",
                ", ".join(scorer.top_features(found)),
                f"the learned scorer rates its purpose harmful ({probability:.2f}, threshold "
                f"{scorer.threshold:.2f})",
            )
