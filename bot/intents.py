"""Intent of a message: procedure, faq, feedback, status, chitchat or out_of_scope.

Two layers:
1. A linear softmax classifier over the query embedding, trained at start-up on our own labelled
   examples: `bot/data/intents.yaml` (chitchat, out of scope, feedback, status) plus the catalogue's
   everyday names (procedure) and FAQ phrasings (faq). Class-balanced, L2-regularised; training
   takes well under a second on a few thousand examples, and the example embeddings are cached.
2. High-precision surface cues that the embedding cannot see: reference codes (PA-2026-…,
   H12.34-250610-0012) with "đến đâu rồi"-style phrasing mean status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import numpy as np
import yaml

from knowledge.schema import Catalogue
from knowledge.text import fold

INTENTS = ("procedure", "faq", "feedback", "status", "chitchat", "out_of_scope")
FEEDBACK_KINDS = ("complaint", "suggestion", "praise")

_REFERENCE = re.compile(r"\b(?:PA|KN|PAKN)-\d{4}-[A-Z0-9]{4,8}\b|\b[A-Z]\d{2}(?:\.\d{1,3}){1,4}-\d{6}-\d{3,5}\b", re.IGNORECASE)
_STATUS_CUES = tuple(fold(c) for c in (
    "đến đâu rồi", "tới đâu rồi", "đến đâu r", "tới đâu r", "đã xử lý chưa", "xử lý chưa", "duyệt chưa",
    "có kết quả chưa", "đã có kết quả chưa", "xong chưa", "giải quyết đến đâu", "sao chưa có", "sao vẫn chưa",
    "chưa thấy phản hồi", "chưa có phản hồi", "any update", "status of my", "kiểm tra giúp", "đã làm xong chưa",
    "tình trạng hồ sơ của tôi", "hồ sơ của tôi", "có ai xử lý", "có ai duyệt", "đã được giải quyết",
))


def reference_code(text: str) -> str | None:
    match = _REFERENCE.search(text or "")
    return match.group(0).upper() if match else None


def status_cued(text: str) -> bool:
    folded = fold(text)
    has_cue = any(cue in folded for cue in _STATUS_CUES)
    return has_cue or (reference_code(text) is not None and len(folded.split()) <= 12)


def load_examples() -> dict[str, list[str]]:
    """Labelled examples per intent (and per feedback kind as "feedback:<kind>")."""
    data = yaml.safe_load((resources.files("bot") / "data" / "intents.yaml").read_text(encoding="utf-8")) or {}
    examples: dict[str, list[str]] = {}
    for intent in ("chitchat", "out_of_scope", "feedback", "status"):
        value = data.get(intent) or []
        if isinstance(value, dict):
            for sub, texts in value.items():
                key = f"feedback:{sub}" if intent == "feedback" else intent
                examples.setdefault(key, []).extend(str(t) for t in texts or [])
        else:
            examples.setdefault(intent, []).extend(str(t) for t in value)
    return examples


# Question shapes citizens wrap around a procedure's name. Aliases are noun phrases ("mất căn
# cước"), while real messages are questions; without these the classifier would learn "a long
# sentence is feedback". Mixed registers, with and without diacritics, a few in English.
QUESTION_TEMPLATES = (
    "{x}", "{x} cần giấy tờ gì", "làm {x} ở đâu", "{x} mất bao lâu", "{x} hết bao nhiêu tiền",
    "cho tôi hỏi thủ tục {x}", "{x} làm online được không", "{x} thì làm thế nào", "muốn {x} thì phải làm sao",
    "xin hỏi {x} cần những điều kiện gì", "ad ơi {x} thì làm sao v", "mình muốn {x}, hồ sơ gồm những gì ạ",
    "tôi cần {x}, nộp ở đâu và bao lâu thì có kết quả", "{x} lệ phí bao nhiêu", "hướng dẫn giúp tôi {x}",
    "How do I apply for {x}?",
)


def catalogue_examples(catalogue: Catalogue, per_group: int = 10) -> dict[str, list[str]]:
    """Procedure examples: names and aliases wrapped in question templates; FAQ phrasings as they are."""
    procedures: list[str] = []
    seen_groups: dict[str, int] = {}
    for proc in sorted(catalogue.procedures, key=lambda p: p.code):
        count = seen_groups.get(proc.group, 0)
        if count >= per_group:
            continue
        phrases = [proc.name, *proc.aliases][: per_group - count]
        seen_groups[proc.group] = count + len(phrases)
        for i, phrase in enumerate(phrases):
            template = QUESTION_TEMPLATES[(len(procedures) + i * 7) % len(QUESTION_TEMPLATES)]
            text = template.format(x=phrase[:1].lower() + phrase[1:] if not phrase[:2].isupper() else phrase)
            procedures.append(fold(text) if (len(procedures) % 4 == 3) else text)
    faq = [q for entry in catalogue.faq for q in (entry.title, *entry.questions)]
    return {"procedure": procedures, "faq": faq}


@dataclass
class SoftmaxClassifier:
    labels: list[str]
    weights: np.ndarray  # (dim + 1, classes), last row is the bias

    @classmethod
    def fit(cls, x: np.ndarray, y: list[str], l2: float = 1e-3, epochs: int = 300, lr: float = 2.0) -> SoftmaxClassifier:
        labels = sorted(set(y))
        index = {label: i for i, label in enumerate(labels)}
        targets = np.zeros((len(y), len(labels)), dtype=np.float32)
        targets[np.arange(len(y)), [index[label] for label in y]] = 1.0
        # balance top-level intents: the feedback sub-kinds share one intent's weight
        top = [label.split(":", 1)[0] for label in y]
        top_counts = {t: top.count(t) for t in set(top)}
        sample_weight = np.array([len(y) / (len(top_counts) * top_counts[t]) for t in top], dtype=np.float32)
        xb = np.hstack([x, np.ones((len(x), 1), dtype=np.float32)])
        w = np.zeros((xb.shape[1], len(labels)), dtype=np.float32)
        scale = 20.0  # cosine-scale inputs: sharpen logits so a linear model can separate classes
        for _ in range(epochs):
            logits = scale * (xb @ w)
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            grad = scale * xb.T @ ((probs - targets) * sample_weight[:, None]) / len(y) + l2 * w
            w -= lr * grad
        return cls(labels=labels, weights=w)

    def predict_proba(self, vector: np.ndarray) -> dict[str, float]:
        xb = np.append(vector.astype(np.float32), 1.0)
        logits = 20.0 * (xb @ self.weights)
        logits -= logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}


@dataclass(frozen=True)
class IntentGuess:
    intent: str
    probability: float
    probabilities: dict[str, float]
    feedback_kind: str | None


def collapse(probabilities: dict[str, float]) -> tuple[dict[str, float], str | None]:
    """Sum feedback sub-kinds into "feedback" and name the most likely kind."""
    merged: dict[str, float] = {}
    kinds: dict[str, float] = {}
    for label, p in probabilities.items():
        if label.startswith("feedback:"):
            kinds[label.split(":", 1)[1]] = p
            merged["feedback"] = merged.get("feedback", 0.0) + p
        else:
            merged[label] = merged.get(label, 0.0) + p
    kind = max(kinds, key=kinds.get) if kinds else None
    return merged, kind
