"""Report speed: seed N PAKN records with realistic histories through the service API, then time a
month, a quarter and a year report.

    python -m benchmarks.reports [--records 60000] [--questions-per-record 3.7] [--db PATH] [--json OUT]

Histories are made with feedback.service (create_record, reply, transition, classify, publish),
dated over 2026 in Vietnam time: answers on time and late, refusals, transfers, records reopened
after an answer and answered again, records still open, praise. Citizens' 1–5 ratings and the
assistant's question log (about 3.7 logged questions per record, as in the deployment that
reported the slowness) are bulk-inserted: the first are what `rate_record` writes, the second
what the bot writes. A seeded database is kept with --db and reused when it already holds N
records. For each period the table shows the time to compute the report (`build_report`: all
SQL aggregation), to write the XLSX and CSVs, to render the charts, and the peak Python memory
(tracemalloc) of the computation; the process's peak RSS is printed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from feedback import service
from feedback.db import init_db, make_engine, session_factory
from feedback.models import FeedbackRecord, QuestionLog, SatisfactionRating
from feedback.periods import Period, to_utc
from feedback.service import Draft

UNITS = [f"UBND xã {name}" for name in ("An Bình", "Tân Hòa", "Phú Mỹ", "Hòa Lợi", "Long Hưng", "Bình Minh", "Thạnh Phú",
                                        "Mỹ Phước", "Tân Lập", "Đông Hòa", "Vĩnh Thạnh", "Phước Long")] + \
        [f"UBND phường {i}" for i in range(1, 16)] + ["Sở Tư pháp", "Công an tỉnh", ""]
CHANNELS = ["telegram", "zalo", "web"]
START, END = dt.datetime(2025, 12, 1), dt.datetime(2027, 1, 1)  # Vietnam time
PERIODS = ["2026-06", "2026-Q2", "2026", "ky:2026"]


def _at(local: dt.datetime) -> dt.datetime:
    return to_utc(local)


def seed(sessions, records: int, questions_per_record: float, rng: random.Random) -> dict:
    """Create `records` histories through the service; returns counts of what was made."""
    made = {"records": 0, "answers": 0, "late": 0, "reopened": 0, "refused": 0, "transferred": 0, "open": 0, "praise": 0}
    span = (END - START).total_seconds()
    ratings: list[dict] = []
    batch = 2000
    for first in range(0, records, batch):
        with sessions() as db, db.begin():
            for n in range(first, min(records, first + batch)):
                received = START + dt.timedelta(seconds=rng.random() * span * 0.97)
                kind = rng.choices(["phan_anh", "kien_nghi", "khen"], [0.6, 0.32, 0.08])[0]
                record = service.create_record(db, Draft(
                    kind=kind, content=f"phản ánh số {n}", channel=rng.choice(CHANNELS), chat_id=f"c{n}",
                    agency=rng.choice(UNITS), field=rng.choice(["Hộ tịch", "Cư trú", "Đất đai", "Xây dựng", ""]),
                    procedure_name=rng.choice(["Đăng ký khai sinh", "Đăng ký thường trú", "Cấp giấy phép xây dựng", ""]),
                    classification=rng.choice(["quy_dinh", "hanh_vi", None])), now=_at(received))
                made["records"] += 1
                made["praise"] += kind == "khen"
                _history(db, record.id, received, rng, made, ratings)
        if ratings:
            with sessions() as db, db.begin():
                db.execute(insert(SatisfactionRating), ratings)
            ratings.clear()
    _questions(sessions, int(records * questions_per_record), rng)
    return made


def _history(db, record_id: int, received: dt.datetime, rng: random.Random, made: dict, ratings: list[dict]) -> None:
    def when(after: dt.datetime, low: float, high: float) -> dt.datetime | None:
        moment = after + dt.timedelta(days=rng.uniform(low, high))
        return moment if moment < END else None

    roll = rng.random()
    if roll < 0.05:
        if (at := when(received, 0.5, 5)) is not None:
            service.transition(db, record_id, "rejected", "bench", "không thuộc thẩm quyền", now=_at(at))
            made["refused"] += 1
            return
    elif roll < 0.10:
        if (at := when(received, 0.5, 4)) is not None:
            service.transition(db, record_id, "transferred", "bench", "Sở Xây dựng", now=_at(at))
            made["transferred"] += 1
            return
    elif roll < 0.93:
        answered = when(received, 0.5, rng.choice([10, 18, 35]))  # a third of them risk being late
        if answered is not None:
            service.reply(db, record_id, "bench", "Trả lời", now=_at(answered))
            made["answers"] += 1
            made["late"] += (answered - received).days >= 20
            if rng.random() < 0.4:
                ratings.append({"subject": "feedback", "record_id": record_id, "channel": "telegram", "reason": "",
                                "score": rng.choices([1, 2, 3, 4, 5], [0.05, 0.1, 0.15, 0.35, 0.35])[0],
                                "at": _at(answered + dt.timedelta(hours=rng.uniform(1, 72)))})
            if rng.random() < 0.3:  # published the day after the answer, before any reopening
                service.publish(db, record_id, "bench", now=_at(answered + dt.timedelta(days=1)))
            if rng.random() < 0.1 and (reopened := when(answered, 1, 20)) is not None:
                service.transition(db, record_id, "in_progress", "bench", "người dân chưa thỏa đáng", now=_at(reopened))
                made["reopened"] += 1
                if (again := when(reopened, 2, 15)) is not None:
                    service.reply(db, record_id, "bench", "Trả lời bổ sung", now=_at(again))
                    made["answers"] += 1
            elif rng.random() < 0.5 and (closed := when(answered, 3, 10)) is not None:
                service.transition(db, record_id, "closed", "bench", now=_at(closed))
            return
    made["open"] += 1


def _questions(sessions, count: int, rng: random.Random) -> None:
    span = (END - START).total_seconds()
    for first in range(0, count, 20000):
        rows = []
        for _ in range(min(20000, count - first)):
            decision = rng.choices(["answer", "clarify", "decline"], [0.75, 0.1, 0.15])[0]
            rows.append({"at": _at(START + dt.timedelta(seconds=rng.random() * span)), "channel": rng.choice(CHANNELS),
                         "text": "câu hỏi", "intent": rng.choice(["procedure", "faq", "out_of_scope"]), "decision": decision,
                         "procedure_code": f"1.00{rng.randint(1000, 1400)}" if decision == "answer" else None,
                         "confidence": 0.5, "helpful": rng.choice([None, None, None, True, False])})
        votes = [{"subject": "answer", "record_id": None, "channel": row["channel"], "score": 5 if row["helpful"] else 1,
                  "reason": "", "at": row["at"]} for row in rows if row["helpful"] is not None]
        with sessions() as db, db.begin():  # what bot.service.rate_answer writes: a 👍/👎 rating and the mark
            db.execute(insert(QuestionLog), rows)
            db.execute(insert(SatisfactionRating), votes)


def run(records: int, questions_per_record: float, db_path: Path | None, seed_value: int) -> dict:
    from feedback.report_charts import charts
    from feedback.report_files import write_csv, write_xlsx
    from feedback.reports import build_report

    tmp = tempfile.TemporaryDirectory()
    path = db_path or Path(tmp.name) / "reports.db"
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    sessions = session_factory(engine)
    with sessions() as db:
        existing = db.scalar(select(func.count(FeedbackRecord.id))) or 0
    seeding = None
    if existing != records:
        if existing:
            raise SystemExit(f"{path} holds {existing} records, not {records}: give another --db")
        started = time.perf_counter()
        made = seed(sessions, records, questions_per_record, random.Random(seed_value))
        seeding = {"seconds": round(time.perf_counter() - started, 1), **made}
    with sessions() as db:
        counts = {"records": db.scalar(select(func.count(FeedbackRecord.id))),
                  "questions": db.scalar(select(func.count(QuestionLog.id))),
                  "ratings": db.scalar(select(func.count(SatisfactionRating.id)))}
    rows = []
    now = dt.datetime(2027, 1, 10)
    for text in PERIODS:
        period = Period.parse(text)
        with sessions() as db:
            tracemalloc.start()
            started = time.perf_counter()
            report = build_report(db, period, now=now)
            compute = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        started = time.perf_counter()
        out = Path(tmp.name) / text.replace(":", "-")
        write_xlsx(report, out / "r.xlsx")
        write_csv(report, out / "csv")
        files = time.perf_counter() - started
        started = time.perf_counter()
        images = charts(report)
        drawing = time.perf_counter() - started
        fb = report.feedback
        rows.append({"period": report.period.label, "to_handle": fb.to_handle, "handled": fb.handled, "reopened": fb.reopened,
                     "units": len(fb.by_unit), "compute_s": round(compute, 2), "files_s": round(files, 2),
                     "charts_s": round(drawing, 2), "charts": len(images), "peak_mb": round(peak / 2**20, 1),
                     "reconciles": fb.reconciles})
    tmp.cleanup()
    return {"seeding": seeding, "database": counts, "reports": rows,
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=60000)
    parser.add_argument("--questions-per-record", type=float, default=3.7)
    parser.add_argument("--db", type=Path, help="keep the seeded SQLite database here (reused when it holds N records)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.records, args.questions_per_record, args.db, args.seed)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    console = Console(width=160)
    if result["seeding"]:
        console.print(f"seeded through feedback.service in {result['seeding']['seconds']} s: {result['seeding']}")
    console.print(f"database: {result['database']}")
    table = Table("period", "to handle", "handled", "reopened", "units", "compute (s)", "XLSX+CSV (s)", "charts (s)",
                  "peak Python MB (compute)", "reconciles", title="Report timings (SQLite, one process)")
    for row in result["reports"]:
        table.add_row(row["period"], f"{row['to_handle']:,}", f"{row['handled']:,}", f"{row['reopened']:,}", str(row["units"]),
                      f"{row['compute_s']:.2f}", f"{row['files_s']:.2f}", f"{row['charts_s']:.2f}", f"{row['peak_mb']:.1f}",
                      str(row["reconciles"]))
    console.print(table)
    console.print(f"process peak RSS: {result['max_rss_mb']} MB")


if __name__ == "__main__":
    main()
