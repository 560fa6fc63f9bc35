"""Periodic reports on feedback (PAKN), satisfaction and assistant usage.

A record's status at any instant is the last status change at or before it, so a report can be
produced for any past period: *carried over* = received before the period and still open at its
start; *received* = received within it; every one of those ends the period in exactly one bucket
(answered on time / late, not accepted, transferred, still open within deadline / overdue), so

    carried over + received = handled + still open            (checked in `FeedbackTables.reconciles`)

Reports hold counts and category names only: no content, names, phone numbers or chat ids.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from feedback.models import ANSWERED, CLOSED, REJECTED, TRANSFERRED, WAITING, FeedbackRecord, QuestionLog, SatisfactionRating
from feedback.service import OPEN

SATISFIED = 4  # a 1–5 score from 4 up counts as satisfied (SIPAS-style share)


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.datetime  # inclusive
    end: dt.datetime  # exclusive

    @classmethod
    def parse(cls, text: str) -> Period:
        """"2026-10" (month), "2026-Q3", "2026-H1", "2026", or "2026-01-15..2026-02-14" (inclusive days)."""
        text = text.strip().upper()
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2})", text):
            start = dt.datetime(int(m[1]), int(m[2]), int(m[3]))
            end = dt.datetime(int(m[4]), int(m[5]), int(m[6])) + dt.timedelta(days=1)
            if end <= start:
                raise ValueError("kỳ báo cáo: ngày kết thúc phải sau ngày bắt đầu")
            return cls(f"{start:%d/%m/%Y}–{end - dt.timedelta(days=1):%d/%m/%Y}", start, end)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise ValueError("tháng không hợp lệ")
            return cls(f"Tháng {month:02d}/{year}", dt.datetime(year, month, 1), _add_months(dt.datetime(year, month, 1), 1))
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            start = dt.datetime(year, 3 * quarter - 2, 1)
            return cls(f"Quý {quarter}/{year}", start, _add_months(start, 3))
        if m := re.fullmatch(r"(\d{4})-H([12])", text):
            year, half = int(m[1]), int(m[2])
            start = dt.datetime(year, 1 if half == 1 else 7, 1)
            return cls(f"6 tháng {'đầu' if half == 1 else 'cuối'} năm {year}", start, _add_months(start, 6))
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m[1])
            return cls(f"Năm {year}", dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1))
        raise ValueError(f"kỳ báo cáo không hợp lệ: {text!r} (ví dụ 2026-10, 2026-Q3, 2026-H1, 2026, 2026-01-01..2026-01-31)")

    def months(self) -> list[tuple[dt.datetime, dt.datetime]]:
        out, cursor = [], dt.datetime(self.start.year, self.start.month, 1)
        while cursor < self.end:
            nxt = _add_months(cursor, 1)
            out.append((max(cursor, self.start), min(nxt, self.end)))
            cursor = nxt
        return out


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1)


def status_at(record: FeedbackRecord, moment: dt.datetime) -> str | None:
    """The record's status at `moment` (None before it was received)."""
    status = None
    for change in record.history:
        if change.at <= moment:
            status = change.to_status
        else:
            break
    return status


def answered_at(record: FeedbackRecord, before: dt.datetime) -> dt.datetime | None:
    """When the record was last answered (or closed without an answer) before `before`."""
    last = None
    for change in record.history:
        if change.at < before and change.to_status in (ANSWERED, CLOSED) and change.from_status != ANSWERED:
            last = change.at
    return last


@dataclass
class FeedbackTables:
    carried_over: int = 0
    received: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    rejected: int = 0
    transferred: int = 0
    open_within_deadline: int = 0
    open_overdue: int = 0
    by_kind: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_field: Counter = field(default_factory=Counter)
    by_procedure: Counter = field(default_factory=Counter)
    by_agency: Counter = field(default_factory=Counter)
    days_to_answer: list[float] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.answered_on_time + self.answered_late + self.rejected + self.transferred

    @property
    def still_open(self) -> int:
        return self.open_within_deadline + self.open_overdue

    @property
    def reconciles(self) -> bool:
        return self.carried_over + self.received == self.handled + self.still_open

    @property
    def average_days(self) -> float | None:
        return round(statistics.fmean(self.days_to_answer), 1) if self.days_to_answer else None

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self.days_to_answer), 1) if self.days_to_answer else None


def feedback_tables(records: list[FeedbackRecord], period: Period) -> FeedbackTables:
    tables = FeedbackTables()
    # the period's last instant: a change stamped exactly at `end` belongs to the next period
    last_instant = period.end - dt.timedelta(microseconds=1)
    for record in records:
        if record.received_at >= period.end:
            continue
        if record.received_at < period.start:
            if status_at(record, period.start - dt.timedelta(microseconds=1)) not in OPEN:
                continue
            tables.carried_over += 1
        else:
            tables.received += 1
            tables.by_kind[record.kind] += 1
            tables.by_channel[record.channel] += 1
            tables.by_field[record.field or "(chưa phân loại)"] += 1
            tables.by_procedure[record.procedure_name or "(không gắn thủ tục)"] += 1
            tables.by_agency[record.agency or "(chưa rõ)"] += 1
        final = status_at(record, last_instant)
        if final in (ANSWERED, CLOSED):
            when = answered_at(record, period.end) or record.received_at
            if when <= record.due_at:
                tables.answered_on_time += 1
            else:
                tables.answered_late += 1
            if when >= period.start:
                tables.days_to_answer.append(round((when - record.received_at).total_seconds() / 86400, 2))
        elif final == REJECTED:
            tables.rejected += 1
        elif final == TRANSFERRED:
            tables.transferred += 1
        elif final == WAITING or last_instant <= record.due_at:  # waiting: the deadline clock is paused
            tables.open_within_deadline += 1
        else:
            tables.open_overdue += 1
    return tables


@dataclass
class Satisfaction:
    ratings: int = 0
    satisfied: int = 0
    by_subject: dict[str, tuple[int, int]] = field(default_factory=dict)  # subject → (satisfied, total)
    by_channel: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return round(self.satisfied / self.ratings, 3) if self.ratings else None


def satisfaction(ratings: list[SatisfactionRating]) -> Satisfaction:
    result = Satisfaction()
    subjects: dict[str, list[int]] = {}
    channels: dict[str, list[int]] = {}
    for rating in ratings:
        good = int(rating.score >= SATISFIED)
        result.ratings += 1
        result.satisfied += good
        for table, key in ((subjects, rating.subject), (channels, rating.channel)):
            table.setdefault(key, [0, 0])
            table[key][0] += good
            table[key][1] += 1
    result.by_subject = {k: (v[0], v[1]) for k, v in subjects.items()}
    result.by_channel = {k: (v[0], v[1]) for k, v in channels.items()}
    return result


@dataclass
class Usage:
    questions: int = 0
    answered: int = 0
    clarified: int = 0
    declined: int = 0
    top_procedures: list[tuple[str, int]] = field(default_factory=list)
    gaps: list[tuple[int, list[str]]] = field(default_factory=list)  # (count, examples) per cluster


def cluster(texts: list[str], vectors: np.ndarray, threshold: float = 0.85, examples: int = 3) -> list[tuple[int, list[str]]]:
    """Greedy single-pass clustering by cosine similarity to each cluster's first member."""
    centres: list[np.ndarray] = []
    members: list[list[str]] = []
    for text, vector in zip(texts, vectors, strict=True):
        scores = [float(c @ vector) for c in centres]
        best = int(np.argmax(scores)) if scores else -1
        if best >= 0 and scores[best] >= threshold:
            members[best].append(text)
        else:
            centres.append(vector)
            members.append([text])
    ranked = sorted(members, key=len, reverse=True)
    return [(len(m), m[:examples]) for m in ranked]


def usage(logs: list[QuestionLog], names: dict[str, str], embed=None, top: int = 10) -> Usage:
    result = Usage(questions=len(logs))
    counts: Counter = Counter()
    gaps: list[str] = []
    for log in logs:
        if log.decision == "answer":
            result.answered += 1
            if log.procedure_code:
                counts[log.procedure_code] += 1
        elif log.decision == "clarify":
            result.clarified += 1
        else:
            result.declined += 1
        if (log.decision == "decline" and log.intent in ("procedure", "faq")) or log.helpful is False:
            gaps.append(log.text)
    result.top_procedures = [(f"{names.get(code, code)} ({code})", n) for code, n in counts.most_common(top)]
    if gaps:
        vectors = embed(gaps) if embed else np.eye(len(gaps), dtype=np.float32)
        result.gaps = cluster(gaps, vectors)[:top]
    return result


@dataclass
class Report:
    period: Period
    agency: str | None
    generated_at: dt.datetime
    feedback: FeedbackTables
    satisfaction: Satisfaction
    usage: Usage
    monthly: list[tuple[str, FeedbackTables]]


def build_report(session: Session, period: Period, agency: str | None = None, names: dict[str, str] | None = None,
                 embed=None, now: dt.datetime | None = None) -> Report:
    query = select(FeedbackRecord).options(selectinload(FeedbackRecord.history)).where(FeedbackRecord.received_at < period.end)
    if agency:
        query = query.where(FeedbackRecord.agency == agency)
    records = list(session.scalars(query))
    ratings = list(session.scalars(select(SatisfactionRating).where(
        SatisfactionRating.at >= period.start, SatisfactionRating.at < period.end)))
    logs = list(session.scalars(select(QuestionLog).where(QuestionLog.at >= period.start, QuestionLog.at < period.end)))
    monthly = [(f"{start:%m/%Y}", feedback_tables(records, Period(f"{start:%m/%Y}", start, end))) for start, end in period.months()]
    return Report(period=period, agency=agency, generated_at=now or dt.datetime.now(), feedback=feedback_tables(records, period),
                  satisfaction=satisfaction(ratings), usage=usage(logs, names or {}, embed), monthly=monthly)
