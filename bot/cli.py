"""`tthc`: the command line. Each command parses options, wires objects, and calls one function."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.app import logsafe
from bot.app.settings import Settings
from knowledge.errors import CatalogueError

app = typer.Typer(help="Trợ lý thủ tục hành chính — citizen assistant for Vietnamese administrative procedures.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
index_app = typer.Typer(help="Build and inspect the search index.", no_args_is_help=True)
catalogue_app = typer.Typer(help="Import and validate procedure catalogues.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(catalogue_app, name="catalogue")

console = Console(stderr=True)
CatalogueOption = Annotated[list[Path] | None, typer.Option("--catalogue", "-c", help="catalogue file or directory (repeatable; later ones override)")]


def _settings() -> Settings:
    settings = Settings()
    logsafe.install(settings.log_level)
    return settings


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, transient=False)


def _runtime(catalogue: list[Path] | None, quiet: bool = False, store_feedback: bool = False):
    from bot.app.wiring import create_runtime, open_database

    settings = _settings()
    sessions = open_database(settings) if store_feedback else None
    with _progress() as progress:
        task = progress.add_task("Xây dựng chỉ mục (lần đầu)", total=None, visible=False)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, visible=total > 0 and not quiet)

        try:
            runtime = create_runtime(settings, catalogue, progress=tick, sessions=sessions)
        except CatalogueError as exc:
            console.print(f"[red]Lỗi danh mục:[/red] {exc}")
            raise typer.Exit(2) from exc
    if runtime.problems and not quiet:
        console.print(f"[yellow]{len(runtime.problems)} bản ghi lỗi đã bỏ qua[/yellow] (xem `tthc catalogue validate`).")
    return runtime


@app.command()
def chat(catalogue: CatalogueOption = None) -> None:
    """Chat in the terminal (the bundled sample catalogue and model by default)."""
    from bot.channels.terminal import run_repl

    runtime = _runtime(catalogue, store_feedback=True)
    run_repl(runtime.engine, console=Console())


@app.command()
def ask(question: str, catalogue: CatalogueOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Answer one question and exit."""
    from bot.channels.terminal import render
    from bot.engine.turn import handle_safely
    from bot.engine.types import Incoming

    runtime = _runtime(catalogue, quiet=True)
    reply = handle_safely(runtime.engine, Incoming("terminal", "local", question), None)
    if as_json:
        from bot.tools.evaluation import prediction

        print(json.dumps(prediction("ask", reply), ensure_ascii=False, indent=1))
    else:
        Console(soft_wrap=True).print(render(reply))  # never hard-wrapped: links stay whole when piped


@app.command()
def answer(
    jsonl: Annotated[Path, typer.Option("--jsonl", help="questions (shared/eval format) or dialogues with --dialogues")],
    out: Annotated[Path, typer.Option("--out", help="where to write one JSON line per answer")],
    catalogue: CatalogueOption = None,
    dialogues: Annotated[bool, typer.Option("--dialogues", help="input is a dialogues file; answer turn by turn")] = False,
) -> None:
    """Answer a question file: the evaluation contract (see docs/evaluation.md)."""
    from bot.tools.evaluation import answer_dialogues, answer_questions, read_jsonl

    runtime = _runtime(catalogue)
    rows = read_jsonl(jsonl)
    with _progress() as progress:
        task = progress.add_task("Trả lời", total=len(rows))
        fn = answer_dialogues if dialogues else answer_questions
        predictions = fn(runtime.engine, rows, tick=lambda: progress.advance(task))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for p in predictions:
            handle.write(json.dumps(p, ensure_ascii=False) + "\n")
    console.print(f"{len(predictions)} câu trả lời → {out}")


@app.command("eval")
def evaluate(
    eval_dir: Annotated[Path, typer.Option(help="folder with dev.jsonl, dialogues.jsonl, targets.json")] = Path("../shared/eval"),
    data_dir: Annotated[Path, typer.Option(help="shared data folder (national catalogue, portal questions)")] = Path("../shared/data"),
    national: Annotated[bool, typer.Option(help="also evaluate on the whole national catalogue")] = True,
    baselines: Annotated[bool, typer.Option(help="single-method baselines beside the full system")] = True,
    out: Annotated[Path | None, typer.Option(help="write all figures as JSON here")] = None,
) -> None:
    """Print evaluation tables (bundled sample and national catalogue, with baselines)."""
    from bot.tools.eval_report import run_evaluation

    settings = _settings()
    report = run_evaluation(settings, eval_dir, data_dir, national=national, baselines=baselines, console=Console(width=170))
    if out:
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1))


@app.command()
def calibrate(out: Annotated[Path, typer.Option(help="where to write the fitted coefficients")] = Path("bot/data/calibration.json"),
              catalogue: CatalogueOption = None) -> None:
    """Fit the answer-confidence model on held-out catalogue phrasings (not on evaluation data)."""
    from bot.tools.calibrate import calibrate as fit
    from bot.app.wiring import load_catalogue_or_fail
    from indexer.embed import make_embedder

    settings = _settings()
    cat, _ = load_catalogue_or_fail(catalogue)
    result = fit(cat, make_embedder(settings.embedder, settings.embed_threads), settings.cache_dir / "embeddings")
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    console.print(json.dumps(result, ensure_ascii=False))


@app.command()
def serve(
    channel: Annotated[str, typer.Argument(help="all | telegram | zalo")] = "all",
    polling: Annotated[bool, typer.Option(help="Telegram long polling (development; no public URL needed)")] = False,
    host: Annotated[str | None, typer.Option(help="listen address (TTHC_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="listen port (TTHC_PORT)")] = None,
    catalogue: CatalogueOption = None,
) -> None:
    """Serve the Telegram and Zalo OA webhooks and /health from one ASGI app.

    Settings (environment, prefix TTHC_): TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET (≥12 chars),
    TELEGRAM_WEBHOOK_URL, TELEGRAM_API_BASE; ZALO_APP_ID, ZALO_APP_SECRET, ZALO_OA_SECRET_KEY,
    ZALO_ACCESS_TOKEN, ZALO_REFRESH_TOKEN, ZALO_API_BASE, ZALO_OAUTH_BASE; DATABASE_URL; HOST, PORT.
    Secrets are never printed or logged.
    """
    import uvicorn

    from bot.app.wiring import create_runtime, open_database
    from bot.app.wiring import build_parts, freeze_startup_heap, staff_config
    from bot.app.server import create_app

    settings = _settings()
    if settings.embed_threads is None:
        # answers run side by side (TTHC_SERVE_CONCURRENCY, default one per core); a multi-threaded
        # embedding beside them oversubscribes the cores and its threads wait on each other
        settings = settings.model_copy(update={"embed_threads": 1})
    wanted = {"telegram", "zalo"} if channel == "all" else {channel}
    if wanted - {"telegram", "zalo"}:
        console.print(f"[red]Kênh không hợp lệ:[/red] {channel}")
        raise typer.Exit(2)
    if "telegram" in wanted and not settings.telegram_enabled() and channel == "telegram":
        console.print("[red]Thiếu TTHC_TELEGRAM_TOKEN.[/red]")
        raise typer.Exit(2)
    if "zalo" in wanted and not settings.zalo_enabled() and channel == "zalo":
        console.print("[red]Thiếu cấu hình Zalo (TTHC_ZALO_APP_ID, TTHC_ZALO_OA_SECRET_KEY, TTHC_ZALO_ACCESS_TOKEN).[/red]")
        raise typer.Exit(2)
    sessions = open_database(settings)
    runtime = create_runtime(settings, catalogue, sessions=sessions)
    if polling:
        if not settings.telegram_enabled():
            console.print("[red]Polling cần TTHC_TELEGRAM_TOKEN.[/red]")
            raise typer.Exit(2)
        parts = build_parts(settings, runtime, {"telegram"}, polling=True, sessions=sessions)
        parts.telegram.run_polling(allowed_updates=["message", "callback_query"])
        return
    parts = build_parts(settings, runtime, wanted, sessions=sessions)
    if parts.telegram is not None and not parts.telegram_secret:
        console.print("[red]Webhook Telegram cần TTHC_TELEGRAM_WEBHOOK_SECRET.[/red]")
        raise typer.Exit(2)
    app = create_app(parts, webhook_url=settings.telegram_webhook_url, staff=staff_config(settings, parts, runtime))
    freeze_startup_heap()
    uvicorn.run(app,
                host=host or settings.host,
                port=port or settings.port, log_level=settings.log_level.lower(), access_log=False)


@app.command()
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
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("purge")
def feedback_purge(
    older_than: Annotated[str, typer.Option("--older-than", help="retention period, e.g. 365d, 24m, 2y")] = "730d",
) -> None:
    """Remove personal data (content, chat id, contact) from finished records older than the period; keep statistics."""
    import re as _re

    from bot.app.wiring import open_database
    from feedback.retention import purge

    match = _re.fullmatch(r"(\d+)([dmy])", older_than.strip().lower())
    if not match:
        console.print("[red]Sai định dạng thời hạn[/red] (ví dụ 365d, 24m, 2y).")
        raise typer.Exit(2)
    days = int(match.group(1)) * {"d": 1, "m": 30, "y": 365}[match.group(2)]
    sessions = open_database(_settings())
    try:
        with sessions() as db, db.begin():
            result = purge(db, days)
    except ValueError as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"Đã xóa dữ liệu cá nhân của {result.records} hồ sơ, {result.questions} câu hỏi, "
                  f"{result.rating_reasons} lý do đánh giá (cũ hơn {days} ngày).")


staff_app = typer.Typer(help="Staff accounts for the feedback web pages.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")


@staff_app.command("add")
def staff_add(
    username: str,
    role: Annotated[str, typer.Option(help="staff | admin")] = "staff",
    display_name: Annotated[str, typer.Option(help="name shown on pages")] = "",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="at least 10 characters (prompted when omitted)")] = "",
) -> None:
    """Create a staff user (argon2-hashed password)."""
    from bot.app.wiring import open_database
    from feedback.auth import add_user
    from feedback.service import InvalidInput

    sessions = open_database(_settings())
    try:
        with sessions() as db, db.begin():
            user = add_user(db, username, password, role=role, display_name=display_name)
            console.print(f"Đã tạo tài khoản {user.username} ({role}).")
    except InvalidInput as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc


@index_app.command("build")
def index_build(catalogue: CatalogueOption = None,
                out: Annotated[Path | None, typer.Option(help="index root (default: the cache)")] = None) -> None:
    """Build the index for a catalogue (progress bar; embeddings cached by content hash)."""
    from bot.app.wiring import index_root_for, load_catalogue_or_fail
    from indexer.build import build_index
    from indexer.embed import make_embedder

    settings = _settings()
    try:
        cat, problems = load_catalogue_or_fail(catalogue)
    except CatalogueError as exc:
        console.print(f"[red]Lỗi danh mục:[/red] {exc}")
        raise typer.Exit(2) from exc
    embedder = make_embedder(settings.embedder, settings.embed_threads)
    root = out or index_root_for(settings, cat, embedder)
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("Nhúng văn bản", total=None)
        version = build_index(cat, embedder, root, cache_dir=settings.cache_dir / "embeddings",
                              progress=lambda done, total: progress.update(task, completed=done, total=total))
    manifest = json.loads((version / "manifest.json").read_text())
    console.print(f"Đã xây chỉ mục {version} trong {time.perf_counter() - started:.1f} s: "
                  f"{manifest['procedures']} thủ tục, {manifest['faq']} FAQ, {manifest['passages']} đoạn, "
                  f"cache {manifest['embedding_cache']}; {len(problems)} bản ghi lỗi bỏ qua.")


@index_app.command("status")
def index_status(root: Annotated[Path | None, typer.Argument(help="index root (default: every index in the cache)")] = None) -> None:
    """Show the active index version(s) and their manifests."""
    from indexer.build import active_version

    settings = _settings()
    roots = [root] if root else sorted((settings.cache_dir / "index").glob("*"))
    table = Table("index", "active version", "embedder", "procedures", "faq", "built")
    for r in roots:
        version = active_version(r)
        if version is None:
            continue
        m = json.loads((version / "manifest.json").read_text())
        table.add_row(str(r), version.name, m["embedder"], str(m["procedures"]), str(m["faq"]), m["built_at"])
    Console().print(table)


@catalogue_app.command("import")
def catalogue_import(
    path: Annotated[Path, typer.Argument(help="project format, national crawl JSONL, structured JSON, XLSX list export, or a folder")],
    out: Annotated[Path, typer.Option("--out", help="catalogue directory to write (merged with what it holds)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and show the diff; write nothing")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="the import is the whole catalogue: codes missing from it are removed")] = False,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="apply even when some rows are invalid (they are left out)")] = False,
) -> None:
    """Import procedures into the project format; report what parsed fully or partly, and the diff."""
    from knowledge.importers.run import apply_plan, plan_import

    try:
        plan = plan_import(path, out, replace=replace)
    except CatalogueError as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc
    report, diff = plan.report, plan.diff
    table = Table("", "số bản ghi")
    table.add_row("đọc đầy đủ (parsed fully)", str(report.complete))
    table.add_row("đọc một phần (partly; raw text kept)", str(report.partial))
    table.add_row("lỗi (invalid rows)", str(len(report.problems)))
    table.add_row("thêm mới (added)", str(len(diff.added)))
    table.add_row("thay đổi (changed)", str(len(diff.changed)))
    table.add_row("bỏ đi (removed)", str(len(diff.removed)))
    Console().print(table)
    for example in report.partial_examples[:5]:
        console.print(f"  một phần: {example}", soft_wrap=True, markup=False)
    for skipped in report.skipped_files:
        console.print(f"  bỏ qua tệp ẩn: {skipped}", soft_wrap=True, markup=False)
    for line in report.lines(limit=50):  # source text in messages: no Rich markup
        console.print(f"  {line}", soft_wrap=True, markup=False)
    for code, fields in list(diff.changed.items())[:20]:
        console.print(f"  thay đổi {code}: {', '.join(fields)}", soft_wrap=True)
    if diff.added[:20]:
        console.print(f"  thêm: {', '.join(diff.added[:20])}{' …' if len(diff.added) > 20 else ''}", soft_wrap=True)
    if diff.removed[:20]:
        console.print(f"  bỏ: {', '.join(diff.removed[:20])}{' …' if len(diff.removed) > 20 else ''}", soft_wrap=True)
    if not plan.procedures:
        console.print("[red]Không có bản ghi hợp lệ; không ghi gì.[/red]")
        raise typer.Exit(1)
    if dry_run:
        console.print("Chạy thử (--dry-run): không ghi gì.")
        raise typer.Exit(1 if report.problems else 0)
    if report.problems and not skip_bad:
        console.print("[red]Có dòng lỗi: không áp dụng.[/red] Sửa nguồn, hoặc chạy lại với --skip-bad để bỏ qua các dòng lỗi.")
        raise typer.Exit(1)
    target = apply_plan(plan, out)
    console.print(f"→ {target} ({len(plan.procedures)} thủ tục)")


@catalogue_app.command("validate")
def catalogue_validate(path: Annotated[Path, typer.Argument(help="catalogue file or directory")]) -> None:
    """Validate any importable source (project format, crawl, structured JSON, XLSX); list every bad row."""
    from knowledge.importers.run import validate_sources

    try:
        report = validate_sources(path)
    except CatalogueError as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc
    for line in report.lines(limit=10_000):
        console.print(line, soft_wrap=True, markup=False)
    console.print(report.summary(), markup=False)
    raise typer.Exit(report.exit_code)


def main() -> None:  # pragma: no cover
    app(prog_name="tthc")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
