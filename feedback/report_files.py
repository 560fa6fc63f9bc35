"""Report outputs: tables as rows (shared by XLSX, CSV and the staff page), XLSX, CSV and PNG charts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from feedback import labels
from feedback.reports import Report

Table = tuple[str, list[str], list[list[object]]]  # (title, header, rows)


def _share(good: int, total: int) -> str:
    return f"{100 * good / total:.1f}%" if total else "—"


def tables(report: Report) -> list[Table]:
    fb = report.feedback
    out: list[Table] = [
        ("Tổng hợp PAKN", ["Chỉ tiêu", "Số lượng"], [
            ["Kỳ trước chuyển sang", fb.carried_over],
            ["Tiếp nhận trong kỳ", fb.received],
            ["Đã giải quyết – trả lời đúng hạn", fb.answered_on_time],
            ["Đã giải quyết – trả lời quá hạn", fb.answered_late],
            ["Không thụ lý", fb.rejected],
            ["Chuyển cơ quan khác", fb.transferred],
            ["Đang giải quyết – trong hạn", fb.open_within_deadline],
            ["Đang giải quyết – quá hạn", fb.open_overdue],
            ["Thời gian trả lời trung bình (ngày)", fb.average_days if fb.average_days is not None else "—"],
            ["Thời gian trả lời trung vị (ngày)", fb.median_days if fb.median_days is not None else "—"],
        ]),
        ("Tiếp nhận theo loại", ["Loại", "Số lượng"], [[labels.KIND.get(k, k), n] for k, n in fb.by_kind.most_common()]),
        ("Tiếp nhận theo kênh", ["Kênh", "Số lượng"], [[labels.CHANNEL.get(k, k), n] for k, n in fb.by_channel.most_common()]),
        ("Theo lĩnh vực", ["Lĩnh vực", "Số lượng"], [[k, n] for k, n in fb.by_field.most_common()]),
        ("Theo thủ tục", ["Thủ tục", "Số lượng"], [[k, n] for k, n in fb.by_procedure.most_common()]),
        ("Theo cơ quan, địa bàn", ["Cơ quan / xã, phường", "Số lượng"], [[k, n] for k, n in fb.by_agency.most_common()]),
        ("Theo tháng", ["Tháng", "Tiếp nhận", "Đúng hạn", "Quá hạn", "Đang giải quyết"],
         [[m, t.received, t.answered_on_time, t.answered_late, t.still_open] for m, t in report.monthly]),
    ]
    sat = report.satisfaction
    subject_names = {"answer": "Câu trả lời của trợ lý", "feedback": "Giải quyết phản ánh"}
    out.append(("Mức độ hài lòng", ["Nội dung", "Số đánh giá", "Hài lòng", "Tỷ lệ hài lòng"],
                [["Tất cả", sat.ratings, sat.satisfied, _share(sat.satisfied, sat.ratings)]]
                + [[subject_names.get(k, k), t, g, _share(g, t)] for k, (g, t) in sorted(sat.by_subject.items())]
                + [[f"Kênh {labels.CHANNEL.get(k, k)}", t, g, _share(g, t)] for k, (g, t) in sorted(sat.by_channel.items())]))
    use = report.usage
    out.append(("Sử dụng trợ lý", ["Chỉ tiêu", "Số lượng", "Tỷ lệ"], [
        ["Câu hỏi", use.questions, ""],
        ["Trả lời được", use.answered, _share(use.answered, use.questions)],
        ["Hỏi lại để làm rõ", use.clarified, _share(use.clarified, use.questions)],
        ["Chưa trả lời được / từ chối", use.declined, _share(use.declined, use.questions)],
    ]))
    out.append(("Thủ tục được hỏi nhiều", ["Thủ tục", "Số câu hỏi"], [[k, n] for k, n in use.top_procedures]))
    out.append(("Câu hỏi chưa trả lời được", ["Số câu", "Ví dụ"], [[n, " | ".join(ex)] for n, ex in use.gaps]))
    return out


def write_xlsx(report: Report, path: Path) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    scope = f" – {report.agency}" if report.agency else ""
    for title, header, rows in tables(report):
        sheet = workbook.create_sheet(title[:31])
        sheet["A1"] = f"{title}{scope}"
        sheet["A1"].font = Font(bold=True, size=13)
        sheet["A2"] = f"Kỳ báo cáo: {report.period.label}"
        sheet["A3"] = f"Thời điểm lập: {report.generated_at:%d/%m/%Y %H:%M}"
        sheet.append([])
        sheet.append(header)
        for cell in sheet[5]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True)
        for row in rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 48
        for column in "BCDE":
            sheet.column_dimensions[column].width = 16
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_csv(report: Report, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (title, header, rows) in enumerate(tables(report), start=1):
        path = directory / f"{i:02d}-{_slug(title)}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel opens Vietnamese correctly
            writer = csv.writer(handle)
            writer.writerow([f"{title} – {report.period.label}"])
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


def _slug(title: str) -> str:
    from knowledge.text import slugify

    return slugify(title, 40)


def charts(report: Report) -> dict[str, bytes]:
    """PNG charts: trend by month, received by kind, on time vs late vs open, satisfaction."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images: dict[str, bytes] = {}

    def save(name: str, figure) -> None:
        buffer = io.BytesIO()
        figure.tight_layout()
        figure.savefig(buffer, format="png", dpi=110)
        plt.close(figure)
        images[name] = buffer.getvalue()

    months = [m for m, _ in report.monthly]
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.plot(months, [t.received for _, t in report.monthly], marker="o", label="Tiếp nhận")
    axis.plot(months, [t.answered_on_time + t.answered_late for _, t in report.monthly], marker="s", label="Đã trả lời")
    axis.set_title(f"PAKN theo tháng – {report.period.label}")
    axis.legend()
    save("xu-huong-theo-thang", figure)

    kinds = report.feedback.by_kind
    figure, axis = plt.subplots(figsize=(5, 3.5))
    axis.bar([labels.KIND.get(k, k) for k in kinds] or ["—"], list(kinds.values()) or [0], color="#a5161d")
    axis.set_title("Tiếp nhận theo loại")
    save("theo-loai", figure)

    fb = report.feedback
    figure, axis = plt.subplots(figsize=(6, 3.5))
    names = ["Đúng hạn", "Quá hạn", "Trong hạn (đang xử lý)", "Quá hạn (đang xử lý)"]
    axis.bar(names, [fb.answered_on_time, fb.answered_late, fb.open_within_deadline, fb.open_overdue],
             color=["#2e7d32", "#c62828", "#1565c0", "#ef6c00"])
    axis.set_title("Đúng hạn và quá hạn")
    axis.tick_params(axis="x", labelsize=8)
    save("dung-han-qua-han", figure)

    sat = report.satisfaction
    figure, axis = plt.subplots(figsize=(5, 3.5))
    axis.bar(["Hài lòng", "Chưa hài lòng"], [sat.satisfied, sat.ratings - sat.satisfied], color=["#2e7d32", "#9e9e9e"])
    axis.set_title(f"Mức độ hài lòng ({_share(sat.satisfied, sat.ratings)})")
    save("hai-long", figure)
    return images


def write_charts(report: Report, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in charts(report).items():
        path = directory / f"{name}.png"
        path.write_bytes(data)
        written.append(path)
    return written
