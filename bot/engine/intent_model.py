"""The intent classifier's model: fitted once, stored beside the index, loaded at start.

Fitting needs ~2,000 example embeddings and a solver; answering needs one matrix product. The
weights therefore live in the index version directory (or the cache, when that directory is
read-only), keyed by everything they depend on, and a start only loads them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.engine.cues import cues_text
from bot.engine.intents import (
    CUE_SCALE,
    QUESTION_TEMPLATES,
    IntentGuess,
    asks_question,
    catalogue_examples,
    classifier_input,
    collapse,
    examples_text,
    files_feedback,
    has_sentiment,
    load_examples,
    names_feedback,
    own_case_cued,
)
from bot.engine.stored_weights import load_arrays, save_arrays, stored_or_fitted
from indexer.embed import CachedEmbedder

if TYPE_CHECKING:
    from indexer.search import Index

INTENT_MODEL_VERSION = "sklearn-3"  # 2: catalogue examples also use short names; 3: and everyday names
INTENT_FILE = "intents.npz"  # beside the index version it was fitted for
Progress = Callable[[int, int, str], None]  # done, total, what is being done

SCALE = 20.0  # cosine-scale inputs: sharpened logits let a linear model separate the classes
L2 = 1e-3  # weight decay per example on the unscaled weights


@dataclass
class SoftmaxClassifier:
    """A multinomial logistic model over [embedding, cue features]. Fitted with scikit-learn
    (class-balanced by top-level intent, L2-regularised); applied with numpy, so serving neither
    imports scikit-learn nor refits: the weights are stored with the index (`save`/`load`)."""

    labels: list[str]
    weights: np.ndarray  # (dim + 1, classes), last row is the bias; logits = x·W (scale folded in)

    @classmethod
    def fit(cls, x: np.ndarray, y: list[str], l2: float = L2) -> SoftmaxClassifier:
        from sklearn.linear_model import LogisticRegression  # fitting only: kept out of serving start-up

        labels = sorted(set(y))
        # balance top-level intents: the feedback sub-kinds share one intent's weight
        top = [label.split(":", 1)[0] for label in y]
        top_counts = {t: top.count(t) for t in set(top)}
        sample_weight = np.array([len(y) / (len(top_counts) * top_counts[t]) for t in top], dtype=np.float64)
        # mean weighted loss + l2/2·|w|² with logits = SCALE·x·w  ⇔  sklearn's C·Σ loss + ½|W|², W = SCALE·w
        model = LogisticRegression(C=SCALE**2 / (l2 * len(y)), max_iter=300, tol=1e-4)
        model.fit(np.asarray(x, dtype=np.float64), y, sample_weight=sample_weight)
        coef = model.coef_ if len(labels) > 2 else np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
        bias = model.intercept_ if len(labels) > 2 else np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
        weights = np.vstack([coef.T, bias[None, :]]).astype(np.float32)
        return cls(labels=[str(c) for c in model.classes_], weights=weights)

    def predict_proba(self, vector: np.ndarray) -> dict[str, float]:
        xb = np.append(vector.astype(np.float32), 1.0)
        logits = xb @ self.weights
        logits -= logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def save(self, path: Path, key: str) -> None:
        save_arrays(path, key, weights=self.weights, labels=np.array(self.labels))

    @classmethod
    def load(cls, path: Path, key: str) -> SoftmaxClassifier | None:
        """The stored model if it was fitted on the same examples, index and embedder; else None."""
        if (data := load_arrays(path, key)) is None:
            return None
        return cls(labels=[str(x) for x in data["labels"]], weights=data["weights"])


def intent_model_key(index: Index) -> str:
    """What the intent model depends on: its examples and templates, the catalogue, the embedder."""
    # the builder hash covers the lexicon, whose everyday names are examples too
    parts = (INTENT_MODEL_VERSION, examples_text(), repr(QUESTION_TEMPLATES), str(index.manifest.get("catalogue_hash")),
             str(index.manifest.get("builder")),
             index.embedder.name, str(CUE_SCALE), cues_text())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def fit_intent_model(index: Index, cache_dir: Path, progress: Progress | None = None) -> SoftmaxClassifier:
    """Embed the labelled examples (content-hash cached) and fit the classifier."""
    examples = load_examples()
    for label, texts in catalogue_examples(index.catalogue, everyday_names=index.normalizer.everyday_terms).items():  # taught out-of-scope examples add to the file's
        examples.setdefault(label, []).extend(texts)
    raw, texts, labels = [], [], []
    for label, items in examples.items():
        for text in items:
            raw.append(text)
            texts.append(index.normalizer.query(text).restored)
            labels.append(label)
    embedder = CachedEmbedder(index.embedder, cache_dir)
    done = 0

    def tick(count: int) -> None:  # the cached embedder reports each embedded batch
        nonlocal done
        done += count
        progress(done, len(texts), "Học ý định (lần đầu)")

    vectors = embedder.encode(texts, is_query=True, progress=tick if progress else None)
    embedder.save()
    features = np.stack([classifier_input(v, t) for v, t in zip(vectors, raw, strict=True)])
    return SoftmaxClassifier.fit(features, labels)


def load_or_fit(index: Index, cache_dir: Path, progress: Progress | None = None) -> SoftmaxClassifier:
    """The stored model for this index if there is one, else a fresh fit (then stored)."""
    key = intent_model_key(index)
    return stored_or_fitted([index.path / INTENT_FILE, cache_dir / "intents" / f"{key}.npz"],
                            lambda path: SoftmaxClassifier.load(path, key),
                            lambda: fit_intent_model(index, cache_dir, progress),
                            lambda model, path: model.save(path, key))


def guess_intent(classifier: SoftmaxClassifier, vector: np.ndarray, text: str) -> IntentGuess:
    """Classifier probabilities checked against surface evidence.

    The embedding alone confuses a citizen's story that ends in a question ("giấy khai sinh ghi
    sai ngày sinh, giờ sửa thế nào?") with a complaint. Feedback therefore also needs evidence in
    the words: it names feedback (phản ánh, góp ý, kiến nghị…), or it does not ask anything and
    carries words of a judged experience or a proposal. Otherwise it is an information request.
    """
    merged, kind = collapse(classifier.predict_proba(classifier_input(vector, text)))
    if files_feedback(text):
        kind = kind if kind in ("complaint", "suggestion") else "complaint"
        return IntentGuess(intent="feedback", probability=1.0, probabilities={**merged, "feedback": 1.0}, feedback_kind=kind)
    evidence = names_feedback(text) or (not asks_question(text) and has_sentiment(text))
    if merged.get("feedback", 0.0) > 0 and not evidence:
        merged["info"] = merged.get("info", 0.0) + merged["feedback"]
        merged["feedback"] = 0.0
    if merged.get("status", 0.0) > 0 and not own_case_cued(text):
        merged["info"] = merged.get("info", 0.0) + merged["status"]
        merged["status"] = 0.0
    intent = max(merged, key=merged.get)
    return IntentGuess(intent=intent, probability=merged[intent], probabilities=merged, feedback_kind=kind)
