"""Reports: hand-computed expected values on seeded data, XLSX cell by cell, charts, and the
reconciliation identity on random histories."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from feedback.models import FeedbackRecord, QuestionLog, SatisfactionRating, StatusChange
from feedback.report_files import charts, write_csv, write_xlsx
from feedback.reports import Period, build_report, feedback_tables
from feedback.service import TRANSITIONS

D = dt.datetime


def record(received, history, kind="phan_anh", channel="telegram", agency="UBND phường An Phú", field="Hộ tịch",
           procedure="Đăng ký khai sinh", due_days=20):
    r = FeedbackRecord(reference=f"PA-2026-{abs(hash((received, kind, channel))) % 10**6:06d}", kind=kind, content="x",
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


def test_period_parsing():
    assert Period.parse("2026-10").start == D(2026, 10, 1) and Period.parse("2026-10").end == D(2026, 11, 1)
    assert Period.parse("2026-Q3").label == "Quý 3/2026" and Period.parse("2026-Q3").end == D(2026, 10, 1)
    assert Period.parse("2026-h2").start == D(2026, 7, 1) and Period.parse("2026").end == D(2027, 1, 1)
    custom = Period.parse("2026-01-15..2026-02-14")
    assert custom.end == D(2026, 2, 15) and len(custom.months()) == 2
    with pytest.raises(ValueError):
        Period.parse("2026-13")


def test_hand_computed_quarter():
    t = feedback_tables(scenario(), Period.parse("2026-Q3"))
    assert (t.carried_over, t.received) == (3, 6)
    assert (t.answered_on_time, t.answered_late, t.rejected, t.transferred) == (2, 2, 1, 1)
    assert (t.open_within_deadline, t.open_overdue) == (2, 1)
    assert t.reconciles and t.handled == 6 and t.still_open == 3
    assert sorted(t.days_to_answer) == [15.0, 15.0, 45.0, 63.0]
    assert (t.average_days, t.median_days) == (34.5, 30.0)
    assert dict(t.by_kind) == {"phan_anh": 4, "kien_nghi": 1, "khen": 1}
    assert dict(t.by_channel) == {"telegram": 4, "zalo": 2}
    assert t.by_agency["UBND xã Tân Hòa"] == 1 and t.by_field["Cư trú"] == 1


def test_one_month_inside_the_quarter():
    t = feedback_tables(scenario(), Period.parse("2026-08"))
    # carried into August: R3 (overdue), R5? no (received in Aug); R2, R4, R9 were answered in July
    assert (t.carried_over, t.received) == (1, 2)
    assert (t.answered_on_time, t.answered_late, t.transferred, t.open_within_deadline, t.open_overdue) == (0, 0, 1, 0, 2)
    assert t.reconciles


def seed(db):
    for r in scenario():
        db.add(r)
    at = D(2026, 8, 15)
    for score, subject in [(5, "answer"), (5, "answer"), (4, "answer"), (2, "answer"), (1, "answer"), (3, "feedback")]:
        db.add(SatisfactionRating(subject=subject, channel="telegram", score=score, at=at))
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
    assert report.satisfaction.ratings == 6 and report.satisfaction.share == 0.5
    assert report.satisfaction.by_subject == {"answer": (3, 5), "feedback": (0, 1)}
    use = report.usage
    assert (use.questions, use.answered, use.clarified, use.declined) == (7, 4, 1, 2)
    assert use.top_procedures == [("Đăng ký khai sinh (1.001193)", 2), ("Đăng ký tạm trú (1.004194)", 2)]
    assert sorted(n for n, _ in use.gaps) == [1, 1]  # "cấp phép bay flycam" (declined) and "tạm trú" (👎); not "giá vàng"

    path = write_xlsx(report, tmp_path / "q3.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames[:3] == ["Tổng hợp PAKN", "Tiếp nhận theo loại", "Tiếp nhận theo kênh"]
    sheet = workbook["Tổng hợp PAKN"]
    assert sheet["A1"].value == "Tổng hợp PAKN"
    assert sheet["A2"].value == "Kỳ báo cáo: Quý 3/2026" and sheet["A3"].value == "Thời điểm lập: 05/10/2026 08:30"
    assert [sheet.cell(5, c).value for c in (1, 2)] == ["Chỉ tiêu", "Số lượng"]
    expected = [("Kỳ trước chuyển sang", 3), ("Tiếp nhận trong kỳ", 6), ("Đã giải quyết – trả lời đúng hạn", 2),
                ("Đã giải quyết – trả lời quá hạn", 2), ("Không thụ lý", 1), ("Chuyển cơ quan khác", 1),
                ("Đang giải quyết – trong hạn", 2), ("Đang giải quyết – quá hạn", 1),
                ("Thời gian trả lời trung bình (ngày)", 34.5), ("Thời gian trả lời trung vị (ngày)", 30)]
    for offset, (label, value) in enumerate(expected):
        assert (sheet.cell(6 + offset, 1).value, sheet.cell(6 + offset, 2).value) == (label, value)
    kinds = workbook["Tiếp nhận theo loại"]
    assert [(kinds.cell(r, 1).value, kinds.cell(r, 2).value) for r in (6, 7, 8)] == [("Phản ánh", 4), ("Kiến nghị", 1), ("Khen", 1)]
    months = workbook["Theo tháng"]  # July: R2, R4 on time, R9 late, R3 open; Aug: R3, R5 open; Sep: R5 late
    assert [[months.cell(r, c).value for c in range(1, 6)] for r in (6, 7, 8)] == [
        ["07/2026", 1, 2, 1, 1], ["08/2026", 2, 0, 0, 2], ["09/2026", 3, 0, 1, 3]]
    satisfaction = workbook["Mức độ hài lòng"]
    assert [satisfaction.cell(6, c).value for c in range(1, 5)] == ["Tất cả", 6, 3, "50.0%"]
    text = " ".join(str(c.value) for s in workbook for row in s.iter_rows() for c in row if c.value)
    assert "0912" not in text and "chat" not in text  # no personal data, no chat ids

    files = write_csv(report, tmp_path / "csv")
    assert len(files) == len(workbook.sheetnames) and files[0].read_text(encoding="utf-8-sig").startswith("Tổng hợp PAKN")
    images = charts(report)
    assert set(images) == {"xu-huong-theo-thang", "theo-loai", "dung-han-qua-han", "hai-long"}
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


@settings(max_examples=200, deadline=None)
@given(st.lists(histories(), max_size=30), st.sampled_from(["2026-03", "2026-Q2", "2026-H2", "2026", "2026-02-10..2026-05-20"]))
def test_carried_plus_received_equals_handled_plus_open(records, period):
    t = feedback_tables(records, Period.parse(period))
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
    client = TestClient(Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="r" * 40)))]))
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


def test_gap_questions_are_clustered_by_meaning():
    import numpy as np

    from feedback.reports import cluster

    vectors = np.array([[1, 0], [0.99, 0.14], [0, 1], [0.98, 0.2]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = cluster(["cấp phép flycam", "xin phép bay flycam", "giá vàng", "đăng ký flycam"], vectors, threshold=0.9)
    assert groups[0] == (3, ["cấp phép flycam", "xin phép bay flycam", "đăng ký flycam"]) and groups[1] == (1, ["giá vàng"])


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
