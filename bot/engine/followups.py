"""Follow-ups and corrections: does a message continue the current topic, and which topic then.

A follow-up lacks its own object ("thế còn lệ phí?"); a correction names a sibling ("không phải,
ý tôi là đổi"). Both are searched alone and with the recent context, and the two searches vote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.engine.aspects import content_words, strip_aspect_cues
from bot.engine.confidence import Calibration, features_of
from bot.engine.cues import folded_set
from bot.engine.intents import IntentGuess
from bot.engine.topic import TopicModel, topic_features
from indexer.search import SearchResult
from indexer.variants import NearVariant, cued_variants_of
from knowledge.naming import cued_kinds
from knowledge.text import alternation, fold

FOLLOW_UP_STICKINESS = 0.2
FOLLOW_UP_ALONE_FLOOR = 0.6
# Below even odds: in a conversation a message that is half a follow-up mostly is one (the model is
# fitted on balanced pairs, while real turns after an answer are follow-ups more often than not).
# Chosen on the development dialogues (0.5 → 0.3), where new questions scored 0.10 or less; raised
# to 0.4 once the model read `fact_leaning`: off-topic requests after an answer then score 0.30-0.38
# (weather, recipes, prices) while the dev dialogues' follow-ups stay above it (sample dev 0.908 at
# 0.3 and at 0.4, national dev 0.579 → 0.566).
FOLLOW_UP_THRESHOLD = 0.4
REFINEMENT_WITHIN = 3
# phrases that only make sense after an earlier question, and corrections of the bot's topic
_FOLLOW_UP = tuple(sorted(folded_set("follow_up")))
_CORRECTION = tuple(sorted(folded_set("correction")))
_COMPARISON = tuple(sorted(folded_set("comparison")))


def follow_up_group(calibration: Calibration, group_items: Mapping[str, object], current_group: str,
                    alone: SearchResult | None, combined: SearchResult, correction: bool,
                    variants: Mapping[str, tuple[NearVariant, ...]] | None = None) -> str | None:
    """Pick the topic of a follow-up turn.

    Each candidate group scores its fused score in the search of the message alone (weighted by
    how confident that search is, never below a floor) plus its score in the search of the
    message with the recent context, both normalised to the best hit; the current topic gets a
    stickiness bonus, which a correction ("không phải, ý tôi là …") turns into a penalty. New
    facts in the message ("con tôi mới 10 tuổi") thus move the topic when they point elsewhere,
    and vague follow-ups ("thế còn lệ phí?") stay put. Inside a procedure conversation the
    reform FAQ competes only when the message alone clearly points there.

    The bonus shrinks as the message alone grows confident: the combined search already leans
    to the current topic (it contains the previous question), so a full bonus on top counted
    the old topic twice and held "tài khoản bị khóa thì mở lại thế nào" on VNeID activation.

    A near-variant of the current topic whose qualifier the message itself cues (`variants`:
    indexer.variants.near_variants) is the topic when the combined search has it among its first
    few, as a correction would be: the variant rule left it a hair ahead of the plain procedure
    there, and stickiness held the plain one.
    """
    if variants and alone is not None:
        folded = alone.query.folded
        refinements = cued_variants_of(variants, current_group, cued_kinds(folded), folded)
        if refined := [h.group for h in combined.hits[:REFINEMENT_WITHIN] if h.group in refinements]:
            return refined[0]

    def normalised(result: SearchResult | None) -> dict[str, float]:
        if result is None or not result.hits:
            return {}
        best = result.hits[0].score or 1.0
        return {h.group: h.score / best for h in result.hits[:8]}

    confidence = calibration.probability(features_of(alone)) if alone is not None else 0.0
    weight = max(confidence, FOLLOW_UP_ALONE_FLOOR) if alone is not None else 0.0
    alone_scores, combined_scores = normalised(alone), normalised(combined)
    candidates = set(alone_scores) | set(combined_scores) | {current_group}
    if not current_group.startswith("faq:") and not (alone is not None and alone.hits and alone.hits[0].kind == "faq"
                                                     and confidence >= 0.8 and len(alone.query.folded.split()) >= 8):
        candidates = {g for g in candidates if not g.startswith("faq:")} or {current_group}

    stickiness = FOLLOW_UP_STICKINESS * (1.0 - confidence)

    def score(group: str) -> float:
        bonus = (-stickiness if correction else stickiness) if group == current_group else 0.0
        return weight * alone_scores.get(group, 0.0) + (1.0 - 0.5 * confidence) * combined_scores.get(group, 0.0) + bonus

    best = max(candidates, key=score)
    return best if best in group_items else None

def continues_topic(model: TopicModel, calibration: Calibration, text: str, current_group: str, alone: SearchResult,
                    combined: SearchResult, guess: IntentGuess, aspect_cued: bool,
                    known_words: frozenset[str] = frozenset()) -> bool:
    """Is this message a follow-up of `current_group`? A correction or a comparison ("… có khác
    không") always is, since it only means something against what was said before; small talk, feedback
    and status requests that state no aspect are not; otherwise the topic model decides from the
    two searches (see bot.engine.topic)."""
    if guess.intent == "status" and guess.probability >= 0.5:
        return False
    folded = fold(text)
    if is_correction(text) or any(c in folded for c in _COMPARISON):
        return True
    if guess.intent in ("chitchat", "feedback") and guess.probability >= 0.5 and not aspect_cued:
        return False
    if aspect_cued and not content_words(strip_aspect_cues(text)):
        # an aspect and nothing else ("lệ phí bao nhiêu", "nộp ở đâu") names no object of its own:
        # it can only be asked of the topic; the model's off-topic evidence (the classifier, the
        # fact/off-topic leaning) reads such a bare question as nothing in particular
        return True
    features = topic_features(calibration, text, current_group, alone, combined, guess, aspect_cued, model.anchors,
                              known_words)
    return model.follow_up_probability(features) >= FOLLOW_UP_THRESHOLD


def is_follow_up(calibration: Calibration, text: str, result: SearchResult, guess: IntentGuess, aspect_cued: bool) -> bool:
    """Does this message continue the current topic? Cues first, then the classifier, then length.
    The rules used when no topic model is bundled (before the first `python -m bot.tools.fit_topic`)."""
    if guess.intent == "status" and guess.probability >= 0.5:
        return False
    folded = fold(text)
    marked = is_correction(text) or any(folded.startswith(c) or f" {c}" in folded for c in _FOLLOW_UP)
    if marked or aspect_cued:
        return True
    if guess.intent in ("chitchat", "feedback") and guess.probability >= 0.5:
        return False
    if guess.intent == "out_of_scope" and guess.probability >= 0.9 and \
            calibration.probability(features_of(result)) < 0.2:
        return False
    if len(folded.split()) <= 7:
        return True
    return calibration.probability(features_of(result)) < calibration.clarify_below


_MEANT = tuple(sorted(folded_set("correction_meant"), key=len, reverse=True))
_REJECTED = tuple(sorted(folded_set("correction_rejected"), key=len, reverse=True))
_ANYWHERE = tuple(sorted(folded_set("correction_anywhere"), key=len, reverse=True))



# A rejection opens the message (after at most one interjection: "à", "ủa"), and a pause follows
# it at once or after the rejected fact, in at most three words: "không phải, …", "ko phải mất, …".
# A question mark is no pause ("không phải nộp phí à?" asks whether there is no fee to pay).
_PAUSE = r"\s*(?:[,.;:!\-–—…]|\s-\s)"
# or nothing but a closing particle follows it ("không phải đâu", "ko phải ạ")
_CLOSING = rf"(?:\s+(?:{alternation(folded_set('correction_particles'))})){{0,2}}\s*[.!]*\s*$"
_OPENING = re.compile(
    rf"^\s*(?:(?:{alternation(folded_set('correction_interjections'))})\s*[,!.]?\s+)?"
    rf"(?:(?:{alternation(_CORRECTION)})(?:(?:\s+[\w/]+){{0,3}}?{_PAUSE}|{_CLOSING})"
    rf"|(?:{alternation(folded_set('correction_bare'))})(?:{_PAUSE}|{_CLOSING}))")
# "… chứ không phải …" with something after it names what is rejected; a closing "… chứ không?" is a
# question tag, not a correction
_CONTRAST = re.compile(r"(?<!\w)chu (?:khong|ko|k) phai\s+\w")


def _rejection(folded: str) -> re.Match[str] | None:
    """The rejection that opens a folded message, if it opens with one."""
    return _OPENING.match(folded)


def meant_part(text: str) -> str:
    """What a correction means: "nhầm rồi, ý em là <meant> chứ không phải <rejected>" → <meant>.
    The rejected part and the framing name the old topic, and searched alone they pulled the
    message to whatever else they matched: "không phải mất, giấy bị cháy rồi" searched with
    its "mất" found the lost-paper procedure it rejects. A message that is no correction comes back whole."""
    if not is_correction(text):
        return text
    text = " ".join(text.split())  # fold collapses white space: positions must stay the text's
    folded = fold(text)
    if len(folded) != len(text):  # a letter that folds to more or fewer letters: the message whole
        return text
    if (at := _first_cue(_MEANT, folded)) is not None:
        start = at.end()
    else:
        start = opening.end() if (opening := _rejection(folded)) is not None else 0
    end = start + at.start() if (at := _first_cue(_REJECTED, folded[start:])) is not None else len(text)
    meant = text[start:end].strip(" ,.;:!?-–—…")
    return meant if meant else text


def _first_cue(cues: tuple[str, ...], folded: str) -> re.Match[str] | None:
    """Where the first of `cues` (longest first) stands in `folded` as whole words."""
    for cue in cues:
        if (at := re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", folded)) is not None:
            return at
    return None


def is_correction(text: str) -> bool:
    """Does the message correct the bot ("không phải, ý em là …", "à ko phải mất, …")?

    Matched as whole words and, for the rejections, only where a correction stands: at the start and
    followed by a pause. Anywhere in the message, "không phải" is as often "need not" ("không phải
    nộp phí à"), "chứ không" closes a question, and "nhằm" folds to the same letters as "nhầm"; a
    message taken for a correction is always held to the topic and pushes the current procedure
    away, so a false alarm costs a follow-up its answer."""
    folded = fold(text)
    return (_rejection(folded) is not None or _first_cue(_ANYWHERE, folded) is not None
            or _CONTRAST.search(folded) is not None)
