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
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import numpy as np

from bot.engine.cues import CueList, cues
from knowledge.naming import short_name
from knowledge.safe_read import parse_bundled_yaml, read_bundled_yaml
from knowledge.schema import Catalogue
from knowledge.text import fold

# Reference codes: our feedback records (PA-2026-…), and application receipts as the portal writes
# them, short (H12.34-250610-0012) or in the national format (000.00.21.H45-250902-0031).
_REFERENCE = re.compile(r"\b(?:PA|KN|PAKN)-\d{4}-[A-Z0-9]{4,8}\b"
                        r"|(?<![\w.])(?:\d{3}\.\d{2}\.\d{2}\.)?[A-Z]\d{2}(?:\.\d{1,3}){0,4}-\d{6}-\d{3,5}\b", re.IGNORECASE)
_STATUS_CUES = CueList.named("status")


def reference_code(text: str) -> str | None:
    match = _REFERENCE.search(text or "")
    return match.group(0).upper() if match else None


# Weaker signs of a citizen's own pending case: enough to confirm the classifier, not alone.
_OWN_CASE = CueList.named("own_case")


def status_cued(text: str) -> bool:
    """Strong status phrasing ("đến đâu rồi"), or a reference code in a short message."""
    return _STATUS_CUES.search(text) or (reference_code(text) is not None and len(text.split()) <= 12)


def own_case_cued(text: str) -> bool:
    return reference_code(text) is not None or _OWN_CASE.search(text)


# Surface cues the embedding blurs: is it a question, does it report, propose or praise.
_CUE_GROUPS: tuple[tuple[str, ...], ...] = tuple(tuple(g) for g in cues()["classifier_cue_groups"].values())


# Information-seeking phrasing. Rhetorical complaint questions ("sao không nói một lần cho xong?")
# use other words, so these stay few and specific.
_QUESTION = CueList.named("question")
_FEEDBACK_VERBS = CueList.named("feedback_verbs")


# Words of a lived experience judged good or bad, or of a proposal: what makes a message feedback
# rather than a question. A general sentiment lexicon, not tied to any procedure.
_SENTIMENT = CueList.named("sentiment")


def has_sentiment(text: str) -> bool:
    return _SENTIMENT.search(text)


# Vietnamese yes/no questions end with a particle: "… có cái đó không", "… được chưa", "… ko".
_FINAL_PARTICLE = re.compile(r"(?<!\w)(?:khong|ko|k|hong|hok|chua|chưa|không|hông|a|ạ|nhi|nhỉ|vay|vậy|ha|hả)\s*[?.!…]*\s*$")


def asks_question(text: str) -> bool:
    stripped = text.strip().lower()
    return "?" in text or _QUESTION.search(text) or bool(_FINAL_PARTICLE.search(fold(stripped)))


# An explicit request to file feedback: decisive on its own.
_FILE_FEEDBACK = CueList.named("file_feedback")


def files_feedback(text: str) -> bool:
    return _FILE_FEEDBACK.search(text)


def names_feedback(text: str) -> bool:
    return _FEEDBACK_VERBS.search(text)


def cue_features(text: str) -> np.ndarray:
    folded = " " + fold(text) + " "
    return np.array([float(any(cue in folded for cue in group)) for group in _CUE_GROUPS], dtype=np.float32)


CUE_SCALE = 0.5


def classifier_input(vector: np.ndarray, text: str) -> np.ndarray:
    return np.concatenate([vector.astype(np.float32), CUE_SCALE * cue_features(text)])


def examples_text() -> str:
    return (resources.files("bot") / "data" / "intents.yaml").read_text(encoding="utf-8")


def load_examples() -> dict[str, list[str]]:
    """Labelled examples per intent (and per feedback kind as "feedback:<kind>")."""
    data = parse_bundled_yaml(examples_text()) or {}
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


def written_templates() -> tuple[str, ...]:
    """The templates of bot/data/question_templates.yaml, every aspect's in file order."""
    return tuple(str(t) for templates in read_bundled_yaml("bot", "question_templates.yaml").values() for t in templates or ())


# Question shapes citizens wrap around a procedure's name. Aliases are noun phrases ("mất căn
# cước"), while real messages are questions; without these the classifier would learn "a long
# sentence is feedback". Mixed registers, with and without diacritics, a few in English. The 22 of
# the cue file alone let it call casual questions with a family story around the name
# out of scope, like the family matters among its out-of-scope examples; 500 more, written for
# every aspect and register, moved intent accuracy on national dev from 0.942 to 0.952.
CUE_TEMPLATES: tuple[str, ...] = tuple(str(t) for t in cues()["question_templates"])
QUESTION_TEMPLATES: tuple[str, ...] = CUE_TEMPLATES + written_templates()


EVERYDAY_EXAMPLES = 3  # per procedure; a name like "… giấy chứng nhận quyền sử dụng đất" has a dozen


def catalogue_examples(catalogue: Catalogue, per_group: int = 10,
                       everyday_names: Callable[[str], list[str]] | None = None) -> dict[str, list[str]]:
    """Procedure examples: names and aliases wrapped in question templates; FAQ phrasings as they are.

    `everyday_names` (the shared lexicon read backwards, `Normalizer.everyday_terms`) adds what
    citizens call the thing a procedure's name is about ("sang tên sổ đỏ", "giấy không tiền án"):
    without it an imported catalogue taught that a question about transferring a used motorbike is
    out of scope, as close to "which brand should I buy" as to any official name."""
    procedures: list[str] = []
    seen_groups: dict[str, int] = {}
    for proc in sorted(catalogue.procedures, key=lambda p: p.code):
        count = seen_groups.get(proc.group, 0)
        if count >= per_group:
            continue
        # the short name too ("đăng ký nghĩa vụ quân sự lần đầu", not "Thủ tục … (cấp xã)"): an
        # imported catalogue has no aliases, and with official names alone the "info" examples were
        # all formal, so the model learnt that casual wording is out of scope
        everyday = everyday_names(proc.name)[:EVERYDAY_EXAMPLES] if everyday_names is not None else []
        phrases = list(dict.fromkeys([proc.name, short_name(proc.name)[0], *proc.aliases, *everyday]))[: per_group - count]
        seen_groups[proc.group] = count + len(phrases)
        for i, phrase in enumerate(phrases):
            template = QUESTION_TEMPLATES[(len(procedures) + i * 7) % len(QUESTION_TEMPLATES)]
            text = template.format(x=phrase[:1].lower() + phrase[1:] if not phrase[:2].isupper() else phrase)
            procedures.append(fold(text) if (len(procedures) % 4 == 3) else text)
    faq = [q for entry in catalogue.faq for q in (entry.title, *entry.questions)]
    learned = [q for proc in sorted(catalogue.procedures, key=lambda p: p.code) for q in proc.learned]
    # procedure and FAQ questions are one intent for the classifier ("info"): which of the two a
    # question is, retrieval decides, since it sees the catalogue and the FAQ side by side; staff-
    # taught questions (knowledge/learned.py) are real citizens' wording, of either intent
    return {"info": procedures + faq + learned, "out_of_scope": list(catalogue.out_of_scope)}


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
