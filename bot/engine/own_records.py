"""Is the citizen asking how their own filed records stand, without giving a code?

Why a rule beside the status cues: "đến đâu rồi" names the question outright, but a citizen also
writes "cái phản ánh tôi gửi hôm trước giờ sao rồi": no status phrase, and a classifier taught
procedure questions reads it as one about the one-stop shop. Three signs together make it: a
word for a filed record (phản ánh, đơn, hồ sơ), a sign it is the citizen's own and sent before
(của tôi, tôi đã gửi, hôm trước), and a question about its progress or a wish to see them (sao
rồi, có ai trả lời chưa, xem lại) — in a short message that does not file a new report. The
engine then answers as /tracuu without a code does: that channel user's own records.

The phrases are data (bot/data/own_records.yaml), matched as every cue list is (CueList).
"""

from __future__ import annotations

from functools import lru_cache

from bot.engine.cues import CueList, phrases
from bot.engine.intents import files_feedback
from knowledge.safe_read import read_bundled_yaml

MAX_WORDS = 30  # a status question is short; a long message is a story, not a look-up


@lru_cache(maxsize=1)
def _lists() -> tuple[CueList, CueList, CueList]:
    data = read_bundled_yaml("bot", "own_records.yaml")
    named = {key: tuple(str(p) for p in data.get(key) or ()) for key in ("records", "own", "progress")}
    return CueList(named["records"]), CueList(named["own"] + phrases("own_case")), CueList(named["progress"])


def asks_about_own_records(text: str) -> bool:
    """A short message about the citizen's own earlier records and how they stand (no code needed)."""
    records, own, progress = _lists()
    if not text or len(text.split()) > MAX_WORDS or files_feedback(text):
        return False
    return records.search(text) and own.search(text) and progress.search(text)
