"""The complaint capture flow over real HTTP on loopback: Telegram and Zalo webhooks in, the fake Bot
and OA APIs out (tests/wire.py), the state and records in SQLite (and PostgreSQL when configured).

Asserts what the citizen sees (the messages and buttons the fake APIs received) and what is kept:
whole stories, attachments stored without their EXIF location, refusals said plainly, the staff's
rejection told to the citizen, and the files shown to staff only.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import time

import httpx
import pytest
from PIL import Image

from bot.engine.types import split_payload
from bot.app.conversations import ConversationStore
from bot.app.feedback_port import DatabaseFeedbackPort
from bot.app.server import ServerParts, ZaloConfig, create_app
from bot.app.service import ConversationService, FloodGuard, FloodPolicy
from bot.channels.telegram import build_application
from bot.channels.zalo import ZaloClient, expected_signature
from bot.engine.turn import Engine
from feedback import attachments, service
from feedback.auth import add_user
from feedback.models import FeedbackRecord
from feedback.web.app import WebConfig

from .wire import FakeBotApi, FakeZaloApi, LoopbackServer, wait_for

TOKEN = "123456:CAPTURE-TOKEN"
SECRET = "telegram-secret-capture-0123"
APP_ID = "4321987650"
OA_KEY = "oa-secret-key-capture-abcdef"
PASSWORD = "mat-khau-rat-dai-1"
_IDS = itertools.count(70_000)

SENTENCES = (
    "Ngày {i} tôi đến bộ phận một cửa UBND phường An Phú để nộp hồ sơ đăng ký khai sinh cho con.",
    "Cán bộ tiếp nhận yêu cầu bổ sung giấy tờ nhưng không ghi rõ cần những gì.",
    "Tôi phải quay lại nhiều lần, mỗi lần chờ hơn một giờ mà hồ sơ vẫn chưa được nhận.",
)


def story(length: int, start: int = 0) -> str:
    """A made-up account of exactly `length` characters (no space at either end)."""
    parts, i = [], start
    while sum(len(p) + 1 for p in parts) < length + 10:
        parts.append(SENTENCES[i % 3].format(i=i))
        i += 1
    text = " ".join(parts)[:length]
    return text[:-1] + "x" if text.endswith(" ") else text


def gps_jpeg() -> bytes:
    """A small JPEG whose EXIF says where it was taken (as a phone photo does)."""
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture(scope="module")
def fakes():
    bot_api, zalo_api = FakeBotApi(), FakeZaloApi()
    servers = [LoopbackServer(bot_api.app).start(), LoopbackServer(zalo_api.app).start()]
    yield bot_api, zalo_api, servers[0].url, servers[1].url
    for server in servers:
        server.stop()


@pytest.fixture()
def wire(mini_engine, sessions, fakes, tmp_path):
    bot_api, zalo_api, bot_url, zalo_url = fakes
    port = DatabaseFeedbackPort(sessions, embed=lambda text: mini_engine.index.embedder.encode([text], True)[0],
                                describe=lambda code: (mini_engine.index.procedures[code].name, "") if code else ("", ""))
    engine = Engine(mini_engine.index, mini_engine.classifier, mini_engine.calibration, feedback=port)
    conversation = ConversationService(engine, ConversationStore(sessions), FloodGuard(FloodPolicy(messages=100, seconds=60)))
    files = tmp_path / "attachments"
    parts = ServerParts(service=conversation, sessions=sessions, outbox_interval=0.2, attachment_dir=files,
                        attachment_poll_seconds=0.2)
    parts.telegram = build_application(TOKEN, conversation, base_url=bot_url)
    parts.telegram_secret = SECRET
    client = ZaloClient("good-token", "refresh-1", APP_ID, "app-secret", api_base=zalo_url, oauth_base=zalo_url)
    parts.zalo = ZaloConfig(client=client, app_id=APP_ID, oa_secret_key=OA_KEY)
    staff = WebConfig(secret_key="k" * 40, https_only=False, attachment_dir=files)
    srv = LoopbackServer(create_app(parts, staff=staff)).start()
    assert wait_for(lambda: parts.telegram_ready)
    yield srv, parts, bot_api, zalo_api, files
    srv.stop()


# --- helpers -----------------------------------------------------------------------------------

def tg_post(srv, chat: int, text: str | None = None, **extra) -> None:
    message = {"message_id": next(_IDS), "date": int(time.time()), "chat": {"id": chat, "type": "private"},
               "from": {"id": chat, "is_bot": False, "first_name": "An"}, **extra}
    if text is not None:
        message["text"] = text
    update = {"update_id": next(_IDS), "message": message}
    response = httpx.post(f"{srv.url}/telegram/webhook", content=json.dumps(update, ensure_ascii=False).encode(),
                          headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10)
    assert response.status_code == 200


def tg_press(srv, chat: int, payload: str) -> None:
    update = {"update_id": next(_IDS), "callback_query": {
        "id": f"cb{next(_IDS)}", "chat_instance": "ci", "data": f"choice:{payload}",
        "from": {"id": chat, "is_bot": False, "first_name": "An"},
        "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat, "type": "private"}, "text": "x"}}}
    response = httpx.post(f"{srv.url}/telegram/webhook", content=json.dumps(update).encode(),
                          headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10)
    assert response.status_code == 200


def tg_say(wire, chat: int, text: str | None = None, press: str | None = None, **extra) -> dict:
    """Send (or press a button) and wait for the bot's answer; the last message it sent."""
    srv, _, bot_api, _, _ = wire
    before = len(bot_api.sent(chat))
    tg_press(srv, chat, press) if press else tg_post(srv, chat, text, **extra)
    assert wait_for(lambda: len(bot_api.sent(chat)) > before), text or press
    time.sleep(0.1)  # a reply split in parts arrives together
    return bot_api.sent(chat)[-1]


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else (markup or {})
    # each button names the answer it belongs to ("…#42", bot.engine.types.stamp_payload): compare the choice
    return [split_payload(b["callback_data"])[0] for row in markup.get("inline_keyboard", []) for b in row]


def zalo_say(wire, user: str, text: str | None, event_name: str = "user_send_text", attachments_: list | None = None) -> str:
    srv, _, _, zalo_api, _ = wire
    message = {"msg_id": f"m{next(_IDS)}"}
    if text is not None:
        message["text"] = text
    if attachments_:
        message["attachments"] = attachments_
    body = json.dumps({"app_id": APP_ID, "event_name": event_name, "timestamp": str(int(time.time() * 1000)),
                       "sender": {"id": user}, "recipient": {"id": "579745863508352884"}, "message": message},
                      ensure_ascii=False).encode()
    mac = expected_signature(APP_ID, body, json.loads(body)["timestamp"], OA_KEY)
    before = len(zalo_texts(zalo_api, user))
    response = httpx.post(f"{srv.url}/zalo/webhook", content=body, timeout=10,
                          headers={"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"})
    assert response.status_code == 200
    assert wait_for(lambda: len(zalo_texts(zalo_api, user)) > before), text
    time.sleep(0.1)
    return zalo_texts(zalo_api, user)[-1]


def zalo_texts(zalo_api, user: str) -> list[str]:
    return [m["message"]["text"] for m in zalo_api.sent if m["recipient"]["user_id"] == user]


def records(sessions, chat: str) -> list[FeedbackRecord]:
    with sessions() as db:
        return list(db.query(FeedbackRecord).filter(FeedbackRecord.chat_id == chat))


# --- stories -----------------------------------------------------------------------------------

def test_a_3500_character_story_is_kept_whole_and_confirmed_with_telegram_buttons(wire, sessions):
    chat = 7101
    assert "mô tả sự việc" in tg_say(wire, chat, "Tôi muốn phản ánh")["text"]
    text = story(3500)
    assert "số điện thoại" in tg_say(wire, chat, text)["text"]
    summary = tg_say(wire, chat, "không")
    assert "3.500 ký tự" in summary["text"] and buttons(summary) == ["choice:fb:send", "choice:fb:edit", "choice:fb:cancel"]
    saved = tg_say(wire, chat, press="fb:send")
    assert "Mã tra cứu: PA-" in saved["text"]
    [record] = records(sessions, str(chat))
    assert record.content == text and len(record.content) == 3500


def test_a_6000_character_story_sent_in_two_messages_is_kept_in_full(wire, sessions):
    chat = 7102
    tg_say(wire, chat, "Tôi muốn phản ánh")
    first, second = story(4000), story(2000, start=50)  # Telegram splits a long text at 4,096 characters
    assert "số điện thoại" in tg_say(wire, chat, first)["text"]
    more = tg_say(wire, chat, second)["text"]
    assert "ghi thêm đoạn này" in more and "6.001 ký tự" in more
    summary = tg_say(wire, chat, "không")
    assert "6.001 ký tự" in summary["text"]
    tg_say(wire, chat, "1")
    [record] = records(sessions, str(chat))
    assert record.content == first + "\n" + second


# --- a question in the middle, numbered choices on Zalo -----------------------------------------

def test_zalo_question_mid_flow_then_asking_it_and_numbered_confirmation(wire, sessions):
    user = "8800000000000000001"
    zalo_say(wire, user, "Tôi muốn phản ánh")
    prompt = zalo_say(wire, user, "làm giấy khai sinh cho con cần giấy tờ gì?")
    assert "Anh/chị muốn hỏi thủ tục này, hay tiếp tục phản ánh?" in prompt
    assert "1. Hỏi thủ tục" in prompt and "2. Tiếp tục phản ánh" in prompt and "Nhắn số" not in prompt
    answer = zalo_say(wire, user, "1")
    assert "Hồ sơ cần chuẩn bị" in answer and "chưa được gửi" in answer
    # the other choice: the message was the story after all
    zalo_say(wire, user, "Tôi muốn phản ánh")
    zalo_say(wire, user, "làm giấy khai sinh cho con cần giấy tờ gì?")
    assert "số điện thoại" in zalo_say(wire, user, "2")
    summary = zalo_say(wire, user, "không")
    assert "1. Gửi   2. Sửa nội dung   3. Hủy" in summary and summary.count("Gửi") == 1
    assert "Mã tra cứu: PA-" in zalo_say(wire, user, "1")
    [record] = records(sessions, user)
    assert record.content == "làm giấy khai sinh cho con cần giấy tờ gì?" and record.channel == "zalo"


def test_telegram_question_prompt_buttons_both_work(wire):
    chat = 7103
    tg_say(wire, chat, "Tôi muốn phản ánh")
    prompt = tg_say(wire, chat, "làm giấy khai sinh cho con cần giấy tờ gì?")
    assert buttons(prompt) == ["choice:fb:ask", "choice:fb:continue"]
    assert "Hồ sơ cần chuẩn bị" in tg_say(wire, chat, press="fb:ask")["text"]
    tg_say(wire, chat, "Tôi muốn phản ánh")
    tg_say(wire, chat, "làm giấy khai sinh cho con cần giấy tờ gì?")
    assert "số điện thoại" in tg_say(wire, chat, press="fb:continue")["text"]


# --- attachments -------------------------------------------------------------------------------

def test_a_photo_with_caption_is_attached_and_stored_without_its_gps(wire, sessions):
    srv, parts, bot_api, _, files = wire
    chat = 7104
    original = gps_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test photo does carry a location
    bot_api.files["photo-big-7104"] = original
    tg_say(wire, chat, "Tôi muốn phản ánh")
    photo = [{"file_id": "photo-small-7104", "file_unique_id": "s", "width": 32, "height": 24, "file_size": 900},
             {"file_id": "photo-big-7104", "file_unique_id": "b", "width": 64, "height": 48, "file_size": len(original)}]
    caption = "Bảng niêm yết lệ phí ở bộ phận một cửa UBND phường An Phú ghi sai mức thu, ảnh chụp sáng nay"
    reply = tg_say(wire, chat, None, photo=photo, caption=caption)
    assert "Đã nhận 1 tệp đính kèm" in reply["text"] and "số điện thoại" in reply["text"]
    summary = tg_say(wire, chat, "không")
    assert "Tệp đính kèm: 1" in summary["text"]
    tg_say(wire, chat, press="fb:send")
    [record] = records(sessions, str(chat))
    assert record.content == caption

    def stored():
        with sessions() as db:
            return [a for a in attachments.for_record(db, record.id) if a.status == attachments.STORED]

    assert wait_for(lambda: len(stored()) == 1)
    [row] = stored()
    assert row.file_id == "photo-big-7104" and row.mime == "image/jpeg"  # the largest size was fetched
    kept = (files / row.stored_name).read_bytes()
    image = Image.open(io.BytesIO(kept))
    assert image.size == (64, 48) and not image.getexif().get_ifd(0x8825) and not dict(image.getexif())
    assert b"Exif" not in kept and row.size == len(kept)

    # staff see it on the record page and open it; nobody else does
    staff = httpx.Client(base_url=f"{srv.url}/staff", follow_redirects=False, timeout=10)
    assert staff.get(f"/records/{record.id}/attachments/{row.id}").status_code in (302, 303, 307)
    with sessions() as db, db.begin():
        add_user(db, "canbo", PASSWORD, role="staff", display_name="Cán bộ")
        other = service.create_record(db, service.Draft(kind="phan_anh", content="một phản ánh khác", channel="zalo",
                                                        chat_id="1"))
    login_page = staff.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', login_page.text).group(1)
    assert staff.post("/login", data={"username": "canbo", "password": PASSWORD, "csrf": token}).status_code == 303
    page = staff.get(f"/records/{record.id}")
    assert "Tệp đính kèm" in page.text and f"/records/{record.id}/attachments/{row.id}" in page.text
    opened = staff.get(f"/records/{record.id}/attachments/{row.id}")
    assert opened.status_code == 200 and opened.headers["content-type"] == "image/jpeg" and opened.content == kept
    assert opened.headers["cache-control"] == "no-store"
    assert staff.get(f"/records/{other.id}/attachments/{row.id}").status_code == 404


def test_zalo_image_in_the_flow_is_fetched_from_its_url(wire, sessions, fakes):
    _, _, _, zalo_api, files = wire
    zalo_url = fakes[3]
    user = "8800000000000000002"
    zalo_api.files["anh-8802.jpg"] = gps_jpeg()
    zalo_say(wire, user, "Tôi muốn phản ánh")
    zalo_say(wire, user, "Đường vào bộ phận một cửa xã Tân Hòa ngập nước, người dân không vào nộp hồ sơ được")
    image = [{"type": "image", "payload": {"thumbnail": f"{zalo_url}/files/anh-8802.jpg", "url": f"{zalo_url}/files/anh-8802.jpg"}}]
    reply = zalo_say(wire, user, None, event_name="user_send_image", attachments_=image)
    assert "Đã nhận 1 tệp đính kèm" in reply and "số điện thoại" in reply
    zalo_say(wire, user, "không")
    zalo_say(wire, user, "1")
    [record] = records(sessions, user)

    def rows():
        with sessions() as db:
            return attachments.for_record(db, record.id)

    assert wait_for(lambda: [r.status for r in rows()] == [attachments.STORED])
    kept = Image.open(files / rows()[0].stored_name)
    assert not kept.getexif().get_ifd(0x8825)


def test_wrong_type_and_oversized_files_are_refused_with_a_clear_message(wire, sessions):
    chat = 7105
    tg_say(wire, chat, "Tôi muốn phản ánh")
    tg_say(wire, chat, "Cán bộ một cửa phường Bình Minh trả hồ sơ chậm 2 tuần so với giấy hẹn")
    archive = {"file_id": "doc-zip-7105", "file_unique_id": "z", "file_name": "ho-so.zip", "mime_type": "application/zip",
               "file_size": 2048}
    refused = tg_say(wire, chat, None, document=archive)["text"]
    assert "“ho-so.zip” không được nhận" in refused and "chỉ nhận ảnh JPEG, PNG hoặc tệp PDF" in refused
    big = {"file_id": "doc-big-7105", "file_unique_id": "g", "file_name": "ban-ve.pdf", "mime_type": "application/pdf",
           "file_size": 11 * 2**20}
    refused = tg_say(wire, chat, None, document=big)["text"]
    assert "“ban-ve.pdf” không được nhận vì quá lớn (11,0 MB; tối đa 10 MB)" in refused
    assert "số điện thoại" in refused  # the step's question again: the flow goes on
    tg_say(wire, chat, "không")
    tg_say(wire, chat, "1")
    [record] = records(sessions, str(chat))
    with sessions() as db:
        assert attachments.for_record(db, record.id) == []


def test_a_file_that_is_not_what_it_claims_fails_after_filing_and_the_citizen_is_told(wire, sessions):
    _, _, bot_api, _, _ = wire
    chat = 7106
    bot_api.files["doc-fake-7106"] = b"PK\x03\x04 this is a zip archive, not a PDF"
    tg_say(wire, chat, "Tôi muốn phản ánh")
    tg_say(wire, chat, "Cán bộ một cửa phường Bình Minh trả hồ sơ chậm 2 tuần so với giấy hẹn")
    fake = {"file_id": "doc-fake-7106", "file_unique_id": "f", "file_name": "giay-hen.pdf", "mime_type": "application/pdf",
            "file_size": 40}
    assert "Đã nhận 1 tệp" in tg_say(wire, chat, None, document=fake)["text"]
    tg_say(wire, chat, "không")
    before = len(bot_api.sent(chat))
    tg_say(wire, chat, "1")
    [record] = records(sessions, str(chat))
    assert record.status == "new"
    assert wait_for(lambda: any("không lưu được" in m["text"] for m in bot_api.sent(chat)[before:]))
    told = next(m["text"] for m in bot_api.sent(chat)[before:] if "không lưu được" in m["text"])
    assert "giay-hen.pdf" in told and record.reference in told and "chỉ nhận ảnh JPEG, PNG hoặc tệp PDF" in told
    with sessions() as db:
        [row] = attachments.for_record(db, record.id)
        assert row.status == attachments.FAILED and row.stored_name is None


def test_a_failed_download_is_retried_later_and_the_record_is_kept(wire, sessions):
    _, _, bot_api, _, _ = wire
    chat = 7107
    bot_api.files["photo-retry-7107"] = gps_jpeg()
    tg_say(wire, chat, "Tôi muốn phản ánh")
    photo = [{"file_id": "photo-retry-7107", "file_unique_id": "r", "width": 64, "height": 48, "file_size": 2000}]
    tg_say(wire, chat, None, photo=photo, caption="Ảnh chụp hàng người chờ ở bộ phận một cửa phường An Phú từ sáng sớm")
    tg_say(wire, chat, "không")
    bot_api.fail_get_file = 100
    tg_say(wire, chat, "1")
    [record] = records(sessions, str(chat))

    def row():
        with sessions() as db:
            return attachments.for_record(db, record.id)[0]

    assert wait_for(lambda: row().attempts >= 1)
    bot_api.fail_get_file = 0
    failed = row()
    assert failed.status == attachments.PENDING and failed.error and failed.file_id == "photo-retry-7107"
    with sessions() as db:
        assert db.get(FeedbackRecord, record.id).content.startswith("Ảnh chụp hàng người chờ")


def test_a_photo_with_a_caption_outside_the_flow_is_answered_as_its_text(wire):
    chat = 7108
    photo = [{"file_id": "photo-q-7108", "file_unique_id": "q", "width": 10, "height": 10}]
    answer = tg_say(wire, chat, None, photo=photo, caption="làm giấy khai sinh cho con cần giấy tờ gì")
    assert "Hồ sơ cần chuẩn bị" in answer["text"]


# --- staff decisions reach the citizen ---------------------------------------------------------

def test_staff_rejection_and_transfer_are_told_to_the_citizen(wire, sessions):
    _, _, bot_api, _, _ = wire
    chat = 7109
    tg_say(wire, chat, "Tôi muốn phản ánh")
    tg_say(wire, chat, "Cán bộ một cửa phường Bình Minh trả hồ sơ chậm 2 tuần so với giấy hẹn")
    tg_say(wire, chat, "không")
    tg_say(wire, chat, "1")
    with sessions() as db, db.begin():
        [record] = db.query(FeedbackRecord).filter(FeedbackRecord.chat_id == str(chat)).all()
        other = service.create_record(db, service.Draft(kind="phan_anh", content="hồ sơ đất đai chậm", channel="telegram",
                                                        chat_id=str(chat)))
    before = len(bot_api.sent(chat))
    with sessions() as db, db.begin():
        service.transition(db, record.id, "rejected", "canbo", "Nội dung đã được trả lời tại phản ánh PA-2026-AAAAAA")
        service.transition(db, other.id, "transferred", "canbo", "Sở Tài nguyên và Môi trường (thẩm quyền về đất đai)")
    assert wait_for(lambda: len(bot_api.sent(chat)) >= before + 2)
    texts = [m["text"] for m in bot_api.sent(chat)[before:]]
    rejected = next(t for t in texts if record.reference in t)
    assert "không được thụ lý" in rejected and "đã được trả lời tại phản ánh PA-2026-AAAAAA" in rejected
    transferred = next(t for t in texts if other.reference in t)
    assert "đã được chuyển đến" in transferred and "Sở Tài nguyên và Môi trường" in transferred
