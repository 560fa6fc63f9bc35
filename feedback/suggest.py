"""The assistant's suggestion for a record's classification (quy định / hành vi hành chính, NĐ 20/2008),
learned from what staff decided on similar records.

Why nearest neighbours: there is no labelled set to ship, and a cue list would be a guess of ours.
Staff classify records every day; the content of every record is already embedded at intake (the
same vector the duplicate check uses). The suggestion is a vote of the `k` most similar records
staff already classified, weighted by similarity, so it explains itself ("3 of the 4 closest
records, PA-…, were classified about conduct") and improves as staff work. With fewer than
`min_examples` classified records, or without an embedding, there is no suggestion: none is better
than a confident guess from nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.models import CLASSIFICATIONS, FeedbackRecord

MIN_EXAMPLES = 3


@dataclass(frozen=True)
class Neighbour:
    record_id: int
    reference: str
    classification: str
    similarity: float


@dataclass(frozen=True)
class Suggestion:
    classification: str
    share: float  # similarity-weighted share of the vote, 0..1
    neighbours: tuple[Neighbour, ...]

    @property
    def agreeing(self) -> int:
        return sum(n.classification == self.classification for n in self.neighbours)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def suggest(session: Session, record: FeedbackRecord, k: int = 5, min_examples: int = MIN_EXAMPLES,
            pool: int = 2000, visible: Any = None) -> Suggestion | None:
    """Similarity-weighted vote of the k nearest staff-classified records (the latest `pool` of them).

    `visible` (a SQL clause, the staff member's unit scope) limits the examples to records the reader
    may open: the page names and links every neighbour it compared with."""
    if record.embedding is None:
        return None
    vector = _unit(np.frombuffer(record.embedding, dtype=np.float32))
    rows = session.execute(
        select(FeedbackRecord.id, FeedbackRecord.reference, FeedbackRecord.classification, FeedbackRecord.embedding)
        .where(FeedbackRecord.id != record.id, FeedbackRecord.classification.in_(CLASSIFICATIONS),
               FeedbackRecord.embedding.is_not(None), *(() if visible is None else (visible,)))
        .order_by(FeedbackRecord.id.desc()).limit(pool)).all()
    examples = [(rid, ref, label, np.frombuffer(blob, dtype=np.float32)) for rid, ref, label, blob in rows]
    examples = [e for e in examples if e[3].shape == vector.shape]  # vectors of another embedder do not compare
    if len(examples) < min_examples:
        return None
    matrix = np.stack([_unit(e[3]) for e in examples])
    similarity = matrix @ vector
    nearest = np.argsort(-similarity, kind="stable")[:k]
    neighbours = tuple(Neighbour(examples[i][0], examples[i][1], examples[i][2], float(similarity[i])) for i in nearest)
    weights = {label: 0.0 for label in CLASSIFICATIONS}
    for n in neighbours:
        weights[n.classification] += max(n.similarity, 0.0)
    total = sum(weights.values())
    if total <= 0:
        return None
    best = max(CLASSIFICATIONS, key=lambda label: weights[label])
    return Suggestion(best, weights[best] / total, neighbours)
