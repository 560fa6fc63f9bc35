"""Outbox of messages to citizens: written in the caller's transaction, delivered by a worker.

A message is never sent "on the side": it is a row first, so a crash between deciding to reply
and delivering loses nothing. A worker *claims* a row (pending → sending) before sending, so two
workers never send the same row; a claim left by a killed process is released after
`claim_seconds`. Delivery is therefore at least once, and a duplicate needs a crash in the instant
between the channel's acknowledgement and `mark_sent` (the chat APIs take no idempotency key). Rows a channel cannot deliver now (e.g. outside Zalo's 48-hour
consultation window) are `held` with the reason, visible to staff, never silently dropped; when
the citizen writes again (which reopens the window) `release_held` makes that chat's held rows
pending, so the worker sends them without anyone pressing "Gửi lại".
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from feedback.db import Base, utcnow

PENDING, SENDING, SENT, HELD, FAILED = "pending", "sending", "sent", "held", "failed"
MAX_ATTEMPTS = 8


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON [[label, payload], …]: buttons
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


def enqueue(session: Session, channel: str, chat_id: str, text: str, key: str | None = None,
            options: str | None = None) -> OutboxMessage:
    """Add a message in the caller's transaction; the same key twice is the same message.
    `options`: the reply's buttons as JSON, for channels that show them."""
    key = key or uuid.uuid4().hex
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(idempotency_key=key, channel=channel, chat_id=chat_id, text=text, options=options)
    session.add(message)
    session.flush()
    return message


def due(session: Session, channel: str, limit: int = 20) -> list[OutboxMessage]:
    now = utcnow()
    return list(session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ))


def release_stale_claims(session: Session, claim_seconds: float) -> int:
    """Claims older than `claim_seconds` belong to a worker that died: make them pending again."""
    cutoff = utcnow() - dt.timedelta(seconds=claim_seconds)
    return session.execute(update(OutboxMessage).where(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < cutoff)
                           .values(status=PENDING)).rowcount


def claim(session: Session, message_id: int) -> bool:
    """pending → sending; False when another worker claimed it first (then do not send)."""
    return session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
                           .values(status=SENDING, claimed_at=utcnow())).rowcount == 1


def mark_sent(session: Session, message_id: int) -> bool:
    """sending → sent (or pending → sent for a caller that did not claim)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_((PENDING, SENDING)))
        .values(status=SENT, sent_at=utcnow(), attempts=OutboxMessage.attempts + 1)
    )
    return result.rowcount == 1


def mark_retry(session: Session, message_id: int, reason: str) -> None:
    """Failed attempt: back off exponentially (30 s, 1 min, 2 min … capped at 1 h), then give up."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status not in (PENDING, SENDING):
        return
    message.status = PENDING
    message.attempts += 1
    message.reason = reason[:200]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = FAILED
    else:
        message.next_attempt_at = utcnow() + dt.timedelta(seconds=min(3600, 30 * 2 ** (message.attempts - 1)))


def hold(session: Session, message_id: int, reason: str) -> None:
    message = session.get(OutboxMessage, message_id)
    if message is not None and message.status in (PENDING, SENDING):
        message.status = HELD
        message.reason = reason[:200]


def release_held(session: Session, channel: str, chat_id: str) -> int:
    """The citizen of this chat has just written (in the caller's transaction, the one that records
    the message): their held rows are due again, at once, with their attempts kept. Called for every
    inbound message, so it is one UPDATE that touches nothing when no row is held."""
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == HELD, OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id)
        .values(status=PENDING, reason="", next_attempt_at=utcnow(), claimed_at=None)
    ).rowcount
