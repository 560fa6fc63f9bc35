"""Which language a message is in: Vietnamese (with or without marks) or English.

Unaccented Vietnamese shares many letters-only words with English ("can", "to", "do", "a"), so
the decision counts only words that belong to one side and lets Vietnamese win ties: a wrong
"English" costs a citizen a whole answer in a language they did not write.
"""

from __future__ import annotations

import re

# Words that are English and not also unaccented Vietnamese syllables ("can", "to", "do", "a" are
# both, so they count for neither side).
_ENGLISH_WORDS = {"the", "what", "how", "does", "i", "my", "is", "where", "need", "for", "of", "you", "me",
                  "please", "hello", "hi", "thanks", "thank", "and", "much", "long", "get", "register", "apply",
                  "when", "which", "who", "why", "it", "are", "was", "will", "would", "should", "could", "this",
                  "that", "with", "from", "your", "our", "we", "they", "there", "about", "any", "update", "card",
                  "certificate", "license", "licence", "passport", "business", "birth", "marriage", "take", "fee",
                  "what's", "s", "today", "rate", "plan", "marry", "citizen", "in", "to", "do", "can", "an", "have",
                  "if", "or", "be", "not", "on", "at", "by", "as", "if", "documents", "online", "send"}
_VIETNAMESE_SYLLABLES = {"lam", "giay", "cho", "con", "gi", "khong", "ko", "duoc", "dc", "o", "dau", "bao", "nhieu",
                         "thi", "va", "cua", "toi", "minh", "em", "anh", "chi", "ban", "la", "co", "nao", "sao", "the",
                         "nhu", "phai", "can", "cuoc", "ho", "so", "xin", "hoi", "thu", "tuc", "dang", "ky", "cap",
                         "doi", "mat", "lai", "bang", "xe", "dat", "nha", "tien", "phi", "le", "ngay", "lau", "vay",
                         "roi", "chua", "mua", "ban", "ai", "ad", "oi", "nhe", "a", "u", "j", "v", "r", "k", "di"}


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
