"""Wire formats checked against the platforms' documentation, not against our own code.

Telegram updates below are shaped as the Bot API documents its objects (Update, Message,
CallbackQuery, PhotoSize, MessageEntity, ChatMemberUpdated). The Zalo signature vector was computed
outside the project (`printf '%s' APP_ID BODY TIMESTAMP OA_SECRET_KEY | sha256sum`, the formula in
the OA webhook documentation), so a misreading of either format fails here even if our parser and
signer agree with each other.
"""

from __future__ import annotations

import pytest
from telegram import Bot, Update

from bot.channels import zalo

ZALO_BODY = (b'{"app_id":"1234567890","sender":{"id":"2468013579"},"recipient":{"id":"1357924680"},'
             b'"event_name":"user_send_text","message":{"text":"lam cccd o dau","msg_id":"msg-0001"},'
             b'"timestamp":"1764892800000","user_id_by_app":"555"}')
ZALO_MAC = "d4f2a231ea7693795d6975fa9bf6594261f0fb0ce407236cee4b277b2b516892"  # sha256sum, see above

USER = {"id": 111222333, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
PRIVATE = {"id": 111222333, "type": "private", "first_name": "Lan"}
GROUP = {"id": -1001234567890, "type": "supergroup", "title": "Tổ dân phố 5"}
DOCUMENTED_UPDATES = {
    "message": {"update_id": 10001, "message": {"message_id": 7, "from": USER, "chat": PRIVATE, "date": 1764892800,
                                                 "text": "làm căn cước ở đâu"}},
    "edited_message": {"update_id": 10002, "edited_message": {"message_id": 7, "from": USER, "chat": PRIVATE,
                                                               "date": 1764892800, "edit_date": 1764892860,
                                                               "text": "làm căn cước cho con ở đâu"}},
    "callback_query": {"update_id": 10003, "callback_query": {"id": "4382bfdwdsb323b2d9", "from": USER,
                                                               "chat_instance": "-1234567890123456789",
                                                               "data": "helpful:yes",
                                                               "message": {"message_id": 8, "chat": PRIVATE,
                                                                           "date": 1764892900, "text": "📄 …"}}},
    "photo_with_caption": {"update_id": 10004, "message": {
        "message_id": 9, "from": USER, "chat": PRIVATE, "date": 1764893000, "caption": "Ảnh chụp giấy hẹn",
        "photo": [{"file_id": "AgACAgUAAx0small", "file_unique_id": "AQADs", "width": 90, "height": 67, "file_size": 1200},
                  {"file_id": "AgACAgUAAx0large", "file_unique_id": "AQADl", "width": 1280, "height": 960,
                   "file_size": 98000}]}},
    "group_with_entities": {"update_id": 10005, "message": {
        "message_id": 10, "from": USER, "chat": GROUP, "date": 1764893100, "text": "/phananh@tthc_bot đường hỏng",
        "entities": [{"type": "bot_command", "offset": 0, "length": 17}]}},
    "channel_post": {"update_id": 10006, "channel_post": {"message_id": 11, "chat": {"id": -1009876543210, "type": "channel",
                                                                                        "title": "Thông báo xã"},
                                                           "date": 1764893200, "text": "Lịch tiếp dân tuần này"}},
    "my_chat_member": {"update_id": 10007, "my_chat_member": {
        "chat": GROUP, "from": USER, "date": 1764893300,
        "old_chat_member": {"status": "left", "user": {"id": 999, "is_bot": True, "first_name": "TTHC"}},
        "new_chat_member": {"status": "member", "user": {"id": 999, "is_bot": True, "first_name": "TTHC"}}}},
}


@pytest.mark.parametrize("name", sorted(DOCUMENTED_UPDATES))
def test_documented_telegram_updates_parse_into_the_objects_the_handlers_read(name):
    update = Update.de_json(DOCUMENTED_UPDATES[name], Bot("123456:TEST-TOKEN"))
    assert update.update_id == DOCUMENTED_UPDATES[name]["update_id"]
    if name == "photo_with_caption":
        assert update.effective_message.caption == "Ảnh chụp giấy hẹn"
        assert max(update.effective_message.photo, key=lambda p: p.width).file_id == "AgACAgUAAx0large"
    elif name == "group_with_entities":
        assert update.effective_chat.type == "supergroup"
        assert update.effective_message.entities[0].type == "bot_command"
    elif name == "channel_post":
        assert update.channel_post is not None and update.effective_user is None
    elif name == "callback_query":
        assert update.callback_query.data == "helpful:yes"
    elif name == "edited_message":
        assert update.edited_message is not None and update.message is None


def test_zalo_signature_known_answer_vector():
    headers = {"x-zevent-signature": f"mac={ZALO_MAC}"}
    data = zalo.verify(headers, ZALO_BODY, "1234567890", "oa-secret-key-for-test", now_ms=1764892800000 + 1000)
    event = zalo.to_event(data)
    assert event is not None and event.user_id == "2468013579" and event.text == "lam cccd o dau"
    with pytest.raises(PermissionError):
        zalo.verify(headers, ZALO_BODY.replace(b"dau", b"dao"), "1234567890", "oa-secret-key-for-test",
                    now_ms=1764892800000 + 1000)
