"""Crash safety: a real `tthc serve` process is killed with SIGKILL while citizens file feedback
over Telegram webhooks, then restarted on the same database. Every record a citizen was given a
reference for exists exactly once, with its history; nothing is half-written. SQLite and, in CI,
PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from feedback.db import make_engine, session_factory

from .conftest import POSTGRES_URL, TESTS
from .wire import FakeBotApi, LoopbackServer, free_port, wait_for

TOKEN = "999999:CRASH-TEST-TOKEN-abcdefghijklmnop"
SECRET = "crash-test-secret-123456"
CITIZENS = 24


def start_server(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "telegram", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ok = wait_for(lambda: _healthy(port), timeout=90)
    if not ok:
        process.kill()
        raise RuntimeError(process.stderr.read().decode()[-2000:])
    return process


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def database_url(tmp_path, database: str, name: str) -> str:
    """A fresh SQLite file, or a fresh schema on the CI PostgreSQL."""
    if database == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    import sqlalchemy as sa

    schema = f"{name}_{os.getpid()}"
    with make_engine(POSTGRES_URL).begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
    return POSTGRES_URL + f"?options=-csearch_path%3D{schema}"


def server_env(tmp_path, url: str, bot_api_url: str, **extra: str) -> dict:
    return {**os.environ, "TTHC_EMBEDDER": "hashing", "TTHC_CATALOGUE": str(TESTS / "data" / "mini.yaml"),
            "TTHC_CACHE_DIR": str(tmp_path / "cache"), "TTHC_DATABASE_URL": url, "TTHC_TELEGRAM_TOKEN": TOKEN,
            "TTHC_TELEGRAM_WEBHOOK_SECRET": SECRET, "TTHC_TELEGRAM_API_BASE": bot_api_url, "TTHC_LOG_LEVEL": "ERROR", **extra}


def update(update_id: int, chat_id: int, text: str) -> bytes:
    message = {"message_id": update_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
               "from": {"id": chat_id, "is_bot": False, "first_name": "Dân"}, "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return json.dumps({"update_id": update_id, "message": message}, ensure_ascii=False).encode()


@pytest.mark.parametrize("database", ["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def test_sigkill_mid_load_loses_no_acknowledged_record(tmp_path, database):
    bot_api = FakeBotApi()
    fake = LoopbackServer(bot_api.app).start()
    url = database_url(tmp_path, database, "crash")
    port = free_port()
    env = server_env(tmp_path, url, fake.url)
    server = start_server(env, port)
    script = ["/phananh", "Cán bộ một cửa phường {n} hẹn trả hồ sơ 3 lần vẫn chưa có kết quả, tôi muốn phản ánh", "không", "1"]
    progress = {chat: 0 for chat in range(1000, 1000 + CITIZENS)}
    next_id = iter(range(1, 10**6))
    lock = threading.Lock()
    killed = threading.Event()

    def citizen(chat: int) -> None:
        while progress[chat] < len(script):
            text = script[progress[chat]].format(n=chat)
            try:
                with lock:
                    update_id = next(next_id)
                response = httpx.post(f"http://127.0.0.1:{port}/telegram/webhook", content=update(update_id, chat, text),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
                                      timeout=5)
                if response.status_code == 200:
                    expected = progress[chat] + 1
                    if wait_for(lambda: len(bot_api.sent(chat)) >= expected, timeout=10):
                        progress[chat] += 1
                        continue
            except httpx.HTTPError:
                pass
            time.sleep(0.2)  # server down or reply lost: resend this step (the conversation state is persisted)
            if progress[chat] < len(script) and not killed.is_set() and time.monotonic() > deadline:
                return

    deadline = time.monotonic() + 120
    threads = [threading.Thread(target=citizen, args=(chat,)) for chat in progress]
    for thread in threads:
        thread.start()
    # kill while confirmations are being committed: some citizens done, others mid-way
    wait_for(lambda: sum(p >= len(script) for p in progress.values()) >= CITIZENS // 4, timeout=60)
    at_kill = dict(progress)
    os.kill(server.pid, signal.SIGKILL)  # mid-run: some citizens are half-way through their report
    server.wait()
    killed.set()
    server = start_server(env, port)
    try:
        for thread in threads:
            thread.join(timeout=150)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        fake.stop()

    acknowledged = set()
    for chat in progress:
        for message in bot_api.sent(chat):
            acknowledged.update(re.findall(r"PA-\d{4}-[0-9A-Z]{6}", message["text"]))
    sessions = session_factory(make_engine(url))
    from feedback.models import FeedbackRecord, StatusChange

    with sessions() as db:
        references = [r.reference for r in db.query(FeedbackRecord)]
        per_chat = [r.chat_id for r in db.query(FeedbackRecord)]
        histories = {r.id: db.query(StatusChange).filter_by(record_id=r.id).count() for r in db.query(FeedbackRecord)}
    print(f"\ncrash test ({database}): steps done at SIGKILL {sorted(at_kill.values())}; "
          f"{len(acknowledged)} references acknowledged; {len(references)} records in the database")
    assert any(0 < step < len(script) for step in at_kill.values())  # the kill did land mid-conversation
    assert len(acknowledged) >= CITIZENS * 3 // 4, f"only {len(acknowledged)} citizens finished"
    for reference in acknowledged:
        assert references.count(reference) == 1, reference
    # every record filed reached its citizen: a confirmation whose reply died with the server is
    # resent by the citizen and answered with the same reference (the engine's repeat guard)
    assert set(references) == acknowledged, f"{len(set(references) - acknowledged)} records never acknowledged"
    assert all(count >= 1 for count in histories.values())  # no record without its first history row
    assert len(references) == len(set(references))
    assert len(per_chat) == len(set(per_chat))  # one report per citizen: a resent confirmation files nothing twice


@pytest.mark.parametrize("database", ["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def test_outbox_delivers_every_reply_after_a_sigkill(tmp_path, database):
    """Staff replies queued in the outbox reach the citizen after the server is killed mid-delivery:
    every one at least once, and a duplicate only for a row caught between send and mark."""
    from feedback import outbox
    from feedback.db import init_db

    bot_api = FakeBotApi()
    fake = LoopbackServer(bot_api.app).start()
    url = database_url(tmp_path, database, "outbox")
    engine = make_engine(url)
    init_db(engine)
    sessions = session_factory(engine)
    replies = 40
    with sessions() as db, db.begin():
        for i in range(replies):
            outbox.enqueue(db, "telegram", str(5000 + i), f"Trả lời phản ánh số {i}", key=f"reply-{i}")
    port = free_port()
    env = server_env(tmp_path, url, fake.url, TTHC_OUTBOX_CLAIM_SECONDS="2")
    server = start_server(env, port)
    wait_for(lambda: len(bot_api.sent()) >= 5, timeout=60)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    delivered_before_kill = len(bot_api.sent())
    server = start_server(env, port)
    try:
        def all_sent() -> bool:
            with sessions() as db:
                return db.query(outbox.OutboxMessage).filter(outbox.OutboxMessage.status == outbox.SENT).count() == replies
        assert wait_for(all_sent, timeout=90)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        fake.stop()
    texts = [m["text"] for m in bot_api.sent()]
    per_reply = {i: sum(t == f"Trả lời phản ánh số {i}" for t in texts) for i in range(replies)}
    duplicates = sum(n - 1 for n in per_reply.values())
    print(f"\noutbox crash test ({database}): {delivered_before_kill} delivered before SIGKILL, "
          f"{replies} delivered in all, {duplicates} duplicates")
    assert all(n >= 1 for n in per_reply.values())
    assert duplicates <= 1  # only a row caught between Telegram's acknowledgement and mark_sent
