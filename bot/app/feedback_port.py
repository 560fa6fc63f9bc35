"""The database-backed `FeedbackPort`: what the capture flow hands to feedback.service.

Each submission is one transaction: the record, its first history row and the rows of its
attachments (file ids; the files are fetched afterwards), or nothing at all. The content is embedded (the index's embedder) for duplicate suggestions.
While the inbox worker processes a message it binds its session (`bound_session`): the record is
then written in the transaction that also marks the message done and queues the reply, so a crash
leaves either all of them or none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.engine.feedback_dialog import StatusView, Submitted
from feedback import attachments, labels, service
from feedback.deadlines import Deadlines, default_deadlines
from feedback.models import FeedbackRecord
from feedback.workdays import default_calendar, format_local_date


_BOUND: ContextVar[Session | None] = ContextVar("feedback_port_session", default=None)


@contextlib.contextmanager
def bound_session(session: Session) -> Iterator[None]:
    """Within this block (same thread), the port reads and writes through `session`."""
    token = _BOUND.set(session)
    try:
        yield
    finally:
        _BOUND.reset(token)


@contextlib.contextmanager
def _transaction(sessions: sessionmaker, write: bool) -> Iterator[Session]:
    bound = _BOUND.get()
    if bound is not None:
        yield bound
        return
    with sessions() as session:
        if not write:
            yield session
            return
        with session.begin():
            yield session


class DatabaseFeedbackPort:
    def __init__(self, sessions: sessionmaker, embed: Callable[[str], np.ndarray] | None = None,
                 describe: Callable[[str | None], tuple[str, str]] | None = None,
                 deadlines: Deadlines | None = None):
        self.sessions = sessions
        self.embed = embed
        self.describe = describe  # code → (procedure name, field)
        self.deadlines = deadlines or default_deadlines()
        default_calendar()  # a wrong holiday file stops start-up rather than the first submission

    def submit(self, draft: dict) -> Submitted:
        name, field = self.describe(draft.get("procedure_code")) if self.describe else ("", "")
        embedding = self.embed(draft["content"]) if self.embed else None
        record_draft = service.Draft(
            kind=draft.get("kind", "phan_anh"), content=draft.get("content", ""), channel=draft["channel"],
            chat_id=str(draft["chat_id"]), procedure_code=draft.get("procedure_code"), procedure_name=name, field=field,
            agency=draft.get("agency", "") or "", contact_consent=bool(draft.get("contact_consent")),
            contact_name=draft.get("contact_name"), contact_phone=draft.get("contact_phone"), embedding=embedding,
            submission_key=draft.get("key"))
        try:
            with _transaction(self.sessions, write=True) as session:
                record = service.create_record(session, record_draft, self.deadlines)
                # files sent during the capture: rows now, downloaded by the attachment worker
                attachments.attach(session, record, draft.get("attachments") or ())
                return Submitted(reference=record.reference, due_date=format_local_date(record.due_at))
        except service.InvalidInput as exc:
            raise ValueError(str(exc)) from exc

    def rate(self, channel: str, user_id: str, score: int, reason: str) -> str | None:
        with _transaction(self.sessions, write=True) as session:
            record = service.rate_record(session, channel, user_id, score, reason)
            return record.reference if record else None

    def lookup(self, reference: str, channel: str, user_id: str) -> StatusView | None:
        with _transaction(self.sessions, write=False) as session:
            record = service.for_citizen(session, reference, channel, user_id)
            return _view(record) if record is not None else None

    def mine(self, channel: str, user_id: str, limit: int = 5) -> tuple[StatusView, ...]:
        with self.sessions() as session:
            # newest first; only what this channel user filed (as service.for_citizen)
            records = session.scalars(select(FeedbackRecord).where(FeedbackRecord.channel == channel,
                                                                   FeedbackRecord.chat_id == user_id)
                                      .order_by(FeedbackRecord.received_at.desc(), FeedbackRecord.id.desc()).limit(limit))
            return tuple(_view(r) for r in records)


def _view(record: FeedbackRecord) -> StatusView:
    return StatusView(reference=record.reference, status_label=labels.STATUS[record.status].lower(),
                      due_date=format_local_date(record.due_at), replies=tuple(r.text for r in record.replies))
