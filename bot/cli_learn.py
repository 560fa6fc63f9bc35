"""`tthc learn`: the staff teaching loop from the command line (export the queue, import, list, undo).

Kept out of bot/cli.py (which is at its size limit). `import` writes the learned phrasings into
the catalogue directory's `learned.jsonl` (knowledge/learned.py) with the same all-or-nothing rule
as a catalogue import: one bad line (unknown code, no target) is named and nothing is written.
`tthc index build` then embeds only the new phrasings (embeddings are cached by content hash).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

learn_app = typer.Typer(help="Teach the bot from its misses (learned phrasings beside the catalogue).", no_args_is_help=True)
console = Console(stderr=True)
CatalogueDir = Annotated[Path | None, typer.Option("--catalogue", "-c", help="catalogue directory (default: TTHC_CATALOGUE)")]
With = Annotated[list[Path] | None, typer.Option("--with", help="other catalogue roots served beside it (FAQ, sample), for checking targets")]


def _catalogue_dir(catalogue: Path | None) -> Path:
    from bot.app.settings import Settings

    directory = catalogue or Settings().catalogue
    if directory is None or not directory.is_dir():
        console.print("[red]Lỗi:[/red] cần một thư mục danh mục (--catalogue DIR hoặc TTHC_CATALOGUE).")
        raise typer.Exit(2)
    return directory


def check_file(path: Path, directory: Path, extra: list[Path]):
    """Every lesson of `path` and every problem (bad line, unknown target), each naming its line."""
    from knowledge.learned import parse_lesson, read_lessons, unknown_targets
    from knowledge.loaders import load_catalogue
    from knowledge.safe_read import iter_json_lines

    lessons, problems = read_lessons(path)
    numbered = [(line.line, lesson) for line in iter_json_lines(path) if not line.problems
                and (lesson := parse_lesson(line.value)[0]) is not None]
    catalogue = load_catalogue(directory, *extra, learned=False).catalogue
    problems += unknown_targets(numbered, set(catalogue.by_code()), {f.topic for f in catalogue.faq}, str(path))
    return lessons, sorted(problems, key=lambda p: (int(p.row) if str(p.row).isdigit() else 0, p.field))


@learn_app.command("import")
def learn_import(
    path: Annotated[Path, typer.Argument(help="JSONL: {question, procedure|faq|out_of_scope} per line")],
    catalogue: CatalogueDir = None,
    also: With = None,
) -> None:
    """Add taught questions to DIR/learned.jsonl; nothing is written if any line is bad."""
    from knowledge.learned import LEARNED_FILE, read_lessons, write_lessons

    directory = _catalogue_dir(catalogue)
    if not path.is_file():
        console.print(f"[red]Lỗi:[/red] không có tệp {path}")
        raise typer.Exit(2)
    lessons, problems = check_file(path, directory, list(also or []))
    if problems:
        for problem in problems[:100]:
            console.print(f"  {problem}", soft_wrap=True, markup=False)
        console.print(f"[red]{len(problems)} dòng lỗi: không áp dụng gì.[/red]")
        raise typer.Exit(1)
    existing, _ = read_lessons(directory / LEARNED_FILE)
    known = {lesson.id for lesson in existing}
    added = [lesson for lesson in lessons if lesson.id not in known]
    write_lessons(directory / LEARNED_FILE, [*existing, *added])
    console.print(f"→ {directory / LEARNED_FILE}: thêm {len(added)} câu (tổng {len(existing) + len(added)}). "
                  "Chạy `tthc index build` để bot học.")


@learn_app.command("list")
def learn_list(catalogue: CatalogueDir = None) -> None:
    """Show the learned phrasings of the catalogue directory."""
    from knowledge.learned import LEARNED_FILE, read_lessons

    directory = _catalogue_dir(catalogue)
    lessons, problems = read_lessons(directory / LEARNED_FILE)
    table = Table("id", "câu hỏi", "thuộc", "người", "lúc")
    for lesson in lessons:
        table.add_row(lesson.id, lesson.question, "ngoài phạm vi" if lesson.kind == "out_of_scope" else f"{lesson.kind} {lesson.target}",
                      lesson.by, lesson.at)
    Console(width=160).print(table)
    for problem in problems:
        console.print(f"  {problem}", markup=False)


@learn_app.command("undo")
def learn_undo(lesson_id: Annotated[str, typer.Argument(help="id shown by `tthc learn list`")], catalogue: CatalogueDir = None) -> None:
    """Remove one learned phrasing (a web decision 'wN' is also withdrawn in the database)."""
    from knowledge.learned import LEARNED_FILE, read_lessons, write_lessons

    directory = _catalogue_dir(catalogue)
    lessons, _ = read_lessons(directory / LEARNED_FILE)
    kept = [lesson for lesson in lessons if lesson.id != lesson_id]
    if len(kept) == len(lessons):
        console.print(f"[red]Lỗi:[/red] không có câu đã học {lesson_id!r} (xem `tthc learn list`).")
        raise typer.Exit(1)
    if lesson_id.startswith("w") and lesson_id[1:].isdigit():
        from bot.app.settings import Settings
        from bot.app.wiring import open_database
        from feedback.learning import LearningError, undo

        with open_database(Settings())() as db, db.begin():
            try:
                undo(db, "cli", int(lesson_id[1:]))
            except LearningError:
                pass  # already withdrawn on the page: the file was behind
    write_lessons(directory / LEARNED_FILE, kept)
    console.print(f"Đã bỏ {lesson_id}. Chạy `tthc index build` để áp dụng.")


@learn_app.command("export")
def learn_export(
    period: Annotated[str, typer.Option(help="2026-11 | 2026-Q4 | 2026-11-01..2026-11-15 …")],
    out: Annotated[Path, typer.Option("--out", help="JSONL, one question a line with its group and suggestions")],
    catalogue: Annotated[list[Path] | None, typer.Option("--catalogue", "-c", help="catalogue served (for suggestions)")] = None,
) -> None:
    """Write the review queue of a period, grouped (biggest group first); add a target and import it back."""
    from bot.app.learning_admin import suggest
    from bot.app.settings import Settings
    from bot.app.wiring import create_runtime, open_database
    from feedback.learning import queue
    from feedback.learning_groups import group_queue
    from feedback.periods import Period

    import numpy as np

    settings = Settings()
    try:
        parsed = Period.parse(period)
    except ValueError as exc:
        console.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from exc
    with open_database(settings)() as db:
        items = queue(db, parsed.start_utc, parsed.end_utc)
    runtime = create_runtime(settings, catalogue)
    found = suggest(runtime.index, [item.text for item in items])
    for item, (_, suggestions) in zip(items, found, strict=True):
        item.suggestions = suggestions
    groups = group_queue(items, np.stack([v for v, _ in found])) if items else []
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for number, group in enumerate(groups, 1):
            suggestions = [{s.kind: s.target, "title": s.title, "score": s.score} for s in group.suggestions]
            for member in group.members:
                handle.write(json.dumps({"question": member.text, "group": number, "count": group.size,
                                         "question_id": member.id, "suggestions": suggestions}, ensure_ascii=False) + "\n")
    console.print(f"{len(items)} câu hỏi trong {len(groups)} nhóm → {out}")
