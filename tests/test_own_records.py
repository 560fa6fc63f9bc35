"""A citizen asking by text, without a code, how their own reports stand (bot/engine/own_records.py).

Engine-level cases, then the same over real HTTP on loopback on Zalo and Telegram: a report is
filed through the channel, then asked about in words; the reply lists that channel user's own
records (reference, status, due date), and nobody else's.
"""

from __future__ import annotations

import re

from bot.engine.feedback_dialog import StatusView
from bot.engine.own_records import asks_about_own_records
from bot.engine.turn import Engine
from bot.engine.types import Incoming
from feedback.models import FeedbackRecord

from .test_channel_behaviour import filing  # noqa: F401 - fixture
from .test_channels import fakes, post_tg, post_zalo, tg_update, zalo_event  # noqa: F401 - fixtures
from .wire import wait_for

# phrasings written for these tests (none taken from the evaluation sets)
ASKS = ["cái phản ánh hôm trước tôi gửi giờ sao rồi", "xem lại giúp tôi các phản ánh đã gửi",
        "kiến nghị tuần trước của em có ai trả lời chưa", "don cua toi the nao roi"]
NOT_ASKS = ["làm giấy khai sinh cần gì", "tôi muốn phản ánh cán bộ xã gây khó dễ, hôm trước tôi gửi hồ sơ mà sao rồi vẫn chưa có",
            "phản ánh thì gửi ở đâu", "hồ sơ đăng ký tạm trú gồm những gì", "tôi đã gửi hồ sơ qua bưu điện, bước tiếp theo là gì"]


class Port:
    """Records kept per (channel, user), as the database port keeps them."""

    def __init__(self, views: dict[tuple[str, str], tuple[StatusView, ...]]):
        self.views = views

    def mine(self, channel: str, user_id: str, limit: int = 5) -> tuple[StatusView, ...]:
        return self.views.get((channel, user_id), ())[:limit]

    def lookup(self, reference: str, channel: str, user_id: str) -> StatusView | None:
        return next((v for v in self.mine(channel, user_id) if v.reference == reference), None)

    def rate(self, channel: str, user_id: str, score: int, reason: str) -> str | None:
        return None


def test_the_three_signs_together_make_a_question_about_own_records():
    assert all(asks_about_own_records(text) for text in ASKS)
    assert not any(asks_about_own_records(text) for text in NOT_ASKS)


def test_the_engine_lists_own_records_or_says_there_are_none(mini_engine):
    view = StatusView(reference="PA-2026-AB12CD", status_label="đang xử lý", due_date="10/12/2026", replies=())
    engine = Engine(mini_engine.index, mini_engine.classifier, mini_engine.calibration,
                    feedback=Port({("zalo", "u1"): (view,)}), topic=mini_engine.topic)
    for text in ASKS:
        mine = engine.handle(Incoming("zalo", "u1", text))
        assert mine.intent == "status" and "PA-2026-AB12CD: đang xử lý. Hạn trả lời: 10/12/2026" in mine.text, text
        other = engine.handle(Incoming("zalo", "u2", text))  # another citizen: nothing of u1's
        assert other.intent == "status" and "PA-2026-AB12CD" not in other.text, text
    assert "chưa thấy phản ánh nào" in engine.handle(Incoming("zalo", "u2", ASKS[0])).text
    # a procedure question stays one, records or not
    assert engine.handle(Incoming("zalo", "u1", NOT_ASKS[0])).intent == "procedure"


def _reference(text: str) -> str:
    found = re.search(r"PA-\d{4}-[A-Z0-9]{6}", text)
    assert found, text
    return found.group(0)


def test_own_reports_listed_by_text_on_zalo(filing, fakes):  # noqa: F811
    srv, parts = filing
    zalo_api = fakes[1]
    user, stranger = "4200000000000000001", "4200000000000000002"

    def say(who: str, text: str, n: int) -> str:
        before = sum(m["recipient"]["user_id"] == who for m in zalo_api.sent)
        assert post_zalo(srv, zalo_event(who, text, f"own-z-{n}")).status_code == 200
        assert wait_for(lambda: sum(m["recipient"]["user_id"] == who for m in zalo_api.sent) > before), text
        return [m["message"]["text"] for m in zalo_api.sent if m["recipient"]["user_id"] == who][-1]

    script = ["/phananh", "Đèn đường ở ngõ 12 tổ 3 hỏng cả tháng nay chưa ai sửa", "không", "1"]
    filed = [say(user, text, i) for i, text in enumerate(script)]
    reference = _reference(filed[-1])
    listing = say(user, ASKS[0], 10)
    with parts.sessions() as session:
        record = session.query(FeedbackRecord).filter_by(reference=reference).one()
        assert record.channel == "zalo" and record.chat_id == user
    assert reference in listing and "Hạn trả lời:" in listing
    assert re.search(rf"{reference}: [^.]+\. Hạn trả lời: \d{{2}}/\d{{2}}/\d{{4}}", listing)
    other = say(stranger, ASKS[0], 11)
    assert reference not in other and "chưa thấy phản ánh nào" in other


def test_own_reports_listed_by_text_on_telegram(filing, fakes):  # noqa: F811
    srv, _ = filing
    bot_api = fakes[0]
    chat = 7801

    def say(text: str, n: int) -> str:
        before = len(bot_api.sent(chat))
        assert post_tg(srv, tg_update(7800 + n, text, chat_id=chat)).status_code == 200
        assert wait_for(lambda: len(bot_api.sent(chat)) > before), text
        return bot_api.sent(chat)[-1]["text"]

    script = ["/phananh", "Cống thoát nước trước chợ bị tắc, mưa là ngập cả đoạn đường", "không", "1"]
    reference = _reference([say(text, i) for i, text in enumerate(script)][-1])
    listing = say(ASKS[1], 10)
    assert reference in listing and "Hạn trả lời:" in listing
