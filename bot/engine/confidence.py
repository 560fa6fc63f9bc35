"""Calibrated confidence that the top procedure/FAQ group is what the citizen means.

A logistic model over retrieval features: the dense similarity of the top group, its margin over
the second group, BM25 and fuzzy evidence, and whether the retrievers agree on the top group.
Coefficients come from `tthc calibrate` (fitted on the dev questions answered in the national,
leave-curation-out and sample scopes; stored in `bot/data/calibration.json`); the defaults below
are that fit rounded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources

from indexer.search import SearchResult

FEATURES = ("dense_top", "dense_margin", "fused_margin", "lexical_top", "fuzzy_top", "agree")


def features_of(result: SearchResult) -> dict[str, float]:
    hits = result.hits
    if not hits:
        return {name: 0.0 for name in FEATURES}
    top = hits[0]
    second = hits[1] if len(hits) > 1 else None
    by_dense = max(hits, key=lambda h: h.dense)
    by_lexical = max(hits, key=lambda h: h.lexical)
    return {
        "dense_top": top.dense,
        "dense_margin": top.dense - (max((h.dense for h in hits[1:]), default=0.0)),
        "fused_margin": (top.score - second.score) / top.score if second and top.score else 1.0,
        "lexical_top": min(top.lexical / 20.0, 1.5),
        "fuzzy_top": top.fuzzy / 100.0,
        "agree": float(by_dense.group == top.group) + float(by_lexical.group == top.group),
    }


@dataclass
class Calibration:
    weights: dict[str, float] = field(default_factory=lambda: {
        "dense_top": 10.65, "dense_margin": 19.2, "fused_margin": 1.67, "lexical_top": 0.68, "fuzzy_top": 1.28, "agree": 0.96,
    })
    bias: float = -12.84
    decline_below: float = 0.1
    clarify_below: float = 0.87
    # the intent classifier's "out of scope" stands while retrieval is less confident than this;
    # fitted (bot/tools/calibrate.py) as the lowest value that declines no fewer out-of-scope dev
    # questions in any scope than 0.5 did, so procedure questions the classifier doubts are kept
    out_of_scope_below: float = 0.5

    @classmethod
    def bundled(cls) -> Calibration:
        path = resources.files("bot") / "data" / "calibration.json"
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(weights=data["weights"], bias=data["bias"], decline_below=data.get("decline_below", 0.1),
                   clarify_below=data.get("clarify_below", 0.87), out_of_scope_below=data.get("out_of_scope_below", 0.5))

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
