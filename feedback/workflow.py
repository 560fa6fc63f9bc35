"""The record workflow's own rules, beside feedback.service: when a record may be marked answered,
reopening a finished record, internal notes, the classification and form of handling of NĐ 20/2008,
and withdrawing a published result.

Why these rules: "Đã trả lời" is what the citizen and the reports take as "the agency answered", so
it is refused unless a public reply went out (after the latest reopening, if any: a reopened record
needs a new answer). Any finished record can be reopened (answered, closed, rejected, transferred: a
transfer can come back when the other agency declines it), always with a reason, written in the
status history the record page shows; the audit log says who reopened it (never the reason's text,
which may quote the citizen, as for every status change). Internal notes live in their own
table, never in the replies, so nothing that reads replies (outbox, citizen look-up, reports) can
reach them. Functions take the caller's Session, as feedback.service does.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.db import utcnow
from feedback.errors import ConcurrentEdit, FeedbackNotFound, InvalidInput, InvalidTransition
from feedback.labels import STATUS
from feedback.models import (
    ANSWERED,
    CLASSIFICATIONS,
    CLOSED,
    IN_PROGRESS,
    REJECTED,
    TRANSFERRED,
    AuditEntry,
    FeedbackRecord,
    InternalNote,
    ReplyMessage,
    StatusChange,
)

FINAL = (ANSWERED, CLOSED, TRANSFERRED, REJECTED)  # the states a record is reopened from
MAX_NOTE = 5000

CLASSIFICATION_LABEL = {"quy_dinh": "Về quy định hành chính", "hanh_vi": "Về hành vi hành chính"}

# The form of handling (hình thức xử lý). NĐ 20/2008/NĐ-CP art. 15 lists the forms for a PAKN about a
# regulation (items 1-3 below, then explaining how to apply it); art. 14 (as amended by NĐ 92/2017)
# sends a PAKN about officials' conduct (delay, harassment, not applying the rules) to be dealt with
# under the procedure the law sets, and lets a PAKN without enough grounds be kept for further study.
# code → (label, classifications it applies to)
HANDLING: dict[str, tuple[str, tuple[str, ...]]] = {
    "sua_doi": ("Sửa đổi, bổ sung, bãi bỏ, hủy bỏ quy định hành chính theo thẩm quyền", ("quy_dinh",)),
    "kien_nghi_sua": ("Kiến nghị cơ quan, người có thẩm quyền sửa đổi, bổ sung, bãi bỏ, hủy bỏ quy định hành chính",
                      ("quy_dinh",)),
    "ban_hanh_moi": ("Ban hành theo thẩm quyền hoặc kiến nghị ban hành quy định hành chính mới", ("quy_dinh",)),
    "huong_dan": ("Giải thích, hướng dẫn thực hiện quy định hành chính", ("quy_dinh", "hanh_vi")),
    "tap_hop": ("Chưa đủ cơ sở xử lý: tiếp tục tập hợp để nghiên cứu", ("quy_dinh",)),
    "xu_ly_hanh_vi": ("Chấn chỉnh, xử lý hành vi chậm trễ, gây phiền hà, thực hiện không đúng quy định", ("hanh_vi",)),
}

ANSWER_NEEDS_REPLY = ("Chưa thể chuyển sang “Đã trả lời”: hồ sơ chưa có trả lời nào gửi người dân"
                      " (hoặc chưa có trả lời mới kể từ lần mở lại). Vui lòng gửi trả lời ở mục “Trả lời người dân”;"
                      " hồ sơ sẽ tự chuyển sang “Đã trả lời”.")
REOPEN_NEEDS_REASON = "Mở lại hồ sơ cần ghi lý do mở lại."


def _record(session: Session, record_id: int) -> FeedbackRecord:
    record = session.get(FeedbackRecord, record_id)
    if record is None:
        raise FeedbackNotFound(str(record_id))
    return record


def last_reopened(session: Session, record_id: int) -> dt.datetime | None:
    return session.scalar(select(func.max(StatusChange.at)).where(
        StatusChange.record_id == record_id, StatusChange.from_status.in_(FINAL), StatusChange.to_status == IN_PROGRESS))


def has_public_reply(session: Session, record: FeedbackRecord) -> bool:
    """A reply to the citizen exists, written after the latest reopening if the record was reopened."""
    query = select(ReplyMessage.id).where(ReplyMessage.record_id == record.id)
    reopened = last_reopened(session, record.id)
    if reopened is not None:
        query = query.where(ReplyMessage.at >= reopened)
    return session.scalar(query.limit(1)) is not None


def admit(session: Session, record: FeedbackRecord, to_status: str, actor: str, note: str, now: dt.datetime) -> None:
    """The workflow's own conditions on a status change (called by service.transition, whose table
    already allows it), and its one audit row: who moved the record from which state to which. The
    note or reopening reason stays in the status history the record page shows, not in the audit log,
    which every administrator reads across units: free text may quote the citizen."""
    if to_status == ANSWERED and not has_public_reply(session, record):
        raise InvalidTransition(ANSWER_NEEDS_REPLY)
    reopening = record.status in FINAL and to_status == IN_PROGRESS
    if reopening and not note:
        raise InvalidInput(REOPEN_NEEDS_REASON)
    session.add(AuditEntry(actor=actor, action="reopen" if reopening else "status", record_id=record.id, at=now,
                           detail=f"{STATUS.get(record.status, record.status)} → {STATUS.get(to_status, to_status)}"))


def add_note(session: Session, record_id: int, author: str, text: str, now: dt.datetime | None = None) -> InternalNote:
    """An internal note: kept with the record for staff, never sent, never shown to the citizen. It does
    not change the record (nor its version), so a colleague's open reply form stays valid."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("ghi chú nội bộ trống")
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"ghi chú dài quá {MAX_NOTE} ký tự")
    record = _record(session, record_id)
    note = InternalNote(record_id=record.id, author=author, text=text, at=now or utcnow())
    session.add(note)
    session.flush()
    session.add(AuditEntry(actor=author, action="internal_note", record_id=record.id, at=note.at,
                           detail=f"ghi chú #{note.id}"))  # never its text
    session.flush()
    return note


def set_handling(session: Session, record_id: int, classification: str | None, handling: str | None, actor: str,
                 expected_version: int | None = None, suggested: str | None = None) -> FeedbackRecord:
    """Save the classification (quy định / hành vi hành chính) and the form of handling; each change is
    audited, with the assistant's suggestion beside the classification so its hit rate can be measured."""
    if classification is not None and classification not in CLASSIFICATIONS:
        raise InvalidInput(f"phân loại không hợp lệ: {classification}")
    if handling is not None:
        if handling not in HANDLING:
            raise InvalidInput(f"hình thức xử lý không hợp lệ: {handling}")
        if classification is None:
            raise InvalidInput("chọn phân loại (quy định hay hành vi hành chính) trước khi chọn hình thức xử lý")
        label, applies = HANDLING[handling]
        if classification not in applies:
            raise InvalidInput(f"hình thức “{label}” không áp dụng cho phản ánh "
                               f"{CLASSIFICATION_LABEL[classification].lower()}")
    record = _record(session, record_id)
    if expected_version is not None and record.version != expected_version:
        raise ConcurrentEdit("hồ sơ vừa được người khác cập nhật; vui lòng tải lại trang")
    if classification == record.classification and handling == record.handling:
        return record
    if classification != record.classification:
        session.add(AuditEntry(actor=actor, action="classify", record_id=record.id,
                               detail=f"{classification or ''} (gợi ý: {suggested or 'không có'})"))
    if handling != record.handling:
        session.add(AuditEntry(actor=actor, action="handling", record_id=record.id, detail=handling or ""))
    record.classification, record.handling = classification, handling
    record.updated_at = utcnow()
    session.flush()
    return record


def unpublish(session: Session, record_id: int, actor: str) -> FeedbackRecord:
    """Withdraw the publication of a result (e.g. published by mistake, or the record was reopened)."""
    record = _record(session, record_id)
    if record.published_at is None:
        raise InvalidInput("kết quả của hồ sơ này chưa được công khai")
    record.published_at = None
    record.updated_at = utcnow()
    session.add(AuditEntry(actor=actor, action="unpublish", record_id=record.id))
    session.flush()
    return record
