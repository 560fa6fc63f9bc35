"""Retention: remove personal data from old, finished records while keeping the statistics.

After the retention period a finished record (answered, closed, transferred, not accepted) loses
its content, chat id, contact details and embedding; its kind, dates, status history, agency,
procedure and ratings stay, so periodic reports for past periods are unchanged. Its attachments
(photos, documents) are deleted, rows and files. Question-log text older than the period is blanked too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedback import attachments
from feedback.models import ANSWERED, CLOSED, REJECTED, TRANSFERRED, FeedbackRecord, QuestionLog, SatisfactionRating
from feedback.db import utcnow

REMOVED = "[đã xóa theo thời hạn lưu trữ]"


@dataclass(frozen=True)
class PurgeResult:
    records: int
    questions: int
    rating_reasons: int
    attachments: int = 0


def purge(session: Session, older_than_days: int, now: dt.datetime | None = None,
          attachment_dir: Path | None = None) -> PurgeResult:
    if older_than_days < 30:
        raise ValueError("thời hạn lưu trữ tối thiểu 30 ngày")
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    finished = (ANSWERED, CLOSED, REJECTED, TRANSFERRED)
    due = list(session.scalars(select(FeedbackRecord.id).where(
        FeedbackRecord.status.in_(finished), FeedbackRecord.updated_at < cutoff, FeedbackRecord.content != REMOVED)))
    files = attachments.forget(session, due, attachment_dir)
    records = session.execute(
        update(FeedbackRecord)
        .where(FeedbackRecord.status.in_(finished), FeedbackRecord.updated_at < cutoff, FeedbackRecord.content != REMOVED)
        .values(content=REMOVED, chat_id="", contact_name=None, contact_phone=None, contact_consent=False, embedding=None,
                subject_note="")
        .execution_options(synchronize_session=False)
    ).rowcount
    questions = session.execute(
        update(QuestionLog).where(QuestionLog.at < cutoff, QuestionLog.text != "").values(text="")
    ).rowcount
    reasons = session.execute(
        update(SatisfactionRating).where(SatisfactionRating.at < cutoff, SatisfactionRating.reason != "").values(reason="")
    ).rowcount
    return PurgeResult(records, questions, reasons, files)
