"""What every webhook does to citizen text before anything stores or answers it.

NUL cannot be stored in a PostgreSQL text column (the insert fails every time it is retried, so a
report with one could never be filed), and a lone surrogate (a JSON "\\ud800" escape) cannot be
encoded as UTF-8 (state saves and the engine fail on it). Both are removed here, at the edge,
along with other C0 control characters; text is put in NFC so one word has one spelling, and
bounded so no later step pays for a megabyte of text.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT_CHARS = 20_000  # far above a chat message (Telegram: 4,096); the engine reads 1,500
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """NFC text without NUL, other control characters (tab and newlines kept) or lone surrogates."""
    return unicodedata.normalize("NFC", _UNSAFE.sub("", text[: limit * 2]))[:limit]
