"""Report outputs: tables as rows (shared by the staff page, CSV and XLSX), XLSX and CSV files.

Every value is a number (a `Share` for rates), so the XLSX holds numbers with number formats an
office can add up, not text; every table that lists categories ends with a total row; every sheet
and every CSV says which unit and which period it is about. The first sheet is the official
layout (feedback/report_form.py); charts are in feedback/report_charts.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from feedback import labels
from feedback.report_charts import charts, write_charts
from feedback.report_form import COUNT, PERCENT, FormLayout, columns, write_form
from feedback.reports import LEVELS, Report

__all__ = ["Share", "tables", "write_xlsx", "write_csv", "charts", "write_charts"]

Table = tuple[str, list[str], list[list[object]]]  # (title, header, rows)
TOTAL = "Tổng cộng"


class Share:
    """A rate: a fraction in XLSX (formatted 0.0%), '50.0%' on the page and in CSV, '—' when undefined."""

    def __init__(self, good: int, total: int) -> None:
        self.value = good / total if total else None

    @classmethod
    def of(cls, value: float | None) -> Share:
        share = cls(0, 0)
        share.value = value
        return share

    def __str__(self) -> str:
        return f"{100 * self.value:.1f}%" if self.value is not None else "—"

    def __repr__(self) -> str:
        return f"Share({self})"


def _with_total(rows: list[list[object]]) -> list[list[object]]:
    if not rows:
        return rows
    width = len(rows[0])
    sums = [sum(r[i] for r in rows) if all(isinstance(r[i], int) for r in rows) else "" for i in range(1, width)]
    return rows + [[TOTAL, *sums]]


def _counted(counter, names: dict[str, str] | None = None) -> list[list[object]]:
    return _with_total([[(names or {}).get(k, k), n] for k, n in counter.most_common()])


def tables(report: Report, layout: FormLayout | None = None) -> list[Table]:
    fb, sat = report.feedback, report.satisfaction
    form_cols = columns(layout or FormLayout())
    form_rows = [[unit, *[_cell(v(flows, sat.by_unit.get(unit, (0, 0)))) for _, _, v, _ in form_cols]]
                 for unit, flows in fb.by_unit.items()]
    form_rows.append([TOTAL, *[_cell(v(fb, (sat.satisfied, sat.ratings))) for _, _, v, _ in form_cols]])
    trend_title = _trend_title(report)
    out: list[Table] = [
        ("Biểu 06 – Tiếp nhận, xử lý PAKN", ["Đơn vị", *[f"{g}: {label}" for g, label, _, _ in form_cols]], form_rows),
        ("Tổng hợp PAKN", ["Chỉ tiêu", "Số lượng"], [
            ["Kỳ trước chuyển sang", fb.carried_over],
            ["Tiếp nhận trong kỳ", fb.received],
            ["Mở lại trong kỳ", fb.reopened],
            ["Tổng số phải xử lý", fb.to_handle],
            ["Đã giải quyết – trả lời đúng hạn", fb.answered_on_time],
            ["Đã giải quyết – trả lời quá hạn", fb.answered_late],
            ["Không thụ lý", fb.rejected],
            ["Chuyển cơ quan khác", fb.transferred],
            ["Đang giải quyết – trong hạn", fb.open_within_deadline],
            ["Đang giải quyết – quá hạn", fb.open_overdue],
            ["Thời gian trả lời trung bình (ngày)", fb.average_days if fb.average_days is not None else "—"],
            ["Thời gian trả lời trung vị (ngày)", fb.median_days if fb.median_days is not None else "—"],
        ]),
        ("Tiếp nhận theo loại", ["Loại", "Số lượng"],
         _counted(fb.by_kind, labels.KIND) + [["Khen (không tính là PAKN)", report.praise]]),
        ("Tiếp nhận theo kênh", ["Kênh", "Số lượng"], _counted(fb.by_channel, labels.CHANNEL)),
        ("Theo lĩnh vực", ["Lĩnh vực", "Số lượng"], _counted(fb.by_field)),
        ("Theo thủ tục", ["Thủ tục", "Số lượng"], _counted(fb.by_procedure)),
        ("Theo đơn vị", ["Đơn vị", "Kỳ trước chuyển sang", "Tiếp nhận", "Mở lại", "Đã xử lý", "Đang xử lý", "Quá hạn"],
         _with_total([[u, f.carried_over, f.received, f.reopened, f.handled, f.still_open, f.open_overdue]
                      for u, f in fb.by_unit.items()])),
        (trend_title, [report.period.granularity.capitalize(), "Tiếp nhận", "Trả lời đúng hạn", "Trả lời quá hạn",
                       "Đang xử lý (cuối kỳ)",
                       "Mở lại", "Không thụ lý / chuyển"],
         [[t.label, t.received, t.answered_on_time, t.answered_late, t.open_at_end, t.reopened, t.other_handled]
          for t in report.trend]),
        ("Mức độ hài lòng", ["Mức đánh giá", "Số đánh giá"],
         [[f"Mức {level} – {name}", sat.levels[level]] for level, name in LEVELS.items()]
         + [[TOTAL, sat.ratings], ["Tỷ lệ hài lòng (mức 4–5)", Share(sat.satisfied, sat.ratings)],
            ["Số hồ sơ đã trả lời trong kỳ", sat.answered_records],
            ["Tỷ lệ phản hồi", Share(sat.rated_records, sat.answered_records)]]),
    ]
    if report.answer_ratings is not None:
        votes = report.answer_ratings
        out.append(("Đánh giá câu trả lời của trợ lý", ["Kênh", "👍", "👎", "Tỷ lệ 👍"],
                    [[labels.CHANNEL.get(k, k), u, d, Share(u, u + d)] for k, (u, d) in votes.by_channel.items()]
                    + [[TOTAL, votes.up, votes.down, Share(votes.up, votes.up + votes.down)]]))
    if report.usage is not None:
        use = report.usage
        out.append(("Sử dụng trợ lý", ["Chỉ tiêu", "Số lượng", "Tỷ lệ"], [
            ["Câu hỏi", use.questions, ""],
            ["Trả lời được", use.answered, Share(use.answered, use.questions)],
            ["Hỏi lại để làm rõ", use.clarified, Share(use.clarified, use.questions)],
            ["Chưa trả lời được / từ chối", use.declined, Share(use.declined, use.questions)],
            ["Câu hỏi về thủ tục chưa trả lời được hoặc bị chê", use.unanswered, Share(use.unanswered, use.questions)],
        ]))
        out.append(("Thủ tục được hỏi nhiều", ["Thủ tục", "Số câu hỏi"], [[k, n] for k, n in use.top_procedures]))
    return out


def _trend_title(report: Report) -> str:
    return f"Theo {report.period.granularity}"


def _cell(value):
    """A form column's value as a table cell: rates (float or None) become Shares."""
    return value if isinstance(value, int) else Share.of(value)


def _scope_lines(report: Report) -> list[str]:
    return [f"Kỳ báo cáo: {report.period.label} ({report.period.span})",
            f"Thời điểm lập: {report.generated_at:%d/%m/%Y %H:%M}",
            f"Phạm vi: {report.unit_label}"]


def write_xlsx(report: Report, path: Path, layout: FormLayout | None = None) -> Path:
    layout = layout or FormLayout()
    workbook = Workbook()
    write_form(report, workbook.active, layout)
    workbook.active.title = layout.sheet_name[:31]
    for title, header, rows in tables(report, layout)[1:]:
        sheet = workbook.create_sheet(title[:31])
        sheet["A1"] = title
        sheet["A1"].font = Font(bold=True, size=13)
        for i, line in enumerate(_scope_lines(report), start=2):
            sheet.cell(i, 1, line)
        sheet.append(header)
        for cell in sheet[5]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True)
        for row in rows:
            sheet.append([r.value if isinstance(r, Share) else r for r in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=True):
                if isinstance(value, Share):
                    cell.number_format = PERCENT
                elif isinstance(value, int):
                    cell.number_format = COUNT
                elif isinstance(value, float):
                    cell.number_format = "0.0"
            if row and row[0] == TOTAL:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 48
        for column in "BCDEFG":
            sheet.column_dimensions[column].width = 16
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_csv(report: Report, directory: Path, layout: FormLayout | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (title, header, rows) in enumerate(tables(report, layout), start=1):
        path = directory / f"{i:02d}-{_slug(title)}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel opens Vietnamese correctly
            writer = csv.writer(handle)
            writer.writerow([f"{title} – {report.unit_label} – {report.period.label} ({report.period.span})"])
            writer.writerow(header)
            writer.writerows([[str(c) if isinstance(c, Share) else c for c in row] for row in rows])
        written.append(path)
    return written


def _slug(title: str) -> str:
    from knowledge.text import slugify

    return slugify(title, 40)
