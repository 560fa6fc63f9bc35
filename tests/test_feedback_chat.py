"""Capturing feedback in the conversation and looking it up, end to end through the engine."""

import re

import pytest

from bot.engine.turn import Engine
from bot.engine.feedback_dialog import extract_agency, legal_kind, parse_contact
from bot.app.feedback_port import DatabaseFeedbackPort
from bot.engine.types import Incoming
from feedback import service
from feedback.models import FeedbackRecord


@pytest.fixture()
def engine_with_port(mini_engine, sessions):
    port = DatabaseFeedbackPort(sessions, embed=lambda text: mini_engine.index.embedder.encode([text], True)[0],
                                describe=lambda code: (mini_engine.index.procedures[code].name, "") if code else ("", ""))
    engine = Engine(mini_engine.index, mini_engine.classifier, mini_engine.calibration, feedback=port)
    return engine, sessions


def say(engine, text, state=None, user="u1", channel="telegram"):
    return engine.handle(Incoming(channel, user, text), state)


def test_feedback_captured_in_a_few_turns_with_consent_and_confirmation(engine_with_port):
    engine, sessions = engine_with_port
    first = say(engine, "/phananh")
    assert first.intent == "feedback" and "mô tả sự việc" in first.text
    second = say(engine, "Tôi làm giấy khai sinh ở UBND phường An Phú mà bị hẹn lại 3 lần, cán bộ không hướng dẫn rõ", first.state)
    assert "số điện thoại" in second.text and second.state.step == "contact"
    third = say(engine, "Nguyễn Văn An 0912 345 678", second.state)
    assert "Tóm tắt" in third.text or "tóm tắt" in third.text
    assert "UBND phường An Phú" in third.text and "1. Gửi" in third.text
    fourth = say(engine, "1", third.state)
    assert "Mã tra cứu: PA-" in fourth.text and fourth.state.flow is None
    with sessions() as db:
        record = db.query(FeedbackRecord).one()
        assert record.contact_consent and record.contact_phone == "0912345678"
        assert record.agency == "UBND phường An Phú" and record.channel == "telegram" and record.chat_id == "u1"
        reference = record.reference
    status = say(engine, f"mã {reference} đến đâu rồi", fourth.state)
    assert status.intent == "status" and "mới" in status.text and reference in status.text
    other_user = say(engine, f"mã {reference} đến đâu rồi", user="someone-else")
    assert "chưa tìm thấy" in other_user.text.lower()


def test_no_contact_means_none_is_stored_and_cancel_writes_nothing(engine_with_port):
    engine, sessions = engine_with_port
    state = say(engine, "/phananh").state
    state = say(engine, "Đề nghị bộ phận một cửa làm việc cả sáng thứ Bảy để người đi làm nộp hồ sơ", state).state
    state = say(engine, "không", state).state
    assert state.step == "confirm"
    cancelled = say(engine, "3", state)
    assert "Đã hủy" in cancelled.text
    with sessions() as db:
        assert db.query(FeedbackRecord).count() == 0


def test_khieu_nai_is_explained_and_pointed_to_a_procedure_not_filed(engine_with_port):
    engine, sessions = engine_with_port
    state = say(engine, "/phananh").state
    reply = say(engine, "Tôi muốn khiếu nại quyết định xử phạt của Công an xã vì xử sai", state)
    assert "khiếu nại" in reply.text and "Nghị định 20/2008" in reply.text and reply.state.flow is None
    with sessions() as db:
        assert db.query(FeedbackRecord).count() == 0


def test_helpers():
    assert legal_kind("tôi muốn tố cáo cán bộ nhận hối lộ") == "to_cao"
    assert legal_kind("thủ tục rườm rà quá") is None
    assert extract_agency("đi làm ở UBND xã Tân Hòa hôm qua") == "UBND xã Tân Hòa"
    assert parse_contact("Tên: Lê Bình, sđt 0987.654.321") == ("Lê Bình", "0987654321")
    assert parse_contact("không có số") == ("không có số", None)


def test_citizen_rates_the_answer_to_their_feedback(engine_with_port):
    from feedback.auth import add_user
    from feedback.models import SatisfactionRating

    engine, sessions = engine_with_port
    state = say(engine, "/phananh").state
    state = say(engine, "Cán bộ một cửa phường Bình Minh trả hồ sơ chậm 2 tuần so với giấy hẹn", state).state
    state = say(engine, "không", state).state
    saved = say(engine, "1", state)
    assert "Mã tra cứu" in saved.text
    early = say(engine, "4")  # nothing answered yet: "4" is an ordinary message, not a rating
    assert "/5" not in early.text
    with sessions() as db, db.begin():
        record = db.query(FeedbackRecord).one()
        staff = add_user(db, "canbo", "mat-khau-dai-1")
        message = service.reply(db, record.id, staff.username, "Đã nhắc nhở bộ phận một cửa.")
        assert "mức độ hài lòng với việc giải quyết" in db.get(service.outbox.OutboxMessage, message.outbox_id).text
    thanks = say(engine, "4 sao, xử lý nhanh", saved.state)
    assert "4/5" in thanks.text and record.reference in thanks.text
    again = say(engine, "5", thanks.state)
    assert "5/5" not in again.text  # one rating per record
    with sessions() as db:
        ratings = db.query(SatisfactionRating).all()
        assert [(r.subject, r.score, r.reason) for r in ratings] == [("feedback", 4, "xử lý nhanh")]


def test_a_citizen_can_leave_an_unfinished_report(engine_with_port):
    engine, sessions = engine_with_port
    state = say(engine, "/phananh").state
    state = say(engine, "Cán bộ một cửa phường Bình Minh trả hồ sơ chậm 2 tuần so với giấy hẹn", state).state
    assert state.step == "contact"
    asked = say(engine, "làm giấy khai sinh cho con cần giấy tờ gì?", state)  # a question: ask which it is
    assert "muốn hỏi thủ tục này, hay tiếp tục phản ánh" in asked.text and asked.state.step == "ask_or_continue"
    moved_on = say(engine, "1", asked.state)
    assert moved_on.intent == "procedure" and moved_on.state.flow is None and moved_on.procedures[0] == "1.000001"
    with sessions() as db:
        assert db.query(FeedbackRecord).count() == 0


def test_a_message_resent_after_a_lost_reply_does_not_move_the_report_on(engine_with_port, monkeypatch):
    """A reply lost after the turn was saved makes the citizen send the same message again: the
    resent "không" must not cancel the report, and a resent "1" must give the reference again,
    not file twice nor be read as a new question."""
    engine, sessions = engine_with_port
    state = say(engine, "/phananh").state
    state = say(engine, "Cán bộ một cửa phường Bình Minh trả hồ sơ chậm 2 tuần so với giấy hẹn", state).state
    summary = say(engine, "không", state)
    assert summary.state.step == "confirm"
    resent = say(engine, "Không", summary.state)  # same message (case and accents aside): same reply
    assert resent.text == summary.text and resent.state.step == "confirm" and resent.state.draft == summary.state.draft
    saved = say(engine, "1", resent.state)
    reference = saved.text.split("Mã tra cứu: ")[1].split()[0]
    again = say(engine, "1", saved.state)
    assert reference in again.text and again.intent == "feedback"
    with sessions() as db:
        assert db.query(FeedbackRecord).count() == 1
    assert len(saved.state.last_flow_turn["hash"]) == 16 and "1" not in saved.state.last_flow_turn.values()

    # a different message is processed as usual and forgets the flow turn
    other = say(engine, "làm giấy khai sinh cho con cần giấy tờ gì?", again.state)
    assert other.intent == "procedure" and other.state.last_flow_turn is None

    # hours later, the same message is still a resend (the state decides, not a clock): the
    # report at the confirmation step is not cancelled by a repeated "không"
    import bot.engine.turn as engine_module

    later = engine_module.time.time() + 3600
    monkeypatch.setattr(engine_module.time, "time", lambda: later)
    repeated = say(engine, "không", summary.state)
    assert repeated.state.flow == "feedback" and repeated.state.step == "confirm" and repeated.text == summary.text
    # … and a resent "1" long after filing gives the reference again, not an out-of-scope reply
    assert reference in say(engine, "1", saved.state).text
    # a different answer still moves the report on: "3" cancels
    cancelled = say(engine, "3", summary.state)
    assert cancelled.state.flow is None and "hủy" in cancelled.text.lower()


def test_status_without_a_code_lists_the_users_own_records(engine_with_port):
    engine, _ = engine_with_port
    before = say(engine, "phản ánh của tôi đến đâu rồi", user="u7")
    assert "PA-" not in before.text  # nothing filed yet: how to look an application up
    state = say(engine, "/phananh", user="u7").state
    state = say(engine, "Cán bộ một cửa phường Bình Minh trả hồ sơ chậm 2 tuần so với giấy hẹn", state, user="u7").state
    state = say(engine, "không", state, user="u7").state
    saved = say(engine, "1", state, user="u7")
    reference = re.search(r"PA-\d{4}-[A-Z0-9]+", saved.text).group(0)
    mine = say(engine, "phản ánh của tôi đến đâu rồi", user="u7")
    assert mine.intent == "status" and reference in mine.text
    other = say(engine, "phản ánh của tôi đến đâu rồi", user="someone-else")
    assert reference not in other.text
