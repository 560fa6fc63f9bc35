"""Fit the topic-change model (bot.engine.topic) on generated pairs; write bot/data/topic_model.json.

    python -m bot.tools.fit_topic [--out bot/data/topic_model.json]

The pairs come from bot.engine.topic_data (the catalogue's names and our own wording, never the
evaluation sets). Each pair is run through the engine's own searches: the message alone and the
message with the previous question as context, exactly as a conversation turn does, so the
model learns from the numbers it will see at run time. Fitting is deterministic (lbfgs, fixed
order), which is what lets a test refit and compare with the stored weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from bot.engine.aspects import detect_aspect
from bot.engine.topic import TopicAnchors, TopicModel, topic_features
from bot.engine.topic_data import generate_pairs, pairs_digest

C = 1.0  # inverse regularisation strength: the inputs are all in [0, 1], a mild prior suffices


def pair_features(engine, pairs) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One row of `topic_features` per pair (with its label and kind), read from the engine's index and classifier.
    Searches are memoised: a previous question and an off-topic message recur across pairs."""
    searched: dict[str, object] = {}
    anchors = TopicAnchors.embed(engine.index.embedder)

    def search(text: str):
        if text not in searched:
            searched[text] = engine.index.search(text)
        return searched[text]

    rows, labels, kinds = [], [], []
    for i, pair in enumerate(pairs):
        previous = search(pair.previous)
        if not previous.hits:
            continue
        alone = search(pair.message)
        combined = engine.index.search_in_context([pair.previous], pair.message)
        guess = engine.classify(alone.query_vector, pair.message)
        _, cued = detect_aspect(pair.message)
        rows.append(topic_features(engine.calibration, pair.message, previous.hits[0].group, alone, combined, guess, cued,
                                   anchors, engine.index.known_words))
        labels.append(pair.label)
        kinds.append(pair.kind)
        if i % 100 == 0:
            print(f"{i}/{len(pairs)} pairs", file=sys.stderr, flush=True)
    return np.vstack(rows), np.asarray(labels), kinds


def fit(engine) -> TopicModel:
    pairs = generate_pairs(engine.index.catalogue)
    x, y, kinds = pair_features(engine, pairs)
    return fit_rows(x, y, kinds, pairs_digest(pairs))


def fit_rows(x: np.ndarray, y: np.ndarray, kinds: list[str], digest: str) -> TopicModel:
    """The logistic fit on rows `pair_features` read (kept apart so a check can reuse the rows)."""
    from sklearn.linear_model import LogisticRegression  # fitting only

    # every kind of pair weighs the same in total: new questions (easy negatives, twice as many)
    # otherwise outvote off-topic messages, the hard negatives that sit beside facts
    counts = Counter(kinds)
    weights = np.array([len(kinds) / (len(counts) * counts[k]) for k in kinds])
    model = LogisticRegression(C=C, max_iter=1000, tol=1e-8)
    model.fit(x, y, sample_weight=weights)
    return TopicModel(model.coef_[0].astype(np.float64), float(model.intercept_[0]), digest)


def main() -> None:  # pragma: no cover - a maintainer's command
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bot/data/topic_model.json"))
    args = parser.parse_args()
    from bot.app.settings import Settings
    from bot.app.wiring import create_runtime

    runtime = create_runtime(Settings())
    model = fit(runtime.engine)
    args.out.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n")
    print(json.dumps(model.to_json(), ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
