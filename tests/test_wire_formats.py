"""Wire formats checked against the platforms' documentation, not against our own code.

Telegram updates in tests/data/wire/*.json are shaped as the Bot API documents its objects
(Update, Message, CallbackQuery, PhotoSize, MessageEntity with offsets in UTF-16 code units,
ChatMemberUpdated): python-telegram-bot must parse each into the objects it documents, and our
translation must do what the bot promises with them (groups only when addressed, channel posts and
member updates ignored, an edit naming the message it replaces, a button naming its answer).
The Zalo signature vector is recomputed here from the OA webhook documentation's formula,
sha256(app id + raw body + timestamp + OA secret key), with hashlib directly rather than the
project's signer; the OA API error bodies are the documented ones (code in "error", HTTP 200).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from telegram import Bot, Update

from bot.channels import zalo
from bot.channels.base import Undeliverable
from bot.channels.telegram_wire import BotIdentity, update_event

from .wire import FakeZaloApi, LoopbackServer

WIRE = Path(__file__).parent / "data" / "wire"
ME = BotIdentity(id=999, username="tthc_bot")  # what getMe answers in tests/wire.py

ZALO_APP_ID, ZALO_OA_KEY, ZALO_TIMESTAMP = "1234567890", "oa-secret-key-for-test", "1764892800000"
ZALO_BODY = (b'{"app_id":"1234567890","sender":{"id":"2468013579"},"recipient":{"id":"1357924680"},'
             b'"event_name":"user_send_text","message":{"text":"lam cccd o dau","msg_id":"msg-0001"},'
             b'"timestamp":"1764892800000","user_id_by_app":"555"}')
ZALO_MAC = "d4f2a231ea7693795d6975fa9bf6594261f0fb0ce407236cee4b277b2b516892"  # printf … | sha256sum


def fixture(name: str) -> dict:
    return json.loads((WIRE / f"{name}.json").read_text(encoding="utf-8"))


FIXTURES = sorted(p.stem for p in WIRE.glob("*.json"))


def test_the_fixtures_cover_the_documented_update_kinds():
    assert {"message", "edited_message", "callback_query", "photo_with_caption", "group_mention",
            "channel_post", "my_chat_member"} <= set(FIXTURES)


@pytest.mark.parametrize("name", FIXTURES)
def test_documented_telegram_updates_parse_into_the_objects_the_handlers_read(name):
    data = fixture(name)
    update = Update.de_json(data, Bot("123456:TEST-TOKEN"))
    assert update.update_id == data["update_id"]
    if name == "photo_with_caption":
        assert update.effective_message.caption == "Ảnh chụp giấy hẹn"
        assert max(update.effective_message.photo, key=lambda p: p.width).file_id == "AgACAgUAAx0large"
    elif name == "group_mention":
        entity = update.effective_message.entities[0]
        assert update.effective_chat.type == "supergroup" and entity.type == "mention"
        assert update.effective_message.parse_entity(entity) == "@tthc_bot"  # PTB applies UTF-16 offsets too
    elif name == "channel_post":
        assert update.channel_post is not None and update.effective_user is None
    elif name == "callback_query":
        assert update.callback_query.data == "helpful:yes#1"
    elif name == "edited_message":
        assert update.edited_message is not None and update.message is None
    elif name == "my_chat_member":
        assert update.my_chat_member.new_chat_member.status == "member"
    # PTB's own serialisation (the polling path) translates exactly as the raw JSON (the webhook path)
    assert update_event(update.to_dict(), ME) == update_event(data, ME)


def test_what_the_bot_keeps_of_each_documented_update():
    assert update_event(fixture("channel_post"), ME) is None
    assert update_event(fixture("my_chat_member"), ME) is None
    assert update_event(fixture("group_chatter"), ME) is None  # a group talking among themselves
    assert update_event(fixture("group_other_bot_command"), ME) is None

    key, user, event = update_event(fixture("message"), ME)
    assert (key, user, event) == ("m111222333:7", "111222333",
                                  {"user": "111222333", "chat": "111222333", "kind": "text", "text": "làm căn cước ở đâu"})
    key, _, event = update_event(fixture("edited_message"), ME)
    assert key == "e111222333:7" and event["replaces"] == "m111222333:7" and event["text"] == "làm căn cước cho con ở đâu"
    _, _, event = update_event(fixture("callback_query"), ME)
    assert event["kind"] == "rating" and event["helpful"] is True and event["answer"] == 1
    _, _, event = update_event(fixture("photo_with_caption"), ME)
    # the caption is read as text; the largest photo size is the one kept
    assert event["kind"] == "attachment" and event["text"] == "Ảnh chụp giấy hẹn"
    assert [f["file_id"] for f in event["files"]] == ["AgACAgUAAx0large"]

    _, user, event = update_event(fixture("group_mention"), ME)
    assert user == "-1001234567890/111222333" and event["group"] is True
    assert event["text"] == "🙏 mất căn cước làm lại ở đâu"  # the mention cut at its UTF-16 offsets
    _, _, event = update_event(fixture("group_command"), ME)
    assert (event["kind"], event["name"], event["args"]) == ("command", "phananh", "đường hỏng")
    _, user, event = update_event(fixture("group_reply_to_bot"), ME)
    assert user == "-1001234567890/444555666" and event["text"] == "thế còn lệ phí?"
    # before getMe has answered, a mention cannot be recognised: not taken for the bot
    assert update_event(fixture("group_mention"), BotIdentity(id=999)) is None


def test_zalo_signature_known_answer_vector():
    by_hand = hashlib.sha256(ZALO_APP_ID.encode() + ZALO_BODY + ZALO_TIMESTAMP.encode() + ZALO_OA_KEY.encode()).hexdigest()
    assert by_hand == ZALO_MAC
    headers = {"x-zevent-signature": f"mac={ZALO_MAC}"}
    data = zalo.verify(headers, ZALO_BODY, ZALO_APP_ID, ZALO_OA_KEY, now_ms=int(ZALO_TIMESTAMP) + 1000)
    event = zalo.to_event(data)
    assert event is not None and event.user_id == "2468013579" and event.text == "lam cccd o dau"
    with pytest.raises(PermissionError):
        zalo.verify(headers, ZALO_BODY.replace(b"dau", b"dao"), ZALO_APP_ID, ZALO_OA_KEY, now_ms=int(ZALO_TIMESTAMP) + 1000)
    with pytest.raises(PermissionError):  # the app secret is not the OA secret key
        zalo.verify(headers, ZALO_BODY, ZALO_APP_ID, "app-secret", now_ms=int(ZALO_TIMESTAMP) + 1000)


def test_zalo_commands_are_typed_text():
    event = zalo.ZaloEvent("user_send_text", "2468013579", "m1", "/tracuu PA-2026-ABC123", 0)
    assert zalo.handle_event(event) == {"user": "2468013579", "chat": "2468013579", "kind": "command",
                                        "name": "tracuu", "args": "PA-2026-ABC123"}


# Documented OA API answers to POST /v3.0/oa/message/cs (HTTP 200, the code in "error").
INVALID_TOKEN = {"error": -216, "message": "Access token is invalid"}
EXPIRED_TOKEN = {"error": -220, "message": "access_token is expired or removed"}
OUTSIDE_WINDOW = {"error": -230, "message": "User has not interacted with the OA in the past 7 days"}
NOT_FOLLOWING = {"error": -213, "message": "User has not followed OA"}


@pytest.fixture(scope="module")
def oa_api():
    fake = FakeZaloApi()
    server = LoopbackServer(fake.app).start()
    yield fake, server.url
    server.stop()


@pytest.mark.parametrize("body", [INVALID_TOKEN, EXPIRED_TOKEN])
def test_an_invalid_or_expired_token_is_refreshed_once_and_the_send_retried(oa_api, body):
    fake, url = oa_api
    client = zalo.ZaloClient("old-token", "refresh-1", "app", "secret", api_base=url, oauth_base=url)
    refreshes, sent = len(fake.refreshes), len(fake.sent)
    fake.answers = [body]
    asyncio.run(_send(client, "1", "xin chào"))
    assert len(fake.refreshes) == refreshes + 1 and len(fake.sent) == sent + 1
    assert fake.sent[-1]["token"].startswith("fresh-")


@pytest.mark.parametrize("body", [OUTSIDE_WINDOW, NOT_FOLLOWING])
def test_outside_the_window_the_message_is_undeliverable_not_a_token_problem(oa_api, body):
    fake, url = oa_api
    client = zalo.ZaloClient("good-token", "refresh-1", "app", "secret", api_base=url, oauth_base=url)
    refreshes = len(fake.refreshes)
    fake.answers = [body]
    with pytest.raises(Undeliverable) as refused:
        asyncio.run(_send(client, "1", "Phản hồi của cơ quan"))
    assert "48 giờ" in refused.value.reason and len(fake.refreshes) == refreshes  # no token refresh for it


async def _send(client: zalo.ZaloClient, user: str, text: str) -> None:
    try:
        await client.send_text(user, text)
    finally:
        await client.aclose()
