"""Feedback (phản ánh, kiến nghị) records and everything staff do with them, as typed tables.

Personal data is kept to what works: the channel user id (needed to deliver the answer), and a
contact name/phone only when the citizen consented (`contact_consent`). No message metadata beyond
that. Every change to a record is a `StatusChange` or `AuditEntry` row; `version` gives optimistic
locking so two staff members editing at once cannot overwrite each other silently.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.db import Base
from feedback.db import utcnow

# statuses (workflow in feedback/service.py); WAITING: the agency asked the citizen for more information
# and the deadline clock is paused until it arrives
NEW, ACCEPTED, IN_PROGRESS, ANSWERED, CLOSED, TRANSFERRED, REJECTED, WAITING = (
    "new", "accepted", "in_progress", "answered", "closed", "transferred", "rejected", "waiting")
KINDS = ("phan_anh", "kien_nghi", "khen")
PRAISE = "khen"  # praise is not a PAKN: reported apart, never counted as one received
# NĐ 20/2008/NĐ-CP: a PAKN is about an administrative regulation or about how officials behaved
CLASSIFICATIONS = ("quy_dinh", "hanh_vi")
ROLES = ("staff", "admin", "editor")  # editor (biên tập): teaches the bot from its misses
# a staff member's role in one unit (feedback/units.py says what each may do)
UNIT_ROLES = ("tiep_nhan", "xu_ly", "lanh_dao", "quan_tri")
UNIT_KINDS = ("co_quan", "xa", "dieu_phoi")  # cơ quan, xã/phường, the coordinator queue
COORDINATOR = "chua-phan-loai"  # code of the coordinator queue: records no unit was found for


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="staff")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # shown on the accounts page: an account nobody has used for months is one to disable
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # a password an administrator set (or generated) is temporary: every page asks for a new one first
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Unit(Base):
    """A cơ quan or xã that handles records; `keywords` are other names it is known by (one per line or
    comma-separated), matched against a record's agency and text at intake (feedback/unit_routing.py)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default="co_quan")
    keywords: Mapped[str] = mapped_column(String(1000), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class UnitMember(Base):
    """A staff member's place in a unit, with one role there; a person may belong to several units."""

    __tablename__ = "unit_members"
    __table_args__ = (UniqueConstraint("unit_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))

    unit: Mapped[Unit] = relationship()
    user: Mapped[StaffUser] = relationship()


def _coordinator_id():
    """Column default of a record's unit: the coordinator queue, so a row written without routing
    (an import, a test fixture) still belongs to exactly one unit."""
    return select(Unit.id).where(Unit.code == COORDINATOR).scalar_subquery()


class FeedbackRecord(Base):
    __tablename__ = "feedback_records"
    __table_args__ = (UniqueConstraint("reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12))
    content: Mapped[str] = mapped_column(Text)
    procedure_code: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    procedure_name: Mapped[str] = mapped_column(String(400), default="")
    field: Mapped[str] = mapped_column(String(200), default="")
    agency: Mapped[str] = mapped_column(String(200), default="", index=True)
    subject_note: Mapped[str] = mapped_column(String(500), default="")
    channel: Mapped[str] = mapped_column(String(20), index=True)
    chat_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default=NEW, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True, index=True)
    # the unit whose staff handle the record (and the only ones, with province admins, who see it)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True, default=_coordinator_id())
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # deadlines: naive UTC instants at the end of a working day in Vietnam (feedback/workdays.py)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    next_update_due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # the clock pause while waiting for the citizen: since when (None when not waiting), and the
    # working days already added to due_at by earlier pauses
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    paused_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    outcome_note: Mapped[str] = mapped_column(String(1000), default="")  # reason for không thụ lý / where transferred
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_records.id"), nullable=True)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # for duplicate suggestions
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # "quy_dinh" (về quy định hành chính) | "hanh_vi" (về hành vi hành chính) | None (chưa phân loại), set by staff
    classification: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # when the handling result was made public (công khai kết quả xử lý), None if not
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # the form of handling chosen (NĐ 20/2008 art. 14-15; codes in feedback/workflow.py HANDLING), None if not yet
    handling: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # the conversation's draft id: a confirmation resent after a crash finds the record it created
    submission_key: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)

    __mapper_args__ = {"version_id_col": version}

    assignee: Mapped[StaffUser | None] = relationship(foreign_keys=[assignee_id])
    unit: Mapped[Unit] = relationship()
    history: Mapped[list[StatusChange]] = relationship(back_populates="record", order_by="StatusChange.id")
    replies: Mapped[list[ReplyMessage]] = relationship(back_populates="record", order_by="ReplyMessage.id")
    notes: Mapped[list[InternalNote]] = relationship(back_populates="record", order_by="InternalNote.id")


class StatusChange(Base):
    __tablename__ = "feedback_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("feedback_records.id"), index=True)
    actor: Mapped[str] = mapped_column(String(80))  # staff username, "citizen" or "system"
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)  # reports select by date
    from_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(1000), default="")

    record: Mapped[FeedbackRecord] = relationship(back_populates="history")


class Assignment(Base):
    __tablename__ = "feedback_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("feedback_records.id"), index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    assigned_by: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReplyMessage(Base):
    __tablename__ = "feedback_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("feedback_records.id"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    record: Mapped[FeedbackRecord] = relationship(back_populates="replies")


class InternalNote(Base):
    """A staff member's internal note on a record. A table of its own, not a kind of reply, so nothing
    that reads replies (the outbox, the citizen's look-up, reports) can ever pick one up by mistake."""

    __tablename__ = "feedback_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("feedback_records.id"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    record: Mapped[FeedbackRecord] = relationship(back_populates="notes")


class ReplyTemplate(Base):
    __tablename__ = "feedback_reply_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)


class SatisfactionRating(Base):
    """A 1-5 score. For a bot answer (👍 = 5, 👎 = 1) it names the question-log row it rates and a
    keyed digest of who rated (never the user id): one rating per answer and person, changed in
    place when the person changes their mind, so a double tap or 👍 then 👎 is one opinion."""

    __tablename__ = "satisfaction_ratings"
    __table_args__ = (UniqueConstraint("question_id", "rater", name="uq_rating_answer_rater"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(12))  # "answer" (a bot answer) | "feedback" (a closed record)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_records.id"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(Integer)  # 1-5; 👍 = 5, 👎 = 1
    reason: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_log.id", ondelete="SET NULL", name="fk_rating_question"), nullable=True)
    rater: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditEntry(Base):
    """Who did what to which record: reveals of contact data, bulk actions, template edits."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_records.id"), nullable=True)
    detail: Mapped[str] = mapped_column(String(1000), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class QuestionLog(Base):
    """One question the assistant was asked, for usage reports and catalogue gaps.

    No user id is stored. The text is kept only for information requests, with phone, ID numbers
    and e-mail addresses removed before it is written; feedback and status messages log no text.
    """

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500), default="")
    intent: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(10))
    procedure_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    confidence: Mapped[float] = mapped_column(default=0.0)
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class StaffSession(Base):
    """A staff login, held on the server so it can be revoked: the cookie carries only a random token,
    whose SHA-256 is the key here (a copied database gives no usable cookie). Deleting the row ends the
    session at once: logout, a lock, a disabled account and a password change all delete them."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # page state between a POST and the page it redirects to (flash message, upload plan, revealed
    # record id): kept here so nothing a page shows ever travels in a cookie or a URL
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class LoginThrottle(Base):
    """Failed logins per (username as typed, client address): a wrong password from one address slows
    down that address only, so nobody can lock a colleague out from elsewhere. Unknown usernames get a
    row too, so throttling does not reveal which accounts exist."""

    __tablename__ = "staff_login_throttle"
    __table_args__ = (UniqueConstraint("username", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
