"""Telegram and Zalo channels over real HTTP on loopback, against fake Bot and OA APIs.

Asserts on what the citizen would see (the messages the fake APIs received) and on what the
server refuses: wrong secrets, forged or stale signatures, duplicates, oversized and non-text
messages; and that a restart in the middle of a conversation loses nothing.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bot.channels.render import split_text
from bot.channels.zalo import ZaloClient, expected_signature, window_open
from bot.app.server import ServerParts, ZaloConfig, create_app
from bot.app.service import ConversationService, FloodGuard, FloodPolicy
from bot.app.conversations import ConversationStore
from bot.channels.telegram import build_application
from feedback import outbox
from feedback.db import init_db, make_engine, session_factory

from .wire import FakeBotApi, FakeZaloApi, LoopbackServer, wait_for

TOKEN = "123456:TEST-TOKEN"
SECRET = "telegram-secret-0123456789"
APP_ID = "4321987650"
OA_KEY = "oa-secret-key-abcdefghij"


@pytest.fixture(scope="module")
def fakes():
    bot_api, zalo_api = FakeBotApi(), FakeZaloApi()
    servers = [LoopbackServer(bot_api.app).start(), LoopbackServer(zalo_api.app).start()]
    yield bot_api, zalo_api, servers[0].url, servers[1].url
    for server in servers:
        server.stop()


def make_server(mini_engine, db_path, fakes, flood: FloodPolicy | None = None) -> tuple[LoopbackServer, ServerParts]:
    bot_api, zalo_api, bot_url, zalo_url = fakes
    engine = make_engine(f"sqlite:///{db_path}")
    init_db(engine)
    sessions = session_factory(engine)
    service = ConversationService(mini_engine, ConversationStore(sessions), FloodGuard(flood or FloodPolicy()))
    parts = ServerParts(service=service, sessions=sessions, outbox_interval=0.2)
    parts.telegram = build_application(TOKEN, service, base_url=bot_url)
    parts.telegram_secret = SECRET
    client = ZaloClient("good-token", "refresh-1", APP_ID, "app-secret", api_base=zalo_url, oauth_base=zalo_url)
    parts.zalo = ZaloConfig(client=client, app_id=APP_ID, oa_secret_key=OA_KEY)
    return LoopbackServer(create_app(parts)).start(), parts


@pytest.fixture()
def server(mini_engine, tmp_path, fakes):
    srv, parts = make_server(mini_engine, tmp_path / "bot.db", fakes)
    yield srv, parts
    srv.stop()


def tg_update(update_id: int, text: str | None = None, chat_id: int = 42, **extra) -> dict:
    message = {"message_id": update_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
               "from": {"id": chat_id, "is_bot": False, "first_name": "An"}}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    message.update(extra)
    return {"update_id": update_id, "message": message}


def post_tg(srv: LoopbackServer, data: dict | bytes, secret: str | None = SECRET) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    content = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return httpx.post(f"{srv.url}/telegram/webhook", content=content, headers=headers, timeout=10)


def zalo_event(user_id: str, text: str | None, msg_id: str, event_name: str = "user_send_text", timestamp: int | None = None) -> bytes:
    data = {"app_id": APP_ID, "event_name": event_name, "timestamp": str(timestamp or int(time.time() * 1000)),
            "sender": {"id": user_id}, "recipient": {"id": "579745863508352884"}}
    if text is not None:
        data["message"] = {"text": text, "msg_id": msg_id}
    return json.dumps(data, ensure_ascii=False).encode()


def post_zalo(srv: LoopbackServer, body: bytes, signature: str | None = None) -> httpx.Response:
    timestamp = json.loads(body)["timestamp"]
    mac = signature if signature is not None else expected_signature(APP_ID, body, timestamp, OA_KEY)
    return httpx.post(f"{srv.url}/zalo/webhook", content=body,
                      headers={"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"}, timeout=10)


# --- Telegram ---------------------------------------------------------------------------------

def test_telegram_question_answer_and_follow_up(server, fakes):
    srv, _ = server
    bot_api = fakes[0]
    before = len(bot_api.sent(501))
    assert post_tg(srv, tg_update(1, "làm giấy khai sinh cho con cần giấy tờ gì", chat_id=501)).status_code == 200
    assert wait_for(lambda: len(bot_api.sent(501)) == before + 1)
    answer = bot_api.sent(501)[-1]
    assert "Hồ sơ cần chuẩn bị" in answer["text"] and "1.000001" in answer["text"]
    assert answer["parse_mode"] == "HTML" and "<b>" in answer["text"]
    assert "helpful:yes" in answer["reply_markup"]
    post_tg(srv, tg_update(2, "thế còn lệ phí?", chat_id=501))
    assert wait_for(lambda: len(bot_api.sent(501)) == before + 2)
    assert "Phí, lệ phí: miễn phí" in bot_api.sent(501)[-1]["text"]


def test_telegram_wrong_or_missing_secret_is_403_and_not_processed(server, fakes):
    srv, _ = server
    bot_api = fakes[0]
    before = len(bot_api.sent(502))
    assert post_tg(srv, tg_update(10, "xin chào", chat_id=502), secret="wrong-secret").status_code == 403
    assert post_tg(srv, tg_update(11, "xin chào", chat_id=502), secret=None).status_code == 403
    time.sleep(0.5)
    assert len(bot_api.sent(502)) == before


def test_telegram_duplicate_update_is_processed_once(server, fakes):
    srv, _ = server
    bot_api = fakes[0]
    for _ in range(3):
        assert post_tg(srv, tg_update(20, "đăng ký tạm trú ở trọ", chat_id=503)).status_code == 200
    assert wait_for(lambda: len(bot_api.sent(503)) >= 1)
    time.sleep(0.5)
    assert len(bot_api.sent(503)) == 1


def test_telegram_malformed_oversized_and_non_text(server, fakes):
    srv, _ = server
    bot_api = fakes[0]
    assert post_tg(srv, b"{not json").status_code == 400
    assert post_tg(srv, {"no_update_id": True}).status_code == 400
    assert post_tg(srv, b"x" * 1_100_000).status_code == 413
    photo = tg_update(30, None, chat_id=504, photo=[{"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1}])
    assert post_tg(srv, photo).status_code == 200
    assert wait_for(lambda: len(bot_api.sent(504)) == 1)
    assert "chỉ đọc được tin nhắn chữ" in bot_api.sent(504)[0]["text"]
    huge = "làm căn cước " * 1000
    assert post_tg(srv, tg_update(31, huge, chat_id=504)).status_code == 200
    assert wait_for(lambda: len(bot_api.sent(504)) == 2)


def test_telegram_commands_and_buttons(server, fakes):
    srv, _ = server
    bot_api = fakes[0]
    post_tg(srv, tg_update(40, "/start", chat_id=505))
    assert wait_for(lambda: len(bot_api.sent(505)) == 1)
    assert "Xin chào" in bot_api.sent(505)[0]["text"]
    post_tg(srv, tg_update(41, "/tracuu PA-2026-ABC123", chat_id=505))
    assert wait_for(lambda: len(bot_api.sent(505)) == 2)
    assert "PA-2026-ABC123" in bot_api.sent(505)[1]["text"]
    callback = {"update_id": 42, "callback_query": {"id": "cb1", "chat_instance": "ci", "data": "helpful:yes",
                                                      "from": {"id": 505, "is_bot": False, "first_name": "An"},
                                                      "message": tg_update(0, "x", chat_id=505)["message"]}}
    post_tg(srv, callback)
    assert wait_for(lambda: len(bot_api.sent(505)) == 3)
    assert "đánh giá" in bot_api.sent(505)[2]["text"]
    assert any(m == "answerCallbackQuery" for m, _ in bot_api.calls)
    from feedback.models import SatisfactionRating

    with server[1].sessions() as session:
        assert [(r.subject, r.score) for r in session.query(SatisfactionRating)] == [("answer", 5)]


def test_restart_in_the_middle_of_a_conversation(mini_engine, tmp_path, fakes):
    bot_api = fakes[0]
    db = tmp_path / "restart.db"
    srv, _ = make_server(mini_engine, db, fakes)
    post_tg(srv, tg_update(50, "làm giấy khai sinh cho con cần giấy tờ gì", chat_id=506))
    assert wait_for(lambda: len(bot_api.sent(506)) == 1)
    srv.stop()
    srv, _ = make_server(mini_engine, db, fakes)
    try:
        post_tg(srv, tg_update(50, "làm giấy khai sinh cho con cần giấy tờ gì", chat_id=506))  # redelivered after restart
        post_tg(srv, tg_update(51, "thế còn lệ phí?", chat_id=506))
        assert wait_for(lambda: len(bot_api.sent(506)) == 2)
        time.sleep(0.3)
        assert len(bot_api.sent(506)) == 2
        assert "Phí, lệ phí: miễn phí" in bot_api.sent(506)[1]["text"]
    finally:
        srv.stop()


def test_flood_protection_warns_once(mini_engine, tmp_path, fakes):
    bot_api = fakes[0]
    srv, _ = make_server(mini_engine, tmp_path / "flood.db", fakes, flood=FloodPolicy(messages=2, seconds=60))
    try:
        for i in range(5):
            post_tg(srv, tg_update(60 + i, "đăng ký tạm trú", chat_id=507))
        assert wait_for(lambda: len(bot_api.sent(507)) == 3)
        time.sleep(0.5)
        texts = [m["text"] for m in bot_api.sent(507)]
        assert len(texts) == 3 and sum("hơi nhanh" in t for t in texts) == 1
    finally:
        srv.stop()


# --- Zalo -------------------------------------------------------------------------------------

def test_zalo_signed_event_is_answered_with_exact_user_id(server, fakes):
    srv, _ = server
    zalo_api = fakes[1]
    user = "2468458835291979221"  # beyond float precision: must stay exact
    started = time.monotonic()
    response = post_zalo(srv, zalo_event(user, "mất căn cước làm lại ở đâu", "msg-1"))
    assert response.status_code == 200 and time.monotonic() - started < 2.0
    assert wait_for(lambda: any(m["recipient"]["user_id"] == user for m in zalo_api.sent))
    message = [m for m in zalo_api.sent if m["recipient"]["user_id"] == user][-1]
    assert "Cấp lại thẻ căn cước" in message["message"]["text"]


def test_zalo_forged_unsigned_and_stale_events_are_refused(server, fakes):
    srv, _ = server
    zalo_api = fakes[1]
    before = len(zalo_api.sent)
    body = zalo_event("111", "xin chào", "msg-forged")
    assert post_zalo(srv, body, signature="0" * 64).status_code == 403
    assert httpx.post(f"{srv.url}/zalo/webhook", content=body, headers={"Content-Type": "application/json"}).status_code == 403
    stale = zalo_event("111", "xin chào", "msg-stale", timestamp=int(time.time() * 1000) - 3 * 3600 * 1000)
    assert post_zalo(srv, stale).status_code == 403
    time.sleep(0.5)
    assert len(zalo_api.sent) == before


def test_zalo_duplicate_event_is_processed_once(server, fakes):
    srv, _ = server
    zalo_api = fakes[1]
    user = "3000000000000000001"
    body = zalo_event(user, "đăng ký tạm trú ở trọ", "msg-dup")
    for _ in range(3):
        assert post_zalo(srv, body).status_code == 200
    assert wait_for(lambda: any(m["recipient"]["user_id"] == user for m in zalo_api.sent))
    time.sleep(0.5)
    assert sum(m["recipient"]["user_id"] == user for m in zalo_api.sent) == 1


def test_zalo_expired_token_is_refreshed_and_message_delivered(server, fakes):
    srv, _ = server
    zalo_api = fakes[1]
    user = "3000000000000000002"
    zalo_api.expire_next = True
    post_zalo(srv, zalo_event(user, "thi bằng lái xe", "msg-refresh"))
    assert wait_for(lambda: any(m["recipient"]["user_id"] == user for m in zalo_api.sent))
    assert zalo_api.refreshes and zalo_api.refreshes[-1]["refresh_token"] in ("refresh-1", "r2")
    assert [m for m in zalo_api.sent if m["recipient"]["user_id"] == user][0]["token"].startswith("fresh-")


def failed_send_booked(parts: ServerParts, chat_id: str) -> bool:
    """One queued reply to `chat_id` whose failed send is booked. The row exists as soon as it is
    queued and the failure is booked after; a test that makes it due earlier has its change
    overwritten by the backoff."""
    with parts.sessions() as session:
        rows = session.query(outbox.OutboxMessage).filter_by(chat_id=chat_id).all()
        return len(rows) == 1 and rows[0].attempts >= 1 and rows[0].status == outbox.PENDING


def test_zalo_failed_send_goes_to_outbox_and_is_retried(server, fakes):
    srv, parts = server
    zalo_api = fakes[1]
    user = "3000000000000000003"
    zalo_api.fail_next = 1
    post_zalo(srv, zalo_event(user, "đăng ký tạm trú", "msg-retry"))
    assert wait_for(lambda: failed_send_booked(parts, user))
    # the worker's backoff is 30 s; make the row due now, as time passing would (set before the
    # failure was booked, the backoff overwrote it and the retry came after the wait gave up)
    with parts.sessions() as session, session.begin():
        session.query(outbox.OutboxMessage).filter_by(chat_id=user).update({"next_attempt_at": outbox.utcnow()})
    assert wait_for(lambda: any(m["recipient"]["user_id"] == user for m in zalo_api.sent))

    def status() -> str:
        with parts.sessions() as session:
            return session.query(outbox.OutboxMessage).filter_by(chat_id=user).one().status

    assert wait_for(lambda: status() == outbox.SENT)
    assert sum(m["recipient"]["user_id"] == user for m in zalo_api.sent) == 1


def test_zalo_outside_the_48_hour_window_is_held_not_dropped(server, fakes):
    # the server's own outbox worker delivers (every 0.2 s here); calling deliver_outbox_once
    # beside it raced with it: the worker's claim ("sending") was read before it finished
    _, parts = server
    zalo_api = fakes[1]
    user = "3000000000000000004"
    with parts.sessions() as session, session.begin():
        outbox.enqueue(session, "zalo", user, "Phản hồi của cơ quan: …", key="staff-reply-1")

    def row() -> outbox.OutboxMessage:
        with parts.sessions() as session:
            return session.query(outbox.OutboxMessage).filter_by(idempotency_key="staff-reply-1").one()

    assert wait_for(lambda: row().status == outbox.HELD)
    assert "48 giờ" in row().reason
    assert not any(m["recipient"]["user_id"] == user for m in zalo_api.sent)


def test_health_shows_the_index_version(server):
    srv, parts = server
    data = httpx.get(f"{srv.url}/health").json()
    assert data["status"] == "ok" and data["index"]["version"] == parts.service.engine.index.version
    assert set(data["channels"]) == {"telegram", "zalo"}


# --- pure helpers -----------------------------------------------------------------------------

def test_split_text_respects_the_limit():
    text = "\n".join(["dòng " * 50] * 30)
    parts = split_text(text, 500)
    assert all(len(p) <= 500 for p in parts) and "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_window_open():
    now = 1_000_000.0
    assert window_open((now - 3600) * 1000, now)
    assert not window_open((now - 49 * 3600) * 1000, now)
    assert not window_open(None, now)


def test_logs_never_carry_tokens_or_personal_numbers(caplog):
    import logging

    from bot.app.logsafe import RedactingFilter, redact

    assert redact("POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage") == \
        "POST https://api.telegram.org/bot<token>/sendMessage"
    assert "<phone>" in redact("gọi 0912 345 678 giúp tôi") and "<phone>" in redact("+84912345678")
    assert "<id-number>" in redact("CCCD 001203004567") and "<email>" in redact("an@example.vn")
    logger = logging.getLogger("tthc.test")
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    record = logger.makeRecord("tthc.test", logging.WARNING, __file__, 1, "user %s phone %s", ("x", "0987654321"), None)
    RedactingFilter().filter(record)
    assert "0987654321" not in record.getMessage()


def test_telegram_html_is_escaped():
    from bot.channels.telegram import render_html
    from bot.engine.types import ConversationState, Reply

    parts = render_html(Reply(text="📄 <b>Tên</b> & co\n<script>alert(1)</script>", intent="procedure", state=ConversationState()))
    assert parts == ["<b>📄 &lt;b&gt;Tên&lt;/b&gt; &amp; co</b>\n&lt;script&gt;alert(1)&lt;/script&gt;"]


def test_telegram_polling_mode(mini_engine, tmp_path, fakes):
    import asyncio

    bot_api = fakes[0]
    engine = make_engine(f"sqlite:///{tmp_path / 'poll.db'}")
    init_db(engine)
    service = ConversationService(mini_engine, ConversationStore(session_factory(engine)))
    app = build_application(TOKEN, service, base_url=fakes[2], with_updater=True)
    bot_api.pending_updates.append(tg_update(900, "thi bằng lái xe", chat_id=508))

    async def run() -> None:
        async with app:
            await app.updater.start_polling(poll_interval=0.05, timeout=0)
            await app.start()
            for _ in range(200):
                if bot_api.sent(508):
                    break
                await asyncio.sleep(0.05)
            await app.updater.stop()
            await app.stop()

    asyncio.run(run())
    assert bot_api.sent(508) and "1.000005" in bot_api.sent(508)[0]["text"]



def test_telegram_send_failure_goes_to_the_outbox_and_is_delivered(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    bot_api.fail_next = 3  # the rate limiter's retries do not cover 5xx; the outbox does
    post_tg(srv, tg_update(70, "thi bằng lái xe", chat_id=509))
    assert wait_for(lambda: failed_send_booked(parts, "509"))
    with parts.sessions() as session, session.begin():
        session.query(outbox.OutboxMessage).filter_by(chat_id="509").update({"next_attempt_at": outbox.utcnow()})
    bot_api.fail_next = 0
    assert wait_for(lambda: len(bot_api.sent(509)) == 1)
    assert "1.000005" in bot_api.sent(509)[0]["text"]


def test_expired_conversations_are_deleted(tmp_path):
    import datetime as dt

    from bot.app.conversations import ConversationRow
    from bot.engine.types import ConversationState

    engine = make_engine(f"sqlite:///{tmp_path / 'purge.db'}")
    init_db(engine)
    store = ConversationStore(session_factory(engine))
    store.save("telegram", "old", ConversationState(context=("làm căn cước",)))
    store.save("telegram", "new", ConversationState(context=("làm hộ chiếu",)))
    with store.sessions() as session, session.begin():
        session.get(ConversationRow, ("telegram", "old")).updated_at -= dt.timedelta(days=2)
    assert store.purge_expired() == 1
    with store.sessions() as session:
        assert [row.user_id for row in session.query(ConversationRow)] == ["new"]
