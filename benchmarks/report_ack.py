"""Does a report view on the staff page hold up the webhooks? Acknowledgement latency during views.

    python -m benchmarks.report_ack [--records 60000] [--db PATH] [--views 6] [--json OUT]

The real staff app and the real Telegram webhook route share one uvicorn event loop on loopback,
as in `tthc serve`. One client opens report pages (month, quarter, year, each once: the first view
of a period computes the report and draws its charts) while another posts a webhook every 20 ms
and /health every 100 ms. The webhook carries no valid secret, so it is answered at once by the
route itself: what it measures is how long the event loop leaves a webhook waiting, which is what
a report computed on the loop used to cost (/health waited 65 s). Records are seeded as in
benchmarks.reports (reuse its database with --db). Target: webhook p99 < 100 ms during views.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from benchmarks.reports import seed
from bot.channels import telegram as telegram_channel
from feedback.auth import add_user
from feedback.db import init_db, make_engine, session_factory
from feedback.models import FeedbackRecord
from feedback.web.app import WebConfig, create_staff_app

PASSWORD = "mat-khau-dai-do-benchmark"
PERIODS = ["2026-06", "2026-Q2", "2026", "2026-05", "2026-Q3", "2026-H1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def build_app(sessions) -> Starlette:
    async def health(_):
        return JSONResponse({"status": "ok"})

    webhook = telegram_channel.webhook_route(lambda: None, lambda: None, lambda *_: True, lambda request: request.body())
    return Starlette(routes=[webhook, Route("/health", health),
                             Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="b" * 40, https_only=False)))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=60000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--views", type=int, default=len(PERIODS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    engine = make_engine(f"sqlite:///{args.db or Path(tmp.name) / 'ack.db'}")
    init_db(engine)
    sessions = session_factory(engine)
    with sessions() as db:
        existing = db.scalar(select(func.count(FeedbackRecord.id))) or 0
    if existing < args.records:
        seed(sessions, args.records - existing, 3.7, random.Random(11))
    with sessions() as db, db.begin():
        from feedback.models import StaffUser

        if db.scalar(select(StaffUser).where(StaffUser.username == "bench")) is None:
            add_user(db, "bench", PASSWORD, role="admin")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(sessions), host="127.0.0.1", port=port, log_level="error",
                                           access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    acks: list[float] = []
    health: list[float] = []
    views: list[tuple[str, float]] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            n = 0
            while not done.is_set():
                started = time.perf_counter()
                client.post("/telegram/webhook", content=b'{"update_id": 1}')
                acks.append(time.perf_counter() - started)
                if n % 5 == 0:
                    started = time.perf_counter()
                    client.get("/health")
                    health.append(time.perf_counter() - started)
                n += 1
                time.sleep(0.02)

    with httpx.Client(base_url=base, timeout=600, follow_redirects=True) as staff:
        page = staff.get("/staff/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        staff.post("/staff/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
        prober = threading.Thread(target=probe)
        prober.start()
        time.sleep(0.5)
        quiet = len(acks)
        for period in PERIODS[: args.views]:
            started = time.perf_counter()
            response = staff.get("/staff/reports", params={"period": period})
            response.raise_for_status()
            for chart in re.findall(r'src="([^"]*/reports/[^"]+\.png[^"]*)"', response.text):
                staff.get(chart)
            views.append((period, time.perf_counter() - started))
        done.set()
        prober.join()
    server.should_exit = True
    during = acks[quiet:]
    print(f"{'report view (page + charts)':<34}{'seconds':>9}")
    for period, seconds in views:
        print(f"{period:<34}{seconds:>9.2f}")
    print(f"\n{'probe during views':<34}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, samples in (("webhook acknowledgement", during), ("/health", health)):
        print(f"{name:<34}{len(samples):>6}{1000 * statistics.median(samples):>9.1f}"
              f"{1000 * percentile(samples, 0.99):>9.1f}{1000 * max(samples):>9.1f}")
    if args.json:
        args.json.write_text(json.dumps({"views": views, "ack_p99_ms": 1000 * percentile(during, 0.99),
                                         "health_p99_ms": 1000 * percentile(health, 0.99), "records": args.records}, indent=1))
    tmp.cleanup()


if __name__ == "__main__":
    main()
