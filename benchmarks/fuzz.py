"""Fuzzing: generated inputs against everything that reads untrusted text; counts inputs and escapes.

    python -m benchmarks.fuzz [--n 100000] [--seed 7] [--json OUT]

Targets: the normaliser, the conversation engine (bundled sample, deterministic hashing embedder so
the run measures robustness, not the model), the service path a webhook message takes (state
load and encrypted save, question log, the feedback port filing reports, the outbox, all in one
transaction on SQLite; per-message p99 reported), the national-crawl importer (every bad line must
be reported with file, row and field), the Telegram update parser and the Zalo webhook verifier
and parser. Inputs: random Unicode (every plane), lone surrogates, NUL and other control
characters, mixed scripts and normal forms (NFC/NFD), emoji, 100k-character messages, Vietnamese
with random marks, report flows, and broken JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import tempfile
import time
import traceback
import unicodedata
from collections import Counter
from pathlib import Path

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ "
PIECES = ["làm", "căn cước", "sổ đỏ", "ko", "j", "PA-2026-", "H12.34-250610-", "?", "\x00", "\u202e", "\ufeff", "🙂",
          "中文", "русский", "<script>", "'; DROP TABLE", "%s%s%n", "\\", "\"", "{", "}", "0912345678", "/phananh", "1", "hủy"]


def random_text(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(0, 200))
                       ).encode("utf-8", "replace").decode("utf-8", "replace")
    if kind == 1:
        return "".join(rng.choice(VIETNAMESE) for _ in range(rng.randrange(0, 300)))
    if kind == 2:
        return " ".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 40)))
    if kind == 3:
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(0, 500)))
    if kind == 4:
        return rng.choice(PIECES) * rng.randrange(1000, 20000)  # huge
    if kind == 5:
        return "".join(chr(rng.randrange(0, 32)) for _ in range(rng.randrange(0, 50)))  # control characters
    return "".join(rng.choice(["🙂", "👍", "ẹ", "ﬁ", "𝔸", "\u0301", "\u0323", " ", "a"]) for _ in range(rng.randrange(0, 100)))


FLOW = ["/phananh", "Cán bộ phường {n} giữ hồ sơ quá hạn 2 tuần, CCCD 001203004567, an{n}@example.vn", "Nguyễn Văn An 0912 345 678",
        "không", "1", "2", "hủy"]


def service_text(rng: random.Random, n: int) -> str:
    """What reaches the service: the edge cases a webhook can carry, and report flows."""
    kind = rng.randrange(6)
    if kind == 0:
        return "".join(rng.choice(["\ud800", "\udfff", "\x00", "làm ", "căn cước ", "\ud83d"]) for _ in range(rng.randrange(1, 30)))
    if kind == 1:
        return rng.choice(["làm căn cước ", "phản ánh cán bộ ", "\x00 0912345678 "]) * rng.randrange(5_000, 8_500)  # ~100k
    if kind == 2:
        return unicodedata.normalize(rng.choice(["NFD", "NFC", "NFKD"]), rng.choice(FLOW).format(n=n) + " làm giấy khai sinh")
    if kind in (3, 4):
        return rng.choice(FLOW).format(n=n)
    return random_text(rng)


def fuzz_service(rng: random.Random, n: int, index, tmp: Path) -> tuple[int, int, list[float], str]:
    """(inputs, errors, seconds per message, first error): errors are escaped exceptions and
    polite error replies (an exception the engine's edge swallowed)."""
    from bot.app.conversations import ConversationStore
    from bot.app.service import ConversationService, FloodGuard, FloodPolicy
    from bot.app.wiring import feedback_port
    from bot.engine.turn import Engine
    from bot.engine.types import Incoming
    from feedback import outbox
    from feedback.db import init_db, make_engine, session_factory

    database = make_engine(f"sqlite:///{tmp / 'fuzz.db'}")
    init_db(database)
    sessions = session_factory(database)
    engine = Engine.create(index, cache_dir=tmp / "cache", feedback=feedback_port(index, sessions))
    service = ConversationService(engine, ConversationStore(sessions), FloodGuard(FloodPolicy(messages=10**9)))
    errors, timings, first = 0, [], ""
    for i in range(n):
        user = str(rng.randrange(40))
        text = service_text(rng, i)
        started = time.perf_counter()
        try:
            with sessions() as session, session.begin():
                reply = service.respond_in(session, Incoming("telegram", user, text))
                outbox.enqueue(session, "telegram", user, reply.text, key=f"fuzz-{i}")
            if reply.intent == "error":
                raise RuntimeError("the engine failed on this message (error reply)")
        except Exception:  # noqa: BLE001 - counting what escapes is the point
            errors += 1
            first = first or traceback.format_exc(limit=4)
        timings.append(time.perf_counter() - started)
    return n, errors, timings, first


def random_json(rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        return random_text(rng).encode("utf-8", "replace")
    if choice == 1:
        return json.dumps({"update_id": rng.randrange(-5, 10**12), "message": {"text": random_text(rng), "chat": rng.choice(
            [{"id": 1, "type": "private"}, None, "x", {}])}}, ensure_ascii=False).encode()
    if choice == 2:
        value = rng.choice([None, 1, -1, 10**30, "x", [], {}, random_text(rng)])
        return json.dumps({"event_name": rng.choice(["user_send_text", "follow", "", None]), "timestamp": value,
                           "sender": {"id": value}, "message": {"text": value, "msg_id": value}}).encode()
    return json.dumps(rng.choice([[], 1, "x", None, {"a": [1, {"b": None}]}])).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table
    from bot.channels import zalo
    from bot.channels.telegram import update_event
    from bot.engine.turn import Engine
    from bot.engine.types import Incoming
    from indexer.build import build_index
    from indexer.embed import HashingEmbedder
    from indexer.normalize import Normalizer
    from indexer.search import Index
    from knowledge.importers.dvcqg import import_crawl_jsonl
    from knowledge.loaders import bundled_sample_path, load_catalogue

    rng = random.Random(args.seed)
    counts: Counter = Counter()
    escapes: Counter = Counter()
    examples: dict[str, str] = {}

    def guard(target: str, fn, *a) -> None:
        counts[target] += 1
        try:
            fn(*a)
        except Exception:  # noqa: BLE001 - counting what escapes is the point
            escapes[target] += 1
            examples.setdefault(target, traceback.format_exc(limit=3))

    started = time.perf_counter()
    normalizer = Normalizer()
    with tempfile.TemporaryDirectory() as tmp:
        embedder = HashingEmbedder(256)
        build_index(load_catalogue(bundled_sample_path()).catalogue, embedder, Path(tmp) / "index")
        engine = Engine.create(Index.load(Path(tmp) / "index", embedder), cache_dir=Path(tmp) / "cache")
        share = {"normaliser": 0.35, "engine": 0.15, "importer": 0.3, "telegram": 0.1, "zalo": 0.1, "service": 0.02}
        index = engine.index
        inputs, errors, timings, first = fuzz_service(rng, max(50, int(args.n * share["service"])), index, Path(tmp))
        counts["service"], escapes["service"] = inputs, errors
        if first:
            examples["service"] = first
        timings.sort()
        service_p99 = timings[int(len(timings) * 0.99) - 1] if timings else 0.0
        state = None
        for _ in range(int(args.n * share["normaliser"])):
            guard("normaliser", normalizer.query, random_text(rng))
        for i in range(int(args.n * share["engine"])):
            def turn(text: str) -> None:
                nonlocal state
                reply = engine.handle(Incoming("fuzz", "u", text), state)
                assert reply.text and len(reply.procedures) <= 10
                state = reply.state if i % 5 else None  # also fuzz multi-turn state (feedback flow, options)
            guard("engine", turn, random_text(rng)[:5000])
        lines = int(args.n * share["importer"])
        crawl = Path(tmp) / "fuzz.jsonl"
        with crawl.open("w", encoding="utf-8") as handle:
            for _ in range(lines):
                if rng.random() < 0.5:
                    handle.write(json.dumps({"ma_thu_tuc": rng.choice(["1.000001", random_text(rng)[:12], None]),
                                             "ten_thu_tuc": random_text(rng)[:200], "cach_thuc_thuc_hien": random_text(rng),
                                             "thanh_phan_ho_so": random_text(rng), "can_cu_phap_ly": random_text(rng)},
                                            ensure_ascii=False) + "\n")
                else:
                    handle.write(random_text(rng).replace("\n", " ").replace("\r", " ")[:2000] + "\n")
        report = None

        def run_import() -> None:
            nonlocal report
            report = import_crawl_jsonl(crawl)

        counts["importer"] += lines - 1
        guard("importer", run_import)
        reported_rows = {p.row for p in report.problems} if report else set()
        bad_rows_unlocated = sum(1 for p in (report.problems if report else []) if not p.file or not p.field)
        for _ in range(int(args.n * share["telegram"])):
            body = random_json(rng)

            def parse(body: bytes = body) -> None:
                try:
                    data = json.loads(body)
                except ValueError:
                    return  # the server answers 400
                try:
                    update_event(data)
                except (TypeError, KeyError, ValueError, RecursionError):
                    return  # the server answers 400
            guard("telegram", parse)
        for _ in range(int(args.n * share["zalo"])):
            body = random_json(rng)

            def verify(body: bytes = body) -> None:
                try:
                    data = zalo.verify({"x-zevent-signature": "mac=" + "0" * 64}, body, "app", "key")
                except (PermissionError, ValueError, RecursionError):
                    data = None
                try:
                    zalo.to_event(zalo.parse_body(body))
                except (ValueError, TypeError, AttributeError, RecursionError):
                    pass  # the webhook answers 400
                assert data is None  # nothing unsigned gets through
            guard("zalo", verify)
    seconds = time.perf_counter() - started
    table = Table(title=f"Fuzzing: {sum(counts.values())} generated inputs in {seconds:.0f} s (seed {args.seed})")
    for column in ("target", "inputs", "exceptions escaped"):
        table.add_column(column, justify="right")
    for target in counts:
        table.add_row(target, str(counts[target]), str(escapes[target]))
    Console(width=120).print(table)
    print(f"service path: {counts['service']} messages, {escapes['service']} errors, p99 {service_p99 * 1000:.0f} ms per message")
    print(f"importer: {len(report.problems) if report else 0} bad rows reported with file/row/field "
          f"({len(reported_rows)} distinct rows; {bad_rows_unlocated} without a location)")
    for target, example in examples.items():
        print(f"--- first escape in {target}:\n{example}")
    if args.json:
        args.json.write_text(json.dumps({"inputs": dict(counts), "escaped": dict(escapes), "seconds": seconds,
                                         "importer_problems": len(report.problems) if report else 0,
                                         "service_p99_ms": round(service_p99 * 1000, 1)}, indent=1))
    raise SystemExit(1 if escapes or bad_rows_unlocated else 0)


if __name__ == "__main__":
    main()
