"""Headroom: how far a better ordering of today's candidates could go, and what a wrong answer costs later.

    python -m benchmarks.headroom --national DIR [--folds-work DIR] [--shared ../shared]

Two questions decide what to work on next, and neither is answered by top-1 and top-3 alone:

1. *Is the right procedure among the candidates at all?* For every procedure question of dev, the
   validation sets, the catalogue-wide tuning set and the labelled portal questions, the rank of
   its procedure group in the fused search and in each retriever alone (national catalogue as
   imported, with the reform FAQ), read as recall at 1, 3, 5, 10, 20 and 60. Where recall at 10 is
   far above top-1, the candidates hold the answer and the ordering loses it (a re-ranker's work);
   where recall at 60 is low, no ordering can help and the words are missing (the lexicon's work).
   With `--folds-work` the leave-curation-out folds are read the same way: each fold's overlay,
   written by `benchmarks.folds`, built into its own index.
2. *How much of the dialogue errors does a wrong earlier turn carry?* Dialogue turns right, split
   by whether the turn before was right, in the national scope (the search and the engine as
   `tthc eval` runs them).

Prints tables; writes nothing but the folds' indexes (under the work folder).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from indexer.embed import Embedder
    from indexer.search import Index

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEPTHS = (1, 3, 5, 10, 20, 60)
METHODS = (None, "dense", "lexical")  # None: the fused search with every rule after fusion, as served
SEARCH_K = 20  # the search returns 3 × k groups: 60


def gold_rank(index: Index, question: str, gold_groups: set[str], method: str | None = None) -> int | None:
    """Rank (from 1) of the first procedure group among `gold_groups`, or None beyond the search's depth."""
    hits = [hit for hit in index.search(question, k=SEARCH_K, method=method).hits if hit.kind == "procedure"]
    return next((rank for rank, hit in enumerate(hits, 1) if hit.group in gold_groups), None)


def recall_at(ranks: Sequence[int | None], depths: Iterable[int] = DEPTHS) -> dict[int, float]:
    """Share of questions whose right group ranks within each depth."""
    n = len(ranks) or 1
    return {k: sum(1 for r in ranks if r is not None and r <= k) / n for k in depths}


def procedure_questions(rows: Iterable[dict], group_of: dict[str, str]) -> list[tuple[str, set[str]]]:
    """(question, gold groups) of the procedure questions whose gold codes the catalogue holds."""
    out = []
    for row in rows:
        groups = {group_of[c] for c in row.get("gold") or () if c in group_of}
        if row.get("intent", "procedure") == "procedure" and groups:
            out.append((str(row["question"]), groups))
    return out


def after_previous(outcomes: Iterable[Sequence[bool]]) -> dict[str, tuple[int, int]]:
    """(right, turns) of the first turns, and of later turns after a right and after a wrong turn."""
    counts = {"first turn": [0, 0], "after a right turn": [0, 0], "after a wrong turn": [0, 0]}
    for dialogue in outcomes:
        for i, right in enumerate(dialogue):
            key = "first turn" if i == 0 else "after a right turn" if dialogue[i - 1] else "after a wrong turn"
            counts[key][0] += right
            counts[key][1] += 1
    return {key: (right, n) for key, (right, n) in counts.items()}


def recall_table(title: str, rows: dict[str, dict[str, dict[int, float]]], sizes: dict[str, int]) -> Table:
    table = Table(title=title)
    table.add_column("set")
    table.add_column("n", justify="right")
    table.add_column("ranking")
    for k in DEPTHS:
        table.add_column(f"@{k}", justify="right")
    for name, by_method in rows.items():
        for method, recall in by_method.items():
            table.add_row(name, str(sizes[name]), method, *(f"{recall[k]:.3f}" for k in DEPTHS))
    return table


def fold_ranks(national_dir: Path, work: Path, embedder: Embedder, cache: Path) -> list[int | None]:
    """Fused ranks of the fold questions, each fold searched in its own overlay (benchmarks.folds)."""
    from benchmarks.folds import fold_index
    from bot.tools.evaluation import read_jsonl
    from knowledge.loaders import load_catalogue

    national = load_catalogue(national_dir).catalogue
    ranks: list[int | None] = []
    for folder in sorted(work.glob("fold-*")):
        index = fold_index(national, folder / "overlay", embedder, cache)
        group_of = {item.id: item.group for item in index.items if item.kind == "procedure"}
        ranks += [gold_rank(index, q, g) for q, g in procedure_questions(read_jsonl(folder / "dev.jsonl"), group_of)]
    return ranks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national", type=Path, required=True, help="catalogue imported with `tthc catalogue import`")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared folder (eval/, data/)")
    parser.add_argument("--folds-work", type=Path, help="work folder of `python -m benchmarks.folds` to read its folds too")
    args = parser.parse_args(argv)

    from bot.app.settings import Settings
    from bot.app.wiring import ensure_index
    from bot.engine.turn import Engine
    from bot.tools.eval_report import TUNING_QUESTIONS, VALIDATION, as_imported, portal_questions
    from bot.tools.evaluation import answer_dialogues, read_jsonl, turn_outcomes
    from indexer.embed import make_embedder
    from knowledge.loaders import bundled_sample_path, load_catalogue

    console = Console(width=120)
    settings = Settings()
    embedder = make_embedder(settings.embedder, settings.embed_threads)
    catalogue = as_imported(load_catalogue(args.national).catalogue, load_catalogue(bundled_sample_path()).catalogue)
    index = ensure_index(settings, catalogue, embedder)
    group_of = {p.code: p.group for p in catalogue.procedures}
    evals = args.shared / "eval"
    sets = {"dev (tuned)": read_jsonl(evals / "dev.jsonl"),
            "tuning, catalogue-wide (tuned)": read_jsonl(TUNING_QUESTIONS),
            "validation": read_jsonl(VALIDATION / "questions.jsonl"),
            "validation, catalogue-wide": read_jsonl(VALIDATION / "catalogue_questions.jsonl"),
            "portal (labelled)": portal_questions(args.shared / "data")}
    rows: dict[str, dict[str, dict[int, float]]] = {}
    sizes: dict[str, int] = {}
    for name, questions in sets.items():
        pairs = procedure_questions(questions, group_of)
        sizes[name] = len(pairs)
        rows[name] = {method or "fused": recall_at([gold_rank(index, q, g, method) for q, g in pairs]) for method in METHODS}
    if args.folds_work:
        ranks = fold_ranks(args.national, args.folds_work, embedder, settings.cache_dir / "embeddings")
        sizes["leave-curation-out folds"] = len(ranks)
        rows["leave-curation-out folds"] = {"fused": recall_at(ranks)}
    console.print(recall_table("Right procedure group within the first k groups (national import)", rows, sizes))

    engine = Engine.create(index, cache_dir=settings.cache_dir / "embeddings")
    dialogue_sets = {"dev dialogues (tuned)": (evals / "dialogues.jsonl", evals / "targets.json"),
                     "validation dialogues": (VALIDATION / "dialogues.jsonl", VALIDATION / "dialogue_targets.json")}
    table = Table(title="Dialogue turns right, by the turn before (national import)")
    for column in ("set", "first turn", "after a right turn", "after a wrong turn"):
        table.add_column(column, justify="left" if column == "set" else "right")
    for name, (path, targets_path) in dialogue_sets.items():
        dialogues = read_jsonl(path)
        split = after_previous(turn_outcomes(dialogues, answer_dialogues(engine, dialogues), json.loads(targets_path.read_text())))
        table.add_row(name, *(f"{right}/{n} = {right / n:.3f}" if n else "–" for right, n in split.values()))
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
