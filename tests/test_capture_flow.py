"""The capture flow through the engine: cancel words, stories longer than one report, the
question-or-feedback choice, attachments in the draft (no HTTP here: see test_capture_wire.py)."""

from __future__ import annotations

import pytest

from bot.app.feedback_port import DatabaseFeedbackPort
from bot.engine.cues import WholeMessageCue
from bot.engine.feedback_dialog import MAX_STORY, keep_story
from bot.engine.turn import Engine
from bot.engine.types import Incoming
from feedback.models import FeedbackRecord

STORY = "Cán bộ một cửa phường Bình Minh trả hồ sơ chậm 2 tuần so với giấy hẹn, không báo lý do"


@pytest.fixture()
def engine(mini_engine, sessions):
    port = DatabaseFeedbackPort(sessions, embed=lambda text: mini_engine.index.embedder.encode([text], True)[0],
                                describe=lambda code: (mini_engine.index.procedures[code].name, "") if code else ("", ""))
    return Engine(mini_engine.index, mini_engine.classifier, mini_engine.calibration, feedback=port), sessions


def say(engine, text, state=None, files=()):
    return engine.handle(Incoming("telegram", "u9", text, attachments=files), state)


def count(sessions) -> int:
    with sessions() as db:
        return db.query(FeedbackRecord).count()


@pytest.mark.parametrize("word", ["thôi", "Hủy", "huỷ", "huy", "HUY!", "không gửi nữa", "khong gui nua",
                                  "Thôi, không gửi nữa.", "thoi khong gui nua", "dừng lại", "cancel"])
@pytest.mark.parametrize("step", ["content", "contact", "confirm"])
def test_cancel_words_stop_the_report_at_every_step(engine, word, step):
    engine, sessions = engine
    state = say(engine, "Tôi muốn phản ánh").state
    if step != "content":
        state = say(engine, STORY, state).state
    if step == "confirm":
        state = say(engine, "không", state).state
    assert state.step == step
    reply = say(engine, word, state)
    assert "Đã hủy" in reply.text and reply.state.flow is None
    assert count(sessions) == 0


def test_cancel_words_inside_a_story_or_a_lookalike_do_not_cancel(engine):
    engine, sessions = engine
    state = say(engine, "Tôi muốn phản ánh").state
    reply = say(engine, "Tôi đã thôi việc ở công ty nên phải hủy đăng ký cũ, cán bộ phường bắt chờ ba tuần", state)
    assert reply.state.step == "contact" and "thôi việc" in reply.state.draft["content"]
    confirm = say(engine, "không", reply.state)
    assert "Mã tra cứu" in say(engine, "đúng", confirm.state).text  # "đúng" (right) confirms; it is not "dừng"
    assert count(sessions) == 1


def test_whole_message_cues_follow_the_marks_rule():
    cue = WholeMessageCue(("dừng lại", "hủy"))
    assert cue.matches("Dừng lại!") and cue.matches("dung lai") and cue.matches("  HUY ")
    assert not cue.matches("đúng lại") and not cue.matches("hủy đăng ký")


def test_a_story_longer_than_a_report_is_told_exactly_what_was_kept(engine):
    engine, sessions = engine
    def part(n: int) -> str:  # three different messages of 5,000 characters (a resent one is a repeat)
        return (f"Lần {n}: tôi nộp hồ sơ tại bộ phận một cửa phường An Phú mà vẫn chưa được giải quyết. " * 80)[:5000].strip()

    state = say(engine, "Tôi muốn phản ánh").state
    state = say(engine, part(1), state).state
    state = say(engine, part(2), state).state
    told = say(engine, part(3), state)
    kept = told.state.draft["content"]
    assert len(kept) <= MAX_STORY and len(kept) > MAX_STORY - 200
    assert f"chỉ ghi được {len(kept):,} ký tự đầu".replace(",", ".") in told.text
    assert kept[-60:].lstrip() in told.text and "chưa được ghi" in told.text
    summary = say(engine, "không", told.state)
    saved = say(engine, "1", summary.state)
    assert "Mã tra cứu" in saved.text
    with sessions() as db:
        assert db.query(FeedbackRecord).one().content == kept


def test_keep_story_counts_what_did_not_fit():
    kept, dropped = keep_story("a" * 10, "b" * 100)
    assert (kept, dropped) == ("a" * 10 + "\n" + "b" * 100, 0)
    words = "lời " * 5000
    kept, dropped = keep_story("", words)
    assert len(kept) <= MAX_STORY and len(kept) + dropped + 1 >= len(words.strip())


def test_a_photo_alone_in_the_flow_is_kept_and_the_step_asked_again(engine):
    engine, _ = engine
    photo = ({"channel": "telegram", "kind": "photo", "file_id": "p1", "mime": "image/jpeg", "size": 1000},)
    state = say(engine, "Tôi muốn phản ánh").state
    reply = say(engine, "", state, files=photo)
    assert "Đã nhận 1 tệp đính kèm" in reply.text and "mô tả sự việc" in reply.text
    again = say(engine, "", reply.state, files=photo)  # the same file twice is attached once
    assert len(again.state.draft["attachments"]) == 1
    outside = say(engine, "", None, files=photo)
    assert "chỉ đọc được tin nhắn chữ" in outside.text and outside.state.flow is None


def test_retention_deletes_attachments_with_the_personal_data(sessions, tmp_path):
    import datetime as dt

    from feedback import attachments, service
    from feedback.attachment_files import store
    from feedback.retention import purge

    name = store(tmp_path, "%PDF-1.4 giấy hẹn".encode(), "application/pdf")
    with sessions() as db, db.begin():
        old = service.create_record(db, service.Draft(kind="phan_anh", content="hồ sơ chậm", channel="zalo", chat_id="1"))
        open_ = service.create_record(db, service.Draft(kind="phan_anh", content="đang xử lý", channel="zalo", chat_id="2"))
        [row] = attachments.attach(db, old, [{"kind": "file", "url": "https://x/1", "file_id": "m1:0"}])
        attachments.mark_stored(db, row.id, name, "application/pdf", 20)
        attachments.attach(db, open_, [{"kind": "file", "url": "https://x/2", "file_id": "m2:0"}])
        service.transition(db, old.id, "rejected", "canbo", "trùng phản ánh khác")
        db.get(FeedbackRecord, old.id).updated_at = dt.datetime(2020, 1, 1)
    with sessions() as db, db.begin():
        result = purge(db, 365, attachment_dir=tmp_path)
    assert result.attachments == 1 and not (tmp_path / name).exists()
    with sessions() as db:
        assert attachments.for_record(db, old.id) == [] and len(attachments.for_record(db, open_.id)) == 1


def test_more_of_the_story_after_it_was_taken_is_added_not_dropped(engine):
    engine, sessions = engine
    state = say(engine, "Tôi muốn phản ánh").state
    state = say(engine, STORY, state).state
    more = say(engine, "Hôm đó là thứ Hai, cán bộ nói đã hết giờ tiếp nhận dù mới ba giờ chiều", state)
    assert "ghi thêm đoạn này" in more.text and more.state.step == "contact"
    assert more.state.draft["content"] == STORY + "\nHôm đó là thứ Hai, cán bộ nói đã hết giờ tiếp nhận dù mới ba giờ chiều"
    name_only = say(engine, "Nguyễn Văn An", more.state)  # a name without a phone: asked again, not taken as story
    assert name_only.state.step == "contact" and "Nguyễn Văn An" not in name_only.state.draft["content"]
    summary = say(engine, "không", name_only.state)
    later = say(engine, "Ngoài ra nhà vệ sinh ở bộ phận một cửa bị khóa cả buổi sáng hôm đó", summary.state)
    assert later.state.step == "confirm" and "nhà vệ sinh" in later.state.draft["content"] and "1. Gửi" in later.text
    say(engine, "1", later.state)
    with sessions() as db:
        assert "nhà vệ sinh" in db.query(FeedbackRecord).one().content
