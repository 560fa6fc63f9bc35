"""Does a message continue the current topic, or stand on its own? A small learned model.

Why learned and not cue phrases: "cho mình công thức nấu phở bò" after a passport answer is short
and so looked like a follow-up to length and phrase rules; what actually separates the two is
whether the message carries its own object. That shows in two searches: the message alone (a
new question finds its procedure confidently, a fragment finds nothing) and the message read with
the conversation (a follow-up lands back on the current topic). A logistic regression over a
few numbers from both searches decides; it is fitted on generated pairs (bot.engine.topic_data,
bot.tools.fit_topic), stored as JSON in bot/data and applied with numpy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from bot.engine.aspects import content_words, strip_aspect_cues
from bot.engine.confidence import Calibration, features_of
from bot.engine.intents import IntentGuess
from bot.engine.language import detect_language
from bot.engine.topic_data import training_text  # the lines the pairs are built from, too
from indexer.search import SearchResult
from knowledge.safe_read import parse_bundled_yaml

log = logging.getLogger(__name__)

FEATURES = (
    "alone_confidence",  # calibrated confidence of the message searched alone
    "context_confidence",  # … searched with the conversation's recent messages
    "alone_top_is_current",  # the message alone already finds the current topic first
    "context_top_is_current",
    "current_in_alone",  # the current topic's score in the alone search, relative to its best hit
    "content_words",  # words left once aspect phrases and particles are gone (capped, scaled)
    "aspect_cued",  # the message states an aspect (fee, place…)
    "p_info",  # intent classifier: an information request
    "p_elsewhere",  # intent classifier: chitchat or out of scope
    "alone_dense",  # best cosine similarity of the alone search: low for things the catalogue lacks
    "length",  # words in the message (capped, scaled)
    "fact_leaning",  # nearer our own fact follow-ups (+) or our own off-topic lines (−): see TopicAnchors
    "known_words",  # share of its content words the catalogue's own text uses ("bánh xèo": few)
)


@dataclass(frozen=True)
class TopicAnchors:
    """Our own example lines of the two kinds of message that both stand without a procedure of
    their own: a fact about the citizen's case ("bé nhà em mới 6 tuổi"), which continues the topic,
    and an off-topic request (weather, recipes), which does not. Every other input confuses them:
    both have few catalogue words and both read as out of scope to the intent classifier, which is
    why "cách làm bánh" after a passport answer was answered about the passport. The message's own
    vector (already computed for its search) is compared with the nearest line of each kind."""

    facts: np.ndarray  # unit rows
    elsewhere: np.ndarray

    SELF = 0.985  # a line compared with itself (fitting on these very lines) is left out

    @classmethod
    def embed(cls, embedder, cache_dir: Path | None = None) -> TopicAnchors:
        """The lines' unit vectors, kept in `cache_dir` by (embedder, lines): a start then reads a
        small file instead of embedding ~50 lines (about a third of a second)."""
        text = training_text()
        key = hashlib.sha256(f"{embedder.name}\n{text}".encode()).hexdigest()[:16]
        path = cache_dir / "topic-anchors" / f"{key}.npz" if cache_dir is not None else None
        if path is not None and path.is_file():
            try:
                with np.load(path) as stored:
                    return cls(stored["facts"], stored["elsewhere"])
            except (OSError, ValueError, KeyError):  # a damaged file is embedded again
                pass
        material = parse_bundled_yaml(text)

        def unit(lines: list[str]) -> np.ndarray:
            vectors = np.asarray(embedder.encode([str(x) for x in lines], is_query=True), dtype=np.float32)
            return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

        anchors = cls(unit(material["follow_up_facts"]), unit(material["off_topic"]))
        if path is not None:
            try:  # written whole or not at all: another worker may be reading
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
                np.savez(partial, facts=anchors.facts, elsewhere=anchors.elsewhere)
                os.replace(partial, path)
            except OSError:  # a read-only cache only costs the embedding
                pass
        return anchors

    def leaning(self, vector: np.ndarray) -> float:
        """5 × (nearest fact − nearest off-topic line) in cosine, clipped to [−1, 1]."""
        v = np.asarray(vector, dtype=np.float32)
        v = v / (float(np.linalg.norm(v)) or 1.0)

        def nearest(rows: np.ndarray) -> float:
            scores = rows @ v
            scores = scores[scores < self.SELF]
            return float(scores.max()) if scores.size else 0.0

        return max(-1.0, min(1.0, 5.0 * (nearest(self.facts) - nearest(self.elsewhere))))


def topic_features(calibration: Calibration, text: str, current_group: str, alone: SearchResult,
                   combined: SearchResult, guess: IntentGuess, aspect_cued: bool,
                   anchors: TopicAnchors | None = None, known_words: frozenset[str] = frozenset()) -> np.ndarray:
    """The model's inputs for one message, in the order of `FEATURES`. `known_words`: the index's
    (indexer.search.Index.known_words); empty, every word counts as known."""
    def top_is_current(result: SearchResult) -> float:
        return float(bool(result.hits) and result.hits[0].group == current_group)

    best = alone.hits[0].score if alone.hits and alone.hits[0].score else 1.0
    current_score = next((h.score / best for h in alone.hits[:10] if h.group == current_group), 0.0)
    p = guess.probabilities
    return np.array([
        calibration.probability(features_of(alone)),
        calibration.probability(features_of(combined)),
        top_is_current(alone),
        top_is_current(combined),
        current_score,
        min(len(content_words(strip_aspect_cues(text))), 6) / 6,
        float(aspect_cued),
        p.get("info", 0.0),
        p.get("chitchat", 0.0) + p.get("out_of_scope", 0.0),
        alone.hits[0].dense if alone.hits else 0.0,
        min(len(text.split()), 20) / 20,
        anchors.leaning(alone.query_vector) if anchors is not None else 0.0,
        known_share(text, known_words),
    ], dtype=np.float64)


def known_share(text: str, known_words: frozenset[str]) -> float:
    """Share of the message's content words that the catalogue's own text uses. A fact about the
    citizen's case speaks the catalogue's language (tuổi, con, nước ngoài, ủy quyền); a request
    about something else mostly does not (chuyện cười, bánh xèo). 1.0 with nothing to judge, and
    for English ("How long does it take?"), which a Vietnamese catalogue's words cannot judge."""
    if detect_language(text) == "en":
        return 1.0
    words = [w.strip("?.!,;:\"'()").lower() for w in content_words(strip_aspect_cues(text))]
    words = [w for w in words if w and not w.isdigit()]
    if not words or not known_words:
        return 1.0
    return sum(w in known_words for w in words) / len(words)


@dataclass(frozen=True)
class TopicModel:
    """Logistic regression: P(follow-up) = σ(w·x + b)."""

    weights: np.ndarray
    bias: float
    digest: str = ""  # of the generated pairs it was fitted on (bot.engine.topic_data.pairs_digest)
    anchors: TopicAnchors | None = None  # embedded at engine start (TopicAnchors.embed)

    def with_anchors(self, anchors: TopicAnchors) -> TopicModel:
        return TopicModel(self.weights, self.bias, self.digest, anchors)

    def follow_up_probability(self, features: np.ndarray) -> float:
        z = float(features @ self.weights + self.bias)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict:
        return {"features": list(FEATURES), "weights": [round(float(w), 6) for w in self.weights],
                "bias": round(self.bias, 6), "pairs_digest": self.digest}

    @classmethod
    def from_json(cls, data: dict) -> TopicModel:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError("topic model features differ from the code: refit with `python -m bot.tools.fit_topic`")
        return cls(np.asarray(data["weights"], dtype=np.float64), float(data["bias"]), str(data.get("pairs_digest", "")))

    @classmethod
    def bundled(cls) -> TopicModel | None:
        """The fitted model shipped in bot/data; None before the first fit (the engine then keeps
        its rule-based follow-up test, which is what the fit itself runs with)."""
        path = resources.files("bot") / "data" / "topic_model.json"
        if not path.is_file():
            log.warning("no bot/data/topic_model.json: follow-ups decided by rules until `python -m bot.tools.fit_topic`")
            return None
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:  # the fit tool itself starts an engine before the new model exists
            log.warning("%s; follow-ups decided by rules meanwhile", exc)
            return None
