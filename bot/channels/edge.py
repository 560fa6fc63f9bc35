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


_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)\s*(.*)$", re.DOTALL)


def split_command(text: str) -> tuple[str, str | None, str] | None:
    """(command, addressed bot or None, argument) of a "/command@bot argument" text, else None.
    Zalo has no command entities, and a Telegram client may send "/phananh" as plain text: both
    are read as the command they spell."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    return match.group(1).lower(), match.group(2), match.group(3).strip()
