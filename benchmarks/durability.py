"""Durability under kill -9: does every message the server acknowledged get answered, and is every
report filed exactly once?

    python -m benchmarks.durability [--citizens 300] [--kills 6] [--database sqlite|postgresql URL]

N citizens file a report over the Telegram webhook (/phananh, the story, "không", "1") against a
`tthc serve` process and a fake Bot API in its own process. The server is killed with SIGKILL K
times at random moments and restarted on the same database. Delivery follows Telegram's rule: an
update is sent again, with the same update_id, only when the webhook did not answer 2xx; citizens
never resend on their own. Reported: citizens left without an answer to an acknowledged message,
reports lost (a citizen confirmed and no record exists, or a reference was sent for no record),
duplicated (two records for one citizen) or half-written (a record without its history row), and
duplicate replies (more replies than acknowledged messages).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "999999:DURABILITY-TOKEN-abcdefghijklmnop"
SECRET = "durability-secret-123456"
SCRIPT = ["/phananh", "Cán bộ một cửa phường {n} hẹn trả hồ sơ 3 lần vẫn chưa có kết quả, tôi muốn phản ánh", "không", "1"]


# --- the fake Bot API, run in its own process ------------------------------------------------------
def fake_app():
    """Answers like the Bot API and keeps every sendMessage; GET /_sent?since=i lists them."""
    from urllib.parse import parse_qs

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    sent: list[dict] = []

    async def method(request: Request):
        body = await request.body()
        params = json.loads(body) if request.headers.get("content-type", "").startswith("application/json") and body \
            else {k: v[0] for k, v in parse_qs(body.decode()).items()}
        name = request.path_params["method"]
        if name == "getMe":
            return JSONResponse({"ok": True, "result": {"id": 999, "is_bot": True, "first_name": "TTHC", "username": "tthc_bot"}})
        if name == "sendMessage":
            sent.append({"chat_id": str(params.get("chat_id")), "text": params.get("text", "")})
            return JSONResponse({"ok": True, "result": {"message_id": len(sent), "date": int(time.time()),
                                                        "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                                                        "text": params.get("text", "")}})
        return JSONResponse({"ok": True, "result": True})

    async def listing(request: Request):
        since = int(request.query_params.get("since", "0"))
        return JSONResponse(sent[since:])

    return Starlette(routes=[Route("/bot{token}/{method}", method, methods=["POST", "GET"]),
                             Route("/_sent", listing, methods=["GET"])])


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


# --- the run --------------------------------------------------------------------------------------
@dataclass
class Citizen:
    chat: int
    step: int = 0
    acknowledged: int = 0  # messages the webhook answered 2xx
    replies: list[str] = field(default_factory=list)


@dataclass
class Result:
    database: str
    citizens: int
    kills: int
    acknowledged: int
    unanswered: int
    finished: int
    lost: int
    duplicated: int
    half_written: int
    duplicate_replies: int
    seconds: float
    log_lines: list[str] = field(default_factory=list)

    def row(self) -> str:
        return (f"| {self.database} | {self.citizens} | {self.kills} | {self.acknowledged} | {self.unanswered} | "
                f"{self.finished} | {self.lost} | {self.duplicated} | {self.half_written} | {self.duplicate_replies} | "
                f"{self.seconds:.0f} s |")


HEADER = ("| database | citizens | kills | acknowledged | unanswered | finished | lost | duplicated | half-written "
          "| duplicate replies | time |\n|---|---|---|---|---|---|---|---|---|---|---|")


class Run:
    def __init__(self, url: str, citizens: int, kills: int, workdir: Path, seed: int = 7, catalogue: Path | None = None,
                 deadline: float = 600.0):
        self.url, self.kills, self.workdir, self.deadline = url, kills, workdir, deadline
        self.rng = random.Random(seed)
        self.citizens = {1_000_000 + i: Citizen(1_000_000 + i) for i in range(citizens)}
        self.next_update = 1
        self.port, self.fake_port = free_port(), free_port()
        self.catalogue = catalogue or ROOT / "tests" / "data" / "mini.yaml"
        self.server: subprocess.Popen | None = None
        self.logs: list[Path] = []
        self.seen = 0

    def env(self) -> dict:
        return {**os.environ, "TTHC_EMBEDDER": "hashing", "TTHC_CATALOGUE": str(self.catalogue),
                "TTHC_CACHE_DIR": str(self.workdir / "cache"), "TTHC_DATABASE_URL": self.url,
                "TTHC_TELEGRAM_TOKEN": TOKEN, "TTHC_TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TTHC_TELEGRAM_API_BASE": f"http://127.0.0.1:{self.fake_port}", "TTHC_TELEGRAM_MAX_RATE": "0",
                "TTHC_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}

    def start_server(self) -> None:
        log = self.workdir / f"server-{len(self.logs)}.log"
        self.logs.append(log)
        self.server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "telegram", "--port", str(self.port)],
                                       env=self.env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
        wait_healthy(f"http://127.0.0.1:{self.port}/health", self.server)

    def kill_server(self) -> None:
        assert self.server is not None
        os.kill(self.server.pid, signal.SIGKILL)
        self.server.wait()

    async def citizen(self, client: httpx.AsyncClient, person: Citizen) -> None:
        while person.step < len(SCRIPT):
            text = SCRIPT[person.step].format(n=person.chat)
            update_id, self.next_update = self.next_update, self.next_update + 1
            body = update(update_id, person.chat, text)
            while True:  # Telegram: the same update again until a 2xx
                try:
                    response = await client.post(f"http://127.0.0.1:{self.port}/telegram/webhook", content=body,
                                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                                          "Content-Type": "application/json"}, timeout=10)
                    if 200 <= response.status_code < 300:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5 + self.rng.random())
            person.acknowledged += 1
            while len(person.replies) < person.acknowledged:  # the citizen waits for the answer
                await asyncio.sleep(0.2)
            person.step += 1
            await asyncio.sleep(self.rng.random() * 0.5)

    async def collect(self, client: httpx.AsyncClient) -> None:
        while True:
            try:
                fresh = (await client.get(f"http://127.0.0.1:{self.fake_port}/_sent?since={self.seen}", timeout=5)).json()
            except httpx.HTTPError:
                fresh = []
            for message in fresh:
                person = self.citizens.get(int(message["chat_id"]))
                if person is not None:
                    person.replies.append(message["text"])
            self.seen += len(fresh)
            await asyncio.sleep(0.2)

    async def killer(self) -> None:
        for _ in range(self.kills):
            await asyncio.sleep(1.0 + self.rng.random() * 4.0)
            await asyncio.to_thread(self.kill_server)
            await asyncio.to_thread(self.start_server)

    async def drive(self) -> bool:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(limits=limits) as client:
            collector = asyncio.create_task(self.collect(client))
            killer = asyncio.create_task(self.killer())
            people = [asyncio.create_task(self.citizen(client, p)) for p in self.citizens.values()]
            _, pending = await asyncio.wait(people, timeout=self.deadline)
            await killer  # every kill happens (and its restart completes) before the count
            await asyncio.sleep(3.0)  # late replies and duplicates
            for task in (*pending, collector):
                task.cancel()
            return not pending

    def execute(self, label: str) -> Result:
        fake = subprocess.Popen([sys.executable, "-m", "benchmarks.durability", "--serve-fake", str(self.fake_port)],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        try:
            wait_healthy(f"http://127.0.0.1:{self.fake_port}/_sent", fake)
            self.start_server()
            asyncio.run(self.drive())
        finally:
            if self.server is not None and self.server.poll() is None:
                self.server.send_signal(signal.SIGTERM)
                self.server.wait(timeout=30)
            fake.send_signal(signal.SIGTERM)
            fake.wait(timeout=30)
        return self.measure(label, time.monotonic() - started)

    def measure(self, label: str, seconds: float) -> Result:
        from feedback.db import make_engine, session_factory
        from feedback.models import FeedbackRecord, StatusChange

        sessions = session_factory(make_engine(self.url))
        with sessions() as db:
            records = [(r.id, r.chat_id, r.reference) for r in db.query(FeedbackRecord)]
            histories = {r: db.query(StatusChange).filter_by(record_id=r).count() for r, _, _ in records}
        per_chat: dict[str, list[str]] = {}
        for _, chat, reference in records:
            per_chat.setdefault(chat, []).append(reference)
        lost = 0
        for person in self.citizens.values():
            confirmed = person.step >= len(SCRIPT) or (person.step == len(SCRIPT) - 1 and person.acknowledged == len(SCRIPT))
            told = {ref for text in person.replies for ref in _references(text)}
            stored = set(per_chat.get(str(person.chat), []))
            lost += bool((confirmed and not stored) or (told - stored))
        return Result(
            database=label, citizens=len(self.citizens), kills=self.kills,
            acknowledged=sum(p.acknowledged for p in self.citizens.values()),
            unanswered=sum(len(p.replies) < p.acknowledged for p in self.citizens.values()),
            finished=sum(p.step >= len(SCRIPT) for p in self.citizens.values()),
            lost=lost, duplicated=sum(len(refs) > 1 for refs in per_chat.values()),
            half_written=sum(count == 0 for count in histories.values()),
            duplicate_replies=sum(max(0, len(p.replies) - p.acknowledged) for p in self.citizens.values()),
            seconds=seconds, log_lines=[line for log in self.logs for line in log.read_text(errors="replace").splitlines()])


def _references(text: str) -> list[str]:
    import re

    return re.findall(r"PA-\d{4}-[0-9A-Z]{6}", text)


def update(update_id: int, chat_id: int, text: str) -> bytes:
    message = {"message_id": update_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
               "from": {"id": chat_id, "is_bot": False, "first_name": "Dân"}, "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return json.dumps({"update_id": update_id, "message": message}, ensure_ascii=False).encode()


def fresh_database(database: str, workdir: Path, name: str = "durability") -> str:
    """A new SQLite file, or a new schema on the PostgreSQL server at `database`."""
    if database == "sqlite":
        return f"sqlite:///{workdir / f'{name}.db'}"
    import sqlalchemy as sa

    from feedback.db import make_engine

    schema = f"{name}_{os.getpid()}_{int(time.time())}"
    with make_engine(database).begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    return database + f"?options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--database", action="append", help="sqlite, or a PostgreSQL SQLAlchemy URL (repeatable)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        import uvicorn

        uvicorn.run(fake_app(), host="127.0.0.1", port=args.serve_fake, log_level="warning", access_log=False)
        return
    print(HEADER)
    for database in args.database or ["sqlite"]:
        with tempfile.TemporaryDirectory() as tmp:
            url = fresh_database(database, Path(tmp))
            result = Run(url, args.citizens, args.kills, Path(tmp), seed=args.seed).execute(
                "sqlite" if database == "sqlite" else "postgresql")
            print(result.row(), flush=True)


if __name__ == "__main__":
    main()
