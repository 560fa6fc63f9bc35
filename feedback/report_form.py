"""The official-layout sheet an office can sign: the periodic report on receiving and handling PAKN.

It follows the Government Office's periodic report on PAKN handling (Biểu 06/VPCP/KSTT under
Thông tư 01/2020/TT-VPCP, as a public implementation names it). The exact wording of that form
could not be checked while this was written, so every text on the sheet — form number, legal
basis, title, reporting/receiving unit, unit of measure, column labels, the channels shown — comes
from a `FormLayout` that an office can override with a YAML file (see docs/reports.md); the
numbers underneath do not depend on the wording.

Layout: header (units left, form number right), title, period "từ ngày … đến ngày …", "Đơn vị
tính", a two-level column header with column numbers, one row per unit and a total row (the sum
of the unit rows), then the QĐ 766/QĐ-TTg indicators, the SIPAS-style satisfaction block, praise
kept apart, notes with every formula, and signature blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from feedback import labels
from feedback.report_flows import Flows
from feedback.reports import LEVELS, Report

COUNT, PERCENT = "#,##0", "0.0%"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_ROW = 9  # group header; column labels on 10, column numbers on 11, units from 12


class FormLayout(BaseModel):
    """Every text the official sheet prints; override any of them from a YAML file."""

    sheet_name: str = "Biểu 06-VPCP-KSTT"
    form_number: str = "Biểu số 06/VPCP/KSTT"
    legal_basis: str = "Ban hành kèm theo Thông tư số 01/2020/TT-VPCP của Văn phòng Chính phủ"
    title: str = "TÌNH HÌNH, KẾT QUẢ TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ VỀ QUY ĐỊNH HÀNH CHÍNH VÀ HÀNH VI HÀNH CHÍNH"
    reporting_unit: str = ""  # empty: the unit the report is filtered on, else a blank to fill in
    receiving_unit: str = "Văn phòng Chính phủ (Cục Kiểm soát thủ tục hành chính)"
    unit_of_measure: str = "Số phản ánh, kiến nghị"
    channels: list[str] = ["telegram", "zalo", "web"]  # received by channel; every other channel goes to "Khác"
    place: str = "……"
    signer_left: str = "NGƯỜI LẬP BIỂU"
    signer_right: str = "THỦ TRƯỞNG ĐƠN VỊ"

    @classmethod
    def load(cls, path: Path | None) -> FormLayout:
        if path is None:
            return cls()
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def _rate(good: int, total: int) -> float | None:
    return good / total if total else None


Column = tuple[str, str, Callable[[Flows, tuple[int, int]], object], str]  # (group, label, value, number format)


def columns(layout: FormLayout) -> list[Column]:
    by_channel: list[Column] = [("Tiếp nhận", f"Mới – qua {labels.CHANNEL.get(c, c)}", (lambda f, s, c=c: f.by_channel[c]), COUNT)
                                for c in layout.channels]
    others = lambda f, s: sum(n for c, n in f.by_channel.items() if c not in layout.channels)  # noqa: E731
    return [
        ("Tiếp nhận", "Kỳ trước chuyển sang", lambda f, s: f.carried_over, COUNT),
        ("Tiếp nhận", "Mới tiếp nhận trong kỳ", lambda f, s: f.received, COUNT),
        *by_channel,
        ("Tiếp nhận", "Mới – kênh khác", others, COUNT),
        ("Tiếp nhận", "Mở lại trong kỳ", lambda f, s: f.reopened, COUNT),
        ("Tiếp nhận", "Tổng số phải xử lý", lambda f, s: f.to_handle, COUNT),
        ("Phân loại (mới tiếp nhận)", "Về quy định hành chính", lambda f, s: f.about_regulation, COUNT),
        ("Phân loại (mới tiếp nhận)", "Về hành vi hành chính", lambda f, s: f.about_conduct, COUNT),
        ("Phân loại (mới tiếp nhận)", "Chưa phân loại", lambda f, s: f.unclassified, COUNT),
        ("Đã xử lý", "Tổng số", lambda f, s: f.handled, COUNT),
        ("Đã xử lý", "Trả lời đúng hạn", lambda f, s: f.answered_on_time, COUNT),
        ("Đã xử lý", "Trả lời quá hạn", lambda f, s: f.answered_late, COUNT),
        ("Đã xử lý", "Không thụ lý", lambda f, s: f.rejected, COUNT),
        ("Đã xử lý", "Chuyển cơ quan khác", lambda f, s: f.transferred, COUNT),
        ("Đang xử lý", "Tổng số", lambda f, s: f.still_open, COUNT),
        ("Đang xử lý", "Trong hạn", lambda f, s: f.open_within_deadline, COUNT),
        ("Đang xử lý", "Quá hạn", lambda f, s: f.open_overdue, COUNT),
        ("Công khai", "Đã công khai kết quả", lambda f, s: f.published, COUNT),
        ("Chỉ số QĐ 766/QĐ-TTg", "5.1 Tỷ lệ đã xử lý", lambda f, s: _rate(f.handled, f.to_handle), PERCENT),
        ("Chỉ số QĐ 766/QĐ-TTg", "5.2 Tỷ lệ trả lời đúng hạn", lambda f, s: _rate(f.answered_on_time, f.answered), PERCENT),
        ("Chỉ số QĐ 766/QĐ-TTg", "5.3 Tỷ lệ hài lòng", lambda f, s: _rate(*s), PERCENT),
    ]


def _put(sheet: Worksheet, row: int, column: int, value, number_format: str | None = None, bold: bool = False,
         box: bool = False, align: str | None = None, wrap: bool = False):
    cell = sheet.cell(row, column, value)
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    if box:
        cell.border = BOX
    if align or wrap:
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    return cell


def write_form(report: Report, sheet: Worksheet, layout: FormLayout) -> None:
    cols = columns(layout)
    width = 2 + len(cols)
    right = max(3, width - 5)  # where the right-hand header block starts
    reporting = layout.reporting_unit or (report.unit_label if report.unit is not None else "……")
    _put(sheet, 1, 1, f"Đơn vị báo cáo: {reporting}", bold=True)
    _put(sheet, 2, 1, f"Đơn vị nhận báo cáo: {layout.receiving_unit}")
    _put(sheet, 1, right, layout.form_number, bold=True)
    _put(sheet, 2, right, layout.legal_basis)
    _put(sheet, 3, right, f"Ngày lập: {report.generated_at:%d/%m/%Y %H:%M}")
    _put(sheet, 4, 1, layout.title, bold=True, align="center", wrap=True)
    sheet.merge_cells(start_row=4, start_column=1, end_row=4, end_column=width)
    sheet.row_dimensions[4].height = 32
    _put(sheet, 5, 1, f"Kỳ báo cáo: {report.period.label} ({report.period.span})", align="center")
    sheet.merge_cells(start_row=5, start_column=1, end_row=5, end_column=width)
    _put(sheet, 6, 1, f"Phạm vi: {report.unit_label}", align="center")
    sheet.merge_cells(start_row=6, start_column=1, end_row=6, end_column=width)
    _put(sheet, 7, right, f"Đơn vị tính: {layout.unit_of_measure}")

    # two-level header: groups (merged) over labels, then the column numbers official forms carry
    for col, label in ((1, "STT"), (2, "Đơn vị")):
        _put(sheet, HEADER_ROW, col, label, bold=True, box=True, align="center", wrap=True)
        _put(sheet, HEADER_ROW + 1, col, None, box=True)
        sheet.merge_cells(start_row=HEADER_ROW, start_column=col, end_row=HEADER_ROW + 1, end_column=col)
    col = 3
    while col - 3 < len(cols):
        group = cols[col - 3][0]
        span = 1
        while col - 3 + span < len(cols) and cols[col - 3 + span][0] == group:
            span += 1
        for offset in range(span):
            _put(sheet, HEADER_ROW, col + offset, group if offset == 0 else None, bold=True, box=True, align="center", wrap=True)
        if span > 1:
            sheet.merge_cells(start_row=HEADER_ROW, start_column=col, end_row=HEADER_ROW, end_column=col + span - 1)
        col += span
    for i, (_, label, _, _) in enumerate(cols, start=3):
        _put(sheet, HEADER_ROW + 1, i, label, bold=True, box=True, align="center", wrap=True)
    for i in range(1, width + 1):
        _put(sheet, HEADER_ROW + 2, i, f"({i})", box=True, align="center")
    sheet.row_dimensions[HEADER_ROW + 1].height = 60

    fb, sat = report.feedback, report.satisfaction
    row = HEADER_ROW + 3
    for number, (unit, flows) in enumerate(fb.by_unit.items(), start=1):
        _put(sheet, row, 1, number, box=True, align="center")
        _put(sheet, row, 2, unit, box=True)
        for i, (_, _, value, fmt) in enumerate(cols, start=3):
            _put(sheet, row, i, value(flows, sat.by_unit.get(unit, (0, 0))), fmt, box=True)
        row += 1
    _put(sheet, row, 1, None, box=True)
    _put(sheet, row, 2, "Tổng cộng", bold=True, box=True)
    for i, (_, _, value, fmt) in enumerate(cols, start=3):
        _put(sheet, row, i, value(fb, (sat.satisfied, sat.ratings)), fmt, bold=True, box=True)
    row += 2
    row = _blocks(report, sheet, row)
    _signatures(report, sheet, row + 1, right, layout)
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 34
    for i in range(3, width + 1):
        sheet.column_dimensions[get_column_letter(i)].width = 12
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 3, 3)


def _blocks(report: Report, sheet: Worksheet, row: int) -> int:
    fb, sat = report.feedback, report.satisfaction
    blocks: list[tuple[str, list[tuple[str, object, str]]]] = [
        ("Chỉ số theo Quyết định 766/QĐ-TTg (nhóm 5: tiếp nhận, xử lý phản ánh, kiến nghị)", [
            ("5.1 Tỷ lệ PAKN đã được tiếp nhận, xử lý", _rate(fb.handled, fb.to_handle), PERCENT),
            ("5.2 Tỷ lệ PAKN được trả lời đúng hạn", _rate(fb.answered_on_time, fb.answered), PERCENT),
            ("5.3 Tỷ lệ hài lòng về việc xử lý PAKN", _rate(sat.satisfied, sat.ratings), PERCENT)]),
        ("Mức độ hài lòng của người dân về việc xử lý PAKN (thang 5 mức)", [
            *[(f"Mức {level} – {name}", sat.levels[level], COUNT) for level, name in LEVELS.items()],
            ("Tổng số đánh giá", sat.ratings, COUNT),
            ("Tỷ lệ hài lòng (mức 4–5)", _rate(sat.satisfied, sat.ratings), PERCENT),
            ("Số hồ sơ đã trả lời trong kỳ", sat.answered_records, COUNT),
            ("Tỷ lệ phản hồi (hồ sơ được đánh giá / hồ sơ đã trả lời)", _rate(sat.rated_records, sat.answered_records),
             PERCENT)]),
        ("Khen (không tính là phản ánh, kiến nghị)", [("Số lời khen tiếp nhận trong kỳ", report.praise, COUNT)]),
    ]
    for title, lines in blocks:
        _put(sheet, row, 1, title, bold=True)
        row += 1
        for label, value, fmt in lines:
            _put(sheet, row, 2, label, box=True)
            _put(sheet, row, 3, value, fmt, box=True)
            row += 1
        row += 1
    notes = [
        "Ghi chú:",
        f"- Số liệu tính theo giờ Việt Nam (Asia/Ho_Chi_Minh), {report.period.span}.",
        "- Tổng số phải xử lý = Kỳ trước chuyển sang + Mới tiếp nhận + Mở lại trong kỳ = Đã xử lý + Đang xử lý.",
        "- Đang xử lý của kỳ này là Kỳ trước chuyển sang của kỳ sau; hồ sơ mở lại được tính là tiếp nhận (mở lại) và xử lý lại.",
        f"- Trong hạn / Quá hạn của hồ sơ đang xử lý tính tại {report.as_of:%H:%M ngày %d/%m/%Y}.",
        "- Trả lời đúng hạn: trả lời trước hoặc đúng hạn giải quyết của hồ sơ (tính từ ngày tiếp nhận).",
        "- 5.1 = Đã xử lý / Tổng số phải xử lý × 100%.",
        "- 5.2 = Trả lời đúng hạn / (Trả lời đúng hạn + Trả lời quá hạn) × 100%.",
        "- 5.3 = Số đánh giá mức 4–5 / Tổng số đánh giá trong kỳ × 100%.",
        "- Phân loại quy định hành chính / hành vi hành chính theo Nghị định 20/2008/NĐ-CP; hồ sơ chưa được cán bộ "
        "phân loại ghi 'Chưa phân loại'.",
        "- Khen không tính vào phản ánh, kiến nghị.",
    ]
    for line in notes:
        _put(sheet, row, 1, line, bold=line == "Ghi chú:")
        row += 1
    return row


def _signatures(report: Report, sheet: Worksheet, row: int, right: int, layout: FormLayout) -> None:
    day = report.generated_at
    _put(sheet, row, right, f"{layout.place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}")
    _put(sheet, row + 1, 2, layout.signer_left, bold=True, align="center")
    _put(sheet, row + 1, right, layout.signer_right, bold=True)
    _put(sheet, row + 2, 2, "(Ký, ghi rõ họ tên)", align="center")
    _put(sheet, row + 2, right, "(Ký, ghi rõ họ tên, đóng dấu)")
