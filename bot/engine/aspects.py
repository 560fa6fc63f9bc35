"""What a question asks about a procedure: documents, fee, time, place, online, steps, eligibility.

Each aspect has weighted cue phrases. Cues are matched on word boundaries, on the accented text
when the message has diacritics ("mặt tiền" is a façade, "mất tiền" a cost) and on folded text when
it was typed without them. The aspect with the highest total weight wins; on a tie, the cue that
comes first in the message. No cue means "general".

A quantity asked with its unit ("bao nhiêu ngày", "bn tiền", "mấy tuổi") states the unit's aspect,
and a cue of another aspect that overlaps it does not count: "mất bao nhiêu" alone asks a cost, but
in "mất bao nhiêu ngày" the days say it is the time. "Mấy năm nay" tells how long a story has lasted
and asks nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.engine.cues import cues, folded_set
from knowledge.text import alternation, fold

# (phrase, weight) per aspect, from bot/data/cues.yaml: 3 states the aspect, 2 says it on its own,
# 1 is a hint that can lose to a stronger cue.
_CUES: dict[str, tuple[tuple[str, int], ...]] = {
    aspect: tuple((str(p), int(w)) for p, w in weighted.items()) for aspect, weighted in cues()["aspects"].items()
}


class _Cue:
    def __init__(self, phrase: str, weight: int):
        self.weight = weight
        self.accented = re.compile(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)")
        self.folded = re.compile(r"(?<!\w)" + re.escape(fold(phrase)) + r"(?!\w)")


_COMPILED = {aspect: [_Cue(p, w) for p, w in cues] for aspect, cues in _CUES.items()}
QUANTITY_WEIGHT = 3  # a quantity with its unit states the aspect, as the strongest cues do


class _QuantityCue:
    """Any quantity word followed by one of an aspect's units, matched like `_Cue`."""

    def __init__(self, quantities: list[str], units: list[str], told_after: list[str]):
        def pattern(form: Callable[[str], str], told: bool) -> re.Pattern[str]:
            pair = rf"(?<!\w)(?:{alternation(quantities, form)})\s+(?:{alternation(units, form)})(?!\w)"
            after = rf"\s+(?:{alternation(told_after, form)})(?!\w)"
            return re.compile(pair + after if told else pair + f"(?!{after})")

        self.accented, self.folded = pattern(str.lower, False), pattern(fold, False)
        # the same pair telling a story ("mấy năm nay"): no cue inside it asks anything
        self.told_accented, self.told_folded = pattern(str.lower, True), pattern(fold, True)


def _quantity_cues() -> dict[str, _QuantityCue]:
    quantities = [str(q) for q in cues().get("quantities") or ()]
    told_after = [str(w) for w in cues().get("quantity_told_after") or ()]
    return {aspect: _QuantityCue(quantities, [str(u) for u in units], told_after)
            for aspect, units in (cues().get("quantity_units") or {}).items()}


_QUANTITIES = _quantity_cues()
# longest phrase first, so "mất bao lâu" goes whole before "bao lâu" could leave a stray "mất"
# ("mất giấy": a lost paper, a different procedure)
_LONGEST_FIRST = sorted((_Cue(p, w) for cues in _CUES.values() for p, w in cues), key=lambda c: -len(c.folded.pattern))


STRONG = 2  # total cue weight from which an aspect is stated rather than hinted


def detect_aspect(text: str) -> tuple[str, bool]:
    """Return (aspect, cued): cued is False when nothing in the text clearly states an aspect.

    A lone weak hint (weight 1, e.g. "thì có") still picks the aspect of a fresh question, but is
    reported as not cued, so in a follow-up the conversation's aspect carries over instead.
    """
    return aspect_of(cue_scores(text))


def aspect_of(scores: dict[str, tuple[int, int]]) -> tuple[str, bool]:
    """(aspect, cued) from `cue_scores`: the heaviest aspect, on a tie the one cued first."""
    if not scores:
        return "general", False
    best = max(scores.items(), key=lambda kv: (kv[1][0], -kv[1][1]))
    return best[0], best[1][0] >= STRONG


def cue_scores(text: str) -> dict[str, tuple[int, int]]:
    """Per aspect with a cue in `text`: (total cue weight, position of its first cue). Read by
    `detect_aspect` and, as inputs, by the learned aspect model (bot.engine.aspect_model)."""
    lowered = " ".join(text.lower().split())
    folded = fold(lowered)
    unaccented = folded == lowered
    target = folded if unaccented else lowered
    quantities = {aspect: [m.span() for m in (cue.folded if unaccented else cue.accented).finditer(target)]
                  for aspect, cue in _QUANTITIES.items()}

    told = [m.span() for cue in _QUANTITIES.values()
            for m in (cue.told_folded if unaccented else cue.told_accented).finditer(target)]

    def overlapping(spans: list[tuple[int, int]], start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in spans)

    scores: dict[str, tuple[int, int]] = {}
    for aspect, aspect_cues in _COMPILED.items():
        own = quantities.get(aspect, [])
        others = told + [span for other, spans in quantities.items() if other != aspect for span in spans]
        total, first, covered = 0, len(folded) + 1, 0
        for cue in aspect_cues:
            spans = [m.span() for m in (cue.folded if unaccented else cue.accented).finditer(target)
                     if not overlapping(others, *m.span())]
            if spans:
                total += cue.weight
                first = min(first, spans[0][0])
                if any(overlapping(own, *span) for span in spans):
                    covered = max(covered, cue.weight)
        if own and covered < QUANTITY_WEIGHT:  # what cues of its aspect do not already say ("bn lâu", "mấy giờ")
            total, first = total + QUANTITY_WEIGHT - covered, min(first, own[0][0])
        if total:
            scores[aspect] = (total, first)
    return scores


def strip_aspect_cues(text: str) -> str:
    """The message without its aspect phrases: what is left names the thing asked about.

    "nộp qua vneid có được không" says how, not what; searching it alone would drift to the VNeID
    procedures. Stripped, it is empty of content and the conversation keeps its topic.
    """
    lowered = " ".join(text.lower().split())
    folded = fold(lowered)
    unaccented = folded == lowered
    target = folded if unaccented else lowered
    for cue in (*_LONGEST_FIRST, *_QUANTITIES.values()):  # "mất bao nhiêu" goes whole, then "bn lâu"
        target = (cue.folded if unaccented else cue.accented).sub(" ", target)
    return " ".join(target.split())


# Particles and pronouns that never name a procedure: what remains of "có mất phí không" once its
# aspect phrase is gone ("có … không") says nothing about the topic.
_FUNCTION_WORDS = folded_set("function_words")


def content_words(content: str) -> list[str]:
    """The words that can name a topic in a message already stripped of its aspect phrases
    (`strip_aspect_cues`): particles and generic verbs removed."""
    return [w for w in content.split() if fold(w).strip("?.!,") not in _FUNCTION_WORDS and re.search(r"\w", w)]
