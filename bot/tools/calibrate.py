"""Fit the confidence model (bot/confidence.py) without touching the evaluation sets.

Labelled data comes from our own catalogue: for every procedure and FAQ entry about a third of the
everyday phrasings are held out, an index is built from the rest, and each held-out phrasing is
searched; the label says whether the top group was right. Out-of-scope and chitchat examples from
`bot/data/intents.yaml` are negatives (any answer to them is wrong). A logistic regression over the
retrieval features is fitted by gradient descent and written to `bot/data/calibration.json`.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from bot.engine.confidence import FEATURES, features_of
from bot.engine.intents import load_examples
from indexer.build import build_index
from indexer.embed import Embedder
from indexer.search import Index
from knowledge.schema import Catalogue


def _held_out(text: str) -> bool:
    return int(hashlib.md5(text.encode()).hexdigest(), 16) % 3 == 0


def split_catalogue(catalogue: Catalogue) -> tuple[Catalogue, list[tuple[str, str]]]:
    """Catalogue without the held-out phrasings, and (phrasing, group) pairs to query with."""
    queries: list[tuple[str, str]] = []
    procedures = []
    for proc in catalogue.procedures:
        kept = tuple(a for a in proc.aliases if not _held_out(a))
        queries.extend((a, proc.group) for a in proc.aliases if _held_out(a))
        procedures.append(proc.model_copy(update={"aliases": kept}))
    faq = []
    for entry in catalogue.faq:
        kept = tuple(q for q in entry.questions if not _held_out(q))
        queries.extend((q, f"faq:{entry.topic}") for q in entry.questions if _held_out(q))
        faq.append(entry.model_copy(update={"questions": kept}))
    return Catalogue(procedures=tuple(procedures), faq=tuple(faq)), list(dict.fromkeys(queries))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, epochs: int = 4000, lr: float = 0.5) -> tuple[np.ndarray, float]:
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(epochs):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= lr * (z.T @ (p - y) / len(y) + l2 * w)
        b -= lr * float(np.mean(p - y))
    # fold the standardisation back into raw-feature weights
    return w / std, b - float(np.sum(w * mean / std))


def calibrate(catalogue: Catalogue, embedder: Embedder, cache_dir: Path) -> dict:
    reduced, queries = split_catalogue(catalogue)
    negatives = [t for key in ("out_of_scope", "chitchat") for t in load_examples().get(key, [])]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "calibration-index"
        build_index(reduced, embedder, root, cache_dir=cache_dir)
        index = Index.load(root, embedder)
        rows, labels = [], []
        for text, group in queries:
            result = index.search(text)
            rows.append([features_of(result)[f] for f in FEATURES])
            labels.append(float(bool(result.hits) and result.hits[0].group == group))
        for text in negatives:
            result = index.search(text)
            rows.append([features_of(result)[f] for f in FEATURES])
            labels.append(0.0)
    x, y = np.array(rows), np.array(labels)
    w, b = fit_logistic(x, y)
    p = 1 / (1 + np.exp(-(x @ w + b)))
    return {
        "weights": {f: round(float(v), 4) for f, v in zip(FEATURES, w, strict=True)},
        "bias": round(float(b), 4),
        "decline_below": 0.25,
        "clarify_below": 0.45,
        "fitted_on": {"held_out_phrasings": len(queries), "negatives": len(negatives),
                      "positives_right": int(y[: len(queries)].sum()),
                      "brier": round(float(np.mean((p - y) ** 2)), 4)},
    }
