"""The record workflow over HTTP: internal notes, 'answered' only with a reply, reopening, classification
and handling, publishing, delivery state per reply with 'Gửi lại', a stale tab's reply kept."""

from __future__ import annotations

import html

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from bot.app.feedback_port import DatabaseFeedbackPort
from feedback import labels, outbox, service, workflow
from feedback.auth import add_user
from feedback.db import utcnow
from feedback.models import AuditEntry, FeedbackRecord, InternalNote, ReplyMessage, StatusChange
from feedback.report_files import tables
from feedback.reports import Period, build_report
from feedback.web.app import WebConfig, create_staff_app
from indexer.embed import HashingEmbedder
from tests.test_staff_web import PASSWORD, csrf_of, login

CHAT = "7301945566102338814"
NOTE = "Nội bộ: đã gọi trưởng bộ phận một cửa, chờ xác minh sổ thu"


def new_record(db, content: str = "Bộ phận một cửa hẹn trả kết quả ba lần vẫn chưa có", embedding=None,
               phone: bool = True) -> FeedbackRecord:
    return service.create_record(db, service.Draft(
        kind="phan_anh", content=content, channel="zalo", chat_id=CHAT, agency="UBND phường Tân An",
        contact_consent=phone, contact_name="Trần An" if phone else None, contact_phone="0987654321" if phone else None,
        embedding=embedding))


@pytest.fixture()
def web(sessions):
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40, https_only=False)))])
    with sessions() as db, db.begin():
        add_user(db, "canbo", PASSWORD, role="admin", display_name="Cán bộ Một")
        record = new_record(db)
    client = TestClient(app, base_url="http://testserver")
    login(client)
    return client, sessions, record.id


def page(client: TestClient, record_id: int) -> str:
    return client.get(f"/staff/records/{record_id}").text


def post(client: TestClient, record_id: int, what: str, **data) -> str:
    data["csrf"] = csrf_of(page(client, record_id))
    return client.post(f"/staff/records/{record_id}/{what}", data=data).text


def version(sessions, record_id: int) -> int:
    with sessions() as db:
        return db.get(FeedbackRecord, record_id).version


def status(sessions, record_id: int) -> str:
    with sessions() as db:
        return db.get(FeedbackRecord, record_id).status


def test_internal_notes_never_reach_the_outbox_the_citizens_look_up_or_reports(web):
    client, sessions, record_id = web
    period = Period.parse(str(utcnow().year))
    with sessions() as db:
        reference = db.get(FeedbackRecord, record_id).reference
        before = build_report(db, period).feedback
    shown = post(client, record_id, "notes", text=NOTE)
    assert "Đã lưu ghi chú nội bộ" in shown and html.escape(NOTE) in shown
    with sessions() as db:
        assert db.query(InternalNote).filter_by(record_id=record_id).one().author == "canbo"
        assert db.query(outbox.OutboxMessage).count() == 0 and db.query(ReplyMessage).count() == 0
        assert db.get(FeedbackRecord, record_id).status == "new"  # a note is no answer
        after = build_report(db, period)
        assert after.feedback == before
        assert not any(NOTE in str(cell) for _, _, rows in tables(after) for row in rows for cell in row)
    post(client, record_id, "reply", text="Cơ quan đã làm việc với bộ phận một cửa, mời anh/chị nhận kết quả.",
         version=version(sessions, record_id))
    with sessions() as db:
        messages = db.query(outbox.OutboxMessage).all()
        assert len(messages) == 1 and NOTE not in messages[0].text and "mời anh/chị nhận kết quả" in messages[0].text
    port = DatabaseFeedbackPort(sessions)
    view = port.lookup(reference, "zalo", CHAT)
    assert view.replies == ("Cơ quan đã làm việc với bộ phận một cửa, mời anh/chị nhận kết quả.",)
    assert all(NOTE not in text for v in port.mine("zalo", CHAT) for text in v.replies)


def test_answered_is_refused_without_a_reply_and_after_a_reopening_without_a_new_one(web):
    client, sessions, record_id = web
    with sessions() as db, db.begin():
        service.transition(db, record_id, "in_progress", "canbo")
    refused = post(client, record_id, "status", to="answered", version=version(sessions, record_id))
    assert "Chưa thể chuyển sang “Đã trả lời”" in html.unescape(refused) and status(sessions, record_id) == "in_progress"
    post(client, record_id, "reply", text="Đã xử lý xong, mời anh/chị đến nhận.", version=version(sessions, record_id))
    assert status(sessions, record_id) == "answered"
    post(client, record_id, "status", to="in_progress", note="người dân báo chưa nhận được", version=version(sessions, record_id))
    assert status(sessions, record_id) == "in_progress"
    refused = post(client, record_id, "status", to="answered", version=version(sessions, record_id))
    assert "Chưa thể chuyển sang" in refused and status(sessions, record_id) == "in_progress"  # the old reply does not count
    post(client, record_id, "reply", text="Đã gửi lại kết quả qua bưu điện.", version=version(sessions, record_id))
    assert status(sessions, record_id) == "answered"


FINAL_SETUPS = {
    "answered": [("in_progress", ""), ("reply", "Đã trả lời người dân.")],
    "closed": [("in_progress", ""), ("reply", "Đã trả lời người dân."), ("closed", "")],
    "rejected": [("rejected", "Nội dung là khiếu nại, đã hướng dẫn gửi đơn khiếu nại")],
    "transferred": [("transferred", "Chuyển Sở Xây dựng")],
}


@pytest.mark.parametrize("final", sorted(FINAL_SETUPS))
def test_reopen_from_every_final_state_needs_a_reason_and_is_recorded(web, final):
    client, sessions, record_id = web
    with sessions() as db, db.begin():
        for step, text in FINAL_SETUPS[final]:
            if step == "reply":
                service.reply(db, record_id, "canbo", text)
            else:
                service.transition(db, record_id, step, "canbo", text)
    shown = page(client, record_id)
    assert status(sessions, record_id) == final and "Mở lại hồ sơ" in shown
    refused = post(client, record_id, "status", to="in_progress", note="  ", version=version(sessions, record_id))
    assert workflow.REOPEN_NEEDS_REASON in refused and status(sessions, record_id) == final
    reason = f"Người dân cung cấp thêm chứng từ ({final})"
    post(client, record_id, "status", to="in_progress", note=reason, version=version(sessions, record_id))
    with sessions() as db:
        record = db.get(FeedbackRecord, record_id)
        assert record.status == "in_progress" and record.closed_at is None
        last = db.query(StatusChange).filter_by(record_id=record_id).order_by(StatusChange.id.desc()).first()
        assert (last.from_status, last.to_status, last.note, last.actor) == (final, "in_progress", reason, "canbo")
        audit = db.query(AuditEntry).filter_by(action="reopen", record_id=record_id).one()
        # who reopened it, from which state; the reason is in the history above, not in the audit log
        assert audit.actor == "canbo" and audit.detail == f"{labels.STATUS[final]} → Đang xử lý" and reason not in audit.detail
    assert reason in page(client, record_id)  # the history on the record page shows it


def _failed(db, message_id: int, reason: str) -> None:
    for _ in range(outbox.MAX_ATTEMPTS):  # as the delivery loop does, until it gives up
        outbox.claim(db, message_id)
        outbox.mark_retry(db, message_id, reason)
        db.get(outbox.OutboxMessage, message_id).next_attempt_at = utcnow()


@pytest.mark.parametrize("phone", [True, False])
def test_each_reply_shows_its_delivery_and_held_or_failed_ones_can_be_sent_again(sessions, phone):
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40, https_only=False)))])
    with sessions() as db, db.begin():
        add_user(db, "canbo", PASSWORD, role="admin")
        record = new_record(db, phone=phone)
        replies = [service.reply(db, record.id, "canbo", f"Trả lời số {n}: cơ quan đang xác minh.") for n in (1, 2, 3)]
        sent, held, failed = (r.outbox_id for r in replies)
        outbox.claim(db, sent)
        outbox.mark_sent(db, sent)
        outbox.claim(db, held)
        outbox.hold(db, held, "Tin nhắn chưa gửi được vì đã quá 48 giờ kể từ lần cuối người dân nhắn cho OA.")
        _failed(db, failed, "HTTPStatusError")
        assert db.get(outbox.OutboxMessage, failed).status == outbox.FAILED
    client = TestClient(app, base_url="http://testserver")
    login(client)
    shown = page(client, record.id)
    assert "Đã gửi" in shown and "Đang chờ cửa sổ Zalo (48 giờ)" in shown and "quá 48 giờ" in shown
    assert "Lỗi, chưa gửi được" in shown and "HTTPStatusError" in shown
    assert ("liên hệ qua điện thoại" in shown) is phone
    retry_urls = [f"/staff/records/{record.id}/replies/{r.id}/retry" for r in replies]
    assert [url in shown for url in retry_urls] == [False, True, True]
    # the citizen's look-up shows every reply, whatever the channel did with it
    view = DatabaseFeedbackPort(sessions).lookup(record.reference, "zalo", CHAT)
    assert len(view.replies) == 3
    token = csrf_of(shown)
    again = client.post(retry_urls[2], data={"csrf": token}).text
    assert "Đã đưa trả lời vào hàng gửi lại" in again and "Đang gửi" in again
    refused = client.post(retry_urls[0], data={"csrf": token}).text
    assert "không cần gửi lại" in refused
    with sessions() as db:
        requeued = db.get(outbox.OutboxMessage, failed)
        assert (requeued.status, requeued.attempts, requeued.reason) == (outbox.PENDING, 0, "")
        assert requeued.id in [m.id for m in outbox.due(db, "zalo")]  # the delivery loop picks it up
        assert db.get(outbox.OutboxMessage, sent).status == outbox.SENT
        assert db.query(AuditEntry).filter_by(action="retry_delivery", record_id=record.id).count() == 1


def test_a_reply_typed_in_a_stale_tab_comes_back_with_its_text(web):
    client, sessions, record_id = web
    stale = page(client, record_id)
    stale_version = version(sessions, record_id)
    with sessions() as db, db.begin():  # a colleague acts meanwhile
        service.transition(db, record_id, "accepted", "canbo2")
    text = "Kính gửi anh/chị, <cơ quan> đã kiểm tra và sẽ hoàn trả khoản thu trong tuần này."
    response = client.post(f"/staff/records/{record_id}/reply",
                           data={"csrf": csrf_of(stale), "text": text, "version": stale_version})
    assert "người khác cập nhật trong lúc anh/chị soạn trả lời" in response.text
    assert f">{html.escape(text)}</textarea>" in response.text
    with sessions() as db:
        assert db.query(ReplyMessage).count() == 0 and db.query(outbox.OutboxMessage).count() == 0
    assert html.escape(text) not in page(client, record_id)  # given back once, not kept forever
    post(client, record_id, "reply", text=text, version=version(sessions, record_id))
    with sessions() as db:
        assert db.query(ReplyMessage).one().text == text and status(sessions, record_id) == "answered"


CONDUCT = ["Cán bộ tiếp nhận hồ sơ quát nạt, bắt tôi chờ cả buổi sáng rồi hẹn hôm khác",
           "Công chức một cửa đòi thêm tiền ngoài lệ phí, thái độ hách dịch với người dân",
           "Cán bộ không nhận hồ sơ, không giải thích lý do, thái độ thiếu tôn trọng"]
REGULATION = ["Quy định bắt nộp bản sao có chứng thực sổ hộ khẩu là thừa vì đã có cơ sở dữ liệu dân cư",
              "Thời hạn giải quyết thủ tục đăng ký đất đai quy định quá dài, đề nghị rút ngắn",
              "Mẫu tờ khai theo thông tư mới có nhiều mục trùng lặp, đề nghị sửa đổi quy định"]


def test_classification_and_handling_with_the_suggestion_are_saved_and_audited(web):
    client, sessions, _ = web
    embedder = HashingEmbedder(256)
    with sessions() as db, db.begin():
        for label, texts in (("hanh_vi", CONDUCT), ("quy_dinh", REGULATION)):
            for text in texts:
                example = new_record(db, text, embedder.encode([text], False)[0])
                workflow.set_handling(db, example.id, label, None, "canbo")
        text = "Cán bộ phường thái độ hách dịch, hẹn tôi chờ mấy buổi không nhận hồ sơ"
        record_id = new_record(db, text, embedder.encode([text], False)[0]).id
        bare_id = new_record(db, "không có vector").id
    shown = html.unescape(page(client, record_id))
    assert "Gợi ý của trợ lý: <strong>Về hành vi hành chính</strong>" in shown and "3/5 hồ sơ gần nhất" in shown
    assert "Trợ lý chưa có gợi ý" in page(client, bare_id)
    refused = html.unescape(post(client, record_id, "handling", classification="quy_dinh", handling="xu_ly_hanh_vi",
                                 version=version(sessions, record_id)))
    assert "không áp dụng cho phản ánh về quy định hành chính" in refused
    with sessions() as db:
        assert db.get(FeedbackRecord, record_id).classification is None
    saved = post(client, record_id, "handling", classification="hanh_vi", handling="xu_ly_hanh_vi",
                 version=version(sessions, record_id))
    assert "Đã lưu phân loại và hình thức xử lý" in saved
    stale = post(client, record_id, "handling", classification="quy_dinh", handling="", version=1)
    assert "người khác cập nhật" in stale
    with sessions() as db:
        record = db.get(FeedbackRecord, record_id)
        assert (record.classification, record.handling) == ("hanh_vi", "xu_ly_hanh_vi")
        audits = {a.action: a for a in db.query(AuditEntry).filter_by(record_id=record_id)}
        assert audits["classify"].detail == "hanh_vi (gợi ý: hanh_vi)" and audits["handling"].detail == "xu_ly_hanh_vi"
        assert audits["classify"].actor == "canbo"


def test_publishing_a_result_only_when_finished_and_withdrawing_it_are_audited(web):
    client, sessions, record_id = web
    assert "chỉ công khai kết quả" in post(client, record_id, "publish", publish="1")
    with sessions() as db, db.begin():
        service.transition(db, record_id, "rejected", "canbo", "Không thuộc phạm vi phản ánh, kiến nghị")
    assert "Đã đánh dấu công khai" in post(client, record_id, "publish", publish="1")
    with sessions() as db:
        assert db.get(FeedbackRecord, record_id).published_at is not None
    post(client, record_id, "status", to="in_progress", note="Người dân bổ sung chứng cứ mới",
         version=version(sessions, record_id))
    assert "Bỏ công khai" in page(client, record_id)  # a reopened record's published result can be withdrawn
    post(client, record_id, "publish", publish="0")
    with sessions() as db:
        assert db.get(FeedbackRecord, record_id).published_at is None
        actions = [a.action for a in db.query(AuditEntry).filter_by(record_id=record_id).order_by(AuditEntry.id)]
        assert actions == ["status", "publish", "reopen", "unpublish"]  # status: the rejection (feedback.workflow.admit)


def test_the_workflow_forms_need_a_session_and_the_csrf_token(web):
    client, sessions, record_id = web
    urls = [f"/staff/records/{record_id}/{what}" for what in ("notes", "handling", "publish", "replies/1/retry")]
    for url in urls:
        assert client.post(url, data={"text": "x", "publish": "1"}, follow_redirects=False).status_code == 403, url
    anonymous = TestClient(client.app, base_url="http://testserver")
    for url in urls:
        response = anonymous.post(url, data={"csrf": "x"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/staff/login", url
    with sessions() as db:
        assert db.query(InternalNote).count() == 0 and db.query(AuditEntry).count() == 0
