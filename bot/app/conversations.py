"""Conversation state per (channel, user) and the log of processed channel events, in the database.

State survives restarts; idle state expires (`ConversationState.expired`). The processed-event log
makes webhook handling idempotent: an update id or Zalo message id is claimed with an insert that a
unique key protects, so a redelivered event is seen as a duplicate even across processes (the
webhooks now claim through the inbox, bot/app/inbox.py; this log stays for other callers).
The state is stored encrypted (bot/app/statecrypt.py): during a report it holds the draft with the
citizen's contact details. Loads and saves can join a caller's transaction (the inbox worker
commits state, question log, feedback record and reply together).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from sqlalchemy import DateTime, String, Text, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot.app.statecrypt import StateCipher, process_cipher
from bot.engine.types import STATE_TTL_SECONDS, ConversationState
from feedback import outbox
from feedback.db import utcnow

PROCESSED_EVENT_DAYS = 7  # Telegram and Zalo stop redelivering long before this


class ConversationBase(DeclarativeBase):
    """The bot's own tables. They share the database (and Alembic's history) with the feedback
    side but not its declarative base: feedback never needs to know they exist."""


class ConversationRow(ConversationBase):
    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    state: Mapped[str] = mapped_column(Text)
    last_user_message_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProcessedEvent(ConversationBase):
    __tablename__ = "processed_events"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)  # purged by age


class ConversationStore:
    def __init__(self, sessions: sessionmaker, cipher: StateCipher | None = None):
        self.sessions = sessions
        self.cipher = cipher or process_cipher()

    # Core statements, not ORM objects: this runs twice per message, and the identity map and
    # unit of work cost more than the SQL itself (profiled under load).
    def load(self, channel: str, user_id: str) -> ConversationState:
        with self.sessions() as session:
            return self.load_in(session, channel, user_id)

    def load_in(self, session: Session, channel: str, user_id: str) -> ConversationState:
        stored = session.execute(select(ConversationRow.state).where(*self._key(channel, user_id))).scalar_one_or_none()
        payload = self.cipher.open(stored) if stored is not None else None
        if payload is None:
            return ConversationState()
        state = ConversationState.from_dict(json.loads(payload))
        return ConversationState() if state.expired() else state

    @staticmethod
    def _key(channel: str, user_id: str) -> tuple:
        return ConversationRow.channel == channel, ConversationRow.user_id == user_id

    def save(self, channel: str, user_id: str, state: ConversationState,
             also: Callable[[Session], ConversationState] | None = None) -> None:
        """Store the state. `also` adds more rows in the same transaction (one write per message)
        and returns the state to store, which may now point at those rows."""
        with self.sessions() as session, session.begin():
            self.save_in(session, channel, user_id, state, also)

    def save_in(self, session: Session, channel: str, user_id: str, state: ConversationState,
                also: Callable[[Session], ConversationState] | None = None) -> None:
        """`save` inside the caller's transaction. Saving is what records an inbound message (its
        time opens Zalo's 48-hour window), so the chat's held outbox rows are released here too."""
        if also is not None:
            state = also(session)
        payload, now = self.cipher.seal(json.dumps(state.to_dict(), ensure_ascii=False)), utcnow()
        changed = session.execute(update(ConversationRow).where(*self._key(channel, user_id))
                                  .values(state=payload, updated_at=now, last_user_message_at=now)).rowcount
        if not changed:
            session.execute(insert(ConversationRow).values(channel=channel, user_id=user_id, state=payload,
                                                           updated_at=now, last_user_message_at=now))
        # the message reopens the chat's window (Zalo: 48 hours): replies held while it was closed go now
        outbox.release_held(session, channel, user_id)

    def last_user_message_at(self, channel: str, user_id: str) -> dt.datetime | None:
        with self.sessions() as session:
            row = session.get(ConversationRow, (channel, user_id))
            return row.last_user_message_at if row else None

    def forget(self, channel: str, user_id: str, session: Session | None = None) -> None:
        if session is not None:
            session.execute(delete(ConversationRow).where(*self._key(channel, user_id)))
            return
        with self.sessions() as own, own.begin():
            own.execute(delete(ConversationRow).where(*self._key(channel, user_id)))

    def purge_expired(self) -> int:
        """Expired conversation state, and processed-event ids older than the redelivery horizon."""
        cutoff = utcnow() - dt.timedelta(seconds=STATE_TTL_SECONDS)
        with self.sessions() as session, session.begin():
            events = utcnow() - dt.timedelta(days=PROCESSED_EVENT_DAYS)
            session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < events))
            return session.execute(delete(ConversationRow).where(ConversationRow.updated_at < cutoff)).rowcount


def claim_event(session: Session, channel: str, event_id: str) -> bool:
    """True the first time an event id is seen; False for a redelivery.

    One `INSERT … ON CONFLICT DO NOTHING` on SQLite and PostgreSQL (a savepoint and an ORM flush
    cost several times more per webhook); other databases use a savepoint and the unique key."""
    dialect = session.get_bind().dialect.name
    if dialect in _UPSERT_INSERTS:
        statement = (_UPSERT_INSERTS[dialect](ProcessedEvent)
                     .values(channel=channel, event_id=event_id, received_at=utcnow())
                     .on_conflict_do_nothing()
                     .returning(ProcessedEvent.event_id))  # rowcount is -1 here on PostgreSQL: ask for the row
        return session.execute(statement).scalar_one_or_none() is not None
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(channel=channel, event_id=event_id))
        return True
    except IntegrityError:
        return False


_UPSERT_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


class EventLog:
    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions

    def claim(self, channel: str, event_id: str) -> bool:
        with self.sessions() as session, session.begin():
            return claim_event(session, channel, event_id)


from bot.app import inbox as _inbox  # noqa: E402,F401 - registers the inbox table on ConversationBase (Alembic, tests)
