"""PAKN counts for a period, read as flows of events from the status history, aggregated in SQL.

A record's history (`StatusChange` rows, each dated) is a sequence of events, and only the ones
that move a record into or out of the *open* states (new, accepted, in progress) count:

    received     no status        → open        (the record is filed)
    reopened     finished         → open        (answered/closed/refused record taken up again)
    answered     open             → answered/closed  (on time if at or before the record's due date)
    refused      open             → rejected    (không thụ lý)
    transferred  open             → transferred (chuyển cơ quan khác)

Other changes (new → accepted, answered → closed, an assignment) move nothing. Then for any
period [s, e) and any unit filter

    open at s = entries before s − exits before s          (carried over, "kỳ trước chuyển sang")
    open at s + received + reopened = handled + open at e

holds record by record, so the closing figure of one period *is* the opening figure of the next,
a record reopened during a period is received again as "reopened", and a second answer after a
reopen is handled again in the period it happens. Praise (khen) is not a PAKN and is left out of
every flow (counted apart). Extra replies to an already answered record change no status and are
not events. Only grouped counts leave the database: a year over 60k records is a few queries.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from feedback.models import ANSWERED, CLOSED, PRAISE, REJECTED, TRANSFERRED, WAITING, FeedbackRecord, StatusChange
from feedback.periods import Period, to_utc
from feedback.service import OPEN
from feedback.units import Scope, scoped

RECEIVED, REOPENED, ANSWER, REFUSED, TRANSFER = "received", "reopened", "answered", "refused", "transferred"
EXITS = (ANSWER, REFUSED, TRANSFER)
UNCLASSIFIED = "chưa phân loại"  # the unit of records with no agency, and the PAKN type nobody has set


@dataclass
class Flows:
    """One unit's (or the total's) figures for one period; every field is a count of events or records."""

    carried_over: int = 0
    received: int = 0
    reopened: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    rejected: int = 0
    transferred: int = 0
    open_within_deadline: int = 0
    open_overdue: int = 0
    about_regulation: int = 0  # received about a quy định hành chính
    about_conduct: int = 0  # received about a hành vi hành chính
    unclassified: int = 0
    published: int = 0
    by_channel: Counter = field(default_factory=Counter)  # received by channel

    @property
    def answered(self) -> int:
        return self.answered_on_time + self.answered_late

    @property
    def handled(self) -> int:
        return self.answered_on_time + self.answered_late + self.rejected + self.transferred

    @property
    def still_open(self) -> int:
        return self.open_within_deadline + self.open_overdue

    @property
    def to_handle(self) -> int:
        return self.carried_over + self.received + self.reopened

    @property
    def reconciles(self) -> bool:
        return self.to_handle == self.handled + self.still_open

    def add(self, other: Flows) -> None:
        for name, value in vars(other).items():
            if isinstance(value, Counter):
                getattr(self, name).update(value)
            else:
                setattr(self, name, getattr(self, name) + value)


@dataclass
class FeedbackTables(Flows):
    """The total over the units in scope, with the breakdowns a report prints."""

    by_unit: dict[str, Flows] = field(default_factory=dict)
    praise: int = 0  # khen received: no PAKN, counted apart
    by_kind: Counter = field(default_factory=Counter)
    by_field: Counter = field(default_factory=Counter)
    by_procedure: Counter = field(default_factory=Counter)
    days_to_answer: list[float] = field(default_factory=list)

    @property
    def by_agency(self) -> Counter:
        return Counter({unit: flows.received for unit, flows in self.by_unit.items() if flows.received})

    @property
    def average_days(self) -> float | None:
        return round(statistics.fmean(self.days_to_answer), 1) if self.days_to_answer else None

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self.days_to_answer), 1) if self.days_to_answer else None


@dataclass
class TrendPoint:
    label: str
    received: int = 0
    reopened: int = 0
    answered: int = 0
    answered_on_time: int = 0
    other_handled: int = 0  # refused + transferred
    open_at_end: int = 0

    @property
    def answered_late(self) -> int:
        return self.answered - self.answered_on_time


def _is_open(column):
    return column.in_(OPEN)


def event_kind():
    """The SQL expression naming a status change's event (NULL for changes that move nothing)."""
    frm, to = StatusChange.from_status, StatusChange.to_status
    was_open = and_(frm.is_not(None), _is_open(frm))
    return case(
        (and_(frm.is_(None), _is_open(to)), literal(RECEIVED)),
        (and_(frm.is_not(None), not_(_is_open(frm)), _is_open(to)), literal(REOPENED)),
        (and_(was_open, to.in_((ANSWERED, CLOSED))), literal(ANSWER)),
        (and_(was_open, to == REJECTED), literal(REFUSED)),
        (and_(was_open, to == TRANSFERRED), literal(TRANSFER)),
        else_=None)


def moving_changes():
    """WHERE clause keeping only the changes that are events (cheap to test before grouping)."""
    frm, to = StatusChange.from_status, StatusChange.to_status
    return or_(frm.is_(None), and_(_is_open(frm), not_(_is_open(to))), and_(not_(_is_open(frm)), _is_open(to)))


def unit_key(agency: str | None) -> str:
    return agency or UNCLASSIFIED


def _scoped(query, unit: str | None, within: Scope | None = None):
    """PAKN only (praise is not one), of the unit asked for, within the reader's units (`within`)."""
    query = query.where(FeedbackRecord.kind != PRAISE)
    query = query if within is None else scoped(query, within)
    return query if unit is None else query.where(FeedbackRecord.agency == unit)


def feedback_tables(session: Session, period: Period, unit: str | None, as_of_utc: dt.datetime,
                    buckets: list[tuple[str, dt.datetime, dt.datetime]] | None = None,
                    within: Scope | None = None) -> tuple[FeedbackTables, list[TrendPoint]]:
    """The period's figures per unit and in total, plus the trend per sub-period (`buckets`, local bounds).

    `unit`: None = every unit, "" = records with no agency, else the exact agency name.
    `as_of_utc`: when "overdue" is judged for records still open (the period's end, or now if earlier).
    `within`: the reader's units (feedback/units.py); None = every record.
    """
    start, end = period.start_utc, period.end_utc
    buckets = buckets or [(period.label, period.start, period.end)]
    cuts = [to_utc(b_end) for _, _, b_end in buckets]
    kind = event_kind()
    bucket = case((StatusChange.at < start, -1), *[(StatusChange.at < cut, i) for i, cut in enumerate(cuts[:-1])],
                  else_=len(cuts) - 1)
    on_time = case((StatusChange.at <= FeedbackRecord.due_at, 1), else_=0)
    query = (select(bucket.label("b"), FeedbackRecord.agency, kind.label("ev"), on_time.label("ok"), func.count())
             .select_from(StatusChange).join(FeedbackRecord, FeedbackRecord.id == StatusChange.record_id)
             .where(StatusChange.at < end, moving_changes())
             .group_by("b", FeedbackRecord.agency, "ev", "ok"))
    units: dict[str, Flows] = defaultdict(Flows)
    trend = [TrendPoint(label) for label, _, _ in buckets]
    before = 0
    for b, agency, ev, ok, n in session.execute(_scoped(query, unit, within)):
        if ev is None:
            continue
        flows, sign = units[unit_key(agency)], (1 if ev in (RECEIVED, REOPENED) else -1)
        if b < 0:
            flows.carried_over += sign * n
            before += sign * n
            continue
        point = trend[b]
        if ev == RECEIVED:
            flows.received += n
            point.received += n
        elif ev == REOPENED:
            flows.reopened += n
            point.reopened += n
        elif ev == ANSWER:
            flows.answered_on_time += n if ok else 0
            flows.answered_late += 0 if ok else n
            point.answered += n
            point.answered_on_time += n if ok else 0
        else:
            flows.rejected += n if ev == REFUSED else 0
            flows.transferred += n if ev == TRANSFER else 0
            point.other_handled += n
    running = before
    for point in trend:
        running += point.received + point.reopened - point.answered - point.other_handled
        point.open_at_end = running

    _open_at_end(session, unit, end, as_of_utc, units, within)
    total = FeedbackTables()
    _received_details(session, unit, start, end, units, total, within)
    published = _scoped(select(FeedbackRecord.agency, func.count()).where(
        FeedbackRecord.published_at >= start, FeedbackRecord.published_at < end).group_by(FeedbackRecord.agency), unit, within)
    for agency, n in session.execute(published):
        units[unit_key(agency)].published += n

    for name in sorted(units):
        total.add(units[name])
    total.by_unit = {name: units[name] for name in sorted(units, key=lambda u: (u == UNCLASSIFIED, u))
                     if any(v for k, v in vars(units[name]).items() if k != "by_channel")}
    _answer_days(session, unit, start, end, total, within)
    return total, trend


def _open_at_end(session: Session, unit: str | None, end: dt.datetime, as_of: dt.datetime, units: dict[str, Flows],
                 within: Scope | None = None) -> None:
    """Records open at `end` (their entries minus exits before it is 1), split by whether they are past due."""
    entry = case((or_(StatusChange.from_status.is_(None), not_(_is_open(StatusChange.from_status))), 1), else_=-1)
    balance = (select(StatusChange.record_id.label("rid"))
               .where(StatusChange.at < end, moving_changes())
               .group_by(StatusChange.record_id).having(func.sum(entry) > 0)).subquery()
    # a record waiting for the citizen's additional information has its clock paused: not overdue
    # (its due date moves on by the paused working days when it resumes)
    overdue = case((and_(FeedbackRecord.due_at < as_of, FeedbackRecord.status != WAITING), 1), else_=0)
    query = (select(FeedbackRecord.agency, overdue.label("late"), func.count())
             .join(balance, balance.c.rid == FeedbackRecord.id).group_by(FeedbackRecord.agency, "late"))
    for agency, late, n in session.execute(_scoped(query, unit, within)):
        flows = units[unit_key(agency)]
        if late:
            flows.open_overdue += n
        else:
            flows.open_within_deadline += n


def _received_in(start: dt.datetime, end: dt.datetime):
    return and_(StatusChange.from_status.is_(None), StatusChange.at >= start, StatusChange.at < end)


def _received_details(session: Session, unit: str | None, start: dt.datetime, end: dt.datetime,
                      units: dict[str, Flows], total: FeedbackTables, within: Scope | None = None) -> None:
    """Newly received PAKN by unit × channel × classification × kind × field × procedure, and praise, in one scan."""
    columns = (FeedbackRecord.agency, FeedbackRecord.channel, FeedbackRecord.classification, FeedbackRecord.kind,
               FeedbackRecord.field, FeedbackRecord.procedure_name)
    query = (select(*columns, func.count()).select_from(StatusChange)
             .join(FeedbackRecord, FeedbackRecord.id == StatusChange.record_id).where(_received_in(start, end))
             .group_by(*columns))
    query = query if unit is None else query.where(FeedbackRecord.agency == unit)
    query = query if within is None else scoped(query, within)
    for agency, channel, classification, kind, field_, procedure, n in session.execute(query):
        if kind == PRAISE:
            total.praise += n
            continue
        flows = units[unit_key(agency)]
        flows.by_channel[channel] += n
        if classification == "quy_dinh":
            flows.about_regulation += n
        elif classification == "hanh_vi":
            flows.about_conduct += n
        else:
            flows.unclassified += n
        total.by_kind[kind] += n
        total.by_field[field_ or "(chưa phân loại)"] += n
        total.by_procedure[procedure or "(không gắn thủ tục)"] += n


def _answer_days(session: Session, unit: str | None, start: dt.datetime, end: dt.datetime, total: FeedbackTables,
                 within: Scope | None = None) -> None:
    answered = (select(StatusChange.at, FeedbackRecord.received_at).select_from(StatusChange)
                .join(FeedbackRecord, FeedbackRecord.id == StatusChange.record_id)
                .where(StatusChange.at >= start, StatusChange.at < end, _is_open(StatusChange.from_status),
                       StatusChange.to_status.in_((ANSWERED, CLOSED))))
    rows = session.execute(_scoped(answered, unit, within))
    total.days_to_answer = [round((at - received).total_seconds() / 86400, 2) for at, received in rows]
