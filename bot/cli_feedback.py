"""`tthc report`, `tthc feedback …`: the feedback side's commands (parse, call, print); `tthc staff …` is in cli_staff.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli_common import console, settings as _settings
from bot.cli_staff import staff_app  # noqa: F401 - `tthc staff …` lives in its own module; bot/cli.py imports it from here

def report(
    period: Annotated[str, typer.Argument(help="2026-10 | 2026-Q3 | 2026-H1 | 2026 | 2026-01-01..2026-01-31 | ky:2026-10 (15th-14th)")],
    agency: Annotated[str | None, typer.Option(help="only this unit (agency / commune); 'chưa phân loại' = records with none")] = None,
    out: Annotated[Path, typer.Option(help="folder for the XLSX, CSV and PNG files")] = Path("bao-cao"),
    form: Annotated[Path | None, typer.Option(help="YAML overriding the official sheet's texts (see docs/reports.md)")] = None,
) -> None:
    """Periodic PAKN, satisfaction and usage report: official-layout XLSX plus one sheet per table, CSV and PNG charts."""
    from bot.app.wiring import open_database
    from feedback.report_files import tables, write_charts, write_csv, write_xlsx
    from feedback.report_form import FormLayout
    from feedback.reports import Period, build_report, resolve_unit

    settings = _settings()
    sessions = open_database(settings)
    try:
        parsed = Period.parse(period)
        layout = FormLayout.load(form)
        with sessions() as db:
            data = build_report(db, parsed, unit=resolve_unit(db, agency))
    except ValueError as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc
    stem = f"bao-cao-{period}".replace("..", "_").replace(":", "-")
    xlsx = write_xlsx(data, out / f"{stem}.xlsx", layout)
    csvs = write_csv(data, out / f"{stem}-csv", layout)
    pngs = write_charts(data, out / f"{stem}-bieu-do")
    screen = Console()
    for title, header, rows in tables(data, layout)[1:3]:
        table = Table(*header, title=f"{title} — {data.unit_label} — {parsed.label}")
        for row in rows:
            table.add_row(*map(str, row))
        screen.print(table)
    console.print(f"→ {xlsx}, {len(csvs)} tệp CSV, {len(pngs)} biểu đồ PNG trong {out}")


feedback_app = typer.Typer(help="Feedback records: retention.", no_args_is_help=True)


@feedback_app.command("purge")
def feedback_purge(
    older_than: Annotated[str, typer.Option("--older-than", help="retention period, e.g. 365d, 24m, 2y")] = "730d",
) -> None:
    """Remove personal data (content, chat id, contact, attachments) from finished records older than the period; keep statistics."""
    import re as _re

    from bot.app.wiring import open_database
    from feedback.retention import purge

    match = _re.fullmatch(r"(\d+)([dmy])", older_than.strip().lower())
    if not match:
        console.print("[red]Sai định dạng thời hạn[/red] (ví dụ 365d, 24m, 2y).")
        raise typer.Exit(2)
    days = int(match.group(1)) * {"d": 1, "m": 30, "y": 365}[match.group(2)]
    settings = _settings()
    sessions = open_database(settings)
    try:
        with sessions() as db, db.begin():
            result = purge(db, days, attachment_dir=settings.attachment_dir)
    except ValueError as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"Đã xóa dữ liệu cá nhân của {result.records} hồ sơ, {result.questions} câu hỏi, "
                  f"{result.rating_reasons} lý do đánh giá, {result.attachments} tệp đính kèm (cũ hơn {days} ngày).")
