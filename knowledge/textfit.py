"""Fit a note into a character budget without cutting it mid-word.

Answers are read on a phone, and a note cut by characters ("miễn cho gia đình có c.", "hộ nghèo,
ng.") reads as an error and can say something the source never said. A note is therefore
shortened by whole sentences first, then by clauses (at ; , : – - and Vietnamese joining words),
and only as a last resort by whole words; the caller learns whether something was left out so it
can point to the full text ("xem thêm") instead of pretending the short form is complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import tidy

ELLIPSIS = "…"
# for a note whose full text is behind the answer's link: say where the rest is
SEE_MORE = {"vi": "… (xem thêm ở đường dẫn cuối tin nhắn)", "en": "… (more at the link below)"}
# Closing punctuation a cut may end on, and separators it must not end on.
_TRAILING_SEPARATORS = " ,;:–-—/+&("
_DOUBLE_PERIOD = re.compile(r"(?<![.…])\.\s*\.(?!\.)")  # "..", ". ." but not an ellipsis "..."
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])\s+")
# A sentence ends at . ! ? … followed by white space and something that can start a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“(\[\-–•+*]|\d|[^\W\d_])")
# Clause boundaries: after a semicolon, colon or comma, around a dash or bullet, before a joining word.
_CLAUSE_LEVELS = (
    re.compile(r";\s+|\s+[-–—•+]\s+"),
    re.compile(r":\s+"),
    re.compile(r",\s+"),
    re.compile(r"\s+(?=(?:và|hoặc|nhưng|trừ|nếu|khi|hay|riêng|đối với|trường hợp|theo|để|do|trong đó|kể cả)\s)"),
)


@dataclass(frozen=True)
class Fitted:
    """The kept text, and whether anything of the original was left out."""

    text: str
    omitted: bool


def normalise(text: str) -> str:
    """Collapse white space, double periods and spaces before punctuation; keep the wording."""
    text = tidy(text)
    text = _DOUBLE_PERIOD.sub(".", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return _SPACE_AFTER_OPEN.sub(r"\1", text)


def top_level_cuts(text: str, pattern: re.Pattern[str]) -> list[int]:
    """Start positions of `pattern`'s matches outside brackets.

    A cut inside "(…)" would leave an unclosed bracket, so only depth-0 matches count.
    """
    depth = 0
    depth_at = []
    for ch in text:
        depth_at.append(depth)
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
    return [m.start() for m in pattern.finditer(text) if m.start() > 0 and depth_at[m.start()] == 0]


def _clean_end(text: str) -> str:
    return text.rstrip(_TRAILING_SEPARATORS).rstrip()


def _longest_prefix(text: str, cuts: list[int], budget: int) -> str:
    best = ""
    for cut in cuts:
        candidate = _clean_end(text[:cut])
        if len(candidate) > budget:
            break
        if candidate:
            best = candidate
    return best


def _by_words(text: str, budget: int) -> str:
    words = text.split(" ")
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) > budget:
            break
        kept.append(word)
    candidate = _clean_end(" ".join(kept))
    # an unclosed bracket reads as broken: cut before it
    if candidate.count("(") > candidate.count(")"):
        candidate = _clean_end(candidate[: candidate.rfind("(")])
    return candidate


def fit(text: str, budget: int, more: str = "") -> Fitted:
    """Shorten `text` to at most `budget` characters by whole sentences, then clauses, then words.

    `more` (e.g. "…" or " (xem thêm …)") is appended when something was left out and counts
    against the budget. The kept text is always a prefix of the normalised text, never ends
    inside a word or on a dangling separator, and is empty only when not even one word fits.
    """
    text = normalise(text)
    if len(text) <= budget:
        return Fitted(text, False)
    room = max(0, budget - len(more))
    sentences = top_level_cuts(text, _SENTENCE_END)
    kept = _longest_prefix(text, sentences, room)
    if len(kept) < room // 2:
        # one short sentence would waste the room: whole clauses of the next sentence may follow it
        clauses = sorted({*sentences, *(cut for level in _CLAUSE_LEVELS for cut in top_level_cuts(text, level))})
        kept = max(kept, _longest_prefix(text, clauses, room), key=len)
    if not kept:
        kept = _by_words(text, room)
    if not kept:
        return Fitted("", True)
    if more.startswith(ELLIPSIS) and kept.endswith("."):
        kept = kept[:-1]  # "khu vực.…" reads as a typo; "khu vực…" says the same
    return Fitted(kept + more, True)


def shorten(text: str, budget: int, more: str = ELLIPSIS) -> str:
    """`fit` for call sites that only want the text; a left-out tail is marked by `more`."""
    return fit(text, budget, more).text
