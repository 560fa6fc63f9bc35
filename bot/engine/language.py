"""Which language a message is in: Vietnamese (with or without marks) or English.

Unaccented Vietnamese shares many letters-only words with English ("can", "to", "do", "a"), so
the decision counts only words that belong to one side and lets Vietnamese win ties: a wrong
"English" costs a citizen a whole answer in a language they did not write.
"""

from __future__ import annotations

import re

from bot.engine.cues import folded_set

# Words that are English and not also unaccented Vietnamese syllables ("can", "to", "do", "a" are
# both, so they count for neither side), and common Vietnamese syllables typed without marks.
_ENGLISH_WORDS = folded_set("english_words")
_VIETNAMESE_SYLLABLES = folded_set("vietnamese_syllables")


def detect_language(text: str, vietnamese_syllables: set[str] | frozenset[str] = frozenset()) -> str:
    """English only when English words clearly outnumber Vietnamese syllables typed without marks.

    `vietnamese_syllables` is the folded single-syllable vocabulary of the catalogue (the engine
    passes it); a word that is both ("do", "an", "can") counts for Vietnamese.
    """
    known = vietnamese_syllables or _VIETNAMESE_SYLLABLES
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return "vi"
    english = sum(1 for w in words if w in _ENGLISH_WORDS and w not in known)
    # a word with marks is Vietnamese ("fiancée" is the rare exception and is outvoted)
    vietnamese = sum(1 for w in words if w in known or not w.isascii())
    return "en" if english >= 2 and english > vietnamese else "vi"
