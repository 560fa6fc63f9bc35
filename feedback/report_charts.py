"""PNG charts for a report (matplotlib, Agg backend).

Rules every chart follows, because a chart pasted into an official document is read without its
report around it: the unit and the period are in the title; counts start at zero and tick in
whole numbers; few points are bars (a line through one or two points reads as nothing), many are
a line with thinned, rotated labels; an empty period says "Không có dữ liệu" instead of drawing
an axis around nothing. Case satisfaction and the 👍/👎 on the assistant's answers are separate
charts.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from feedback import labels
from feedback.reports import LEVELS, Report

FEW_POINTS = 6  # up to this many sub-periods the trend is drawn as grouped bars
MAX_LABELS = 12  # at most this many x labels on a line chart
GREEN, RED, BLUE, ORANGE, GREY, DARK_RED = "#2e7d32", "#c62828", "#1565c0", "#ef6c00", "#9e9e9e", "#a5161d"


def _title(axis, what: str, report: Report) -> None:
    axis.set_title(f"{what}\n{report.unit_label} · {report.period.label}", fontsize=10)


def _count_axis(axis, values: list[int]) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _thousands(int(value))))
    axis.set_ylim(0, max(1, max(values, default=0)) * 1.18)
    axis.spines[["top", "right"]].set_visible(False)


def _thousands(value: int) -> str:
    """1.234 as Vietnamese documents write it."""
    return f"{value:,}".replace(",", ".")


def _empty(axis) -> None:
    axis.text(0.5, 0.5, "Không có dữ liệu", ha="center", va="center", fontsize=13, color="#616161", transform=axis.transAxes)
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)


def _bars(axis, names: list[str], values: list[int], colors) -> None:
    bars = axis.bar(names, values, color=colors)
    axis.bar_label(bars, labels=[_thousands(v) for v in values], fontsize=8, padding=2)
    _count_axis(axis, values)
    axis.tick_params(axis="x", labelsize=8)


def charts(report: Report) -> dict[str, bytes]:
    """Name → PNG bytes: trend, received by kind, handling result, case satisfaction, and (province-wide
    reports) the assistant's 👍/👎."""
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

    fb, trend = report.feedback, report.trend
    figure, axis = plt.subplots(figsize=(7.5, 3.8))
    _title(axis, f"Phản ánh, kiến nghị theo {report.period.granularity}", report)
    series = [("Tiếp nhận", [t.received + t.reopened for t in trend], BLUE),
              ("Đã xử lý", [t.answered + t.other_handled for t in trend], GREEN)]
    if not any(v for _, values, _ in series for v in values):
        _empty(axis)
    elif len(trend) <= FEW_POINTS:
        width = 0.38
        for i, (name, values, color) in enumerate(series):
            bars = axis.bar([x + (i - 0.5) * width for x in range(len(trend))], values, width, label=name, color=color)
            axis.bar_label(bars, fontsize=8, padding=2)
        axis.set_xticks(range(len(trend)), [t.label for t in trend])
        _count_axis(axis, [v for _, values, _ in series for v in values])
        axis.legend(fontsize=8, frameon=False)
    else:
        xs = list(range(len(trend)))
        for name, values, color in series:
            axis.plot(xs, values, marker="o", markersize=3, label=name, color=color)
        step = math.ceil(len(trend) / MAX_LABELS)
        axis.set_xticks(xs[::step], [t.label for t in trend][::step], rotation=45, ha="right", fontsize=8)
        _count_axis(axis, [v for _, values, _ in series for v in values])
        axis.legend(fontsize=8, frameon=False)
    save("xu-huong-theo-thang", figure)

    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    _title(axis, "Tiếp nhận theo loại", report)
    kinds = [(labels.KIND.get(k, k), n, DARK_RED) for k, n in fb.by_kind.most_common()]
    kinds.append(("Khen\n(không phải PAKN)", report.praise, GREY))
    if not any(n for _, n, _ in kinds):
        _empty(axis)
    else:
        _bars(axis, [k for k, _, _ in kinds], [n for _, n, _ in kinds], [c for _, _, c in kinds])
    save("theo-loai", figure)

    figure, axis = plt.subplots(figsize=(7.5, 3.8))
    _title(axis, "Kết quả xử lý trong kỳ và hồ sơ đang xử lý cuối kỳ", report)
    results = [("Trả lời\nđúng hạn", fb.answered_on_time, GREEN), ("Trả lời\nquá hạn", fb.answered_late, RED),
               ("Không\nthụ lý", fb.rejected, GREY), ("Chuyển\ncơ quan khác", fb.transferred, GREY),
               ("Đang xử lý\ntrong hạn", fb.open_within_deadline, BLUE), ("Đang xử lý\nquá hạn", fb.open_overdue, ORANGE)]
    if not any(n for _, n, _ in results):
        _empty(axis)
    else:
        _bars(axis, [r for r, _, _ in results], [n for _, n, _ in results], [c for _, _, c in results])
    save("dung-han-qua-han", figure)

    sat = report.satisfaction
    figure, axis = plt.subplots(figsize=(6.5, 3.8))
    share = f"{100 * sat.share:.1f}% hài lòng" if sat.share is not None else "chưa có đánh giá"
    _title(axis, f"Mức độ hài lòng về việc xử lý PAKN ({share})", report)
    if not sat.ratings:
        _empty(axis)
    else:
        colors = [RED, ORANGE, GREY, "#66bb6a", GREEN]
        _bars(axis, [f"{level}\n{name}" for level, name in LEVELS.items()], [sat.levels[level] for level in LEVELS], colors)
        axis.tick_params(axis="x", labelsize=7)
    save("hai-long", figure)

    if report.answer_ratings is not None:
        votes = report.answer_ratings
        figure, axis = plt.subplots(figsize=(5, 3.8))
        _title(axis, "Đánh giá câu trả lời của trợ lý", report)
        if not votes.up + votes.down:
            _empty(axis)
        else:
            _bars(axis, ["Hữu ích", "Chưa hữu ích"], [votes.up, votes.down], [GREEN, RED])
        save("danh-gia-tro-ly", figure)
    return images


def write_charts(report: Report, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in charts(report).items():
        path = directory / f"{name}.png"
        path.write_bytes(data)
        written.append(path)
    return written
