"""Words that a question uses to ask an aspect, in a sense no procedure's name has.

"mất" is "lost" in "bị mất sổ đỏ", which "Cấp lại … do bị mất" names, and "takes" or "costs" in
"cấp giấy chứng nhận lần đầu mất mấy tuần" or "có mất phí không". Searched in the second sense,
the word drew the question to the lost-paper procedures of its subject: how long the first land
certificate takes was answered with the reissue of a lost one. In that sense the word is left out of what the
question searches (dense and lexical alike); the aspect is read from the message itself
(bot.engine.aspects), where "bao lâu" and "phí" still say it. Data: indexer/data/word_senses.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from knowledge.safe_read import read_bundled_yaml
from knowledge.text import fold

DATA = "indexer/data/word_senses.yaml"


@dataclass(frozen=True)
class AspectSense:
    """A word in the sense in which it only asks an aspect (words folded, as tuples of syllables)."""

    word: str  # with marks: "mất" (lost, takes) is not "mặt" (face) nor "mát" (cool)
    followed_by: tuple[tuple[str, ...], ...]
    unless_after: frozenset[str]
    unless_then: frozenset[str]

    def asks_aspect(self, words: Sequence[str], folded: Sequence[str], i: int, unmarked: bool = False) -> bool:
        """Is `words[i]` (restored, lowercase; `folded`: the same words folded) this word in its
        aspect sense? In a message typed without marks, restoration may have chosen another word
        of the same letters ("mặt" for "mat bn"), so there the letters decide."""
        same = folded[i] == fold(self.word) if unmarked else words[i] == self.word
        if not same or (i > 0 and folded[i - 1] in self.unless_after):
            return False
        for follower in self.followed_by:
            end = i + 1 + len(follower)
            if tuple(folded[i + 1:end]) == follower:
                return not (end < len(folded) and folded[end] in self.unless_then)
        return False


def _words(items: object, where: str) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        raise ValueError(f"{DATA}: {where} must be a list of words")
    return items


def senses_from(data: dict[str, object]) -> tuple[AspectSense, ...]:
    """Senses from the parsed data file; a malformed entry is refused with its place named."""
    senses = []
    for key, entry in (data or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("word"), str) or not entry["word"].strip():
            raise ValueError(f"{DATA}: {key}: needs a word")
        followers = tuple(tuple(fold(f).split()) for f in _words(entry.get("followed_by"), f"{key}.followed_by"))
        if not followers or not all(followers):
            raise ValueError(f"{DATA}: {key}.followed_by lists no words")
        senses.append(AspectSense(
            word=entry["word"].strip().lower(), followed_by=tuple(sorted(followers, key=len, reverse=True)),
            unless_after=frozenset(fold(w) for w in _words(entry.get("unless_after", []), f"{key}.unless_after")),
            unless_then=frozenset(fold(w) for w in _words(entry.get("unless_then", []), f"{key}.unless_then"))))
    return tuple(senses)


@lru_cache(maxsize=1)
def bundled_senses() -> tuple[AspectSense, ...]:
    return senses_from(read_bundled_yaml("indexer", "word_senses.yaml"))


def without_aspect_words(restored: str, unmarked: bool = False, senses: Sequence[AspectSense] | None = None) -> str:
    """`restored` (a question after diacritic restoration) without the words that only ask an aspect;
    `unmarked`: the message was typed (mostly) without diacritics."""
    senses = bundled_senses() if senses is None else senses
    words = restored.split()
    folded = [fold(w) for w in words]
    if not any(fold(s.word) in folded for s in senses):
        return restored
    kept = [w for i, w in enumerate(words) if not any(s.asks_aspect(words, folded, i, unmarked) for s in senses)]
    return " ".join(kept)
