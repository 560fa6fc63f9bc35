"""The assistant's usage records: the question log and 👍/👎 ratings of answers.

The bot decides *what* to log (intent, decision, redacted text); this module owns *how* it is
stored, so every table of the feedback side is written by the feedback side. No user id is kept:
a rating names its question by row id (the button carries it) and its rater by a keyed digest.
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from feedback.db import utcnow
from feedback.models import QuestionLog, SatisfactionRating

MAX_LOGGED_TEXT = 500


def log_question(session: Session, *, channel: str, text: str, intent: str, decision: str,
                 procedure_code: str | None, confidence: float) -> int:
    """Store one question (text already redacted by the caller, or empty) and return its row id."""
    values = dict(channel=channel, text=text[:MAX_LOGGED_TEXT], intent=intent, decision=decision,
                  procedure_code=procedure_code, confidence=round(float(confidence), 3))
    return session.execute(insert(QuestionLog).values(**values).returning(QuestionLog.id)).scalar_one()


def mark_unanswered(session: Session, question_id: int | None) -> bool:
    """The citizen turned down everything offered for this question ("không phải" to the choices):
    it counts as not helped, in the catalogue-gap report and the learning queue, as a 👎 does, but no
    satisfaction rating is stored, since nobody rated anything. False when no such row exists."""
    entry = session.get(QuestionLog, question_id) if question_id is not None else None
    if entry is None:
        return False
    entry.helpful = False
    return True


def rate_answer(session: Session, *, channel: str, helpful: bool, question_id: int | None,
                rater: str | None = None) -> str:
    """Rate an answer: "new", "changed" (👍 then 👎: the same row takes the new score), "same" (a
    repeated tap), or "unknown" when `question_id` names no logged answer (a stale button; nothing
    is stored). `rater` is a keyed digest of who rated, so one person has one rating per answer
    without their id being kept. The question is marked helpful or not for the catalogue-gap report."""
    score = 5 if helpful else 1
    entry = session.get(QuestionLog, question_id) if question_id is not None else None
    if question_id is not None and entry is None:
        return "unknown"
    if entry is not None:
        entry.helpful = helpful
    if entry is not None and rater:
        existing = session.scalar(select(SatisfactionRating).where(SatisfactionRating.question_id == question_id,
                                                                   SatisfactionRating.rater == rater))
        if existing is not None:
            outcome = "same" if existing.score == score else "changed"
            existing.score, existing.at = score, utcnow()
            return outcome
    session.add(SatisfactionRating(subject="answer", channel=channel, score=score, question_id=question_id,
                                   rater=rater if entry is not None else None))
    return "new"
