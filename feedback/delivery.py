"""What became of each reply sent to a citizen, read from the outbox, and "Gửi lại" for the ones that
did not go out.

Why staff need it: a reply is saved and shown to the citizen on /tracuu whatever the channel does,
but a staff member who believes "sent" while Zalo is holding the message (no message from the
citizen in the last 48 hours) or the channel gave up after its retries leaves the citizen waiting.
The record page therefore shows per reply: đã gửi, đang gửi, đang chờ cửa sổ Zalo (with the hint to
phone the citizen when they left a number), or lỗi with the reason and a retry button.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedback import outbox
from feedback.db import utcnow
from feedback.errors import FeedbackNotFound, InvalidInput
from feedback.models import AuditEntry, FeedbackRecord, ReplyMessage

SENT, PENDING, HELD, FAILED, MISSING = "sent", "pending", "held", "failed", "missing"
RETRYABLE = (outbox.FAILED, outbox.HELD)  # held: also released by the citizen's next message (outbox.release_held)


@dataclass(frozen=True)
class Delivery:
    """One reply and its delivery, as the record page shows it."""

    reply: ReplyMessage
    state: str  # SENT | PENDING | HELD | FAILED | MISSING
    label: str
    reason: str = ""
    sent_at: dt.datetime | None = None
    attempts: int = 0
    hint: str = ""

    @property
    def can_retry(self) -> bool:
        return self.state in (HELD, FAILED)


def _describe(record: FeedbackRecord, reply: ReplyMessage, message: outbox.OutboxMessage | None) -> Delivery:
    if message is None:
        return Delivery(reply, MISSING, "Không có bản ghi gửi", hint="Trả lời vẫn hiện khi người dân tra cứu mã phản ánh.")
    if message.status == outbox.SENT:
        return Delivery(reply, SENT, "Đã gửi", sent_at=message.sent_at, attempts=message.attempts)
    if message.status == outbox.HELD:
        label = "Đang chờ cửa sổ Zalo (48 giờ)" if record.channel == "zalo" else "Đang giữ lại, chưa gửi được"
        hint = ("Người dân có để lại số điện thoại: nên liên hệ qua điện thoại (bấm “Xem liên hệ”)."
                if record.contact_consent and record.contact_phone else
                "Người dân không để lại số điện thoại: trả lời sẽ hiện khi người dân tra cứu mã phản ánh"
                " và tự gửi đi ngay khi người dân nhắn lại.")
        return Delivery(reply, HELD, label, reason=message.reason, attempts=message.attempts, hint=hint)
    if message.status == outbox.FAILED:
        return Delivery(reply, FAILED, "Lỗi, chưa gửi được", reason=message.reason or "không rõ lý do",
                        attempts=message.attempts)
    label = f"Đang gửi lại (đã thử {message.attempts} lần)" if message.attempts else "Đang gửi"
    return Delivery(reply, PENDING, label, reason=message.reason if message.attempts else "", attempts=message.attempts)


def deliveries(session: Session, record: FeedbackRecord) -> list[Delivery]:
    """Every reply of the record, oldest first, with its delivery state (one query for the outbox rows)."""
    replies = list(record.replies)
    ids = [r.outbox_id for r in replies if r.outbox_id is not None]
    rows = {m.id: m for m in session.scalars(select(outbox.OutboxMessage).where(outbox.OutboxMessage.id.in_(ids)))} if ids else {}
    return [_describe(record, r, rows.get(r.outbox_id) if r.outbox_id is not None else None) for r in replies]


def retry(session: Session, record_id: int, reply_id: int, actor: str) -> outbox.OutboxMessage:
    """Queue a failed or held reply again from the start (full retry budget), audited. The update is
    conditional, so two staff members pressing the button at once queue it once."""
    reply = session.get(ReplyMessage, reply_id)
    if reply is None or reply.record_id != record_id or reply.outbox_id is None:
        raise FeedbackNotFound(f"{record_id}/{reply_id}")
    changed = session.execute(
        update(outbox.OutboxMessage)
        .where(outbox.OutboxMessage.id == reply.outbox_id, outbox.OutboxMessage.status.in_(RETRYABLE))
        .values(status=outbox.PENDING, attempts=0, reason="", next_attempt_at=utcnow(), claimed_at=None)
    ).rowcount
    if changed != 1:
        raise InvalidInput("trả lời này không ở trạng thái lỗi hoặc đang giữ lại, không cần gửi lại")
    session.add(AuditEntry(actor=actor, action="retry_delivery", record_id=record_id, detail=f"trả lời #{reply_id}"))
    session.flush()
    message = session.get(outbox.OutboxMessage, reply.outbox_id)
    session.refresh(message)
    return message
