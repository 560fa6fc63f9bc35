"""Periodic reports on feedback (PAKN), citizens' satisfaction and assistant usage.

The PAKN figures are flows of dated events (feedback/report_flows.py), so any two adjacent periods
chain: what one period leaves open is what the next carries over. Every figure is filtered by the
unit asked for, the record's `agency` ("" = chưa phân loại); figures that have no unit (the
assistant's usage and the 👍/👎 on its answers) appear only in the province-wide report, never
as if they belonged to a unit. Case satisfaction (SIPAS-style, 1–5 after an answer) and the 👍/👎
on the assistant's answers are kept apart.

Reports hold counts and category names only: no content, names, phone numbers or chat ids. The
unanswered questions are *counted*, not clustered: embedding every one of them made a year's
report take longer than ten minutes.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from feedback.models import ANSWERED, CLOSED, FeedbackRecord, QuestionLog, SatisfactionRating, StatusChange
from feedback.db import utcnow
from feedback.periods import Period, to_local
from feedback.report_flows import UNCLASSIFIED, FeedbackTables, Flows, TrendPoint, feedback_tables
from feedback.service import OPEN
from feedback.units import Scope, scoped

__all__ = ["Period", "Report", "build_report", "resolve_unit", "UnknownUnit", "FeedbackTables", "Flows", "UNCLASSIFIED"]

SATISFIED = 4  # a 1–5 score from 4 up counts as satisfied (SIPAS-style share)
LEVELS = {1: "Rất không hài lòng", 2: "Không hài lòng", 3: "Bình thường", 4: "Hài lòng", 5: "Rất hài lòng"}


class UnknownUnit(ValueError):
    """A unit name no record carries: a typo must not produce an all-zero report without a word."""


def known_units(session: Session, within: Scope | None = None) -> list[str]:
    """The agencies records carry (within the reader's units when `within` is given)."""
    query = select(FeedbackRecord.agency).distinct()
    return sorted(a for a in session.scalars(query if within is None else scoped(query, within)) if a)


def resolve_unit(session: Session, text: str | None, within: Scope | None = None) -> str | None:
    """None → every unit; 'chưa phân loại' → records with no agency (""); else an agency some record has.

    An explicitly empty name is refused rather than read as 'every unit', and an unknown one is
    refused with the closest known names.
    """
    if text is None:
        return None
    wanted = " ".join(text.split())
    if not wanted:
        raise UnknownUnit(f"tên đơn vị trống; bỏ tham số để lập báo cáo toàn bộ, hoặc dùng '{UNCLASSIFIED}' "
                          "cho hồ sơ chưa rõ đơn vị")
    if wanted.casefold().strip("()") == UNCLASSIFIED:
        return ""
    units = known_units(session, within)
    for unit in units:
        if unit.casefold() == wanted.casefold():
            return unit
    close = difflib.get_close_matches(wanted, units, n=3, cutoff=0.6)
    hint = f" Có phải: {', '.join(close)}?" if close else f" Các đơn vị có số liệu: {', '.join(units[:10]) or '(chưa có)'}."
    raise UnknownUnit(f"không có hồ sơ nào của đơn vị '{wanted}'.{hint}")


@dataclass
class Satisfaction:
    """Citizens' 1–5 ratings of how their case was handled (SIPAS-style)."""

    levels: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    answered_records: int = 0  # records answered in the period …
    rated_records: int = 0  # … of which the citizen rated (response rate)
    by_unit: dict[str, tuple[int, int]] = field(default_factory=dict)  # unit → (satisfied, ratings)

    @property
    def ratings(self) -> int:
        return sum(self.levels.values())

    @property
    def satisfied(self) -> int:
        return sum(n for level, n in self.levels.items() if level >= SATISFIED)

    @property
    def share(self) -> float | None:
        return round(self.satisfied / self.ratings, 3) if self.ratings else None

    @property
    def response_rate(self) -> float | None:
        return round(self.rated_records / self.answered_records, 3) if self.answered_records else None


@dataclass
class AnswerRatings:
    """👍/👎 on the assistant's answers: about the chatbot, not about any case."""

    up: int = 0
    down: int = 0
    by_channel: dict[str, tuple[int, int]] = field(default_factory=dict)  # channel → (👍, 👎)


@dataclass
class Usage:
    questions: int = 0
    answered: int = 0
    clarified: int = 0
    declined: int = 0
    unanswered: int = 0  # declined procedure/FAQ questions plus answers marked 👎
    top_procedures: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    unit: str | None  # None: every unit; "": chưa phân loại
    generated_at: dt.datetime  # Vietnam time
    as_of: dt.datetime  # Vietnam time at which open records are judged overdue
    feedback: FeedbackTables
    trend: list[TrendPoint]
    praise: int
    satisfaction: Satisfaction
    answer_ratings: AnswerRatings | None  # province-wide reports only
    usage: Usage | None  # province-wide reports only
    within_label: str = ""  # the reader's units when the report is limited to them

    @property
    def unit_label(self) -> str:
        if self.unit is None:
            return f"Các đơn vị: {self.within_label}" if self.within_label else "Toàn bộ các đơn vị"
        return self.unit or UNCLASSIFIED.capitalize()

    @property
    def agency(self) -> str | None:  # the name the staff page and older callers use
        return self.unit


def case_satisfaction(session: Session, period: Period, unit: str | None, as_of_utc: dt.datetime,
                      within: Scope | None = None) -> Satisfaction:
    start, end = period.start_utc, period.end_utc
    narrowed = ([] if unit is None else [FeedbackRecord.agency == unit]) + ([] if within is None else [within.clause()])
    result = Satisfaction()
    for agency, score, n in session.execute(
            select(FeedbackRecord.agency, SatisfactionRating.score, func.count())
            .join(FeedbackRecord, FeedbackRecord.id == SatisfactionRating.record_id)
            .where(SatisfactionRating.subject == "feedback", SatisfactionRating.at >= start, SatisfactionRating.at < end, *narrowed)
            .group_by(FeedbackRecord.agency, SatisfactionRating.score)):
        level = min(5, max(1, int(score)))
        result.levels[level] += n
        good, total = result.by_unit.get(agency or UNCLASSIFIED, (0, 0))
        result.by_unit[agency or UNCLASSIFIED] = (good + (n if level >= SATISFIED else 0), total + n)
    answered = (select(StatusChange.record_id).select_from(StatusChange)
                .join(FeedbackRecord, FeedbackRecord.id == StatusChange.record_id)
                .where(StatusChange.at >= start, StatusChange.at < end, StatusChange.from_status.in_(OPEN),
                       StatusChange.to_status.in_((ANSWERED, CLOSED)), *narrowed).distinct().subquery())
    rated = (select(SatisfactionRating.record_id)
             .where(SatisfactionRating.subject == "feedback", SatisfactionRating.at < as_of_utc)
             .distinct().subquery())
    result.answered_records, result.rated_records = session.execute(
        select(func.count(answered.c.record_id), func.count(rated.c.record_id))
        .select_from(answered).outerjoin(rated, rated.c.record_id == answered.c.record_id)).one()
    return result


def answer_ratings(session: Session, period: Period) -> AnswerRatings:
    result, channels = AnswerRatings(), {}
    for channel, score, n in session.execute(
            select(SatisfactionRating.channel, SatisfactionRating.score, func.count())
            .where(SatisfactionRating.subject == "answer", SatisfactionRating.at >= period.start_utc,
                   SatisfactionRating.at < period.end_utc).group_by(SatisfactionRating.channel, SatisfactionRating.score)):
        up, down = channels.get(channel, (0, 0))
        channels[channel] = (up + n, down) if score >= SATISFIED else (up, down + n)
    result.by_channel = dict(sorted(channels.items()))
    result.up = sum(u for u, _ in channels.values())
    result.down = sum(d for _, d in channels.values())
    return result


def usage(session: Session, period: Period, names: dict[str, str], top: int = 10) -> Usage:
    """One scan of the question log, grouped by what the report needs."""
    gap = case((and_(QuestionLog.decision == "decline", QuestionLog.intent.in_(("procedure", "faq"))), 1),
               (QuestionLog.helpful.is_(False), 1), else_=0)
    code = case((QuestionLog.decision == "answer", QuestionLog.procedure_code), else_=None)
    result, codes = Usage(), Counter()
    for decision, unanswered, procedure, n in session.execute(
            select(QuestionLog.decision, gap.label("gap"), code.label("code"), func.count())
            .where(QuestionLog.at >= period.start_utc, QuestionLog.at < period.end_utc)
            .group_by(QuestionLog.decision, "gap", "code")):
        result.questions += n
        result.answered += n if decision == "answer" else 0
        result.clarified += n if decision == "clarify" else 0
        result.unanswered += n if unanswered else 0
        if procedure:
            codes[procedure] += n
    result.declined = result.questions - result.answered - result.clarified
    ranked = sorted(codes.items(), key=lambda item: (-item[1], item[0]))[:top]
    result.top_procedures = [(f"{names.get(c, c)} ({c})", n) for c, n in ranked]
    return result


def build_report(session: Session, period: Period, agency: str | None = None, names: dict[str, str] | None = None,
                 now: dt.datetime | None = None, unit: str | None = None, within: Scope | None = None,
                 within_label: str = "") -> Report:
    """One computation of everything a report shows. `unit`/`agency`: an already resolved unit (see
    `resolve_unit`); `now`: naive UTC, defaults to the current time; `within`: the reader's units
    (feedback/units.py), None or a province-wide scope for every record."""
    scope = unit if unit is not None else agency
    within = None if within is None or within.everywhere else within
    now = now or utcnow()
    as_of_utc = min(period.end_utc, now)
    tables, trend = feedback_tables(session, period, scope, as_of_utc, period.buckets(), within)
    province = scope is None and within is None
    return Report(period=period, unit=scope, generated_at=to_local(now), as_of=to_local(as_of_utc), feedback=tables,
                  trend=trend, praise=tables.praise, within_label=within_label if within is not None else "",
                  satisfaction=case_satisfaction(session, period, scope, as_of_utc, within),
                  answer_ratings=answer_ratings(session, period) if province else None,
                  usage=usage(session, period, names or {}) if province else None)


def data_version(session: Session) -> tuple:
    """Changes whenever anything a report reads changes: the key under which its results may be cached."""
    return (session.scalar(select(func.max(StatusChange.id))), session.scalar(select(func.count(StatusChange.id))),
            session.scalar(select(func.max(SatisfactionRating.id))), session.scalar(select(func.max(QuestionLog.id))),
            session.scalar(select(func.max(FeedbackRecord.updated_at))))
