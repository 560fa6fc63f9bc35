"""Reports: hand-computed expected values on seeded data, XLSX cell by cell, charts, and the
reconciliation identity on random histories.

Dates in the scenario are UTC as stored; periods are Vietnam time (UTC+7), so R11, received at
23:00 UTC on 30 September, is an October record (06:00 on 1 October in Vietnam)."""

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from feedback.models import FeedbackRecord, QuestionLog, SatisfactionRating, StatusChange
from feedback.report_files import charts, write_csv, write_xlsx
from feedback.reports import Period, build_report
from feedback.service import TRANSITIONS

D = dt.datetime
REFERENCES = itertools.count(1)


def record(received, history, kind="phan_anh", channel="telegram", agency="UBND phường An Phú", field="Hộ tịch",
           procedure="Đăng ký khai sinh", due_days=20):
    r = FeedbackRecord(reference=f"PA-2026-{next(REFERENCES):06d}", kind=kind, content="x",
                       channel=channel, chat_id="c", status=history[-1][2] if history else "new", received_at=received,
                       due_at=received + dt.timedelta(days=due_days), next_update_due_at=received + dt.timedelta(days=7),
                       agency=agency, field=field, procedure_name=procedure)
    r.history = [StatusChange(actor="t", at=received, from_status=None, to_status="new")] + [
        StatusChange(actor="t", at=at, from_status=a, to_status=b) for at, a, b in history]
    return r


def scenario():
    return [
        record(D(2026, 6, 20), [(D(2026, 6, 21), "new", "in_progress"), (D(2026, 6, 25), "in_progress", "answered")]),   # R1 done before
        record(D(2026, 6, 25), [(D(2026, 6, 26), "new", "in_progress"), (D(2026, 7, 10), "in_progress", "answered")]),   # R2 carried, on time
        record(D(2026, 6, 1), [(D(2026, 6, 2), "new", "in_progress")]),                                                   # R3 carried, overdue
        record(D(2026, 7, 5), [(D(2026, 7, 6), "new", "in_progress"), (D(2026, 7, 20), "in_progress", "answered")],
               agency="UBND xã Tân Hòa"),                                                                                  # R4 on time
        record(D(2026, 8, 1), [(D(2026, 8, 2), "new", "in_progress"), (D(2026, 9, 15), "in_progress", "answered")],
               kind="kien_nghi", channel="zalo", field="Cư trú"),                                                          # R5 late
        record(D(2026, 8, 10), [(D(2026, 8, 12), "new", "transferred")], channel="zalo"),                                  # R6 transferred
        record(D(2026, 9, 1), [(D(2026, 9, 2), "new", "rejected")]),                                                       # R7 rejected
        record(D(2026, 9, 20), [], kind="khen"),                                                                          # R8 open, in time
        record(D(2026, 5, 1), [(D(2026, 5, 2), "new", "in_progress"), (D(2026, 5, 10), "in_progress", "answered"),
                               (D(2026, 5, 12), "answered", "closed"), (D(2026, 6, 20), "closed", "in_progress"),
                               (D(2026, 7, 3), "in_progress", "answered")]),                                               # R9 reopened, late
        record(D(2026, 10, 2), []),                                                                                       # R10 after the period
        record(D(2026, 9, 30, 23), [(D(2026, 10, 1, 1), "new", "in_progress")]),                                           # R11 at the boundary
    ]


def feedback_tables(sessions, records, period):
    """The PAKN tables of `period` for `records`, computed by the report's SQL on a fresh database."""
    with sessions() as db, db.begin():
        for table in ("feedback_status_changes", "satisfaction_ratings", "feedback_records"):
            db.execute(__import__("sqlalchemy").text(f"DELETE FROM {table}"))
        db.add_all(records)
    with sessions() as db:
        return build_report(db, period, now=D(2026, 12, 31)).feedback


def test_period_parsing():
    assert Period.parse("2026-10").start == D(2026, 10, 1) and Period.parse("2026-10").end == D(2026, 11, 1)
    assert Period.parse("2026-Q3").label == "Quý 3/2026" and Period.parse("2026-Q3").end == D(2026, 10, 1)
    assert Period.parse("2026-h2").start == D(2026, 7, 1) and Period.parse("2026").end == D(2027, 1, 1)
    custom = Period.parse("2026-01-15..2026-02-14")
    assert custom.end == D(2026, 2, 15) and len(custom.months()) == 2
    with pytest.raises(ValueError):
        Period.parse("2026-13")
    assert Period.parse("2026-10").start_utc == D(2026, 9, 30, 17)  # 00:00 on 1 October in Vietnam
    ky = Period.parse("ky:2026-10")
    assert (ky.start, ky.end) == (D(2026, 9, 15), D(2026, 10, 15)) and ky.span == "từ ngày 15/09/2026 đến ngày 14/10/2026"
    ky = Period.parse("ky:2026-Q1")
    assert (ky.start, ky.end) == (D(2025, 12, 15), D(2026, 3, 15)) and [s.day for s, _ in ky.months()] == [15, 15, 15]
    assert Period.parse("ky:2026").start == D(2025, 12, 15) and Period.parse("ky:2026").end == D(2026, 12, 15)


def test_hand_computed_quarter(sessions):
    t = feedback_tables(sessions, scenario(), Period.parse("2026-Q3"))
    # R8 (khen) is no PAKN; R11 is an October record in Vietnam time
    assert (t.carried_over, t.received, t.reopened) == (3, 4, 0)
    assert (t.answered_on_time, t.answered_late, t.rejected, t.transferred) == (2, 2, 1, 1)
    assert (t.open_within_deadline, t.open_overdue) == (0, 1)
    assert t.reconciles and t.handled == 6 and t.still_open == 1
    assert sorted(t.days_to_answer) == [15.0, 15.0, 45.0, 63.0]
    assert (t.average_days, t.median_days) == (34.5, 30.0)
    assert dict(t.by_kind) == {"phan_anh": 3, "kien_nghi": 1}
    assert dict(t.by_channel) == {"telegram": 2, "zalo": 2}
    assert t.by_agency["UBND xã Tân Hòa"] == 1 and t.by_field["Cư trú"] == 1


def test_one_month_inside_the_quarter(sessions):
    t = feedback_tables(sessions, scenario(), Period.parse("2026-08"))
    # carried into August: R3 (overdue), R5? no (received in Aug); R2, R4, R9 were answered in July
    assert (t.carried_over, t.received) == (1, 2)
    assert (t.answered_on_time, t.answered_late, t.transferred, t.open_within_deadline, t.open_overdue) == (0, 0, 1, 0, 2)
    assert t.reconciles


def seed(db):
    records = scenario()
    db.add_all(records)
    db.flush()
    at = D(2026, 8, 15)
    for score, subject in [(5, "answer"), (5, "answer"), (4, "answer"), (2, "answer"), (1, "answer"), (3, "feedback")]:
        db.add(SatisfactionRating(subject=subject, channel="telegram", score=score, at=at,
                                  record_id=records[3].id if subject == "feedback" else None))  # R4 rates its answer
    db.add(SatisfactionRating(subject="answer", channel="telegram", score=1, at=D(2026, 11, 1)))  # outside
    for code, decision, intent, text, helpful in [
        ("1.001193", "answer", "procedure", "làm khai sinh", None), ("1.001193", "answer", "procedure", "khai sinh cho con", None),
        ("1.004194", "answer", "procedure", "tạm trú", False), ("1.004194", "answer", "procedure", "đăng ký tạm trú", None),
        (None, "clarify", "procedure", "làm giấy", None), (None, "decline", "procedure", "cấp phép bay flycam", None),
        (None, "decline", "out_of_scope", "giá vàng", None)]:
        db.add(QuestionLog(at=at, channel="telegram", text=text, intent=intent, decision=decision, procedure_code=code, helpful=helpful))


def test_report_xlsx_cell_by_cell_csv_and_charts(sessions, tmp_path):
    with sessions() as db, db.begin():
        seed(db)
    with sessions() as db:
        report = build_report(db, Period.parse("2026-Q3"), names={"1.001193": "Đăng ký khai sinh", "1.004194": "Đăng ký tạm trú"},
                              now=D(2026, 10, 5, 8, 30))
    # case satisfaction (1–5 on a handled record) apart from the 👍/👎 on the assistant's answers
    sat = report.satisfaction
    assert sat.ratings == 1 and sat.levels == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0} and sat.share == 0.0
    assert (sat.answered_records, sat.rated_records, sat.response_rate) == (4, 1, 0.25)  # R2, R4, R5, R9 answered
    assert (report.answer_ratings.up, report.answer_ratings.down) == (3, 2)
    use = report.usage
    assert (use.questions, use.answered, use.clarified, use.declined) == (7, 4, 1, 2)
    assert use.top_procedures == [("Đăng ký khai sinh (1.001193)", 2), ("Đăng ký tạm trú (1.004194)", 2)]
    assert use.unanswered == 2  # "cấp phép bay flycam" (declined) and "tạm trú" (👎); not "giá vàng"

    path = write_xlsx(report, tmp_path / "q3.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames[:4] == ["Biểu 06-VPCP-KSTT", "Tổng hợp PAKN", "Tiếp nhận theo loại", "Tiếp nhận theo kênh"]
    sheet = workbook["Tổng hợp PAKN"]
    assert sheet["A1"].value == "Tổng hợp PAKN"
    assert sheet["A2"].value == "Kỳ báo cáo: Quý 3/2026 (từ ngày 01/07/2026 đến ngày 30/09/2026)"
    assert sheet["A3"].value == "Thời điểm lập: 05/10/2026 15:30"  # 08:30 UTC is 15:30 in Vietnam
    assert sheet["A4"].value == "Phạm vi: Toàn bộ các đơn vị"
    assert [sheet.cell(5, c).value for c in (1, 2)] == ["Chỉ tiêu", "Số lượng"]
    expected = [("Kỳ trước chuyển sang", 3), ("Tiếp nhận trong kỳ", 4), ("Mở lại trong kỳ", 0), ("Tổng số phải xử lý", 7),
                ("Đã giải quyết – trả lời đúng hạn", 2), ("Đã giải quyết – trả lời quá hạn", 2), ("Không thụ lý", 1),
                ("Chuyển cơ quan khác", 1), ("Đang giải quyết – trong hạn", 0), ("Đang giải quyết – quá hạn", 1),
                ("Thời gian trả lời trung bình (ngày)", 34.5), ("Thời gian trả lời trung vị (ngày)", 30)]
    for offset, (label, value) in enumerate(expected):
        assert (sheet.cell(6 + offset, 1).value, sheet.cell(6 + offset, 2).value) == (label, value)
        assert sheet.cell(6 + offset, 2).data_type == "n"  # numbers, not text
    kinds = workbook["Tiếp nhận theo loại"]
    assert [(kinds.cell(r, 1).value, kinds.cell(r, 2).value) for r in (6, 7, 8, 9)] == [
        ("Phản ánh", 3), ("Kiến nghị", 1), ("Tổng cộng", 4), ("Khen (không tính là PAKN)", 1)]
    months = workbook["Theo tháng"]  # July: R2, R4 on time, R9 late, R3 open; Aug: R3, R5 open; Sep: R5 late, R7 refused
    assert [[months.cell(r, c).value for c in range(1, 6)] for r in (6, 7, 8)] == [
        ["07/2026", 1, 2, 1, 1], ["08/2026", 2, 0, 0, 2], ["09/2026", 1, 0, 1, 1]]
    satisfaction = workbook["Mức độ hài lòng"]
    assert [satisfaction.cell(r, 2).value for r in range(6, 12)] == [0, 0, 1, 0, 0, 1]
    assert (satisfaction.cell(12, 1).value, satisfaction.cell(12, 2).value) == ("Tỷ lệ hài lòng (mức 4–5)", 0)
    assert satisfaction.cell(12, 2).number_format == "0.0%"
    assert satisfaction.cell(14, 2).value == 0.25 and satisfaction.cell(14, 2).number_format == "0.0%"
    votes = workbook["Đánh giá câu trả lời của trợ lý"]
    assert [votes.cell(6, c).value for c in range(1, 5)] == ["Telegram", 3, 2, 0.6]
    text = " ".join(str(c.value) for s in workbook for row in s.iter_rows() for c in row if c.value)
    assert "0912" not in text and "chat" not in text  # no personal data, no chat ids

    files = write_csv(report, tmp_path / "csv")
    assert len(files) == len(workbook.sheetnames)
    assert files[1].read_text(encoding="utf-8-sig").startswith(
        "Tổng hợp PAKN – Toàn bộ các đơn vị – Quý 3/2026 (từ ngày 01/07/2026 đến ngày 30/09/2026)")
    images = charts(report)
    assert set(images) == {"xu-huong-theo-thang", "theo-loai", "dung-han-qua-han", "hai-long", "danh-gia-tro-ly"}
    assert all(data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000 for data in images.values())


# --- property: the identity holds on any history the workflow allows -----------------------------

@st.composite
def histories(draw):
    received = D(2026, 1, 1) + dt.timedelta(hours=draw(st.integers(0, 24 * 300)))
    steps, status, at = [], "new", received
    for _ in range(draw(st.integers(0, 6))):
        options = TRANSITIONS[status]
        if not options:
            break
        nxt = draw(st.sampled_from(options))
        at = at + dt.timedelta(hours=draw(st.integers(1, 24 * 40)))
        steps.append((at, status, nxt))
        status = nxt
    return record(received, steps, due_days=draw(st.integers(1, 30)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(histories(), max_size=30), st.sampled_from(["2026-03", "2026-Q2", "2026-H2", "2026", "2026-02-10..2026-05-20"]))
def test_carried_plus_received_equals_handled_plus_open(sessions, records, period):
    t = feedback_tables(sessions, records, Period.parse(period))
    assert t.reconciles
    assert all(n >= 0 for n in (t.answered_on_time, t.answered_late, t.rejected, t.transferred, t.open_within_deadline, t.open_overdue))


def test_staff_reports_page_and_downloads(sessions):
    import re

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from feedback.auth import add_user
    from feedback.web.app import WebConfig, create_staff_app

    with sessions() as db, db.begin():
        seed(db)
        add_user(db, "baocao", "mat-khau-bao-cao")
    client = TestClient(Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="r" * 40, https_only=False)))]))
    assert client.get("/staff/reports?period=2026-Q3").url.path == "/staff/login"
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/staff/login").text).group(1)
    client.post("/staff/login", data={"username": "baocao", "password": "mat-khau-bao-cao", "csrf": token})
    page = client.get("/staff/reports?period=2026-Q3")
    assert "Quý 3/2026" in page.text and "Kỳ trước chuyển sang" in page.text and "Số liệu không khớp" not in page.text
    xlsx = client.get("/staff/reports/bao-cao.xlsx?period=2026-Q3")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/staff/reports/bao-cao-csv.zip?period=2026-Q3").content[:2] == b"PK"
    assert client.get("/staff/reports/hai-long.png?period=2026-Q3").content[:4] == b"\x89PNG"
    assert "không hợp lệ" in client.get("/staff/reports?period=2026-13").text
    assert "Có phải: UBND phường An Phú" in client.get("/staff/reports?period=2026-Q3&agency=UBND phuong An Phu").text
    unit = client.get("/staff/reports?period=2026-Q3&agency=UBND xã Tân Hòa")
    assert "UBND xã Tân Hòa" in unit.text and "không gắn với đơn vị" in unit.text


def test_one_report_computation_per_page_view(sessions):
    """The page and its five charts share one computation; charts are rendered once."""
    import re

    from starlette.testclient import TestClient

    from feedback.auth import add_user
    from feedback.web.app import WebConfig, create_staff_app

    with sessions() as db, db.begin():
        seed(db)
        add_user(db, "baocao", "mat-khau-bao-cao", role="admin")  # province-wide: the assistant's usage charts too
    app = create_staff_app(sessions, WebConfig(secret_key="r" * 40, prefix="", https_only=False))
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "baocao", "password": "mat-khau-bao-cao", "csrf": token})
    page = client.get("/reports?period=2026-Q3")
    images = re.findall(r'<img src="(/reports/[^"]+)"', page.text)
    assert len(images) == 5
    for src in images:
        assert client.get(src.replace("&amp;", "&")).content[:4] == b"\x89PNG"
    assert app.state.report_cache.computations == 1
    with sessions() as db, db.begin():  # new data: a new version, computed again
        db.add(SatisfactionRating(subject="answer", channel="zalo", score=5, at=D(2026, 9, 1)))
    client.get("/reports?period=2026-Q3")
    assert app.state.report_cache.computations == 2


def test_purge_removes_personal_data_and_keeps_the_statistics(sessions):
    from feedback.retention import REMOVED, purge

    with sessions() as db, db.begin():
        seed(db)
        for r in db.query(FeedbackRecord):
            r.contact_consent, r.contact_phone, r.chat_id, r.updated_at = True, "0912345678", "chat-1", r.received_at
    with sessions() as db:
        before = build_report(db, Period.parse("2026-Q3"), now=D(2026, 10, 5))
    with sessions() as db, db.begin():
        result = purge(db, older_than_days=60, now=D(2026, 11, 30))
    assert result.records == 7 and result.questions == 7  # finished records only; R3, R8, R10, R11 are open
    with sessions() as db:
        purged = db.query(FeedbackRecord).filter_by(content=REMOVED).all()
        assert all(r.contact_phone is None and r.chat_id == "" for r in purged)
        assert db.query(FeedbackRecord).filter(FeedbackRecord.content != REMOVED).count() == 4
        after = build_report(db, Period.parse("2026-Q3"), now=D(2026, 10, 5))
    assert vars(after.feedback) == vars(before.feedback)
    with pytest.raises(ValueError):
        with sessions() as db, db.begin():
            purge(db, older_than_days=7)
