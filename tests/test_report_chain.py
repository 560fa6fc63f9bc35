"""The chain property: for any histories the workflow allows (reopens, repeated answers, refusals,
transfers, praise), any split of time into adjacent periods and any unit filter, what one period
leaves open is exactly what the next carries over, and both equal an independent count of the
records whose status at the boundary is open. Per-unit rows add up to the total row, and a
unit-filtered report equals that unit's row of the full report."""

import datetime as dt
import itertools

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import FeedbackRecord, StatusChange
from feedback.periods import Period
from feedback.report_flows import UNCLASSIFIED, feedback_tables
from feedback.service import OPEN, TRANSITIONS

D = dt.datetime
REFERENCES = itertools.count(1)
UNITS = ["UBND xã A", "UBND phường B", ""]
FIGURES = ("carried_over", "received", "reopened", "answered_on_time", "answered_late", "rejected", "transferred",
           "open_within_deadline", "open_overdue", "about_regulation", "about_conduct", "unclassified", "published")


@st.composite
def records(draw):
    received = D(2026, 1, 1) + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 200)))
    kind = draw(st.sampled_from(["phan_anh", "kien_nghi", "khen"]))
    record = FeedbackRecord(reference=f"PA-2026-{next(REFERENCES):06d}", kind=kind, content="x", chat_id="c",
                            channel=draw(st.sampled_from(["telegram", "zalo", "web"])), agency=draw(st.sampled_from(UNITS)),
                            classification=draw(st.sampled_from([None, "quy_dinh", "hanh_vi"])), received_at=received,
                            due_at=received + dt.timedelta(days=draw(st.integers(1, 30))),
                            next_update_due_at=received + dt.timedelta(days=7))
    history = [StatusChange(actor="t", at=received, from_status=None, to_status="new")]
    status, at = "new", received
    for _ in range(draw(st.integers(0, 8))):
        options = TRANSITIONS[status]
        if not options:
            break
        nxt = draw(st.sampled_from(options))
        at += dt.timedelta(minutes=draw(st.integers(1, 60 * 24 * 40)))
        history.append(StatusChange(actor="t", at=at, from_status=status, to_status=nxt))
        status = nxt
    record.status, record.history = status, history
    if status not in OPEN and draw(st.booleans()):
        record.published_at = at + dt.timedelta(days=1)
    return record


@st.composite
def adjacent_periods(draw):
    """Two to four adjacent periods: calendar months, 15th-to-14th kỳ báo cáo, or random day ranges."""
    style = draw(st.sampled_from(["months", "ky", "days"]))
    if style == "months":
        first = draw(st.integers(1, 8))
        return [Period.parse(f"2026-{m:02d}") for m in range(first, first + draw(st.integers(2, 4)))]
    if style == "ky":
        first = draw(st.integers(1, 8))
        return [Period.parse(f"ky:2026-{m:02d}") for m in range(first, first + draw(st.integers(2, 4)))]
    day = D(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 150)))
    periods = []
    for _ in range(draw(st.integers(2, 4))):
        end = day + dt.timedelta(days=draw(st.integers(1, 60)))
        periods.append(Period.parse(f"{day:%Y-%m-%d}..{end - dt.timedelta(days=1):%Y-%m-%d}"))
        day = end
    return periods


def open_at(record: FeedbackRecord, moment_utc: dt.datetime) -> bool:
    """Independent oracle: the record's status just before `moment_utc` is an open one."""
    status = None
    for change in record.history:
        if change.at < moment_utc:
            status = change.to_status
    return status in OPEN


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(records(), max_size=25), adjacent_periods(), st.sampled_from([None, *UNITS]))
def test_closing_open_of_a_period_is_the_opening_of_the_next(sessions, items, periods, unit):
    with sessions() as db, db.begin():
        for table in ("feedback_status_changes", "feedback_records"):
            db.execute(sa.text(f"DELETE FROM {table}"))
        db.add_all(items)
    now = D(2027, 1, 1)
    with sessions() as db:
        results = [feedback_tables(db, p, unit, min(p.end_utc, now))[0] for p in periods]
    pakn = [r for r in items if r.kind != "khen" and (unit is None or r.agency == unit)]
    for period, tables in zip(periods, results, strict=True):
        assert tables.reconciles
        assert tables.carried_over == sum(open_at(r, period.start_utc) for r in pakn)
        assert tables.still_open == sum(open_at(r, period.end_utc) for r in pakn)
        for name in FIGURES:  # the total row is the sum of the unit rows
            assert getattr(tables, name) == sum(getattr(f, name) for f in tables.by_unit.values()), name
    for before, after in itertools.pairwise(results):
        assert before.still_open == after.carried_over


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(records(), min_size=1, max_size=25), adjacent_periods())
def test_a_unit_report_is_that_units_row_of_the_full_report(sessions, items, periods):
    with sessions() as db, db.begin():
        for table in ("feedback_status_changes", "feedback_records"):
            db.execute(sa.text(f"DELETE FROM {table}"))
        db.add_all(items)
    period, now = periods[0], D(2027, 1, 1)
    with sessions() as db:
        full = feedback_tables(db, period, None, period.end_utc)[0]
        for unit in UNITS:
            alone = feedback_tables(db, period, unit, min(period.end_utc, now))[0]
            row = full.by_unit.get(unit or UNCLASSIFIED)
            for name in FIGURES:
                assert getattr(alone, name) == (getattr(row, name) if row else 0), (unit, name)
