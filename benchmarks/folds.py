"""Leave-curation-out folds: how well would the bot answer about procedures nobody curated?

The curated sample gives ~107 procedure groups hand-written aliases, everyday names, summaries and
English names. Questions about those groups are answered well partly *because* of that hand work,
which a province importing 3,000-6,000 procedures will never do. This tool measures the mechanisms
alone: the groups of `targets.json` are split into folds; for each fold, the procedures of its
groups lose everything hand-written (the national importer's record is used for them, or, for a
code the import lacks, the curated record with aliases, summary and English name removed), while
the rest of the curated overlay stays. The dev questions about the fold's groups are then answered
through the evaluation contract (`tthc answer`, a subprocess; the fold plan itself is
`bot.tools.curation_folds`, shared with the confidence fit)
and all folds' answers are scored together with the shared `score.py`.

    python -m benchmarks.folds --national DIR [--folds 5] [--work DIR]

Runs one `tthc answer` per fold (an index build each; embeddings come from the cache).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.tools.curation_folds import fold_of_groups, fold_overlay
from knowledge.loaders import bundled_sample_path, load_catalogue, write_jsonl

if TYPE_CHECKING:
    from indexer.embed import Embedder
    from indexer.search import Index
    from knowledge.schema import Catalogue

SHARED = Path(__file__).resolve().parents[2] / "shared"


def prepare(national_dir: Path, work: Path, folds: int, dev: Path, targets: Path) -> list[tuple[Path, Path, Path]]:
    """Write each fold's overlay catalogue and question file; return (overlay, questions, out) per fold."""
    target_groups = [g["group"] for g in json.loads(targets.read_text(encoding="utf-8"))["procedure_groups"]]
    assignment = fold_of_groups(target_groups, folds)
    sample = load_catalogue(bundled_sample_path()).catalogue
    national = load_catalogue(national_dir).catalogue.by_code()
    rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    plans = []
    for fold in range(folds):
        left_out = {g for g, f in assignment.items() if f == fold}
        folder = work / f"fold-{fold}"
        (folder / "overlay").mkdir(parents=True, exist_ok=True)
        write_jsonl(folder / "overlay" / "procedures.jsonl", fold_overlay(list(sample.procedures), national, left_out),
                    sample.faq)
        questions = [r for r in rows if r.get("intent") == "procedure" and set(r.get("groups") or ()) & left_out]
        (folder / "dev.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in questions),
                                          encoding="utf-8")
        plans.append((folder / "overlay", folder / "dev.jsonl", folder / "pred.jsonl"))
    return plans


def fold_index(national: Catalogue, overlay: Path, embedder: Embedder, cache: Path | None) -> Index:
    """One fold's search: the national import with the fold's overlay on top (its curated records
    replace the imported ones by code), built into `index/` beside the overlay folder."""
    from indexer.build import build_index
    from indexer.search import Index
    from knowledge.schema import Catalogue

    curated = load_catalogue(overlay).catalogue
    by_code = {**national.by_code(), **curated.by_code()}
    catalogue = Catalogue(procedures=tuple(by_code.values()), faq=curated.faq or national.faq)
    return Index.load(build_index(catalogue, embedder, overlay.parent / "index", cache_dir=cache), embedder)


def retrieval_scores(national_dir: Path, plans: list[tuple[Path, Path, Path]], cache: Path) -> dict[str, float]:
    """Retrieval alone (indexer, no engine): top-1 and top-3 of the gold codes over all folds.

    Far cheaper than `tthc answer` (no intent classifier to train per fold), for quick checks; the
    headline figures come from the full run."""
    from indexer.embed import make_embedder

    embedder = make_embedder()
    national = load_catalogue(national_dir).catalogue
    n = top1 = top3 = 0
    for overlay, questions, _out in plans:
        index = fold_index(national, overlay, embedder, cache)
        for line in questions.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            ranked = [code for hit in index.search(row["question"]).procedures() for code in hit.item_ids[:1]]
            n += 1
            top1 += bool(ranked[:1]) and ranked[0] in row["gold"]
            top3 += any(code in row["gold"] for code in ranked[:3])
    return {"n": n, "top1": round(top1 / max(n, 1), 4), "top3": round(top3 / max(n, 1), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national", type=Path, required=True, help="catalogue imported with `tthc catalogue import`")
    parser.add_argument("--work", type=Path, default=Path("folds-work"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared folder (eval/dev.jsonl, targets, score.py)")
    parser.add_argument("--retrieval-only", action="store_true", help="score the search alone (no engine, much faster)")
    parser.add_argument("--embedding-cache", type=Path, default=None, help="embedding cache folder for --retrieval-only")
    args = parser.parse_args(argv)
    evals = args.shared / "eval"
    plans = prepare(args.national, args.work, args.folds, evals / "dev.jsonl", evals / "targets.json")
    if args.retrieval_only:
        print(json.dumps(retrieval_scores(args.national, plans, args.embedding_cache)))
        return 0
    for overlay, questions, out in plans:
        subprocess.run([sys.executable, "-m", "bot.cli", "answer", "--jsonl", str(questions), "--out", str(out),
                        "--catalogue", str(args.national), "--catalogue", str(overlay)], check=True)
    gold, pred = args.work / "gold.jsonl", args.work / "pred.jsonl"
    gold.write_text("".join(q.read_text(encoding="utf-8") for _, q, _ in plans), encoding="utf-8")
    pred.write_text("".join(o.read_text(encoding="utf-8") for _, _, o in plans), encoding="utf-8")
    return subprocess.run([sys.executable, str(evals / "score.py"), str(gold), str(pred)]).returncode


if __name__ == "__main__":
    raise SystemExit(main())
