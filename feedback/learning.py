"""Staff teach the bot from its misses: the review queue, their decisions, undo, the overlay's lines.

The question log (feedback.models.QuestionLog) already holds, redacted, every information request
the bot declined, answered only with a clarifying question, or answered and got 👎 for. Staff
decide, for one question or a whole group, which procedure or reform-FAQ entry it belongs to, that
it is out of scope, or to skip it. Each decision is a row (who, when, which question, what target)
and an audit entry; an undo marks the row undone, never deletes it. Applying turns the live
decisions into lines of the catalogue directory's `learned.jsonl` (knowledge/learned.py) that the
next index build reads; lines that did not come from this table (a `tthc learn import`) are kept.

This module does not know the catalogue or the index (feedback never imports them): checking a
target and suggesting one are callables the serving side passes in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import DateTime, ForeignKey, Integer, String, and_, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from feedback.db import Base, utcnow
from feedback.models import AuditEntry, QuestionLog
from knowledge.learned import Lesson

PROCEDURE, FAQ, OUT_OF_SCOPE, SKIP = "procedure", "faq", "out_of_scope", "skip"
ACTIONS = (PROCEDURE, FAQ, OUT_OF_SCOPE, SKIP)
ACTION_LABEL = {PROCEDURE: "thuộc thủ tục", FAQ: "thuộc câu hỏi CCHC", OUT_OF_SCOPE: "ngoài phạm vi", SKIP: "bỏ qua"}
WEB_SOURCE = "web"  # lessons written from this table carry it; other lines of the overlay are left alone
MAX_BULK = 2000


class LearningError(ValueError):
    """A decision that cannot be taken (unknown target, nothing chosen): shown to staff as it is."""


class LearningDecision(Base):
    """One staff decision about one logged question. `undone_at` set = withdrawn (kept for the record)."""

    __tablename__ = "learning_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question_log.id", ondelete="SET NULL"), nullable=True,
                                                    index=True)
    question: Mapped[str] = mapped_column(String(500))  # the logged (redacted) text, kept if the log is purged
    action: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(80), default="")  # procedure code or FAQ slug
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    batch: Mapped[str] = mapped_column(String(40), default="")  # decisions taken together (a group)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    undone_by: Mapped[str] = mapped_column(String(80), default="")
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class Suggestion:
    """A catalogue entry the bot thinks close: kind procedure | faq, its code or slug, title, cosine score."""

    kind: str
    target: str
    title: str
    score: float = 0.0


@dataclass
class QueueItem:
    id: int
    text: str
    at: dt.datetime
    reason: str  # "từ chối" | "hỏi lại" | "người hỏi: không phải" (every choice turned down) | "👎"
    procedure_code: str | None
    suggestions: list[Suggestion] = field(default_factory=list)


def reason_of(row: QuestionLog) -> str:
    if row.helpful is False and row.decision == "clarify":  # a clarifying question carries no 👎: its choices were turned down
        return "người hỏi: không phải"
    if row.helpful is False:
        return "👎"
    if row.decision == "clarify":
        return "hỏi lại"
    return "từ chối"


def queue(session: Session, start: dt.datetime, end: dt.datetime, limit: int = 5000) -> list[QueueItem]:
    """Questions of [start, end) the bot did not answer well and no live decision covers yet.

    Declined (including out-of-scope replies), clarified (the log keeps no user id, so a clarifying
    question the citizen never answered cannot be told from one they did: all are offered), and 👎.
    Only rows with logged text: feedback and status messages log none.
    """
    decided = select(LearningDecision.question_id).where(LearningDecision.undone_at.is_(None),
                                                         LearningDecision.question_id.is_not(None))
    missed = or_(QuestionLog.decision.in_(("decline", "clarify")), QuestionLog.intent == "out_of_scope",
                 QuestionLog.helpful.is_(False))
    rows = session.scalars(select(QuestionLog).where(
        QuestionLog.at >= start, QuestionLog.at < end, QuestionLog.text != "", missed,
        QuestionLog.id.not_in(decided)).order_by(QuestionLog.id).limit(limit))
    return [QueueItem(r.id, r.text, r.at, reason_of(r), r.procedure_code) for r in rows]


def decide(session: Session, actor: str, question_ids: Iterable[int], action: str, target: str = "",
           batch: str = "") -> list[LearningDecision]:
    """Record one decision per question (a group's bulk action is the same call with many ids).

    The caller has checked that `target` exists (the web page and the CLI ask the catalogue).
    A question already decided gets its earlier decision withdrawn first: the latest one counts.
    """
    ids = sorted({int(i) for i in question_ids})
    if action not in ACTIONS:
        raise LearningError(f"thao tác không hợp lệ: {action}")
    if action in (PROCEDURE, FAQ) and not target:
        raise LearningError("chưa chọn thủ tục / câu hỏi CCHC")
    if not ids:
        raise LearningError("chưa chọn câu hỏi nào")
    if len(ids) > MAX_BULK:
        raise LearningError(f"tối đa {MAX_BULK} câu hỏi một lần")
    rows = {r.id: r for r in session.scalars(select(QuestionLog).where(QuestionLog.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise LearningError(f"không tìm thấy câu hỏi {', '.join(map(str, missing[:10]))}")
    now = utcnow()
    for earlier in session.scalars(select(LearningDecision).where(LearningDecision.question_id.in_(ids),
                                                                  LearningDecision.undone_at.is_(None))):
        earlier.undone_at, earlier.undone_by = now, actor
    made = [LearningDecision(question_id=i, question=rows[i].text, action=action, target=target if action in (PROCEDURE, FAQ) else "",
                             actor=actor, at=now, batch=batch[:40]) for i in ids]
    session.add_all(made)
    session.flush()
    detail = f"{action} {target} câu hỏi {','.join(map(str, ids))}".strip()
    session.add(AuditEntry(actor=actor, action=f"learn_{action}", detail=detail[:1000]))
    return made


def undo(session: Session, actor: str, decision_id: int) -> LearningDecision:
    """Withdraw a decision: its question returns to the queue; the next apply drops its phrasing."""
    row = session.get(LearningDecision, decision_id)
    if row is None:
        raise LearningError(f"không có quyết định số {decision_id}")
    if row.undone_at is not None:
        raise LearningError(f"quyết định số {decision_id} đã được hoàn tác")
    row.undone_at, row.undone_by = utcnow(), actor
    session.add(AuditEntry(actor=actor, action="learn_undo",
                           detail=f"#{row.id} {row.action} {row.target} câu hỏi {row.question_id}"[:1000]))
    return row


def recent(session: Session, limit: int = 100, include_undone: bool = True) -> list[LearningDecision]:
    query = select(LearningDecision).order_by(LearningDecision.id.desc()).limit(limit)
    if not include_undone:
        query = query.where(LearningDecision.undone_at.is_(None))
    return list(session.scalars(query))


def live_lessons(session: Session) -> list[Lesson]:
    """What the bot should know from this table: every live decision except 'bỏ qua', oldest first."""
    rows = session.scalars(select(LearningDecision).where(LearningDecision.undone_at.is_(None),
                                                          LearningDecision.action != SKIP).order_by(LearningDecision.id))
    return [Lesson(question=r.question, kind=r.action, target=r.target, id=f"w{r.id}", by=r.actor,
                   at=r.at.isoformat(timespec="seconds"), source=WEB_SOURCE) for r in rows]


def merge_overlay(existing: Iterable[Lesson], taught: Iterable[Lesson]) -> list[Lesson]:
    """The overlay's new content: its lines from elsewhere (CLI imports) kept, this table's replaced."""
    kept = [lesson for lesson in existing if lesson.source != WEB_SOURCE]
    seen = {(lesson.kind, lesson.target, lesson.question) for lesson in kept}
    return kept + [lesson for lesson in taught if (lesson.kind, lesson.target, lesson.question) not in seen]


def mark_applied(session: Session, actor: str, message: str) -> dt.datetime:
    """Stamp every live decision not yet applied, and audit the apply."""
    now = utcnow()
    for row in session.scalars(select(LearningDecision).where(and_(LearningDecision.undone_at.is_(None),
                                                                   LearningDecision.applied_at.is_(None)))):
        row.applied_at = now
    session.add(AuditEntry(actor=actor, action="learn_apply", detail=message[:1000]))
    return now


def last_applied(session: Session) -> dt.datetime | None:
    return session.scalar(select(LearningDecision.applied_at).where(LearningDecision.applied_at.is_not(None))
                          .order_by(LearningDecision.applied_at.desc()).limit(1))


def pending_count(session: Session) -> int:
    """Decisions taken (or withdrawn) since the last apply: what an apply would change."""
    last = last_applied(session)
    rows = session.scalars(select(LearningDecision).where(LearningDecision.action != SKIP))
    return sum(1 for r in rows if (r.undone_at is None and r.applied_at is None)
               or (r.undone_at is not None and r.applied_at is not None and (last is None or r.undone_at > last)))
