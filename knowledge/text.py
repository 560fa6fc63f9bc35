"""Vietnamese text primitives shared by the catalogue and the index (the lowest layer).

Folding removes tone and vowel marks and maps đ→d, so that "Sổ đỏ", "so do" and "SỔ ĐỎ" meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lowercase, strip Vietnamese diacritics (đ→d), collapse white space."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", text).strip()


def alternation(phrases: Iterable[str], form: Callable[[str], str] = str) -> str:
    """One regex alternation of `phrases` as `form` writes them, longest first, so a longer cue wins
    over a shorter one it starts with."""
    return "|".join(re.escape(form(p)) for p in sorted(phrases, key=lambda p: len(form(p)), reverse=True))


def slugify(text: str, max_length: int = 80) -> str:
    slug = _NON_WORD.sub("-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-") or "x"


def tidy(text: str) -> str:
    """Collapse white space and trim; keep the wording."""
    return _SPACES.sub(" ", nfc(text or "")).strip()
