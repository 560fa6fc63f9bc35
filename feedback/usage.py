"""The assistant's usage records: the question log and 👍/👎 ratings of answers.

The bot decides *what* to log (intent, decision, redacted text); this module owns *how* it is
stored, so every table of the feedback side is written by the feedback side. No user id is kept:
a rating finds its question through the row id the conversation state remembers.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from feedback.models import QuestionLog, SatisfactionRating

MAX_LOGGED_TEXT = 500


def log_question(session: Session, *, channel: str, text: str, intent: str, decision: str,
                 procedure_code: str | None, confidence: float) -> int:
    """Store one question (text already redacted by the caller, or empty) and return its row id."""
    values = dict(channel=channel, text=text[:MAX_LOGGED_TEXT], intent=intent, decision=decision,
                  procedure_code=procedure_code, confidence=round(float(confidence), 3))
    return session.execute(insert(QuestionLog).values(**values).returning(QuestionLog.id)).scalar_one()


def rate_answer(session: Session, *, channel: str, helpful: bool, question_id: int | None) -> None:
    """A satisfaction rating (5 or 1) with no rater, and a mark on the question it answered so
    unhelpful answers show up among the questions to review."""
    session.add(SatisfactionRating(subject="answer", channel=channel, score=5 if helpful else 1))
    if question_id is not None and (entry := session.get(QuestionLog, question_id)) is not None:
        entry.helpful = helpful
