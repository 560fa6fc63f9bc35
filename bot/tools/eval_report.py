"""`tthc eval`: every figure of the evaluation contract, every scope, side by side, in one run.

Scopes (catalogues): the bundled curated sample; the national catalogue as an administrator
imports it (shared/data, no curated overlay, plus the reform FAQ every deployment ships); the same
with the curated sample overlaid by code. Sets: the dev questions and dialogues (tuned on), catalogue-wide
tuning questions about the catalogue's other procedures (bot/data/tuning_questions.jsonl, tuned on like
dev and the aspect model's examples too, in the national scopes), our own validation questions and dialogues (tests/data/validation, never tuned on), 1,154 catalogue-wide
questions about 689 procedures no other set asks about (also never tuned on) and the real portal
questions we labelled (procedure / not in catalogue / information); and, in every scope, 483 written
out-of-scope messages (tests/data/tuning, tuned on), where "declined outright" shows how many get a
pointer rather than procedures to choose from. Dev proves nothing about other citizens: the
validation and portal columns are the ones that count.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.engine import aspect_model
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
from indexer.build import builder_fingerprint
from indexer.embed import make_embedder
from knowledge.importers.run import import_sources, write_catalogue_dir
from knowledge.loaders import bundled_sample_path, load_catalogue

STYLE_ORDER = ("all", "formal", "no_diacritics", "typo", "slang", "narrative", "keyword", "english")


def national_catalogue_dir(settings: Settings, data_dir: Path) -> Path:
    """Import shared/data once into the cache, again when the source files or the code that reads
    catalogues change (an importer that learnt to drop a name's own code must not be measured on
    names it imported before)."""
    sources = sorted(p for p in (data_dir / "dvcqg").glob("*.jsonl")) + sorted((data_dir / "dvcqg-structured").glob("*.json"))
    stamp = f"{sum(int(p.stat().st_mtime) + p.stat().st_size for p in sources)}-{builder_fingerprint()}"
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
        counts = list(dict.fromkeys(c["styles"].get(style, {}).get("n", 0) for c in columns.values()))
        row = [f"{style} (n={'/'.join(map(str, counts))})"]
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
    keys = ["faq_top1", "intent_accuracy", "aspect_accuracy", "decline_rate", "turns_right", "confident", "clarified", "declined", "twins_agree"]
    for key in keys:
        values = [rows[name].get(key) for name in rows]
        if all(v is None for v in values):
            continue
        table.add_row(key, *[f"{v:.3f}" if isinstance(v, float) else "-" for v in values])
    return table


VALIDATION = Path(__file__).resolve().parents[2] / "tests" / "data" / "validation"
# tuned on like dev (docs/evaluation.md): written out-of-scope messages, and procedure questions over
# the catalogue's other procedures, which the aspect model also learns from (so they ship with it)
TUNING = Path(__file__).resolve().parents[2] / "tests" / "data" / "tuning"
TUNING_QUESTIONS = Path(__file__).resolve().parents[1] / "data" / aspect_model.TUNING_QUESTIONS
FIGURES = ("top1", "top3", "mrr", "confident_wrong", "helpful", "faq_top1", "intent_accuracy", "aspect_accuracy",
           "decline_rate", "declined_outright", "turns_right")


def faq_only(catalogue):
    """The reform FAQ a deployment gets by default, without the curated procedures."""
    return type(catalogue)(procedures=(), faq=catalogue.faq)


def as_imported(imported, sample):
    """The national catalogue as an administrator imports it: its procedures, no curated overlay,
    and the reform FAQ every deployment ships (taken from the bundled sample)."""
    return type(imported)(procedures=imported.procedures, faq=faq_only(sample).faq)


def portal_questions(data_dir: Path) -> list[dict]:
    """Our labels joined with the question text in shared/ (the text is never copied here)."""
    labels_path, text_path = VALIDATION / "portal_labelled.jsonl", data_dir / "portal-questions" / "questions.jsonl"
    if not (labels_path.exists() and text_path.exists()):
        return []
    text = {row["id"]: row["question"] for row in read_jsonl(text_path)}
    return [{**row, "question": text[row["id"]]} for row in read_jsonl(labels_path) if row["id"] in text]


def flatten(scores: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in scores.items() if k != "styles"}
    flat.update({k: v for k, v in (scores.get("styles", {}).get("all") or {}).items() if k != "n"})
    return flat


def evaluate_sets(engine: Engine, sets: dict[str, tuple[str, list[dict], dict | None]]) -> dict[str, dict]:
    """Answer and score each named set: (kind, rows, dialogue targets)."""
    out = {}
    for name, (kind, rows, targets) in sets.items():
        if kind == "dialogues":
            out[name] = score_dialogues(rows, answer_dialogues(engine, rows), targets or {"procedure_groups": []})
        else:
            scores = score_questions(rows, answer_questions(engine, rows))
            out[name] = {**flatten(scores), "styles": scores["styles"]}  # styles: for the table by style
    return out


def side_by_side(title: str, rows: dict[str, dict[str, Any]]) -> Table:
    """One row per scope · set, one column per figure (a figure a set does not measure shows "-")."""
    shown = [key for key in FIGURES if any(r.get(key) is not None for r in rows.values())]
    table = Table(title=title)
    table.add_column("scope · set")
    for key in shown:
        table.add_column(key.replace("_", " "), justify="right")
    for name, figures in rows.items():
        table.add_row(name, *[f"{figures[k]:.3f}" if isinstance(figures.get(k), (int, float)) else "-" for k in shown])
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
    dev = read_jsonl(eval_dir / "dev.jsonl")
    dialogues = read_jsonl(eval_dir / "dialogues.jsonl") if (eval_dir / "dialogues.jsonl").exists() else []
    targets = json.loads((eval_dir / "targets.json").read_text()) if (eval_dir / "targets.json").exists() else None
    sets: dict[str, tuple[str, list[dict], dict | None]] = {"dev": ("questions", dev, None),
                                                            "dev dialogues": ("dialogues", dialogues, targets)}
    if (TUNING / "out_of_scope_questions.jsonl").exists():  # no catalogue holds them: read in every scope
        sets["tuning, out of scope"] = ("questions", read_jsonl(TUNING / "out_of_scope_questions.jsonl"), None)
    fresh: dict[str, tuple[str, list[dict], dict | None]] = {}
    if (VALIDATION / "questions.jsonl").exists():
        fresh["validation"] = ("questions", read_jsonl(VALIDATION / "questions.jsonl"), None)
        fresh["validation dialogues"] = ("dialogues", read_jsonl(VALIDATION / "dialogues.jsonl"),
                                         json.loads((VALIDATION / "dialogue_targets.json").read_text()))
    if (VALIDATION / "catalogue_questions.jsonl").exists():
        fresh["validation, catalogue-wide"] = ("questions", read_jsonl(VALIDATION / "catalogue_questions.jsonl"), None)
    if portal := portal_questions(data_dir):
        fresh["portal (labelled)"] = ("questions", portal, None)
    # about procedures the sample does not hold: read in the national scopes only
    tuned_national: dict[str, tuple[str, list[dict], dict | None]] = {}
    tuned_national["tuning, catalogue-wide"] = ("questions", read_jsonl(TUNING_QUESTIONS), None)
    sample = load_catalogue(bundled_sample_path()).catalogue

    def engine_for(catalogue) -> Engine:
        return Engine.create(ensure_index(settings, catalogue, embedder), cache_dir=settings.cache_dir / "embeddings")

    engine = engine_for(sample)
    report["sample"] = evaluate_scope(engine, eval_dir, data_dir, baselines, console, "Bundled sample")
    report["sample"]["sets"] = evaluate_sets(engine, sets)
    columns = {f"sample · {k}": v for k, v in report["sample"]["sets"].items()}
    if national and (data_dir / "dvcqg" / "procedures.jsonl").exists():
        national_dir = national_catalogue_dir(settings, data_dir)
        imported = load_catalogue(national_dir).catalogue
        plain = as_imported(imported, sample)
        overlay = load_catalogue(national_dir, bundled_sample_path()).catalogue
        for name, catalogue in (("national", plain), ("national+curated", overlay)):
            engine = engine_for(catalogue)
            report[name] = {"sets": evaluate_sets(engine, {**sets, **tuned_national, **fresh})}
            columns.update({f"{name} · {k}": v for k, v in report[name]["sets"].items()})
    console.print(side_by_side("Every scope side by side (dev and tuning are tuned on; validation and portal are not)",
                               columns))
    national = report.get("national", {}).get("sets", {})
    by_style = {f"national · {name}": national[name] for name, (kind, _, _) in fresh.items()
                if kind == "questions" and name.startswith("validation") and name in national}
    if by_style:  # where the never-tuned sets are weak: the styles to work on next
        console.print(_style_table("National import: never-tuned question sets by style", by_style))
    return report
