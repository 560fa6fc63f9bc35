"""Fusion of the retrievers' rankings per procedure group: a pure function of their scores.

Weighted reciprocal rank fusion keeps the ranks; a small share of each retriever's scaled score
keeps by how much it preferred one group over the next (`SCORE_BLEND`).
"""

from __future__ import annotations

from collections.abc import Sequence

from indexer.items import Item

CANDIDATES = 60  # groups of each retriever's ranking that fusion reads
RRF_K = 2.0
# Rank fusion alone forgets by how much a retriever preferred one group: dense 0.905 vs 0.904
# (a tie) and BM25 42 vs 36 (a clear call) fused as an exact tie. Each retriever's score,
# scaled to 0..1 over its candidate list, adds this much of its weight (dev: folds 0.467 → 0.491,
# national 0.519 → 0.533, sample 0.893 → 0.907, overlay 0.832 → 0.822; docs/retrieval.md).
SCORE_BLEND = 0.2


def rank_groups(item_scores: dict[int, float], items: Sequence[Item]) -> list[tuple[str, float]]:
    """Best item score per group, groups sorted best first."""
    best: dict[str, float] = {}
    for idx, score in item_scores.items():
        group = items[idx].group
        if score > best.get(group, float("-inf")):
            best[group] = score
    return sorted(best.items(), key=lambda kv: kv[1], reverse=True)


def fuse(rankings: dict[str, list[tuple[str, float]]], weights: dict[str, float], k: float = RRF_K,
         blend: float = SCORE_BLEND) -> dict[str, float]:
    """Weighted reciprocal rank fusion, Σ_m w_m / (k + rank_m(g)) with rank 1 best, plus
    `blend` × w_m × the group's score scaled to 0..1 over the retriever's candidates."""
    fused: dict[str, float] = {}
    for method, ranking in rankings.items():
        weight = weights.get(method, 0.0)
        if not weight:
            continue
        top = ranking[:CANDIDATES]
        hi, lo = top[0][1], top[-1][1]
        span = (hi - lo) or 1.0
        for rank, (group, score) in enumerate(top, start=1):
            fused[group] = fused.get(group, 0.0) + weight / (k + rank) + blend * weight * (score - lo) / span
    return fused
