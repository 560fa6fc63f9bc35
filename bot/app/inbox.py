"""The durable inbox (transactional-inbox pattern): a webhook's event is a row before it is a 200.

The webhook inserts the event (what the bot needs of it, encrypted) in one statement whose unique
key (channel, event id) is also the duplicate check; only then does it answer 200. A redelivery
of the same id finds the row and is acknowledged without a second row. Workers take rows in id
order, one chat at a time (a row is eligible only when no earlier row of its chat is unfinished),
and commit the row's effects (state, question log, feedback record, outbox reply) in the same
transaction that marks it done. A crash before that commit leaves the row pending; it is taken
again at start-up. A crash after it leaves the reply in the outbox. So an acknowledged message is
always answered, and answered once.

Claims are leases (`claimed_until`), taken with FOR UPDATE SKIP LOCKED on PostgreSQL; correctness
never rests on them: `finish` succeeds only for the worker holding the current claim of a pending
row, so a second worker that processed the same row rolls its effects back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from bot.app.conversations import ConversationBase
from feedback.db import utcnow

PENDING, DONE, FAILED = "pending", "done", "failed"
RETENTION_DAYS = 7  # finished rows kept this long: longer than any platform redelivers
MAX_ATTEMPTS = 4  # then the citizen is told something went wrong, and the chat moves on


class InboxRow(ConversationBase):
    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "event_id", name="uq_inbox_event"),
                      Index("ix_inbox_pending", "status", "channel", "chat_key", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(120))
    chat_key: Mapped[str] = mapped_column(String(80))  # whose conversation: the ordering key
    payload: Mapped[str] = mapped_column(Text)  # sealed JSON of the event; emptied when done
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    event_id: str
    chat_key: str
    payload: str
    attempts: int
    received_at: dt.datetime
    token: str


_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def accept(session: Session, channel: str, event_id: str, chat_key: str, payload: str) -> bool:
    """Store an event; False when its id is already stored (a redelivery)."""
    dialect = session.get_bind().dialect.name
    values = dict(channel=channel, event_id=event_id[:120], chat_key=chat_key[:80], payload=payload,
                  status=PENDING, attempts=0, received_at=utcnow())
    if dialect in _INSERTS:
        statement = _INSERTS[dialect](InboxRow).values(**values).on_conflict_do_nothing().returning(InboxRow.id)
        return session.execute(statement).scalar_one_or_none() is not None
    if session.scalar(select(InboxRow.id).where(InboxRow.channel == channel, InboxRow.event_id == values["event_id"])):
        return False
    session.add(InboxRow(**values))
    session.flush()
    return True


def claim(session: Session, limit: int, lease_seconds: float) -> list[Claimed]:
    """Up to `limit` rows, each the oldest unfinished row of its chat and not claimed by a live lease."""
    now = utcnow()
    row, earlier = InboxRow, aliased(InboxRow)
    blocked = exists().where(earlier.channel == row.channel, earlier.chat_key == row.chat_key,
                             earlier.status == PENDING, earlier.id < row.id)
    free = or_(row.claimed_until.is_(None), row.claimed_until < now)
    query = select(row.id).where(row.status == PENDING, free, ~blocked).order_by(row.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=row)
    ids = list(session.scalars(query))
    if not ids:
        return []
    token = uuid.uuid4().hex
    session.execute(update(row).where(row.id.in_(ids), row.status == PENDING, free)
                    .values(claim_token=token, claimed_until=now + dt.timedelta(seconds=lease_seconds)))
    taken = session.execute(select(row.id, row.channel, row.event_id, row.chat_key, row.payload, row.attempts,
                                   row.received_at).where(row.claim_token == token).order_by(row.id)).all()
    return [Claimed(*values, token=token) for values in taken]


def finish(session: Session, claimed: Claimed, status: str = DONE) -> bool:
    """Mark done (in the transaction of the row's effects); False when the claim was lost."""
    return session.execute(
        update(InboxRow)
        .where(InboxRow.id == claimed.id, InboxRow.status == PENDING, InboxRow.claim_token == claimed.token)
        .values(status=status, payload="", done_at=utcnow(), claim_token=None, claimed_until=None)
    ).rowcount == 1


def retry_later(session: Session, claimed: Claimed) -> int:
    """A failed attempt: count it and keep the row (and its chat) waiting a little; the attempts."""
    delay = min(60.0, 2.0 * 2 ** claimed.attempts)
    session.execute(update(InboxRow).where(InboxRow.id == claimed.id, InboxRow.claim_token == claimed.token)
                    .values(attempts=InboxRow.attempts + 1, claim_token=None,
                            claimed_until=utcnow() + dt.timedelta(seconds=delay)))
    return claimed.attempts + 1


def release_claims(session: Session) -> int:
    """At start-up: rows claimed by a process that died are taken again now, not at lease end."""
    return session.execute(update(InboxRow).where(InboxRow.status == PENDING, InboxRow.claim_token.is_not(None))
                           .values(claim_token=None, claimed_until=None)).rowcount


def pending_count(session: Session) -> int:
    return len(session.scalars(select(InboxRow.id).where(InboxRow.status == PENDING)).all())


def purge(session: Session, days: int = RETENTION_DAYS) -> int:
    """Finished rows older than the retention period (they only keep the id of a handled event)."""
    cutoff = utcnow() - dt.timedelta(days=days)
    return session.execute(delete(InboxRow).where(InboxRow.status != PENDING, InboxRow.received_at < cutoff)).rowcount


def replace_pending(session: Session, channel: str, event_id: str, payload: str) -> str:
    """An edited message: "replaced" when its original waits unclaimed (the edit is what gets
    answered), "answered" when the original is done or being processed now (the edit only gets a
    note), "unknown" when the original was never stored (the edit is then a message of its own).
    The update's condition (pending, no claim) and a worker's claim exclude each other: whichever
    commits first wins, on SQLite (one writer) and PostgreSQL (row lock, condition re-checked)."""
    replaced = session.execute(update(InboxRow).where(InboxRow.channel == channel, InboxRow.event_id == event_id[:120],
                                                      InboxRow.status == PENDING, InboxRow.claim_token.is_(None))
                               .values(payload=payload)).rowcount
    if replaced:
        return "replaced"
    known = session.scalar(select(InboxRow.id).where(InboxRow.channel == channel, InboxRow.event_id == event_id[:120]))
    return "answered" if known is not None else "unknown"
