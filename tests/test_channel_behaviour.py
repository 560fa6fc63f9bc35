"""Channel behaviour over real HTTP on loopback (issue 18): commands, groups, edits, ratings.

Each test posts Bot API JSON (tests/data/wire/ fixtures, or the helpers of test_channels) to the
server's webhook and asserts on what the fake Bot API / OA API was asked to send, and on the
database rows behind it.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import hashlib
import json
import time

import pytest

from bot.app import inbox
from feedback.models import FeedbackRecord, QuestionLog, SatisfactionRating

from .test_channels import fakes, make_server, post_tg, post_zalo, server, tg_update, zalo_event  # noqa: F401 - fixtures
from .test_wire_formats import fixture
from .wire import wait_for

GROUP = -1001234567890


@pytest.fixture()
def filing(mini_engine, tmp_path, fakes):  # noqa: F811
    """The server with an engine whose reports are filed in the server's database."""
    from bot.app.feedback_port import DatabaseFeedbackPort
    from bot.engine.turn import Engine

    srv, parts = make_server(mini_engine, tmp_path / "filing.db", fakes)
    parts.service.engine = Engine(mini_engine.index, mini_engine.classifier, mini_engine.calibration,
                                  feedback=DatabaseFeedbackPort(parts.sessions), topic=mini_engine.topic)
    yield srv, parts
    srv.stop()


def ready(parts) -> None:
    assert wait_for(lambda: parts.telegram_ready)  # getMe answered: the bot knows its username


def markup(message: dict) -> list[list[dict]]:
    raw = message.get("reply_markup")
    return (json.loads(raw) if isinstance(raw, str) else raw or {}).get("inline_keyboard", [])


def callback(update_id: int, chat_id: int, data: str, chat: dict | None = None, person: int | None = None) -> dict:
    person = person or chat_id
    return {"update_id": update_id, "callback_query": {
        "id": f"cb{update_id}", "chat_instance": "ci", "data": data,
        "from": {"id": person, "is_bot": False, "first_name": "An"},
        "message": {"message_id": 1, "date": 0, "chat": chat or {"id": chat_id, "type": "private"}, "text": "…"}}}


def group_update(name: str, update_id: int, chat_id: int) -> dict:
    data = copy.deepcopy(fixture(name))
    data["update_id"] = update_id
    message = data.get("message") or data.get("edited_message")
    message["chat"]["id"] = chat_id
    message["message_id"] = update_id
    return data


# --- 1. one command path --------------------------------------------------------------------------

def test_the_command_menu_is_registered_in_vietnamese(server, fakes):
    srv, parts = server
    ready(parts)
    calls = [p for m, p in fakes[0].calls if m == "setMyCommands"]
    assert calls
    commands = calls[-1]["commands"]
    commands = json.loads(commands) if isinstance(commands, str) else commands
    assert {c["command"] for c in commands} == {"start", "help", "phananh", "tracuu", "huy"}
    assert any("phản ánh" in c["description"] for c in commands)


def test_phananh_starts_the_capture_and_the_next_message_is_the_story(filing, fakes):  # noqa: F811
    srv, parts = filing
    bot_api = fakes[0]
    chat = 701
    script = ["/phananh", "Đường trước nhà văn hóa tổ 5 bị hỏng nặng mấy tháng nay chưa ai sửa", "không", "1"]
    for i, text in enumerate(script):
        post_tg(srv, tg_update(7010 + i, text, chat_id=chat))
        assert wait_for(lambda i=i: len(bot_api.sent(chat)) == i + 1)
    texts = [m["text"] for m in bot_api.sent(chat)]
    assert "mô tả sự việc" in texts[0] and "số điện thoại" in texts[1] and "Tôi tóm tắt" in texts[2]
    with parts.sessions() as session:
        record = session.query(FeedbackRecord).filter_by(chat_id=str(chat)).one()
        assert "nhà văn hóa tổ 5" in record.content
    assert record.reference in texts[3]
    post_tg(srv, tg_update(7020, f"/tracuu {record.reference}", chat_id=chat))  # the code looked up, no sentence faked
    assert wait_for(lambda: len(bot_api.sent(chat)) == 5)
    assert record.reference in bot_api.sent(chat)[-1]["text"] and "Hạn trả lời" in bot_api.sent(chat)[-1]["text"]


def test_huy_cancels_the_capture_and_nothing_is_filed(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    chat = 702
    for i, text in enumerate(["/phananh", "/huy", "/huy"]):
        post_tg(srv, tg_update(7030 + i, text, chat_id=chat))
        assert wait_for(lambda i=i: len(bot_api.sent(chat)) == i + 1)
    assert "Đã hủy" in bot_api.sent(chat)[1]["text"] and "không có việc gì" in bot_api.sent(chat)[2]["text"]
    assert parts.service.store.load("telegram", str(chat)).flow is None
    with parts.sessions() as session:
        assert session.query(FeedbackRecord).filter_by(chat_id=str(chat)).count() == 0


def test_start_payload_of_a_deep_link_continues_the_flow(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    post_tg(srv, tg_update(7040, "/start phananh", chat_id=703))
    assert wait_for(lambda: len(bot_api.sent(703)) == 1)
    assert "mô tả sự việc" in bot_api.sent(703)[0]["text"]
    assert parts.service.store.load("telegram", "703").step == "content"
    post_tg(srv, tg_update(7041, "/start", chat_id=704))
    assert wait_for(lambda: len(bot_api.sent(704)) == 1) and "Xin chào" in bot_api.sent(704)[0]["text"]


def test_zalo_commands_typed_as_text(server, fakes):
    srv, parts = server
    zalo_api = fakes[1]
    user = "3000000000000000701"
    post_zalo(srv, zalo_event(user, "/phananh", "msg-cmd-1"))
    assert wait_for(lambda: any(m["recipient"]["user_id"] == user for m in zalo_api.sent))
    assert "mô tả sự việc" in [m for m in zalo_api.sent if m["recipient"]["user_id"] == user][0]["message"]["text"]
    assert parts.service.store.load("zalo", user).step == "content"
    post_zalo(srv, zalo_event(user, "/huy", "msg-cmd-2"))
    assert wait_for(lambda: sum(m["recipient"]["user_id"] == user for m in zalo_api.sent) == 2)
    assert parts.service.store.load("zalo", user).flow is None


# --- 2. groups --------------------------------------------------------------------------------------

def test_in_a_group_the_bot_answers_only_when_addressed(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    ready(parts)
    chat = GROUP - 1
    for i, name in enumerate(["group_chatter", "group_other_bot_command"]):
        assert post_tg(srv, group_update(name, 7100 + i, chat)).status_code == 200
    assert post_tg(srv, group_update("group_mention", 7110, chat)).status_code == 200
    assert wait_for(lambda: len(bot_api.sent(chat)) == 1)
    assert "căn cước" in bot_api.sent(chat)[0]["text"].lower()
    assert post_tg(srv, group_update("group_reply_to_bot", 7111, chat)).status_code == 200
    assert wait_for(lambda: len(bot_api.sent(chat)) == 2)
    with parts.sessions() as session:  # the unaddressed messages were never stored
        assert session.query(inbox.InboxRow).filter(inbox.InboxRow.event_id.in_(["m%d:7100" % chat, "m%d:7101" % chat])).count() == 0


def test_in_a_group_feedback_and_lookups_move_to_a_private_chat(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    ready(parts)
    chat = GROUP - 2
    post_tg(srv, group_update("group_command", 7120, chat))  # /phananh@tthc_bot đường hỏng
    assert wait_for(lambda: len(bot_api.sent(chat)) == 1)
    reply = bot_api.sent(chat)[0]
    buttons = [b for row in markup(reply) for b in row]
    assert [b.get("url") for b in buttons] == ["https://t.me/tthc_bot?start=phananh"]
    assert "chat riêng" in reply["text"]
    person = f"{chat}/111222333"
    assert parts.service.store.load("telegram", person).flow is None  # nothing is being captured in the group
    lookup = group_update("group_command", 7121, chat)
    lookup["message"]["text"] = "/tracuu@tthc_bot PA-2026-ABC123"
    lookup["message"]["entities"][0]["length"] = len("/tracuu@tthc_bot")
    post_tg(srv, lookup)
    assert wait_for(lambda: len(bot_api.sent(chat)) == 2)
    assert [b.get("url") for row in markup(bot_api.sent(chat)[1]) for b in row] == [
        "https://t.me/tthc_bot?start=tracuu_PA-2026-ABC123"]
    # a complaint in the group's own words is not captured there either
    story = group_update("group_mention", 7122, chat)
    story["message"]["text"] = "🙏 @tthc_bot tôi muốn phản ánh cán bộ xã gây khó dễ, giữ hồ sơ của tôi 3 tuần không trả"
    post_tg(srv, story)
    assert wait_for(lambda: len(bot_api.sent(chat)) == 3)
    assert parts.service.store.load("telegram", person).flow is None
    assert "chat riêng" in bot_api.sent(chat)[2]["text"]


def test_channel_posts_and_member_updates_are_ignored(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    before = len(bot_api.sent())
    for name in ("channel_post", "my_chat_member"):
        assert post_tg(srv, fixture(name)).status_code == 200
    with parts.sessions() as session:
        assert session.query(inbox.InboxRow).filter(inbox.InboxRow.event_id.in_(["10006", "10007"])).count() == 0
    assert len(bot_api.sent()) == before


# --- 3. edits ---------------------------------------------------------------------------------------

def _block_chat(parts, chat_key: str) -> None:
    """An earlier message of this chat still being processed (leased): later ones wait behind it."""
    with parts.sessions() as session, session.begin():
        inbox.accept(session, "telegram", f"blocker-{chat_key}", chat_key, "")
        session.execute(inbox.update(inbox.InboxRow).where(inbox.InboxRow.event_id == f"blocker-{chat_key}")
                        .values(claim_token="held", claimed_until=inbox.utcnow() + dt.timedelta(hours=1)))


def _release_chat(parts, chat_key: str) -> None:
    with parts.sessions() as session, session.begin():
        session.execute(inbox.update(inbox.InboxRow).where(inbox.InboxRow.event_id == f"blocker-{chat_key}")
                        .values(status=inbox.DONE, claim_token=None))


def test_an_edit_of_an_unanswered_message_replaces_it(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    chat = 710
    _block_chat(parts, str(chat))
    post_tg(srv, tg_update(7200, "làm giấy khai sinh cho con cần giấy tờ gì", chat_id=chat))
    edited = tg_update(7201, "thi bằng lái xe", chat_id=chat)
    edited["edited_message"] = {**edited.pop("message"), "message_id": 7200, "edit_date": 1}
    assert post_tg(srv, edited).status_code == 200
    _release_chat(parts, str(chat))
    assert wait_for(lambda: len(bot_api.sent(chat)) == 1)
    time.sleep(0.6)
    assert len(bot_api.sent(chat)) == 1 and "1.000005" in bot_api.sent(chat)[0]["text"]  # the edited question


def test_an_edit_of_an_answered_message_gets_one_short_note(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    chat = 711
    post_tg(srv, tg_update(7210, "thi bằng lái xe", chat_id=chat))
    assert wait_for(lambda: len(bot_api.sent(chat)) == 1)
    for edit_date in (1, 2):  # edited twice: one note
        edited = tg_update(7211 + edit_date, "làm giấy khai sinh cho con cần giấy tờ gì", chat_id=chat)
        edited["edited_message"] = {**edited.pop("message"), "message_id": 7210, "edit_date": edit_date}
        assert post_tg(srv, edited).status_code == 200
    assert wait_for(lambda: len(bot_api.sent(chat)) == 2)
    time.sleep(0.6)
    texts = [m["text"] for m in bot_api.sent(chat)]
    assert len(texts) == 2 and texts[1] == "Bot đã trả lời tin nhắn trước; anh/chị vui lòng gửi câu hỏi mới."


# --- 4. ratings -------------------------------------------------------------------------------------

def _buttons(message: dict) -> dict[str, str]:
    return {b["text"]: b.get("callback_data", "") for row in markup(message) for b in row}


def test_one_rating_per_answer_and_person_changeable_by_the_answer_id(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    chat = 720
    post_tg(srv, tg_update(7300, "làm giấy khai sinh cho con cần giấy tờ gì", chat_id=chat))
    assert wait_for(lambda: len(bot_api.sent(chat)) == 1)
    buttons = _buttons(bot_api.sent(chat)[0])
    up, down = buttons["👍 Hữu ích"], buttons["👎 Chưa đúng"]
    answer = parts.service.store.load("telegram", str(chat)).answered_question
    assert up == f"helpful:yes#{answer}" and down == f"helpful:no#{answer}"
    assert all(data.endswith(f"#{answer}") for data in buttons.values())  # every button names its answer
    for i, data in enumerate([up, up, down]):
        post_tg(srv, callback(7301 + i, chat, data))
        assert wait_for(lambda i=i: len(bot_api.sent(chat)) == 2 + i)
    texts = [m["text"] for m in bot_api.sent(chat)]
    assert "Cảm ơn" in texts[1] and "Đã cập nhật" in texts[3]
    with parts.sessions() as session:
        rows = session.query(SatisfactionRating).filter_by(question_id=answer).all()
        # The rater is the keyed digest of who rated, never the chat id itself. (A substring test
        # here was flaky: a random key's hex digest holds "720" now and then.)
        expected_rater = parts.service.store.cipher.tag(f"telegram:{chat}")
        assert [(r.score, r.rater) for r in rows] == [(1, expected_rater)]
        assert expected_rater != hashlib.sha256(f"telegram:{chat}".encode()).hexdigest()  # keyed, not a bare hash
        assert session.get(QuestionLog, answer).helpful is False


def test_a_stale_or_unknown_button_says_it_expired_and_shows_the_current_choices(server, fakes):
    srv, parts = server
    bot_api = fakes[0]
    chat = 721
    post_tg(srv, tg_update(7400, "làm giấy khai sinh cho con cần giấy tờ gì", chat_id=chat))
    assert wait_for(lambda: len(bot_api.sent(chat)) == 1)
    old_steps = next(d for d in _buttons(bot_api.sent(chat)[0]).values() if "aspect:steps" in d)
    post_tg(srv, tg_update(7401, "thi bằng lái xe", chat_id=chat))
    assert wait_for(lambda: len(bot_api.sent(chat)) == 2)
    post_tg(srv, callback(7402, chat, old_steps))  # a button of the first answer
    assert wait_for(lambda: len(bot_api.sent(chat)) == 3)
    stale = bot_api.sent(chat)[2]
    assert stale["text"].startswith("Lựa chọn này đã hết hạn.") and "Xin chào" not in stale["text"]
    # the current choices (the driving-licence answer's), naming the turn that showed them again
    current = parts.service.store.load("telegram", str(chat)).answered_question
    assert set(_buttons(stale).values()) == {f"choice:aspect:fee#{current}", f"choice:aspect:online#{current}"}
    for i, data in enumerate(["helpful:yes#987654", "something-unknown"]):
        post_tg(srv, callback(7403 + i, chat, data))
        assert wait_for(lambda i=i: len(bot_api.sent(chat)) == 4 + i)
        assert bot_api.sent(chat)[-1]["text"].startswith("Lựa chọn này đã hết hạn.")
    with parts.sessions() as session:
        assert session.query(SatisfactionRating).filter_by(question_id=987654).count() == 0
    fee = _buttons(bot_api.sent(chat)[-1])["Lệ phí"]
    post_tg(srv, callback(7405, chat, fee))  # a current button still works
    assert wait_for(lambda: len(bot_api.sent(chat)) == 6)
    assert "Phí, lệ phí" in bot_api.sent(chat)[-1]["text"]


def test_polling_mode_takes_the_same_command_path(mini_engine, tmp_path, fakes):  # noqa: F811
    """Long polling (development) translates PTB's updates with the webhook's translation."""
    from bot.app.conversations import ConversationStore
    from bot.app.service import ConversationService
    from bot.channels.telegram import build_application
    from feedback.db import init_db, make_engine, session_factory

    bot_api = fakes[0]
    engine = make_engine(f"sqlite:///{tmp_path / 'poll.db'}")
    init_db(engine)
    service = ConversationService(mini_engine, ConversationStore(session_factory(engine)))
    app = build_application("123456:TEST-TOKEN", service, base_url=fakes[2], with_updater=True)
    bot_api.pending_updates.extend([tg_update(7500, "/phananh", chat_id=730), tg_update(7501, "/huy", chat_id=730),
                                    group_update("group_chatter", 7502, GROUP - 3)])

    async def run() -> None:
        async with app:
            await app.updater.start_polling(poll_interval=0.05, timeout=0)
            await app.start()
            for _ in range(200):
                if len(bot_api.sent(730)) >= 2:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            await app.updater.stop()
            await app.stop()

    asyncio.run(run())
    texts = [m["text"] for m in bot_api.sent(730)]
    assert "mô tả sự việc" in texts[0] and "Đã hủy" in texts[1]
    assert bot_api.sent(GROUP - 3) == []  # not addressed to the bot


# --- state behind the behaviour, on SQLite and PostgreSQL -------------------------------------------

def test_a_rating_row_per_answer_and_rater_is_updated_in_place(sessions):
    from feedback import usage

    with sessions() as session, session.begin():
        answer = usage.log_question(session, channel="telegram", text="", intent="procedure", decision="answer",
                                    procedure_code=None, confidence=0.9)
    outcomes = []
    for helpful, rater in [(True, "a"), (True, "a"), (False, "a"), (True, "b")]:
        with sessions() as session, session.begin():
            outcomes.append(usage.rate_answer(session, channel="telegram", helpful=helpful, question_id=answer, rater=rater))
    with sessions() as session, session.begin():
        outcomes.append(usage.rate_answer(session, channel="telegram", helpful=True, question_id=answer + 1000, rater="a"))
    assert outcomes == ["new", "same", "changed", "new", "unknown"]
    with sessions() as session:
        rows = session.query(SatisfactionRating).order_by(SatisfactionRating.rater).all()
        assert [(r.rater, r.score, r.question_id) for r in rows] == [("a", 1, answer), ("b", 5, answer)]
        assert session.get(QuestionLog, answer).helpful is True  # the latest opinion


def test_an_edit_replaces_only_a_waiting_unclaimed_message(sessions):
    with sessions() as session, session.begin():
        inbox.accept(session, "telegram", "m1:1", "1", "first")
        inbox.accept(session, "telegram", "m1:2", "1", "second")
        assert inbox.replace_pending(session, "telegram", "m1:1", "edited") == "replaced"
        assert inbox.replace_pending(session, "telegram", "m1:9", "edited") == "unknown"
    with sessions() as session, session.begin():
        claimed = inbox.claim(session, 1, 60)
        assert [c.payload for c in claimed] == ["edited"]
        assert inbox.replace_pending(session, "telegram", "m1:1", "again") == "answered"  # being answered now
        inbox.finish(session, claimed[0])
        assert inbox.replace_pending(session, "telegram", "m1:1", "again") == "answered"  # answered
        assert inbox.replace_pending(session, "telegram", "m1:2", "second, edited") == "replaced"


def test_commands_in_the_engine_without_a_channel(mini_engine):
    from bot.engine.types import ConversationState, Incoming

    def turn(state=None, text="", **kw):
        return mini_engine.handle(Incoming("telegram", "u1", text, **kw), state)

    assert "/tracuu PA-2026-7K3F9Q" in turn(command="tracuu").text  # no code, no records: how to look one up
    assert turn(command="khongco").text == turn(command="help").text  # an unknown command gets the help
    assert "/huy" in turn(command="help").text
    clarifying = ConversationState(options=("g1", "g2"))
    assert turn(clarifying, command="huy").state.options == ()
    in_flow = turn(command="phananh").state.evolve(answered_question=5)
    stale = turn(in_flow, "aspect:fee", choice="aspect:fee", answer_id=4)
    assert stale.text == "Lựa chọn này đã hết hạn." and stale.options == () and stale.state.step == "content"
    # in a group nothing is captured, whatever the words
    group = turn(text="tôi muốn phản ánh cán bộ xã gây khó dễ khi làm giấy khai sinh", group=True)
    assert group.state.flow is None and [o.payload for o in group.options] == ["private:phananh"]
