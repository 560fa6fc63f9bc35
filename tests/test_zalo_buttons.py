"""Zalo template buttons over real HTTP on loopback, against the fake OA API.

What the OA API was asked to send (the recorded bodies) and what a tapped button does: Zalo sends
a tapped `oa.query.hide` button back as a `user_send_text` whose text is the payload, so a press is
posted here exactly so, signed like any event.
"""

from __future__ import annotations

import re

from bot.channels import zalo, zalo_buttons
from bot.engine.types import ConversationState, Option, Reply
from feedback.models import QuestionLog, SatisfactionRating

from .test_channels import fakes, make_server, post_zalo, server, zalo_event  # noqa: F401 - fixtures
from .wire import wait_for


def sent_to(zalo_api, user: str) -> list[dict]:
    return [m["message"] for m in zalo_api.sent if m["recipient"]["user_id"] == user]


def say(srv, zalo_api, user: str, text: str, msg_id: str) -> dict:
    before = len(sent_to(zalo_api, user))
    assert post_zalo(srv, zalo_event(user, text, msg_id)).status_code == 200
    assert wait_for(lambda: len(sent_to(zalo_api, user)) > before), text
    return sent_to(zalo_api, user)[-1]


def buttons_of(message: dict) -> list[dict]:
    return message.get("attachment", {}).get("payload", {}).get("buttons", [])


def test_a_clarifying_question_carries_buttons_and_a_press_picks_that_option(server, fakes):
    srv, parts = server
    zalo_api = fakes[1]
    user, typist = "4100000000000000001", "4100000000000000002"
    question = say(srv, zalo_api, user, "đăng ký", "zb-1")
    assert question["attachment"]["type"] == "template"
    made = buttons_of(question)
    offered = parts.service.store.load("zalo", user).options
    answer = parts.service.store.load("zalo", user).answered_question
    assert len(made) == len(offered) == 3
    for i, button in enumerate(made, start=1):
        assert button["type"] == "oa.query.hide" and button["title"].startswith(f"{i}. ")
        assert len(button["title"]) <= zalo_buttons.TITLE_LIMIT
        assert button["payload"] == f"tthc:choice:{i}" + (f"#{answer}" if answer is not None else "")
        assert f"{i}. " in question["text"]  # the numbered text stays, for a client without buttons
    # tapping the second button: its payload arrives as the citizen's text
    picked = say(srv, zalo_api, user, made[1]["payload"], "zb-2")
    state = parts.service.store.load("zalo", user)
    assert state.group == offered[1] and state.options != offered
    # the same as typing "2" after the same question
    say(srv, zalo_api, typist, "đăng ký", "zb-3")
    typed = say(srv, zalo_api, typist, "2", "zb-4")
    assert picked["text"] == typed["text"] and parts.service.store.load("zalo", typist).group == offered[1]


def test_a_refused_template_is_resent_as_numbered_text_and_a_number_still_chooses(server, fakes):
    srv, parts = server
    zalo_api = fakes[1]
    user = "4100000000000000003"
    zalo_api.refuse_templates = 1
    question = say(srv, zalo_api, user, "đăng ký", "zb-5")
    [refused] = [b for b in zalo_api.refused if b["recipient"]["user_id"] == user]
    assert buttons_of(refused["message"]) and "attachment" not in question  # delivered without the template
    assert question["text"] == refused["message"]["text"] and "1. " in question["text"] and "3. " in question["text"]
    offered = parts.service.store.load("zalo", user).options
    # templates rest after a refusal: the next message goes as text at once, with no second refused call
    answer = say(srv, zalo_api, user, "1", "zb-6")
    assert "attachment" not in answer and len(zalo_api.refused) == 1
    assert parts.service.store.load("zalo", user).group == offered[0] and "Nhắn số" in answer["text"]


def test_an_answer_offers_aspects_and_ratings_and_a_thumb_is_recorded(server, fakes):
    srv, parts = server
    zalo_api = fakes[1]
    user = "4100000000000000004"
    first = say(srv, zalo_api, user, "làm giấy khai sinh cho con cần giấy tờ gì", "zb-7")
    made = {b["title"]: b["payload"] for b in buttons_of(first)}
    answer = parts.service.store.load("zalo", user).answered_question
    assert answer is not None and len(made) == zalo_buttons.MAX_BUTTONS
    assert made["👍 Hữu ích"] == f"tthc:helpful:yes#{answer}" and made["👎 Chưa đúng"] == f"tthc:helpful:no#{answer}"
    fee = next(p for p in made.values() if "aspect:fee" in p)
    assert "Thông tin có hữu ích" not in first["text"]  # the rating is a button, not a line to answer
    assert "Cảm ơn" in say(srv, zalo_api, user, made["👍 Hữu ích"], "zb-8")["text"]
    with parts.sessions() as session:
        assert session.get(QuestionLog, answer).helpful is True
        assert session.query(SatisfactionRating).filter_by(question_id=answer).count() == 1
    assert "Phí, lệ phí" in say(srv, zalo_api, user, fee, "zb-9")["text"]  # an aspect button of the answer


def test_buttons_stay_within_the_documented_limits():
    long = "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất trong các trường hợp " * 3
    reply = Reply(text="Chọn một:", intent="procedure", state=ConversationState(),
                  options=tuple(Option(f"{i}. {long}", str(i)) for i in range(1, 8))
                  + (Option("👍", "helpful:yes#7"), Option("👎", "helpful:no#7"), Option("Nhóm", "private:phananh")))
    made = zalo_buttons.buttons(reply)
    assert len(made) == zalo_buttons.MAX_BUTTONS  # choices first; no room left for the ratings
    assert [b["payload"] for b in made] == [f"tthc:choice:{i}" for i in range(1, 6)]
    assert all(len(b["title"]) <= zalo_buttons.TITLE_LIMIT and b["title"].endswith("…") for b in made)
    assert zalo_buttons.buttons(Reply(text="x", intent="chitchat", state=ConversationState())) == []


def test_a_pressed_payload_is_read_as_the_button_not_as_words():
    def event(text: str) -> dict | None:
        return zalo.handle_event(zalo.ZaloEvent("user_send_text", "u1", "m1", text, 0))

    assert event("tthc:choice:2#41") == {"user": "u1", "chat": "u1", "kind": "choice", "text": "2", "answer": 41}
    assert event("tthc:choice:aspect:fee") == {"user": "u1", "chat": "u1", "kind": "choice", "text": "aspect:fee",
                                               "answer": None}
    assert event("tthc:helpful:no#41")["kind"] == "rating" and event("tthc:helpful:no#41")["helpful"] is False
    assert event("tthc:whatever")["text"] == ""  # not a button of ours: answered as a stale choice
    assert event("choice:2")["kind"] == "text" and event("2")["kind"] == "text"  # typed text stays text
    assert re.fullmatch(r"[a-z]+:", zalo_buttons.PREFIX) and not zalo_buttons.PREFIX.startswith("#")


def test_a_long_text_carries_its_buttons_on_the_last_part_only(fakes):
    import asyncio

    zalo_api, url = fakes[1], fakes[3]
    client = zalo.ZaloClient("good-token", "refresh-1", "app", "secret", api_base=url, oauth_base=url)
    user = "4100000000000000005"
    text = "\n".join(f"Dòng {i}: " + "nội dung dài " * 12 for i in range(40))  # over Zalo's 2,000 characters
    made = [{"title": "1. Xem các bước", "type": "oa.query.hide", "payload": "tthc:choice:aspect:steps"}]
    asyncio.run(client.send_text(user, text, made))
    parts = sent_to(zalo_api, user)
    assert len(parts) >= 3 and all(len(p["text"]) <= zalo.TEXT_LIMIT for p in parts)
    assert [("attachment" in p) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert buttons_of(parts[-1]) == made
