"""`tthc eval`: every figure of the evaluation contract, as printed tables, in one run.

Scopes: the bundled sample catalogue, and the whole national catalogue (imported from
shared/data, with the bundled curated entries overlaid by code, as a deployment would run it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.engine.turn import Engine
from bot.tools.evaluation import (
    answer_dialogues,
    answer_questions,
    method_predictions,
    read_jsonl,
    score_dialogues,
    score_portal,
    score_questions,
)
from bot.app.wiring import ensure_index
from bot.app.settings import Settings
from indexer.embed import make_embedder
from knowledge.importers.run import import_sources, write_catalogue_dir
from knowledge.loaders import bundled_sample_path, load_catalogue

STYLE_ORDER = ("all", "formal", "no_diacritics", "typo", "slang", "narrative", "keyword", "english")


def national_catalogue_dir(settings: Settings, data_dir: Path) -> Path:
    """Import shared/data once into the cache (re-imported when the source files change)."""
    sources = sorted(p for p in (data_dir / "dvcqg").glob("*.jsonl")) + sorted((data_dir / "dvcqg-structured").glob("*.json"))
    stamp = str(sum(int(p.stat().st_mtime) + p.stat().st_size for p in sources))
    target = settings.cache_dir / "national-catalogue"
    marker = target / "SOURCE_STAMP"
    if not (marker.exists() and marker.read_text() == stamp):
        report = import_sources(data_dir / "dvcqg" / "procedures.jsonl")
        report.merge(import_sources(data_dir / "dvcqg-structured"))
        write_catalogue_dir(report.procedures, target)
        marker.write_text(stamp)
    return target


def _style_table(title: str, columns: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    table.add_column("style")
    for name in columns:
        table.add_column(f"{name} top-1", justify="right")
        table.add_column("top-3", justify="right")
        table.add_column("MRR", justify="right")
    styles = [s for s in STYLE_ORDER if any(s in c["styles"] for c in columns.values())]
    for style in styles:
        row = [f"{style} (n={next(iter(columns.values()))['styles'].get(style, {}).get('n', 0)})"]
        for scores in columns.values():
            s = scores["styles"].get(style)
            row += [f"{s['top1']:.3f}", f"{s['top3']:.3f}", f"{s['mrr']:.3f}"] if s else ["-", "-", "-"]
        table.add_row(*row)
    return table


def _summary_table(title: str, rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    table.add_column("figure")
    for name in rows:
        table.add_column(name, justify="right")
    keys = ["faq_top1", "intent_accuracy", "decline_rate", "turns_right", "confident", "clarified", "declined", "twins_agree"]
    for key in keys:
        values = [rows[name].get(key) for name in rows]
        if all(v is None for v in values):
            continue
        table.add_row(key, *[f"{v:.3f}" if isinstance(v, float) else "-" for v in values])
    return table


def evaluate_scope(engine: Engine, eval_dir: Path, data_dir: Path, baselines: bool, console: Console, label: str) -> dict:
    dev = read_jsonl(eval_dir / "dev.jsonl")
    started = time.perf_counter()
    predictions = answer_questions(engine, dev)
    seconds = time.perf_counter() - started
    columns = {"system": score_questions(dev, predictions)}
    if baselines:
        procedure_rows = [r for r in dev if r.get("intent") == "procedure"]
        for method in ("dense", "lexical", "fuzzy"):
            columns[method] = score_questions(procedure_rows, method_predictions(engine, procedure_rows, method))
    console.print(_style_table(f"{label}: procedure questions (dev.jsonl) — system vs single methods", columns))
    summary = dict(columns["system"])
    dialogues_path = eval_dir / "dialogues.jsonl"
    if dialogues_path.exists():
        dialogues = read_jsonl(dialogues_path)
        targets = json.loads((eval_dir / "targets.json").read_text())
        summary.update(score_dialogues(dialogues, answer_dialogues(engine, dialogues), targets))
    portal_path = data_dir / "portal-questions" / "questions.jsonl"
    portal = {}
    if portal_path.exists():
        portal = score_portal(answer_questions(engine, read_jsonl(portal_path)))
    console.print(_summary_table(f"{label}: other figures", {"dev": summary, "portal questions": portal}))
    console.print(f"{label}: {len(dev)} questions in {seconds:.1f} s ({1000 * seconds / len(dev):.0f} ms each)\n")
    return {"questions": columns, "summary": summary, "portal": portal, "ms_per_question": 1000 * seconds / len(dev)}


def run_evaluation(settings: Settings, eval_dir: Path, data_dir: Path, national: bool, baselines: bool, console: Console) -> dict:
    embedder = make_embedder(settings.embedder, settings.embed_threads)
    report: dict[str, Any] = {}
    sample = load_catalogue(bundled_sample_path()).catalogue
    index = ensure_index(settings, sample, embedder)
    engine = Engine.create(index, cache_dir=settings.cache_dir / "embeddings")
    report["sample"] = evaluate_scope(engine, eval_dir, data_dir, baselines, console, "Bundled sample")
    if national and (data_dir / "dvcqg" / "procedures.jsonl").exists():
        national_dir = national_catalogue_dir(settings, data_dir)
        catalogue = load_catalogue(national_dir, bundled_sample_path()).catalogue
        index = ensure_index(settings, catalogue, embedder)
        engine = Engine.create(index, cache_dir=settings.cache_dir / "embeddings")
        report["national"] = evaluate_scope(engine, eval_dir, data_dir, baselines, console,
                                            f"National catalogue ({len(catalogue.procedures)} procedures)")
    return report
