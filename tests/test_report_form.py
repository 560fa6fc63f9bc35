"""The official-layout sheet, cell by cell, on a seed made through the service API and computed by hand.

October 2026 in Vietnam time (UTC 30/09 17:00 – 31/10 17:00). Deadlines are 20 working days from
receipt (feedback.workdays; no public holiday falls in these weeks).

  #1  A  telegram  received 10/09, answered 20/09, reopened 03/10, answered again 12/10 (due 08/10: late);
                   published 13/10; rated 2
  #2  A  zalo      received 25/09, answered 10/10 (due 23/10: on time); rated 5
  #3  A  telegram  received 30/09 18:00 UTC = 01/10 01:00 in Vietnam: an October record; refused 02/10; published
  #4  A  web       received 01/10, still open (due 29/10: overdue at the end of October, not on 20/10)
  #5  B  telegram  received 20/10 (quy định), open, due 09/11
  #6  B  zalo      received 12/10, transferred 13/10
  #7  B  telegram  khen (praise): counted apart, never as a PAKN
  #8  –  telegram  received 31/10 18:00 UTC = 01/11 in Vietnam: not October's
  #9  –  zalo      received 31/10 16:00 UTC = 23:00 on 31/10 in Vietnam: October's, open
  #10 B  telegram  received 01/08, in progress since: carried over, overdue
"""

import datetime as dt

import pytest
from openpyxl import load_workbook

from feedback import service
from feedback.models import SatisfactionRating
from feedback.report_form import FormLayout
from feedback.reports import Period, UnknownUnit, build_report, resolve_unit
from feedback.service import Draft

D = dt.datetime
A, B = "UBND xã Tân Hòa", "UBND phường An Phú"


def seed(db):
    def new(n, unit, channel, received, kind="phan_anh", classification=None):
        record = service.create_record(db, Draft(kind=kind, content=f"nội dung {n}", channel=channel, chat_id=f"chat-{n}",
                                                 agency=unit), now=received)
        if classification:
            service.classify(db, record.id, classification, "canbo")
        return record.id

    def answer(record_id, at):
        service.reply(db, record_id, "canbo", "trả lời", now=at)

    r1 = new(1, A, "telegram", D(2026, 9, 10, 2), classification="quy_dinh")
    answer(r1, D(2026, 9, 20))
    service.transition(db, r1, "in_progress", "canbo", "người dân chưa thỏa đáng", now=D(2026, 10, 3))
    answer(r1, D(2026, 10, 12))
    service.publish(db, r1, "canbo", now=D(2026, 10, 13))
    service.rate_record(db, "telegram", "chat-1", 2, now=D(2026, 10, 13))
    r2 = new(2, A, "zalo", D(2026, 9, 25, 3), kind="kien_nghi")
    answer(r2, D(2026, 10, 10))
    service.rate_record(db, "zalo", "chat-2", 5, now=D(2026, 10, 11))
    r3 = new(3, A, "telegram", D(2026, 9, 30, 18), classification="hanh_vi")
    service.transition(db, r3, "rejected", "canbo", "không thuộc thẩm quyền", now=D(2026, 10, 2))
    service.publish(db, r3, "canbo", now=D(2026, 10, 5))
    new(4, A, "web", D(2026, 10, 1, 3))
    new(5, B, "telegram", D(2026, 10, 20), kind="kien_nghi", classification="quy_dinh")
    r6 = new(6, B, "zalo", D(2026, 10, 12))
    service.transition(db, r6, "transferred", "canbo", "Sở Tư pháp", now=D(2026, 10, 13))
    new(7, B, "telegram", D(2026, 10, 15), kind="khen")
    new(8, "", "telegram", D(2026, 10, 31, 18))
    new(9, "", "zalo", D(2026, 10, 31, 16))
    r10 = new(10, B, "telegram", D(2026, 8, 1))
    service.transition(db, r10, "in_progress", "canbo", now=D(2026, 8, 2))
    db.add(SatisfactionRating(subject="answer", channel="telegram", score=5, at=D(2026, 10, 4)))  # a 👍: not in the form


# STT, unit, carried, new, telegram, zalo, web, other, reopened, to handle, quy định, hành vi, unclassified,
# handled, on time, late, refused, transferred, open, within, overdue, published, 5.1, 5.2, 5.3
EXPECTED_ROWS = [
    [1, B, 1, 2, 1, 1, 0, 0, 0, 3, 1, 0, 1, 1, 0, 0, 0, 1, 2, 1, 1, 0, 1 / 3, None, None],
    [2, A, 1, 2, 1, 0, 1, 0, 1, 4, 0, 1, 1, 3, 1, 1, 1, 0, 1, 0, 1, 2, 0.75, 0.5, 0.5],
    [3, "chưa phân loại", 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0.0, None, None],
    [None, "Tổng cộng", 2, 5, 2, 2, 1, 0, 1, 8, 1, 1, 3, 4, 1, 1, 1, 1, 4, 2, 2, 2, 0.5, 0.5, 0.5],
]


def test_official_sheet_cell_by_cell(sessions, tmp_path):
    from feedback.report_files import write_xlsx

    with sessions() as db, db.begin():
        seed(db)
    with sessions() as db:
        report = build_report(db, Period.parse("2026-10"), now=D(2026, 11, 3, 2))
    layout = FormLayout(reporting_unit="UBND tỉnh Thử Nghiệm")
    sheet = load_workbook(write_xlsx(report, tmp_path / "bieu.xlsx", layout))["Biểu 06-VPCP-KSTT"]

    assert sheet["A1"].value == "Đơn vị báo cáo: UBND tỉnh Thử Nghiệm"
    assert sheet["A2"].value == "Đơn vị nhận báo cáo: Văn phòng Chính phủ (Cục Kiểm soát thủ tục hành chính)"
    assert sheet["T1"].value == "Biểu số 06/VPCP/KSTT" and sheet["T3"].value == "Ngày lập: 03/11/2026 09:00"
    assert sheet["A4"].value.startswith("TÌNH HÌNH, KẾT QUẢ TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ")
    assert sheet["A5"].value == "Kỳ báo cáo: Tháng 10/2026 (từ ngày 01/10/2026 đến ngày 31/10/2026)"
    assert sheet["A6"].value == "Phạm vi: Toàn bộ các đơn vị"
    assert sheet["T7"].value == "Đơn vị tính: Số phản ánh, kiến nghị"
    assert [sheet.cell(9, c).value for c in (1, 2, 3, 11, 14, 19, 22, 23)] == [
        "STT", "Đơn vị", "Tiếp nhận", "Phân loại (mới tiếp nhận)", "Đã xử lý", "Đang xử lý", "Công khai", "Chỉ số QĐ 766/QĐ-TTg"]
    assert [sheet.cell(10, c).value for c in (3, 4, 5, 9, 10, 11, 12, 16, 17, 21, 23)] == [
        "Kỳ trước chuyển sang", "Mới tiếp nhận trong kỳ", "Mới – qua Telegram", "Mở lại trong kỳ", "Tổng số phải xử lý",
        "Về quy định hành chính", "Về hành vi hành chính", "Trả lời quá hạn", "Không thụ lý", "Quá hạn", "5.1 Tỷ lệ đã xử lý"]
    assert [sheet.cell(11, c).value for c in range(1, 26)] == [f"({i})" for i in range(1, 26)]
    for offset, expected in enumerate(EXPECTED_ROWS):
        row = [sheet.cell(12 + offset, c).value for c in range(1, 26)]
        assert row[:22] == expected[:22], offset
        assert row[22:] == pytest.approx(expected[22:]), offset
        assert all(sheet.cell(12 + offset, c).number_format == "#,##0" for c in range(3, 23))
        assert all(sheet.cell(12 + offset, c).number_format == "0.0%" for c in range(23, 26))
    assert sheet.cell(16, 2).value is None  # nothing after the total row

    block = {sheet.cell(r, 2).value: sheet.cell(r, 3).value for r in range(17, 40) if sheet.cell(r, 2).value}
    assert block["5.1 Tỷ lệ PAKN đã được tiếp nhận, xử lý"] == 0.5
    assert block["5.2 Tỷ lệ PAKN được trả lời đúng hạn"] == 0.5 and block["5.3 Tỷ lệ hài lòng về việc xử lý PAKN"] == 0.5
    assert [block[f"Mức {i} – {name}"] for i, name in enumerate(
        ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"], start=1)] == [0, 1, 0, 0, 1]
    assert block["Tổng số đánh giá"] == 2 and block["Tỷ lệ hài lòng (mức 4–5)"] == 0.5
    assert block["Số hồ sơ đã trả lời trong kỳ"] == 2 and block["Tỷ lệ phản hồi (hồ sơ được đánh giá / hồ sơ đã trả lời)"] == 1
    assert block["Số lời khen tiếp nhận trong kỳ"] == 1
    notes = [sheet.cell(r, 1).value for r in range(17, 60) if str(sheet.cell(r, 1).value or "").startswith("- 5.")]
    assert notes == ["- 5.1 = Đã xử lý / Tổng số phải xử lý × 100%.",
                     "- 5.2 = Trả lời đúng hạn / (Trả lời đúng hạn + Trả lời quá hạn) × 100%.",
                     "- 5.3 = Số đánh giá mức 4–5 / Tổng số đánh giá trong kỳ × 100%."]


def test_overdue_is_judged_at_report_time_in_the_current_period(sessions):
    with sessions() as db, db.begin():
        seed(db)
    with sessions() as db:
        mid = build_report(db, Period.parse("2026-10"), unit=A, now=D(2026, 10, 20, 5))
        done = build_report(db, Period.parse("2026-10"), unit=A, now=D(2026, 11, 3))
    assert (mid.feedback.open_within_deadline, mid.feedback.open_overdue) == (1, 0)  # #4 is due on 25/10
    assert (done.feedback.open_within_deadline, done.feedback.open_overdue) == (0, 1)


def test_units_are_resolved_or_refused_by_name(sessions):
    with sessions() as db, db.begin():
        seed(db)
    with sessions() as db:
        assert resolve_unit(db, None) is None and resolve_unit(db, "  ubnd xã tân hòa ") == A
        assert resolve_unit(db, "chưa phân loại") == "" and resolve_unit(db, "(Chưa phân loại)") == ""
        with pytest.raises(UnknownUnit, match="Có phải: UBND xã Tân Hòa"):
            resolve_unit(db, "UBND xa Tan Hoa")
        with pytest.raises(UnknownUnit, match="trống"):
            resolve_unit(db, "")
        alone = build_report(db, Period.parse("2026-10"), unit="", now=D(2026, 11, 3))
    assert alone.unit_label == "Chưa phân loại" and alone.usage is None and alone.answer_ratings is None
    assert (alone.feedback.received, alone.feedback.open_within_deadline, alone.praise) == (1, 1, 0)
