"""One decision per turn: which intent, and answer, ask one clarifying question, or decline.

Kept apart from turn handling so the policy that decides what a citizen is told with confidence
can be read, tested and refitted on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.engine.aspects import content_words, strip_aspect_cues
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


FAQ_KEPT_WITHIN = 3


def aspect_free_search(search: Callable[[str], SearchResult], text: str) -> SearchResult | None:
    """The message searched without its aspect phrases, or None when nothing else is left."""
    content = strip_aspect_cues(text)
    return search(content) if len(content_words(content)) >= 2 else None


def faq_stands(calibration: Calibration, aspect_free: SearchResult | None, faq_group: str) -> bool:
    """A reform FAQ that led the search still leads once the aspect phrases are gone.

    The FAQ speaks of aspects in general ("thanh toán trực tuyến", "dịch vụ công toàn trình"), so
    "… làm qua mạng có được không" about a named procedure drew it to the top by its aspect words
    alone; what is left of such a message names the procedure."""
    if aspect_free is None or any(h.group == faq_group for h in aspect_free.hits[:FAQ_KEPT_WITHIN]):
        return True
    # what is left must name a procedure as clearly as retrieval must to overrule "out of scope"
    return calibration.probability(features_of(aspect_free)) < calibration.out_of_scope_below


SURE_SMALL_TALK = 0.75  # the classifier's odds of three to one: small talk whatever retrieval finds


def decide(calibration: Calibration, result: SearchResult, guess: IntentGuess,
           aspect_free: Callable[[], SearchResult | None] | None = None) -> Decision:
    """Choose intent and whether to answer, clarify or decline, from classifier and retrieval.

    The classifier separates information requests from feedback, status, chitchat and out of
    scope; for an information request, retrieval decides between a procedure and a reform FAQ
    (the better-ranked kind wins, unless the FAQ led by aspect words alone: `aspect_free` searches
    the message without them, and is called only then), and the calibrated confidence decides
    answer / clarify / decline.
    """
    hits = list(result.hits)
    if guess.intent in ("feedback", "status") and guess.probability >= 0.5:
        return Decision(guess.intent, hits, guess.probability)
    if not hits:
        return Decision("chitchat" if guess.intent == "chitchat" and guess.probability >= 0.5 else "out_of_scope", [], 0.0)
    confidence = calibration.probability(features_of(result))
    # small talk when the classifier is sure of it, or says so and retrieval does not clearly
    # disagree: a bare topic and a channel name that it barely took for small talk got a
    # greeting, while an unaccented greeting stays one whatever it matches ("Chào bán chứng quyền…")
    if guess.intent == "chitchat" and (guess.probability >= SURE_SMALL_TALK or (
            guess.probability >= 0.5 and confidence < calibration.out_of_scope_below)):
        return Decision("chitchat", hits, guess.probability)
    # out of scope when the classifier says so and retrieval does not clearly disagree
    if guess.intent == "out_of_scope" and guess.probability >= 0.5 and confidence < calibration.out_of_scope_below:
        return Decision("out_of_scope", hits, 1 - confidence)
    procedures, faq = result.procedures(), result.faq()
    if faq and hits[0].kind == "faq":
        if not procedures or aspect_free is None or faq_stands(calibration, aspect_free(), faq[0].group):
            # a reform FAQ that only the words of a story lifted ("Ủy quyền cho người khác làm thủ
            # tục thay" for a question about becoming a child's guardian) is offered beside the
            # next candidates, as an unsure procedure is, rather than answered outright
            unsure = confidence < calibration.out_of_scope_below and len(hits) > 1
            return Decision("faq", hits if unsure else faq, confidence, clarify=unsure)
        # the procedure is what the message names, but the search's confidence was about the FAQ
        return Decision("procedure", procedures, confidence, clarify=len(procedures) > 1)
    if not procedures:
        return Decision("out_of_scope", [], 0.0)
    if confidence < calibration.decline_below:
        p = guess.probabilities
        intent = "out_of_scope" if p.get("out_of_scope", 0) + p.get("chitchat", 0) > 0.3 else "procedure"
        return Decision(intent, procedures, confidence, decline=True)
    clarify = confidence < calibration.clarify_below and len(procedures) > 1
    return Decision("procedure", procedures, confidence, clarify=clarify)
