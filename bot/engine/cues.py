"""Cue phrases, read from `bot/data/cues.yaml`, and the one way they are matched.

Why data and not code: the phrases that steer the engine (aspects, status, corrections, English
words…) are a vocabulary that reviewers extend; keeping them in one YAML file lets them do so
without touching Python, and keeps every list matched the same way (see `CueList`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

from knowledge.safe_read import parse_bundled_yaml
from knowledge.text import fold


def cues_text() -> str:
    return (resources.files("bot") / "data" / "cues.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def cues() -> dict[str, Any]:
    """The parsed cue file (read once per process)."""
    return parse_bundled_yaml(cues_text()) or {}


def phrases(name: str) -> tuple[str, ...]:
    return tuple(str(p) for p in cues().get(name) or ())


def folded_set(name: str) -> frozenset[str]:
    return frozenset(fold(str(p)) for p in cues().get(name) or ())


class CueList:
    """Phrases matched on word boundaries: on the accented text when the message has diacritics
    (so "chờ" does not match "cho"), on folded text when it was typed without them."""

    def __init__(self, items: tuple[str, ...]):
        self.accented = [re.compile(r"(?<!\w)" + re.escape(p.lower().strip()) + r"(?!\w)") for p in items]
        self.folded = [re.compile(r"(?<!\w)" + re.escape(fold(p)) + r"(?!\w)") for p in items]

    @classmethod
    def named(cls, name: str) -> CueList:
        return cls(phrases(name))

    def search(self, text: str) -> bool:
        lowered = text.lower()
        patterns = self.folded if fold(lowered) == " ".join(lowered.split()) else self.accented
        target = fold(lowered) if patterns is self.folded else lowered
        return any(p.search(target) for p in patterns)


_PUNCTUATION = re.compile(r"[.,;:!?…\"“”()]+")


class WholeMessageCue:
    """Phrases that must be the whole message (a capture-flow answer such as "hủy"), matched by the
    same rule as `CueList`: with marks when the message has them (so "đúng" is not "dừng"), folded
    when it was typed without; punctuation and spacing do not count ("Thôi, không gửi nữa.")."""

    def __init__(self, items: tuple[str, ...]):
        self.accented = frozenset(" ".join(unicodedata.normalize("NFC", p).lower().split()) for p in items)
        self.folded = frozenset(fold(p) for p in items)

    @classmethod
    def named(cls, name: str) -> WholeMessageCue:
        return cls(phrases(name))

    def matches(self, text: str) -> bool:
        lowered = " ".join(_PUNCTUATION.sub(" ", unicodedata.normalize("NFC", text).lower()).split())
        return lowered in (self.folded if fold(lowered) == lowered else self.accented)


def small_talk_key(text: str) -> str:
    """Which small-talk reply fits: thanks, goodbye, a question about the bot, else a greeting."""
    folded = fold(text)
    small_talk = cues()["chitchat"]
    for key in ("thanks", "goodbye", "about_bot"):
        if any(fold(w) in folded for w in small_talk[key]) and (key != "about_bot" or "chao" not in folded):
            return key
    return "greeting"
