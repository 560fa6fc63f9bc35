"""Working-day calendar and deadlines: Tết, Quốc khánh and its adjacent day, nghỉ bù, make-up Saturdays,
Vietnam-time day boundaries, the waiting-for-citizen pause, a wrong holiday file, and the same due date
shown to the citizen by the bot and to staff on the record page."""

import datetime as dt
import re

import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from bot.app.feedback_port import DatabaseFeedbackPort
from feedback import outbox, service
from feedback.auth import add_user
from feedback.deadlines import Deadlines, step_deadlines
from feedback.models import WAITING
from feedback.web.app import WebConfig, create_staff_app
from feedback.workdays import (
    VN_TZ,
    HolidayDataError,
    default_calendar,
    format_local_date,
    load_calendar,
    to_utc_naive,
)

D = dt.date


def local(*args) -> dt.datetime:
    """A Vietnam wall-clock time as the naive UTC instant the database stores."""
    return to_utc_naive(dt.datetime(*args, tzinfo=VN_TZ))


@pytest.fixture(scope="module")
def cal():
    return default_calendar()


def draft(**overrides) -> service.Draft:
    base = {"kind": "phan_anh", "content": "Bộ phận một cửa hẹn trả kết quả nhưng quá hạn chưa trả", "channel": "telegram",
            "chat_id": "77", "procedure_code": "1.001", "procedure_name": "Đăng ký khai sinh", "agency": "UBND phường"}
    return service.Draft(**{**base, **overrides})


# --- the data file -------------------------------------------------------------------------------

def test_bundled_file_covers_2025_to_2030_with_the_statutory_days(cal):
    assert set(range(2025, 2031)) <= cal.years
    for year in range(2025, 2031):
        off = {d: e for d, e in cal.days_off.items() if d.year == year}
        for fixed in (D(year, 1, 1), D(year, 4, 30), D(year, 5, 1), D(year, 9, 2)):
            assert fixed in off, fixed
        # Quốc khánh: 2/9 and exactly one adjacent day (Labour Code 2019 art. 112.1đ)
        adjacent = [d for d in (D(year, 9, 1), D(year, 9, 3)) if off.get(d) and off[d].name == "Quốc khánh"]
        assert len(adjacent) == 1, (year, adjacent)
        # Tết Âm lịch: five days named as Tết (the eve and mùng 1–4), Giỗ Tổ one day
        assert sum(1 for e in off.values() if "Tết Nguyên đán" in e.name) == 5, year
        assert sum(1 for e in off.values() if e.name == "Ngày Giỗ Tổ Hùng Vương") == 1, year
        # every statutory day that falls Monday–Friday, plus one for each on a weekend, is a weekday off
        assert sum(1 for d in off if d.weekday() < 5) - sum(1 for d in cal.working_days if d.year == year) >= 11
        assert all(e.source for e in off.values())
        # decided years are marked as such; later years are expected (dự kiến) until a decision
        assert all(e.estimated == (year >= 2027) for e in off.values()), year


@pytest.mark.parametrize("year, tet, gio_to", [
    (2025, D(2025, 1, 29), D(2025, 4, 7)), (2026, D(2026, 2, 17), D(2026, 4, 26)),
    (2027, D(2027, 2, 6), D(2027, 4, 16)), (2028, D(2028, 1, 26), D(2028, 4, 4)),
    (2029, D(2029, 2, 13), D(2029, 4, 23)),
    (2030, D(2030, 2, 2), D(2030, 4, 12)),  # Vietnamese calendar (UTC+7); China's Spring Festival is 3/2/2030
])
def test_lunar_holidays_fall_on_the_known_dates(cal, year, tet, gio_to):
    assert cal.days_off[tet].name == "Tết Nguyên đán"
    assert cal.days_off[gio_to].name == "Ngày Giỗ Tổ Hùng Vương"


# --- working days --------------------------------------------------------------------------------

def test_tet_2026_week_is_closed(cal):
    assert cal.is_working_day(D(2026, 2, 13))  # Friday before
    assert [d.day for d in (D(2026, 2, 14) + dt.timedelta(days=i) for i in range(9)) if cal.is_working_day(d)] == []
    assert cal.is_working_day(D(2026, 2, 23))
    # one working day after Friday 13/2 is Monday 23/2, not Monday 16/2
    assert cal.add_working_days(local(2026, 2, 13, 10, 0), 1).date() == D(2026, 2, 23)
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1


def test_quoc_khanh_with_its_adjacent_day(cal):
    # 2025: Tuesday 2/9 with Monday 1/9
    assert not cal.is_working_day(D(2025, 9, 1)) and not cal.is_working_day(D(2025, 9, 2))
    assert cal.is_working_day(D(2025, 9, 3))
    # 2026: Wednesday 2/9 with Tuesday 1/9, and Monday 31/8 swapped with Saturday 22/8
    assert [cal.is_working_day(D(2026, 8, d)) for d in (22, 28, 31)] == [True, True, False]
    assert not cal.is_working_day(D(2026, 9, 1)) and cal.is_working_day(D(2026, 9, 3))
    assert cal.add_working_days(local(2026, 8, 28, 9, 0), 1).date() == D(2026, 9, 3)


def test_compensatory_day_off(cal):
    # Giỗ Tổ 2026 falls on Sunday 26/4: Monday 27/4 is taken instead (Labour Code 2019 art. 111.3)
    assert not cal.is_working_day(D(2026, 4, 27))
    assert "nghỉ bù" in cal.day_off_name(D(2026, 4, 27))
    # Tết Dương lịch 2028 on a Saturday: Monday 3/1/2028
    assert not cal.is_working_day(D(2028, 1, 3)) and cal.is_working_day(D(2028, 1, 4))


def test_make_up_saturday_counts_as_a_working_day(cal):
    # 2025: Friday 2/5 off in exchange for Saturday 26/4
    assert cal.is_working_day(D(2025, 4, 26)) and not cal.is_working_day(D(2025, 5, 2))
    start = local(2025, 4, 25, 14, 0)
    assert [cal.add_working_days(start, n).date() for n in (1, 2, 3, 4)] == [
        D(2025, 4, 26), D(2025, 4, 28), D(2025, 4, 29), D(2025, 5, 5)]


def test_deadline_crossing_tet(cal):
    # received Thursday 12/2/2026: 20 working days skip Tết and end on Thursday 19/3, not 4/3
    due = cal.add_working_days(local(2026, 2, 12, 9, 0), 20)
    assert due == dt.datetime(2026, 3, 19, 23, 59, 59, tzinfo=VN_TZ)


def test_years_outside_the_file_count_monday_to_friday(cal):
    assert cal.is_working_day(D(2040, 1, 2)) and not cal.is_working_day(D(2040, 1, 7))
    with pytest.raises(ValueError):
        cal.add_working_days(local(2026, 1, 5, 9, 0), -1)


def test_a_pause_takes_working_days_out_of_the_count(cal):
    start = local(2026, 10, 5, 9, 0)  # Monday
    assert cal.add_working_days(start, 5).date() == D(2026, 10, 12)
    # paused Wednesday 7/10 → Tuesday 13/10: 8, 9, 12, 13 do not count; 7/10 does
    pause = (local(2026, 10, 7, 10, 0), local(2026, 10, 13, 15, 0))
    assert cal.add_working_days(start, 5, paused=[pause]).date() == D(2026, 10, 16)
    assert cal.working_days_between(start, local(2026, 10, 16, 9, 0), paused=[pause]) == 5
    with pytest.raises(ValueError):
        cal.add_working_days(start, 5, paused=[(pause[1], pause[0])])


# --- Vietnam time --------------------------------------------------------------------------------

def test_day_boundary_is_midnight_in_vietnam_not_utc(sessions):
    # 23:30 on Monday 5/10 in Vietnam and 00:30 on Tuesday 6/10 are both 5/10 in UTC
    late_monday, early_tuesday = local(2026, 10, 5, 23, 30), local(2026, 10, 6, 0, 30)
    assert late_monday.date() == early_tuesday.date() == D(2026, 10, 5)
    with sessions() as db, db.begin():
        first = service.create_record(db, draft(), now=late_monday)
        second = service.create_record(db, draft(chat_id="78"), now=early_tuesday)
        assert format_local_date(first.due_at) == "02/11/2026"
        assert format_local_date(second.due_at) == "03/11/2026"
        # inbox date filters are days in Vietnam too
        rows, _ = service.inbox(db, service.InboxFilter(date_from=D(2026, 10, 6), date_to=D(2026, 10, 6)))
        assert [r.id for r in rows] == [second.id]


# --- the waiting-for-citizen pause in the workflow ------------------------------------------------

def test_waiting_for_the_citizen_pauses_the_answer_deadline(sessions):
    with sessions() as db, db.begin():
        record = service.create_record(db, draft(), now=local(2026, 10, 5, 9, 0))
        assert format_local_date(record.due_at) == "02/11/2026"
        with pytest.raises(service.InvalidInput):
            service.transition(db, record.id, WAITING, "canbo", "")
        service.transition(db, record.id, WAITING, "canbo", "Số biên nhận hồ sơ và ngày nộp",
                           now=local(2026, 10, 7, 10, 0))
        message = db.query(outbox.OutboxMessage).one()
        assert "Số biên nhận hồ sơ và ngày nộp" in message.text and message.chat_id == "77"
        # waiting past the due date is not overdue: the clock is stopped
        assert not service.is_overdue(record, now=local(2026, 11, 20, 9, 0))
        rows, _ = service.inbox(db, service.InboxFilter(overdue=True))
        assert rows == []
        service.transition(db, record.id, service.IN_PROGRESS, "canbo", "đã nhận thông tin",
                           now=local(2026, 10, 13, 15, 0))
        assert (record.paused_at, record.paused_days) == (None, 4)
        assert format_local_date(record.due_at) == "06/11/2026"  # 2/11 + 4 working days
        assert service.is_overdue(record, now=local(2026, 11, 7, 9, 0))


def test_step_deadlines_and_settings(sessions, monkeypatch):
    with sessions() as db, db.begin():
        record = service.create_record(db, draft(), now=local(2026, 8, 27, 9, 0))  # Thursday before 2/9
        steps = {k: format_local_date(v) for k, v in step_deadlines(record).items()}
    # refuse 2 (Fri 28/8, Thu 3/9), request info / transfer / accept 5 (… 4/9, 7/9, 8/9)
    assert steps["refuse"] == "03/09/2026"
    assert steps["request_info"] == steps["transfer"] == steps["accept"] == "08/09/2026"
    monkeypatch.setenv("TTHC_FEEDBACK_ANSWER_DAYS", "15")
    assert Deadlines().answer_days == 15 and Deadlines(answer_days=10).answer_days == 10
    monkeypatch.setenv("TTHC_FEEDBACK_REFUSE_DAYS", "0")
    with pytest.raises(ValidationError):
        Deadlines()


# --- a wrong holiday file --------------------------------------------------------------------------

def test_a_wrong_holiday_file_names_the_file_entry_and_field(tmp_path, monkeypatch):
    bad = tmp_path / "holidays.yaml"
    bad.write_text("years:\n  2031:\n    days_off:\n"
                   "      - {date: 2031-01-01, name: Tết Dương lịch, source: BLLĐ}\n"
                   "      - {date: 2031-02-30, name: Sai ngày, source: x}\n"
                   "    working_days:\n      - {date: 2031-01-10, name: Làm bù, source: x}\n", encoding="utf-8")
    with pytest.raises(HolidayDataError) as error:
        load_calendar(bad)
    assert str(bad) in str(error.value) and "years.2031.days_off[1].date" in str(error.value)
    assert "2031-02-30" in str(error.value)
    bad.write_text("years:\n  2031:\n    working_days:\n      - {date: 2031-01-10, name: Làm bù, source: x}\n"
                   "      - {date: 2032-01-03, name: Làm bù, source: x, colour: red}\n", encoding="utf-8")
    with pytest.raises(HolidayDataError) as error:
        load_calendar(bad)
    assert "years.2031.working_days[1].colour" in str(error.value)
    bad.write_text("years:\n  2031:\n    working_days:\n      - {date: 2031-01-10, name: Làm bù, source: x}\n",
                   encoding="utf-8")
    with pytest.raises(HolidayDataError, match=r"working_days\[0\] \(2031-01-10\)\.date: .*Saturday or Sunday"):
        load_calendar(bad)
    bad.write_text("years: [unclosed", encoding="utf-8")
    with pytest.raises(HolidayDataError, match="not valid YAML"):
        load_calendar(bad)
    with pytest.raises(HolidayDataError, match="cannot read"):
        load_calendar(tmp_path / "missing.yaml")
    # TTHC_HOLIDAYS_FILE replaces the bundled file: here 2031-01-10, a Friday, becomes a day off
    bad.write_text("years:\n  2031:\n    days_off:\n      - {date: 2031-01-10, name: Ngày nghỉ riêng, source: QĐ x}\n",
                   encoding="utf-8")
    monkeypatch.setenv("TTHC_HOLIDAYS_FILE", str(bad))
    edited = load_calendar()
    assert not edited.is_working_day(D(2031, 1, 10)) and edited.source == str(bad)


# --- one due date for the citizen and for staff -----------------------------------------------------

def test_bot_and_staff_page_show_the_same_due_date(sessions):
    with sessions() as db, db.begin():
        add_user(db, "canbo", "mat-khau-rat-dai-1", role="admin", display_name="Cán bộ")
        fresh = service.create_record(db, draft(), now=local(2026, 10, 6, 0, 30))
        # a record stored by the earlier calendar-day code: due at 17:30 UTC, already the next day in Vietnam
        legacy = service.create_record(db, draft(chat_id="79"), now=local(2026, 12, 4, 0, 30))
        legacy.due_at = dt.datetime(2026, 12, 24, 17, 30)
        ids = {fresh.reference: (fresh.id, "77"), legacy.reference: (legacy.id, "79")}
        fresh_ref, legacy_ref = fresh.reference, legacy.reference
    port = DatabaseFeedbackPort(sessions)
    client = TestClient(Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="w" * 40, https_only=False)))]))
    page = client.get("/staff/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/staff/login", data={"username": "canbo", "password": "mat-khau-rat-dai-1", "csrf": csrf})
    shown = {}
    for reference, (record_id, chat_id) in ids.items():
        bot_date = port.lookup(reference, "telegram", chat_id).due_date
        staff_date = re.search(r"Hạn trả lời:</strong> (\d\d/\d\d/\d{4})", client.get(f"/staff/records/{record_id}").text).group(1)
        assert bot_date == staff_date
        shown[reference] = bot_date
    assert shown[fresh_ref] == "03/11/2026"
    assert shown[legacy_ref] == "25/12/2026"  # the bot used to say 24/12 (the UTC date)
