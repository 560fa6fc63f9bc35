"""One decision per turn: which intent, and answer, ask one clarifying question, or decline.

Kept apart from turn handling so the policy that decides what a citizen is told with confidence
can be read, tested and refitted on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.confidence import Calibration, features_of
from bot.engine.intents import IntentGuess
from indexer.search import GroupHit, SearchResult


@dataclass
class Decision:
    intent: str
    hits: list[GroupHit]
    confidence: float
    clarify: bool = False
    decline: bool = False  # an information request we cannot match well enough to answer


def decide(calibration: Calibration, result: SearchResult, guess: IntentGuess) -> Decision:
    """Choose intent and whether to answer, clarify or decline, from classifier and retrieval.

    The classifier separates information requests from feedback, status, chitchat and out of
    scope; for an information request, retrieval decides between a procedure and a reform FAQ
    (the better-ranked kind wins), and the calibrated confidence decides answer / clarify /
    decline.
    """
    hits = list(result.hits)
    if guess.intent in ("chitchat", "feedback", "status") and guess.probability >= 0.5:
        return Decision(guess.intent, hits, guess.probability)
    if not hits:
        return Decision("out_of_scope", [], 0.0)
    confidence = calibration.probability(features_of(result))
    # out of scope when the classifier says so and retrieval does not clearly disagree
    if guess.intent == "out_of_scope" and guess.probability >= 0.5 and confidence < calibration.out_of_scope_below:
        return Decision("out_of_scope", hits, 1 - confidence)
    procedures, faq = result.procedures(), result.faq()
    if faq and hits[0].kind == "faq":
        return Decision("faq", faq, confidence)
    if not procedures:
        return Decision("out_of_scope", [], 0.0)
    if confidence < calibration.decline_below:
        p = guess.probabilities
        intent = "out_of_scope" if p.get("out_of_scope", 0) + p.get("chitchat", 0) > 0.3 else "procedure"
        return Decision(intent, procedures, confidence, decline=True)
    clarify = confidence < calibration.clarify_below and len(procedures) > 1
    return Decision("procedure", procedures, confidence, clarify=clarify)
