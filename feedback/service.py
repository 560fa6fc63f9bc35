"""Rules of feedback handling. Functions take the caller's Session (the caller owns the transaction)
and either return models or raise a `FeedbackError`.

Workflow (labels in feedback/labels.py):

    new ──▶ accepted ──▶ in_progress ──▶ answered ──▶ closed
     │          │             │              │          │
     └──────────┴─────────────┴──▶ transferred / rejected (with a reason)
     │          │             │   any final state ──▶ in_progress (reopened, with a reason: feedback/workflow.py)
     └──────────┴─────────────┴──▶ waiting (for the citizen's information, with what is asked)
                                   waiting ──▶ in_progress (information received) / rejected

Deadlines are counted in working days in Vietnam time (feedback/workdays.py, feedback/deadlines.py):
an answer is due `answer_days` (20) working days after receipt; while open, a progress update is due
every `update_days` (7). While a record waits for the citizen the clock stops: on leaving `waiting`
the due date moves by the working days spent waiting (the day of the request still counts, the day
the information arrives does not).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from feedback import labels, outbox, workflow
from feedback.deadlines import Deadlines, default_deadlines, resume_clock  # Deadlines: callers import it from here
from feedback.models import (
    ACCEPTED,
    ANSWERED,
    CLASSIFICATIONS,
    CLOSED,
    IN_PROGRESS,
    KINDS,
    NEW,
    REJECTED,
    TRANSFERRED,
    WAITING,
    Assignment,
    AuditEntry,
    FeedbackRecord,
    ReplyMessage,
    SatisfactionRating,
    StaffUser,
    StatusChange,
)
from feedback.db import utcnow
from feedback.unit_routing import suggest_unit
from feedback.errors import (  # noqa: F401 - FeedbackError is part of the service API (callers catch service.FeedbackError)
    ConcurrentEdit, FeedbackError, FeedbackNotFound, InvalidInput, InvalidTransition)
from feedback.workdays import WorkCalendar, default_calendar, local_day_bounds_utc

MAX_CONTENT = 5000  # a staff reply
MAX_STORY = 12_000  # a citizen's report, possibly sent in several messages (bot.engine.feedback_dialog.MAX_STORY)
OPEN = (NEW, ACCEPTED, IN_PROGRESS, WAITING)
CLOCK_RUNNING = (NEW, ACCEPTED, IN_PROGRESS)  # open and not paused: these can be overdue
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (ACCEPTED, IN_PROGRESS, WAITING, TRANSFERRED, REJECTED),
    ACCEPTED: (IN_PROGRESS, WAITING, TRANSFERRED, REJECTED),
    IN_PROGRESS: (ANSWERED, WAITING, TRANSFERRED, REJECTED),
    WAITING: (IN_PROGRESS, REJECTED),
    ANSWERED: (CLOSED, IN_PROGRESS),
    CLOSED: (IN_PROGRESS,),
    TRANSFERRED: (IN_PROGRESS,),
    REJECTED: (IN_PROGRESS,),
}
NEEDS_NOTE = {TRANSFERRED, REJECTED, WAITING}
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_REFERENCE = re.compile(r"^PA-\d{4}-[0-9A-HJKMNP-TV-Z]{6}$")


@dataclass(frozen=True)
class Draft:
    """What the conversation collected; validated by `create_record`."""

    kind: str
    content: str
    channel: str
    chat_id: str
    procedure_code: str | None = None
    procedure_name: str = ""
    field: str = ""
    agency: str = ""
    subject_note: str = ""
    contact_consent: bool = False
    contact_name: str | None = None
    contact_phone: str | None = None
    embedding: Sequence[float] | None = None
    submission_key: str | None = None  # idempotency: the same key returns the same record
    classification: str | None = None  # quy_dinh / hanh_vi when known at intake (see `classify`)


def new_reference(year: int) -> str:
    return f"PA-{year}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def is_reference(text: str) -> bool:
    return bool(_REFERENCE.match(text or ""))


def create_record(session: Session, draft: Draft, deadlines: Deadlines | None = None, now: dt.datetime | None = None,
                  calendar: WorkCalendar | None = None) -> FeedbackRecord:
    content = (draft.content or "").strip()
    if not content:
        raise InvalidInput("nội dung trống")
    if len(content) > MAX_STORY:
        raise InvalidInput(f"nội dung dài quá {MAX_STORY} ký tự")
    if draft.kind not in KINDS:
        raise InvalidInput(f"loại không hợp lệ: {draft.kind}")
    if draft.classification is not None and draft.classification not in CLASSIFICATIONS:
        raise InvalidInput(f"phân loại không hợp lệ: {draft.classification}")
    if not draft.contact_consent and (draft.contact_name or draft.contact_phone):
        raise InvalidInput("chỉ lưu thông tin liên hệ khi người dân đồng ý")
    if draft.submission_key:
        existing = session.scalar(select(FeedbackRecord).where(FeedbackRecord.submission_key == draft.submission_key))
        if existing is not None:
            return existing
    now = now or utcnow()
    deadlines = deadlines or default_deadlines()
    reference = new_reference(now.year)
    while session.scalar(select(FeedbackRecord.id).where(FeedbackRecord.reference == reference)) is not None:
        reference = new_reference(now.year)
    unit = suggest_unit(session, draft.agency, draft.procedure_code, content)  # feedback/unit_routing.py
    record = FeedbackRecord(
        reference=reference, kind=draft.kind, content=content, procedure_code=draft.procedure_code,
        procedure_name=draft.procedure_name[:400], field=draft.field[:200], agency=draft.agency[:200],
        subject_note=draft.subject_note[:500], channel=draft.channel, chat_id=draft.chat_id, status=NEW,
        received_at=now, due_at=deadlines.due("answer", now, calendar),
        next_update_due_at=deadlines.due("update", now, calendar), updated_at=now,
        contact_consent=draft.contact_consent, contact_name=draft.contact_name if draft.contact_consent else None,
        contact_phone=draft.contact_phone if draft.contact_consent else None,
        embedding=np.asarray(draft.embedding, dtype=np.float32).tobytes() if draft.embedding is not None else None,
        submission_key=draft.submission_key, classification=draft.classification, unit_id=unit.unit_id,
    )
    session.add(record)
    session.flush()
    record.duplicate_of_id = likely_duplicate(session, record)
    session.add(StatusChange(record_id=record.id, actor="citizen", at=now, from_status=None, to_status=NEW,
                             note=f"tiếp nhận qua {draft.channel}; đơn vị: {unit.why}"[:1000]))
    session.flush()
    return record


def likely_duplicate(session: Session, record: FeedbackRecord, threshold: float = 0.92) -> int | None:
    """An open record on the same procedure or agency whose content embedding is very close."""
    if record.embedding is None:
        return None
    vector = np.frombuffer(record.embedding, dtype=np.float32)
    query = select(FeedbackRecord.id, FeedbackRecord.embedding).where(
        FeedbackRecord.id != record.id, FeedbackRecord.status.in_(OPEN), FeedbackRecord.embedding.is_not(None))
    if record.procedure_code:
        query = query.where(FeedbackRecord.procedure_code == record.procedure_code)
    elif record.agency:
        query = query.where(FeedbackRecord.agency == record.agency)
    best, best_id = threshold, None
    for other_id, blob in session.execute(query.order_by(FeedbackRecord.id.desc()).limit(2000)):
        other = np.frombuffer(blob, dtype=np.float32)
        if other.shape == vector.shape:
            score = float(other @ vector)
            if score >= best:
                best, best_id = score, other_id
    return best_id


def get(session: Session, record_id: int) -> FeedbackRecord:
    record = session.get(FeedbackRecord, record_id)
    if record is None:
        raise FeedbackNotFound(str(record_id))
    return record


def _check_version(record: FeedbackRecord, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise ConcurrentEdit("hồ sơ vừa được người khác cập nhật; vui lòng tải lại trang")


def transition(session: Session, record_id: int, to_status: str, actor: str, note: str = "",
               expected_version: int | None = None, deadlines: Deadlines | None = None,
               calendar: WorkCalendar | None = None, now: dt.datetime | None = None) -> FeedbackRecord:
    record = get(session, record_id)
    _check_version(record, expected_version)
    if to_status not in TRANSITIONS.get(record.status, ()):
        raise InvalidTransition(f"không chuyển được từ '{record.status}' sang '{to_status}'")
    note = (note or "").strip()
    if to_status == WAITING and not note:
        raise InvalidInput("cần ghi thông tin đề nghị người dân bổ sung")
    if to_status in NEEDS_NOTE and not note:
        raise InvalidInput("cần ghi lý do (không thụ lý) hoặc cơ quan nhận chuyển")
    now = now or utcnow()
    workflow.admit(session, record, to_status, actor, note, now)  # answered only with a reply; audited there
    deadlines = deadlines or default_deadlines()
    calendar = calendar or default_calendar()
    session.add(StatusChange(record_id=record.id, actor=actor, at=now, from_status=record.status, to_status=to_status,
                             note=note[:1000]))
    if record.status == WAITING:
        resume_clock(record, now, calendar)
    record.status = to_status
    record.updated_at = now
    if to_status == WAITING:
        record.paused_at = now
        outbox.enqueue(session, record.channel, record.chat_id,
                       labels.INFO_REQUEST.format(reference=record.reference, text=note))
    elif to_status in NEEDS_NOTE:
        record.outcome_note = note[:1000]
        # the citizen learns where the record went (or why it was not taken up), in the same transaction
        template = labels.TRANSFERRED_MESSAGE if to_status == TRANSFERRED else labels.REJECTED_MESSAGE
        outbox.enqueue(session, record.channel, record.chat_id, template.format(reference=record.reference, text=note))
    if to_status == ANSWERED:
        record.answered_at = now
    if to_status in (CLOSED, TRANSFERRED, REJECTED):
        record.closed_at = now
    if to_status == IN_PROGRESS:
        record.closed_at = None
        record.next_update_due_at = deadlines.due("update", now, calendar)
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentEdit("hồ sơ vừa được người khác cập nhật; vui lòng tải lại trang") from exc
    return record


def assign(session: Session, record_ids: Sequence[int], assignee_id: int, actor: str) -> list[FeedbackRecord]:
    assignee = session.get(StaffUser, assignee_id)
    if assignee is None or not assignee.active:
        raise InvalidInput("cán bộ không tồn tại hoặc đã bị khóa")
    records = []
    for record_id in record_ids:
        record = get(session, record_id)
        record.assignee_id = assignee.id
        record.updated_at = utcnow()
        session.add(Assignment(record_id=record.id, assignee_id=assignee.id, assigned_by=actor))
        session.add(StatusChange(record_id=record.id, actor=actor, from_status=record.status, to_status=record.status,
                                 note=f"giao cho {assignee.username}"))
        session.add(AuditEntry(actor=actor, action="assign", record_id=record.id, detail=f"giao cho {assignee.username}"))
        records.append(record)
    session.flush()
    return records


def reply(session: Session, record_id: int, author: str, text: str, expected_version: int | None = None,
          now: dt.datetime | None = None) -> ReplyMessage:
    """Save the answer, queue it to the citizen's channel, and mark the record answered."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("nội dung trả lời trống")
    if len(text) > MAX_CONTENT:
        raise InvalidInput(f"trả lời dài quá {MAX_CONTENT} ký tự")
    record = get(session, record_id)
    _check_version(record, expected_version)
    if record.status not in (NEW, ACCEPTED, IN_PROGRESS, WAITING, ANSWERED):
        raise InvalidTransition("hồ sơ đã đóng; mở lại trước khi trả lời")
    message_text = labels.REPLY_MESSAGE.format(reference=record.reference, text=text) + "\n\n" + labels.RATE_INVITE
    queued = outbox.enqueue(session, record.channel, record.chat_id, message_text)
    message = ReplyMessage(record_id=record.id, author=author, text=text, outbox_id=queued.id, at=now or utcnow())
    session.add(message)
    session.flush()  # the reply's number for the audit row, which never holds its text
    session.add(AuditEntry(actor=author, action="reply", record_id=record.id, at=message.at, detail=f"trả lời #{message.id}"))
    if record.status in (NEW, ACCEPTED, WAITING):
        transition(session, record.id, IN_PROGRESS, author, "bắt đầu xử lý", now=now)
    if record.status == IN_PROGRESS:
        transition(session, record.id, ANSWERED, author, "đã gửi trả lời", now=now)
    session.flush()
    return message


def classify(session: Session, record_id: int, classification: str | None, actor: str) -> FeedbackRecord:
    """Mark a PAKN as about an administrative regulation or an official's behaviour (NĐ 20/2008), or clear it."""
    if classification is not None and classification not in CLASSIFICATIONS:
        raise InvalidInput(f"phân loại không hợp lệ: {classification}")
    record = get(session, record_id)
    record.classification = classification
    record.updated_at = utcnow()
    session.add(AuditEntry(actor=actor, action="classify", record_id=record.id, detail=classification or ""))
    session.flush()
    return record


def publish(session: Session, record_id: int, actor: str, now: dt.datetime | None = None) -> FeedbackRecord:
    """Record that the handling result was made public (counted as 'đã công khai' in reports)."""
    record = get(session, record_id)
    if record.status in OPEN:
        raise InvalidTransition("chỉ công khai kết quả của hồ sơ đã xử lý")
    record.published_at = now or utcnow()
    record.updated_at = utcnow()
    session.add(AuditEntry(actor=actor, action="publish", record_id=record.id))
    session.flush()
    return record


def rate_record(session: Session, channel: str, chat_id: str, score: int, reason: str = "",
                within_days: int = 30, now: dt.datetime | None = None) -> FeedbackRecord | None:
    """The citizen's 1–5 rating of how their latest answered record was handled (once per record)."""
    if not 1 <= score <= 5:
        raise InvalidInput("điểm đánh giá từ 1 đến 5")
    since = (now or utcnow()) - dt.timedelta(days=within_days)
    rated = select(SatisfactionRating.record_id).where(SatisfactionRating.record_id.is_not(None))
    record = session.scalar(
        select(FeedbackRecord)
        .where(FeedbackRecord.channel == channel, FeedbackRecord.chat_id == chat_id,
               FeedbackRecord.status.in_((ANSWERED, CLOSED)), FeedbackRecord.answered_at >= since,
               FeedbackRecord.id.not_in(rated))
        .order_by(FeedbackRecord.answered_at.desc()).limit(1))
    if record is None:
        return None
    session.add(SatisfactionRating(subject="feedback", record_id=record.id, channel=channel, score=score, reason=reason[:300],
                                   at=now or utcnow()))
    session.flush()
    return record


def reveal_contact(session: Session, record_id: int, actor: str) -> tuple[str | None, str | None]:
    record = get(session, record_id)
    session.add(AuditEntry(actor=actor, action="reveal_contact", record_id=record.id))
    session.flush()
    return record.contact_name, record.contact_phone


def for_citizen(session: Session, reference: str, channel: str, chat_id: str) -> FeedbackRecord | None:
    """A record seen only by the channel user who filed it."""
    record = session.scalar(select(FeedbackRecord).where(FeedbackRecord.reference == reference.upper()))
    if record is None or record.channel != channel or record.chat_id != chat_id:
        return None
    return record


def is_overdue(record: FeedbackRecord, now: dt.datetime | None = None) -> bool:
    """Past its due date with the clock running (a record waiting for the citizen is not late)."""
    return record.status in CLOCK_RUNNING and (now or utcnow()) > record.due_at


def is_due_soon(record: FeedbackRecord, now: dt.datetime | None = None, deadlines: Deadlines | None = None,
                calendar: WorkCalendar | None = None) -> bool:
    """Not yet late, and due within `due_soon_days` working days."""
    now = now or utcnow()
    soon = (deadlines or default_deadlines()).due("due_soon", now, calendar)
    return record.status in CLOCK_RUNNING and now <= record.due_at <= soon


@dataclass
class InboxFilter:
    status: str | None = None
    kind: str | None = None
    agency: str | None = None
    procedure: str | None = None
    channel: str | None = None
    assignee_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    q: str | None = None
    page: int = 1
    per_page: int = 25


def inbox_query(flt: InboxFilter, now: dt.datetime | None = None) -> Select:
    """Bound parameters only: every filter value reaches SQL as a parameter, never as text."""
    query = select(FeedbackRecord)
    if flt.status:
        query = query.where(FeedbackRecord.status == flt.status)
    if flt.kind:
        query = query.where(FeedbackRecord.kind == flt.kind)
    if flt.agency:
        query = query.where(FeedbackRecord.agency.ilike(f"%{flt.agency}%"))
    if flt.procedure:
        query = query.where(or_(FeedbackRecord.procedure_code == flt.procedure,
                                FeedbackRecord.procedure_name.ilike(f"%{flt.procedure}%")))
    if flt.channel:
        query = query.where(FeedbackRecord.channel == flt.channel)
    if flt.assignee_id:
        query = query.where(FeedbackRecord.assignee_id == flt.assignee_id)
    # the dates staff type are days in Vietnam; received_at is stored in UTC
    if flt.date_from:
        query = query.where(FeedbackRecord.received_at >= local_day_bounds_utc(flt.date_from)[0])
    if flt.date_to:
        query = query.where(FeedbackRecord.received_at <= local_day_bounds_utc(flt.date_to)[1])
    if flt.overdue:
        query = query.where(FeedbackRecord.status.in_(CLOCK_RUNNING), FeedbackRecord.due_at < (now or utcnow()))
    if flt.q:
        like = f"%{flt.q}%"
        query = query.where(or_(FeedbackRecord.content.ilike(like), FeedbackRecord.reference.ilike(like)))
    return query


def inbox(session: Session, flt: InboxFilter) -> tuple[list[FeedbackRecord], int]:
    query = inbox_query(flt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, flt.page)
    rows = session.scalars(query.order_by(FeedbackRecord.received_at.desc(), FeedbackRecord.id.desc())
                           .offset((page - 1) * flt.per_page).limit(flt.per_page))
    return list(rows), total
