"""Files a citizen sent with a report (photos, PDFs): one row each, fetched after the record is filed.

The capture flow keeps only the channel's file id (Telegram) or download URL (Zalo); the record is
written first, and a worker (bot/app/attachment_fetch.py) downloads, checks and stores each file.
A failed download is retried with backoff and, after `MAX_ATTEMPTS` or at once for a file that
cannot be accepted, kept with the error: the record never waits for, nor is lost by, a file.
Attachments are shown to staff on the record page only: no report, export or log names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from feedback.db import Base, utcnow
from feedback.models import AuditEntry, FeedbackRecord

PENDING, STORED, FAILED = "pending", "stored", "failed"
MAX_ATTEMPTS = 6
STATUS_LABEL = {PENDING: "Đang tải về", STORED: "Đã lưu", FAILED: "Không lưu được"}


class Attachment(Base):
    __tablename__ = "feedback_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("feedback_records.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12))  # photo | document (Telegram), image | file (Zalo)
    file_id: Mapped[str] = mapped_column(String(300), default="")  # the channel's id of the file
    source_url: Mapped[str] = mapped_column(Text, default="")  # where Zalo serves it (Telegram: asked by getFile)
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    stored_name: Mapped[str | None] = mapped_column(String(80), nullable=True)  # file in the storage directory
    mime: Mapped[str | None] = mapped_column(String(40), nullable=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    error: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    stored_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


def attach(session: Session, record: FeedbackRecord, files: Iterable[dict]) -> list[Attachment]:
    """Rows for the files of a just-filed record (none again when a resent confirmation finds the
    record it already created)."""
    if session.scalar(select(func.count()).select_from(Attachment).where(Attachment.record_id == record.id)):
        return []
    rows = [Attachment(record_id=record.id, channel=str(f.get("channel") or record.channel), kind=str(f.get("kind", ""))[:12],
                       file_id=str(f.get("file_id", ""))[:300], source_url=str(f.get("url", "")),
                       name=str(f.get("name", ""))[:200]) for f in files if f.get("file_id") or f.get("url")]
    session.add_all(rows)
    session.flush()
    return rows


def due(session: Session, limit: int = 10, now: dt.datetime | None = None) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.status == PENDING,
                                                         Attachment.next_attempt_at <= (now or utcnow()))
                                .order_by(Attachment.id).limit(limit)))


def for_record(session: Session, record_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.record_id == record_id).order_by(Attachment.id)))


def open_for_staff(session: Session, record: FeedbackRecord, attachment_id: int, actor: str) -> Attachment | None:
    """A stored file of this record, for a staff member to view, and the audit row of the view (a photo
    can show a person): None for a file of another record or one not stored. The caller has already
    checked the record is within the actor's units."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.record_id != record.id or row.status != STORED:
        return None
    session.add(AuditEntry(actor=actor, action="view_attachment", record_id=record.id, detail=f"tệp #{row.id}"))
    return row


def mark_stored(session: Session, attachment_id: int, stored_name: str, mime: str, size: int) -> None:
    row = session.get(Attachment, attachment_id)
    if row is not None and row.status == PENDING:
        row.status, row.stored_name, row.mime, row.size = STORED, stored_name, mime, size
        row.stored_at, row.error = utcnow(), ""
        row.attempts += 1


def mark_failed(session: Session, attachment_id: int, error: str, permanent: bool) -> bool:
    """A failed attempt: retried with backoff (1, 2, 4 … minutes), or given up when `permanent` or
    after MAX_ATTEMPTS. True when the file is now given up (the citizen is then told)."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.status != PENDING:
        return False
    row.attempts += 1
    row.error = error[:200]
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = FAILED
        return True
    row.next_attempt_at = utcnow() + dt.timedelta(minutes=2 ** (row.attempts - 1))
    return False


def forget(session: Session, record_ids: list[int], directory: Path | None) -> int:
    """Delete the attachments of these records, rows and stored files (retention: a photo is
    personal data). Files go first: a file whose row survives a failed transaction is a 404, never
    a photo kept past its time. Returns how many attachments were removed."""
    if not record_ids:
        return 0
    from feedback.attachment_files import stored_path

    rows = list(session.scalars(select(Attachment).where(Attachment.record_id.in_(record_ids))))
    for row in rows:
        path = stored_path(directory, row.stored_name) if directory is not None else None
        if path is not None:
            path.unlink(missing_ok=True)
    session.execute(delete(Attachment).where(Attachment.record_id.in_(record_ids)))
    return len(rows)
