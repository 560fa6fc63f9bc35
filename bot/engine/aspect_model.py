"""Which aspect a question asks (documents, fee, time …): a small learned model over its words and cues.

Why learned: the cue phrases of bot/data/cues.yaml alone read 0.86 of dev's questions right but
0.75-0.77 of questions written away from dev (the tuning and validation sets), because a cue list
holds the phrasings its authors met, and fresh wording ("cần đem theo những gì", "tốn cỡ nhiêu")
slips past it. The model reads word 1-3-grams of the question (folded, teencode expanded: the
normaliser's restored text) and the cue readings as inputs, so it keeps what the cues know and
learns what they miss from many phrasings.

Its examples are the written question templates (bot/data/question_templates.yaml, grouped by
aspect, never shown the evaluation sets), each filled with the catalogue's own names, short names
and everyday names: fitted per index like the intent model, it learns to read past the words of
the procedures that deployment holds. Beside them it reads the catalogue-wide tuning questions
(bot/data/tuning_questions.jsonl: 1,034 questions helpers wrote about procedures no evaluation set
asks about, their aspects read as dev reads them, docs/evaluation.md): whole messages with their
stories, which a template filled with a name is not. Fitting (scikit-learn) takes 8 s on the
sample and about 20 s on the national catalogue, once per index version, and is stored beside it;
answering is a sparse dot product in numpy.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.engine.aspects import aspect_of, cue_scores
from bot.engine.cues import cues_text
from bot.engine.stored_weights import load_arrays, save_arrays, stored_or_fitted
from knowledge.naming import short_name
from knowledge.safe_read import read_bundled_yaml
from knowledge.text import fold

if TYPE_CHECKING:
    from indexer.search import Index

ASPECT_MODEL_VERSION = "ngram-cues-2"
ASPECT_FILE = "aspects.npz"  # beside the index version it was fitted for
TUNING_QUESTIONS = "tuning_questions.jsonl"  # in bot/data: also `tthc eval`'s "tuning, catalogue-wide" set
FILLS_PER_TEMPLATE = 10  # each template filled with this many of the catalogue's names
UNMARKED_SHARE = 0.25  # of the filled examples typed without diacritics, as citizens often do
MIN_EXAMPLES = 2  # an n-gram in fewer examples is a name's word, not a way of asking
C = 10.0  # inverse regularisation: chosen on dev and the catalogue-wide tuning set (docs/retrieval.md)
SEED = 7
_WORD = re.compile(r"\w+")
CUE_CAP = 6  # cue weights beyond two strong cues say nothing more
CUE_UNIT = 3.0  # a strong cue's weight reads as 1, like the n-grams' normalised values


def ngrams(restored: str) -> list[str]:
    """Word 1-, 2- and 3-grams of a restored question, folded: a question typed with or without
    marks gives the same inputs."""
    words = _WORD.findall(fold(restored))
    return [" ".join(words[i:i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)]


def cue_reading(text: str, restored: str) -> tuple[str, bool, dict[str, tuple[int, int]]]:
    """The cue lists' reading, as the engine takes it: the message as typed, else its restored
    form when only that states an aspect ("cần j" → "cần gì"); with the richer of the two score sets."""
    typed = cue_scores(text)
    fixed = typed if restored == text else cue_scores(restored)
    aspect, cued = aspect_of(typed)
    if not cued:
        aspect, cued = max((aspect, cued), aspect_of(fixed), key=lambda a: a[1])
    scores = fixed if sum(t for t, _ in fixed.values()) > sum(t for t, _ in typed.values()) else typed
    return aspect, cued, scores


def cue_inputs(labels: tuple[str, ...], reading: tuple[str, bool, dict[str, tuple[int, int]]]) -> np.ndarray:
    """A cue reading (`cue_reading`) as model inputs: which aspect the cues chose (stated or only
    hinted), each aspect's cue weight, and whether no cue matched at all."""
    aspect, cued, scores = reading
    n = len(labels)
    row = np.zeros(3 * n + 1, dtype=np.float64)
    row[labels.index(aspect) + (0 if cued else n)] = 1.0
    for name, (total, _) in scores.items():
        row[2 * n + labels.index(name)] = min(total, CUE_CAP) / CUE_UNIT
    row[-1] = 0.0 if scores else 1.0
    return row


def templates() -> dict[str, list[str]]:
    return {str(a): [str(t) for t in ts or ()] for a, ts in read_bundled_yaml("bot", "question_templates.yaml").items()}


@lru_cache(maxsize=1)
def written_questions() -> tuple[tuple[str, str], ...]:
    """(question, aspect) of the catalogue-wide tuning questions, as typed (marks, teencode and all)."""
    rows = (json.loads(line) for line in resources.files("bot").joinpath("data", TUNING_QUESTIONS)
            .read_text(encoding="utf-8").splitlines() if line.strip())
    return tuple((str(r["question"]), str(r["aspect"])) for r in rows if r.get("intent") == "procedure" and r.get("aspect"))


def examples(index: Index, frames: dict[str, list[str]] | None = None,
             questions: tuple[tuple[str, str], ...] | None = None) -> tuple[list[str], list[str]]:
    """(texts, aspects) the model is fitted on: the filled templates, then the written questions
    (`questions`, by default the tuning questions)."""
    texts, labels = filled_examples(index, frames)
    for question, aspect in written_questions() if questions is None else questions:
        texts.append(question)
        labels.append(aspect)
    return texts, labels


def filled_examples(index: Index, frames: dict[str, list[str]] | None = None) -> tuple[list[str], list[str]]:
    """(questions, aspects): every template (`frames`, by default the written ones) filled with
    names drawn from the catalogue."""
    phrases: list[str] = []
    for proc in sorted(index.catalogue.procedures, key=lambda p: p.code):
        phrases += [proc.name, short_name(proc.name)[0], *index.normalizer.everyday_terms(proc.name)[:2]]
    phrases = [p for p in dict.fromkeys(phrases) if p]
    rng = random.Random(SEED)
    texts, labels = [], []
    for aspect, written in (frames or templates()).items():
        for frame in written:
            for _ in range(FILLS_PER_TEMPLATE):
                phrase = rng.choice(phrases)
                text = frame.format(x=phrase if phrase[:2].isupper() else phrase[:1].lower() + phrase[1:])
                texts.append(fold(text) if rng.random() < UNMARKED_SHARE else text)
                labels.append(aspect)
    return texts, labels


@dataclass(frozen=True)
class AspectModel:
    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # per n-gram column
    weights: np.ndarray  # (n-grams + cue inputs, labels)
    bias: np.ndarray  # (labels,)

    def probabilities(self, restored: str, reading: tuple[str, bool, dict[str, tuple[int, int]]]) -> dict[str, float]:
        """The model's reading of a message (its restored text and `cue_reading`): sublinear tf ×
        idf over the n-grams it knows, L2-normalised as scikit-learn's TfidfVectorizer does, then
        the cue inputs."""
        counts = Counter(g for g in ngrams(restored) if g in self.vocabulary)
        columns = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
        values = np.fromiter(((1.0 + math.log(c)) for c in counts.values()), dtype=np.float64, count=len(counts))
        values *= self.idf[columns]
        if (norm := float(np.linalg.norm(values))) > 0:
            values /= norm
        logits = values @ self.weights[columns] + cue_inputs(self.labels, reading) @ self.weights[len(self.idf):]
        logits = logits + self.bias
        logits -= logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        return dict(zip(self.labels, (float(p) for p in probs), strict=True))

    def read(self, text: str, restored: str) -> tuple[str, bool]:
        """(aspect, cued): the model's aspect; cued as the cue lists say, since whether a message
        states an aspect at all is what lets a follow-up keep the conversation's (bot.engine.turn)."""
        reading = cue_reading(text, restored)
        probs = self.probabilities(restored, reading)
        return max(probs, key=probs.get), reading[1]

    @classmethod
    def fit(cls, index: Index, frames: dict[str, list[str]] | None = None,
            questions: tuple[tuple[str, str], ...] | None = None) -> AspectModel:
        """Fit on the templates (`frames`, by default the written ones) filled with this index's
        names, and on the written questions (`questions`, by default the tuning questions)."""
        from scipy.sparse import csr_matrix, hstack  # fitting only: scikit-learn's own dependency
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts, y = examples(index, frames, questions)
        labels = tuple(sorted(set(y)))
        restored = [index.normalizer.query(t).restored for t in texts]
        vectorizer = TfidfVectorizer(analyzer=ngrams, min_df=MIN_EXAMPLES, sublinear_tf=True)
        grams = vectorizer.fit_transform(restored)
        cues = csr_matrix(np.vstack([cue_inputs(labels, cue_reading(t, r)) for t, r in zip(texts, restored, strict=True)]))
        model = LogisticRegression(C=C, max_iter=3000)
        model.fit(hstack([grams, cues]).tocsr(), y)
        order = [list(model.classes_).index(label) for label in labels]
        return cls(labels=labels, vocabulary={str(g): int(i) for g, i in vectorizer.vocabulary_.items()},
                   idf=vectorizer.idf_.astype(np.float64), weights=model.coef_[order].T.astype(np.float64),
                   bias=model.intercept_[order].astype(np.float64))

    def save(self, path: Path, key: str) -> None:
        grams = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        save_arrays(path, key, compressed=True, labels=np.array(self.labels),
                    grams=np.array(json.dumps(grams, ensure_ascii=False)), idf=self.idf,
                    weights=self.weights.astype(np.float32), bias=self.bias)

    @classmethod
    def load(cls, path: Path, key: str) -> AspectModel | None:
        """The stored model if it was fitted on the same templates, catalogue and cues; else None."""
        if (data := load_arrays(path, key)) is None:
            return None
        grams = json.loads(str(data["grams"]))
        return cls(labels=tuple(str(x) for x in data["labels"]), vocabulary={g: i for i, g in enumerate(grams)},
                   idf=data["idf"].astype(np.float64), weights=data["weights"].astype(np.float64),
                   bias=data["bias"].astype(np.float64))


def aspect_model_key(index: Index) -> str:
    """What the model depends on: templates, written questions, the catalogue's names (and the
    lexicon's everyday names, which the builder hash covers), the cue lists and this module's settings."""
    parts = (ASPECT_MODEL_VERSION, json.dumps(templates(), ensure_ascii=False),
             json.dumps(written_questions(), ensure_ascii=False), str(index.manifest.get("catalogue_hash")),
             str(index.manifest.get("builder")), cues_text(),
             repr((FILLS_PER_TEMPLATE, UNMARKED_SHARE, MIN_EXAMPLES, C, SEED)))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


_RECENT: dict[str, AspectModel] = {}  # key → model fitted or loaded in this process
_RECENT_KEPT = 2  # the serving index and the one a rebuild swaps in


def load_or_fit(index: Index, cache_dir: Path) -> AspectModel:
    """The stored model for this index if there is one, else a fresh fit (then stored).

    The model depends on its key alone, so a model this process already holds serves another
    index version with the same key too: a rebuild of the same catalogue swapped in without a
    stop, or a test's freshly built copy of a small catalogue."""
    key = aspect_model_key(index)
    model = stored_or_fitted([index.path / ASPECT_FILE, cache_dir / "aspects" / f"{key}.npz"],
                             lambda path: AspectModel.load(path, key),
                             lambda: _RECENT.get(key) or AspectModel.fit(index),
                             lambda fitted, path: fitted.save(path, key))
    return _remember(key, model)


def _remember(key: str, model: AspectModel) -> AspectModel:
    _RECENT.pop(key, None)
    _RECENT[key] = model
    while len(_RECENT) > _RECENT_KEPT:
        _RECENT.pop(next(iter(_RECENT)))
    return model


def read_aspect(model: AspectModel | None, text: str, restored: str) -> tuple[str, bool]:
    """(aspect, cued) of a message: the learned model's aspect when there is one (an engine built
    without it reads the cue lists alone); cued when the cue lists find an aspect stated."""
    if model is not None:
        return model.read(text, restored)
    aspect, cued, _ = cue_reading(text, restored)
    return aspect, cued
