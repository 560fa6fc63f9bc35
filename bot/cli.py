"""`tthc`: the command line. Each command parses options, wires objects, and calls one function."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.cli_catalogue import catalogue_app, index_app
from bot.cli_common import CatalogueOption, console
from bot.cli_common import progress as _progress
from bot.cli_common import settings as _settings
from bot.cli_feedback import feedback_app, report, staff_app
from bot.cli_learn import learn_app
from bot.cli_units import unit_app  # also adds `staff grant` / `staff revoke`
from knowledge.errors import CatalogueError

app = typer.Typer(help="Trợ lý thủ tục hành chính — citizen assistant for Vietnamese administrative procedures.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(index_app, name="index")
app.add_typer(catalogue_app, name="catalogue")
app.command()(report)
app.add_typer(feedback_app, name="feedback")
app.add_typer(staff_app, name="staff")
app.add_typer(learn_app, name="learn")
app.add_typer(unit_app, name="unit")


def _runtime(catalogue: list[Path] | None, quiet: bool = False, store_feedback: bool = False):
    from bot.app.wiring import create_runtime, open_database

    settings = _settings()
    sessions = open_database(settings) if store_feedback else None
    with _progress() as progress:
        task = progress.add_task("Xây dựng chỉ mục (lần đầu)", total=None, visible=False)

        def tick(done: int, total: int, label: str | None = None) -> None:
            """Steps that take long on a first start (embedding the catalogue, learning intents) show a bar."""
            if label:
                progress.update(task, description=label)
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
              shared: Annotated[Path, typer.Option(help="the shared folder (eval/dev.jsonl, data/)")] = Path("../shared"),
              max_confident_wrong: Annotated[float, typer.Option(help="per scope, at most this share answered confidently and wrongly beyond dev (dev is held to it less its sampling error)")] = 0.03) -> None:
    """Fit the answer-confidence model on the dev questions answered in every scope (national, folds, sample)."""
    from bot.tools.calibrate import main as fit

    raise typer.Exit(fit(["--shared", str(shared), "--out", str(out), "--max-confident-wrong", str(max_confident_wrong)]))


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


def main() -> None:  # pragma: no cover
    app(prog_name="tthc")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
