"""The yes/no question inside a procedure question, answered from the catalogue or said unanswered.

"Tặng cho đất có phải nộp thuế không", "tự đi làm được không", "con tôi có cần làm căn cước không":
the procedure is found by retrieval, but the citizen asked one thing about it. The catalogue has no
field for these, yet its free text (conditions, applicants, documents, steps, fee notes) often says
it: a "Tờ khai lệ phí trước bạ" among the documents, "văn bản ủy quyền", "công dân từ đủ 14 tuổi".
We quote the clause that says it (marked as the catalogue's wording) and say plainly when nothing
does, rather than answer the general question and leave the asked one hanging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from knowledge.schema import ChannelKind, Procedure
from bot.engine.cues import cues
from knowledge.text import fold
from knowledge.textfit import ELLIPSIS, shorten

QUOTE_LIMIT = 200
# a conversation asks about the same procedure turn after turn: fold its long texts once
_fold = lru_cache(maxsize=4096)(fold)


@dataclass(frozen=True)
class SubQuestion:
    kind: str  # "tax" | "proxy" | "required"
    cues: tuple[str, ...]  # folded phrases in the question
    terms: tuple[str, ...]  # folded phrases that, in the catalogue text, answer it


SUB_QUESTIONS = tuple(SubQuestion(kind, tuple(fold(str(p)) for p in spec["asked"]),
                                  tuple(fold(str(p)) for p in spec["answered_by"]))
                      for kind, spec in (cues().get("sub_questions") or {}).items())
_CLAUSE = re.compile(r"(?<=[.;!?])\s+|\s+[-–•+]\s+|\n+")


def sub_question(question: str) -> SubQuestion | None:
    """The first sub-question the text asks, by folded cue on word boundaries."""
    folded = f" {fold(question)} "
    for sub in SUB_QUESTIONS:
        if any(re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", folded) for cue in sub.cues):
            return sub
    return None


def _sources(proc: Procedure) -> list[str]:
    texts = [proc.conditions, *(d.name for d in proc.documents), *(d.note for d in proc.documents),
             *proc.steps, proc.result]
    for channel in proc.channels:
        texts.extend((channel.fee.text, channel.note))
    return [t for t in texts if t]


def quote(proc: Procedure, terms: tuple[str, ...]) -> str | None:
    """The first clause of the procedure's text that contains one of `terms`, shortened whole."""
    folded = [(text, _fold(text)) for text in _sources(proc)]
    for term in terms:
        pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")
        for text, whole in folded:
            if not pattern.search(whole):
                continue
            for clause in _CLAUSE.split(text):
                if pattern.search(fold(clause)):
                    clause = clause.strip(" .;:-–•+")
                    return shorten(clause, QUOTE_LIMIT, ELLIPSIS) if clause else None
    return None


def answer(sub: SubQuestion, proc: Procedure, t) -> str:
    """One or two sentences: what the catalogue says about the sub-question, or that it is silent.

    `t(key, **values)` renders a text of bot.engine.replies in the reply's language.
    """
    found = quote(proc, sub.terms)
    if sub.kind == "proxy":
        others = [t(f"channel_{c.kind.value}") for c in proc.channels if c.kind != ChannelKind.DIRECT]
        lines = [t("asked_proxy_quote", quote=found) if found else t("asked_proxy_silent")]
        if others:
            lines.append(t("asked_other_channels", channels=", ".join(dict.fromkeys(others))))
        return " ".join(lines)
    if sub.kind == "required" and proc.applicants:
        lead = t("asked_applicants", applicants=shorten(proc.applicants, 160, ELLIPSIS))
        return lead + " " + (t("asked_quote", quote=found) if found else t("asked_required_silent"))
    if found:
        return t("asked_quote", quote=found)
    return t(f"asked_{sub.kind}_silent")
