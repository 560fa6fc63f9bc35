"""The durable inbox and the webhook edge: an acknowledged event is a row; rows of one chat go in
order; a lost claim commits nothing; finished rows are purged; bodies are bounded while they
stream; malformed bodies are 400; NUL and lone surrogates never reach storage; state is sealed."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import httpx
import pytest

from bot.app import inbox
from bot.app.conversations import ConversationRow, ConversationStore
from bot.channels.edge import clean_text
from bot.channels.telegram import update_event
from bot.engine.types import ConversationState
from feedback import outbox

from .test_channels import SECRET, TOKEN, fakes, post_tg, server, tg_update  # noqa: F401 - fixtures
from .wire import LoopbackServer, free_port, wait_for


def _accept(sessions, event_id: str, chat: str) -> bool:
    with sessions() as session, session.begin():
        return inbox.accept(session, "telegram", event_id, chat, "{}")


def _claim(sessions, n: int = 10, lease: float = 60) -> list[inbox.Claimed]:
    with sessions() as session, session.begin():
        return inbox.claim(session, n, lease)


def test_rows_are_claimed_once_per_event_and_in_chat_order(sessions):
    assert _accept(sessions, "1", "a") and not _accept(sessions, "1", "a")  # a redelivery adds no row
    assert _accept(sessions, "2", "a") and _accept(sessions, "3", "b")
    first = _claim(sessions)
    assert [(c.event_id, c.chat_key) for c in first] == [("1", "a"), ("3", "b")]  # "2" waits for "1"
    assert _claim(sessions) == []  # live leases
    with sessions() as session, session.begin():
        assert inbox.finish(session, first[0])
        assert not inbox.finish(session, first[0])  # done once
    assert [c.event_id for c in _claim(sessions)] == ["2"]


def test_a_lost_claim_cannot_finish_and_a_restart_releases_claims(sessions):
    _accept(sessions, "10", "c")
    stale = _claim(sessions, lease=0)[0]
    time.sleep(0.01)
    fresh = _claim(sessions)[0]  # the lease ran out: another worker took it
    with sessions() as session, session.begin():
        assert not inbox.finish(session, stale) and inbox.finish(session, fresh)
    _accept(sessions, "11", "d")
    _claim(sessions)
    with sessions() as session, session.begin():
        assert inbox.release_claims(session) == 1
    assert [c.event_id for c in _claim(sessions)] == ["11"]


def test_finished_rows_are_purged_after_the_retention_period(sessions):
    _accept(sessions, "20", "e")
    with sessions() as session, session.begin():
        inbox.finish(session, _claim(sessions)[0])
        assert inbox.purge(session) == 0
        session.execute(inbox.update(inbox.InboxRow).values(received_at=inbox.utcnow() - dt.timedelta(days=8)))
        assert inbox.purge(session) == 1


def test_a_message_from_the_citizen_releases_the_replies_held_for_that_chat(sessions):
    """Zalo holds a reply outside its 48-hour window; the citizen's next message (recorded by the
    conversation store) makes that chat's held rows due again, and only that chat's."""
    with sessions() as session, session.begin():
        ids = [outbox.enqueue(session, channel, chat, "Trả lời của cán bộ").id
               for channel, chat in (("zalo", "u1"), ("zalo", "u2"), ("telegram", "u1"))]
        for message_id in ids:
            outbox.hold(session, message_id, "quá 48 giờ")
        sent = outbox.enqueue(session, "zalo", "u1", "đã gửi trước đó").id
        outbox.mark_sent(session, sent)
        assert outbox.due(session, "zalo") == []
    ConversationStore(sessions).save("zalo", "u1", ConversationState())
    with sessions() as session:
        rows = {m.id: m for m in session.query(outbox.OutboxMessage)}
        assert (rows[ids[0]].status, rows[ids[0]].reason) == (outbox.PENDING, "")
        assert rows[ids[1]].status == rows[ids[2]].status == outbox.HELD  # another chat; another channel
        assert rows[sent].status == outbox.SENT
        assert [m.id for m in outbox.due(session, "zalo")] == [ids[0]]


def test_clean_text_removes_nul_controls_and_lone_surrogates():
    assert clean_text("a\x00b\ud800c\udfff\x07d\ne\tf") == "ab" "cd\ne\tf"
    assert clean_text("Hoa\u0300") == "Hoà" and clean_text("🙂") == "🙂"
    assert len(clean_text("x" * 100_000)) == 20_000


@pytest.mark.parametrize("body", [b"[]", b'"update"', b"1", b"null", b'{"update_id": true}', b'{"update_id": "1"}',
                                  b'{"update_id": 5, "message": {"chat": "x"}}', b"[" * 100_000 + b"]" * 100_000])
def test_malformed_telegram_bodies_are_400(server, body):  # noqa: F811
    assert post_tg(server[0], body).status_code == 400


def test_update_event_keeps_only_what_the_bot_needs():
    _, user, event = update_event(tg_update(7, "hỏi\x00 về\ud800 căn cước", chat_id=9))
    assert user == "9" and event == {"user": "9", "chat": "9", "kind": "text", "text": "hỏi về căn cước"}
    assert update_event({"update_id": 8, "edited_message": {}}) is None


def test_deep_json_to_zalo_is_400_not_500(server):  # noqa: F811
    response = httpx.post(f"{server[0].url}/zalo/webhook", content=b"[" * 100_000 + b"]" * 100_000,
                          headers={"X-ZEvent-Signature": "mac=00"})
    assert response.status_code == 400


def test_an_oversized_body_is_refused_while_it_streams(server):  # noqa: F811
    """A chunked 300 MB upload without a length: 413 after the first megabyte, the rest never read."""
    port = int(server[0].url.rsplit(":", 1)[1])
    chunk = b"x" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /zalo/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        sent = 0
        try:
            while sent < 300 * 1024 * 1024:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                sock.settimeout(0.0)
                try:
                    if sock.recv(1, socket.MSG_PEEK):
                        break
                except BlockingIOError:
                    pass
                finally:
                    sock.settimeout(10)
        except OSError:
            pass  # the server closed the connection
        sock.settimeout(10)
        answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 413") and sent < 20 * 1024 * 1024


def test_nul_and_surrogates_are_answered_and_state_is_sealed(server, fakes):  # noqa: F811
    srv, parts = server
    bot_api = fakes[0]
    body = json.dumps(tg_update(900, "x", chat_id=610)).replace('"text": "x"', '"text": "/phananh\\u0000\\ud800"').encode()
    assert post_tg(srv, body).status_code == 200  # the JSON escapes become NUL and a lone surrogate
    for i, text in enumerate(["Cán bộ phường Hoà Bình giữ hồ sơ\u0000 của tôi 3 tuần\ud800 không trả", "Nguyễn Văn An 0912 345 678"]):
        assert post_tg(srv, json.dumps(tg_update(901 + i, text, chat_id=610)).encode()).status_code == 200
        assert wait_for(lambda i=i: len(bot_api.sent(610)) >= 2 + i)
    assert "Tôi tóm tắt" in bot_api.sent(610)[-1]["text"]
    with parts.sessions() as session:
        stored = session.get(ConversationRow, ("telegram", "610")).state
        rows = session.query(inbox.InboxRow).all()
        assert all(r.status == inbox.DONE and r.payload == "" for r in rows)
        assert session.query(outbox.OutboxMessage).filter_by(chat_id="610").count() == 3
    assert "0912" not in stored and "Hoà Bình" not in stored and stored.startswith("f1:")
    assert parts.service.store.load("telegram", "610").draft["contact_phone"] == "0912345678"


def test_the_server_starts_and_accepts_updates_while_the_bot_api_is_down(mini_engine, tmp_path):
    """getMe/setWebhook are retried in the background; updates are stored and answered later."""
    from bot.app.conversations import ConversationStore
    from bot.app.server import ServerParts, create_app
    from bot.app.service import ConversationService
    from bot.channels.telegram import build_application
    from feedback.db import init_db, make_engine, session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    init_db(engine)
    sessions = session_factory(engine)
    service = ConversationService(mini_engine, ConversationStore(sessions))
    parts = ServerParts(service=service, sessions=sessions, outbox_interval=0.2)
    parts.telegram = build_application(TOKEN, service, base_url=f"http://127.0.0.1:{free_port()}")  # nobody listens
    parts.telegram_secret = SECRET
    srv = LoopbackServer(create_app(parts, webhook_url="https://example.invalid/telegram/webhook")).start()
    try:
        assert httpx.get(f"{srv.url}/health").json()["telegram_ready"] is False
        assert post_tg(srv, tg_update(1, "thi bằng lái xe", chat_id=640)).status_code == 200

        def queued() -> int:
            with sessions() as session:
                return session.query(outbox.OutboxMessage).filter_by(chat_id="640", status=outbox.PENDING).count()

        assert wait_for(lambda: queued() == 1)  # answered, waiting for the Bot API
    finally:
        srv.stop()
