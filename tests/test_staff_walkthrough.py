"""The issue's acceptance walkthrough of the staff web, in real headless Chromium over real HTTP.

One server (tests/test_capture_wire.py `wire`: Zalo and Telegram webhooks, the inbox and outbox
workers, the staff pages) and the fake OA API. Two units, a receiving clerk and a handler in unit A,
a handler in unit B, a province administrator:

intake from a Zalo chat on the Wednesday before Tết 2027 → the record lands in unit A, its due date
skips the Tết days off and is the date the citizen's look-up shows → the clerk assigns it → the
handler writes an internal note (on the page, never to the citizen) and a public reply, which Zalo's
48-hour window holds → the citizen writes again and the reply goes out by itself (đã gửi) → answered
→ reopened with a reason → transferred to unit B with a reason (unit A's handler gets 404, the
citizen is told where and why, unit B's handler sees it) → the administrator creates an account and
reads the audit log of the record → logout, and the copied cookie opens nothing.

Screenshots of each page are saved under test-output/ (walk-*.png).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.app.conversations import ConversationRow
from feedback import outbox, service, units
from feedback.auth import add_user
from feedback.models import FeedbackRecord, StaffUser

from .test_capture_wire import fakes, wire, zalo_say, zalo_texts  # noqa: F401 - fixtures
from .test_staff_e2e import CHROMIUM, OUTPUT
from .wire import wait_for

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")

CITIZEN = "8800000000000000777"
# 09:00 in Hà Nội on Wednesday 3 February 2027; Tết days off (holidays_vn.yaml) run 4–10 February
BEFORE_TET = dt.datetime(2027, 2, 3, 2, 0)
DUE = "10/03/2027"  # 20 working days, counted past the five Tết working days off
DUE_WITHOUT_HOLIDAYS = "03/03/2027"
STORY = ("Bộ phận Một cửa UBND phường Tân Mai hẹn trả giấy xác nhận tình trạng hôn nhân sau 3 ngày làm việc "
         "nhưng đã hơn hai tuần vẫn chưa có kết quả, gọi điện thì không ai nghe máy.")
NOTE = "Đã gọi bộ phận tư pháp phường: hồ sơ bị thất lạc khi chuyển ký, đang làm lại."
REPLY = "Phường đã kiểm tra: giấy xác nhận đã ký, mời anh/chị nhận tại Bộ phận Một cửa từ thứ Hai tuần sau."
REOPEN = "Người dân báo giấy xác nhận ghi sai năm sinh, cần xem xét lại"
TRANSFER = "Việc cải chính năm sinh thuộc thẩm quyền của Sở Tư pháp"
PASSWORDS = {"thu": "mat-khau-cua-thu-1", "an": "mat-khau-cua-an-1", "binh": "mat-khau-cua-binh-1",
             "lan": "mat-khau-cua-lan-1"}


def staff_and_units(sessions) -> None:
    with sessions() as db, db.begin():
        units.add_unit(db, "UBND phường Tân Mai", kind="xa", code="tan-mai")
        units.add_unit(db, "Sở Tư pháp", kind="co_quan", code="so-tu-phap")
        for username, name, role in (("thu", "Lê Thị Thu", "staff"), ("an", "Phạm Văn An", "staff"),
                                     ("binh", "Đỗ Thanh Bình", "staff"), ("lan", "Nguyễn Thị Lan", "admin")):
            add_user(db, username, PASSWORDS[username], role=role, display_name=name, coordinator_desk=False)
        units.grant(db, "thu", "tan-mai", "tiep_nhan")
        units.grant(db, "an", "tan-mai", "xu_ly")
        units.grant(db, "binh", "so-tu-phap", "xu_ly")


def login(browser, url: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{url}/staff/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_selector("text=Hộp thư phản ánh, kiến nghị")
    return context, page


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUTPUT / f"walk-{name}.png"), full_page=True)


def outbox_status(sessions, text: str) -> str:
    with sessions() as db:
        return db.query(outbox.OutboxMessage).filter(outbox.OutboxMessage.text.contains(text)).one().status


def test_acceptance_walkthrough_of_the_staff_web(wire, sessions, monkeypatch):
    from playwright.sync_api import sync_playwright

    srv, _, _, zalo_api, _ = wire
    url = srv.url
    OUTPUT.mkdir(exist_ok=True)
    staff_and_units(sessions)

    # --- intake from a Zalo chat, on the day before the Tết holiday --------------------------------
    zalo_say(wire, CITIZEN, "Tôi muốn phản ánh")
    zalo_say(wire, CITIZEN, STORY)
    assert "1. Gửi" in zalo_say(wire, CITIZEN, "không")
    with monkeypatch.context() as clock:
        clock.setattr(service, "utcnow", lambda: BEFORE_TET)  # the service's clock, for this message only
        saved = zalo_say(wire, CITIZEN, "1")
    reference = re.search(r"PA-2027-[A-Z0-9]{6}", saved).group(0)
    assert f"Hạn trả lời dự kiến: {DUE}" in saved
    with sessions() as db:
        record = db.query(FeedbackRecord).filter_by(reference=reference).one()
        assert record.unit.code == "tan-mai" and record.channel == "zalo" and record.chat_id == CITIZEN
        record_id = record.id
    status = zalo_say(wire, CITIZEN, f"/tracuu {reference}")
    assert reference in status and DUE in status and DUE_WITHOUT_HOLIDAYS not in status
    record_url = f"{url}/staff/records/{record_id}"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        # --- the clerk of unit A: the record is in their inbox; assign it to the handler ----------
        _, clerk = login(browser, url, "thu")
        assert reference in clerk.content()
        shot(clerk, "1-clerk-inbox")
        clerk.goto(record_url)
        body = clerk.content()
        assert "UBND phường Tân Mai" in body and f"Hạn trả lời:</strong> {DUE}" in body
        clerk.select_option("form[action$='/assign'] select[name=assignee]", label="Phạm Văn An")
        clerk.click("form[action$='/assign'] button")
        clerk.wait_for_selector("text=Đã giao xử lý")

        # --- the handler: internal note, then a reply that Zalo's window holds --------------------
        with sessions() as db, db.begin():  # the citizen last wrote more than 48 hours ago
            db.query(ConversationRow).filter_by(channel="zalo", user_id=CITIZEN).update(
                {"last_user_message_at": outbox.utcnow() - dt.timedelta(hours=49)})
        sent_before = len(zalo_texts(zalo_api, CITIZEN))
        _, handler = login(browser, url, "an")
        handler.click("text=Của tôi")
        handler.click(f"text={reference}")
        handler.fill("form[action$='/notes'] textarea[name=text]", NOTE)
        handler.click("form[action$='/notes'] button")
        handler.wait_for_selector("text=Đã lưu ghi chú nội bộ")
        assert NOTE in handler.content()
        handler.fill("form[action$='/reply'] textarea[name=text]", REPLY)
        handler.click("form[action$='/reply'] button")
        handler.wait_for_selector("text=Đã gửi trả lời")
        assert wait_for(lambda: outbox_status(sessions, REPLY) == outbox.HELD)
        handler.reload()
        assert handler.inner_text(".delivery.held .badge") == "Đang chờ cửa sổ Zalo (48 giờ)"
        assert "Đã trả lời" in handler.inner_text("h2")
        shot(handler, "2-reply-held")
        assert len(zalo_texts(zalo_api, CITIZEN)) == sent_before  # nothing reached the citizen yet

        # --- the citizen writes again: the held reply goes out by itself ---------------------------
        zalo_say(wire, CITIZEN, "Cho tôi hỏi phản ánh của tôi đã có kết quả chưa ạ")
        assert wait_for(lambda: any(REPLY in t for t in zalo_texts(zalo_api, CITIZEN)))
        # the API receives the text before the worker commits "sent": wait for the row, not the wire
        assert wait_for(lambda: outbox_status(sessions, REPLY) == outbox.SENT)
        assert not any(NOTE in t for t in zalo_texts(zalo_api, CITIZEN))
        with sessions() as db:
            assert not db.query(outbox.OutboxMessage).filter(outbox.OutboxMessage.text.contains(NOTE)).count()
        handler.reload()
        assert handler.inner_text(".delivery.sent .badge") == "Đã gửi" and not handler.locator(".delivery.held").count()
        shot(handler, "3-reply-sent")

        # --- reopened with a reason ------------------------------------------------------------------
        handler.fill("input[name=note][required]", REOPEN)
        handler.click("button:text-is('Mở lại')")
        handler.wait_for_selector("text=Đã cập nhật trạng thái")
        assert REOPEN in handler.content() and "Đang xử lý" in handler.inner_text("h2")

        # --- the clerk transfers it to unit B -------------------------------------------------------
        told_before = len(zalo_texts(zalo_api, CITIZEN))
        clerk.goto(record_url)
        clerk.select_option("form[action$='/transfer'] select[name=unit]", label="Sở Tư pháp")
        clerk.fill("form[action$='/transfer'] input[name=reason]", TRANSFER)
        clerk.click("form[action$='/transfer'] button")
        clerk.wait_for_selector("text=Đã chuyển hồ sơ sang đơn vị khác")
        assert reference not in clerk.content()  # back to the inbox, where it no longer is
        assert handler.goto(record_url).status == 404
        assert wait_for(lambda: len(zalo_texts(zalo_api, CITIZEN)) > told_before)
        told = zalo_texts(zalo_api, CITIZEN)[-1]
        assert reference in told and "Sở Tư pháp" in told and TRANSFER in told
        _, other = login(browser, url, "binh")
        assert reference in other.content()
        other.goto(record_url)
        assert "Sở Tư pháp" in other.content() and NOTE in other.content() and TRANSFER in other.content()
        shot(other, "4-unit-b")

        # --- the administrator: an account, then the audit log of this record -----------------------
        admin_context, admin = login(browser, url, "lan")
        admin.goto(f"{url}/staff/accounts")
        admin.fill("form[action$='/accounts'] input[name=username]", "hoa")
        admin.fill("form[action$='/accounts'] input[name=display_name]", "Vũ Thị Hoa")
        admin.click("form[action$='/accounts'] button")
        admin.wait_for_selector("text=Mật khẩu tạm của hoa")
        shot(admin, "5-accounts")
        admin.goto(f"{url}/staff/audit")
        admin.fill("input[name=record]", reference)
        admin.click("form.filters button")
        admin.wait_for_url(re.compile(r"/staff/audit\?.*record=PA-2027-"))
        rows = admin.locator("table tr").all_inner_texts()[1:]
        assert rows and all(reference in row for row in rows)
        assert any("Chuyển đơn vị" in row and "so-tu-phap" in row for row in rows)
        assert any("Mở lại hồ sơ" in row for row in rows)
        # the reasons are in the record's history, not in the log every administrator reads
        assert not any(TRANSFER in row or REOPEN in row for row in rows)
        assert not any("Tạo tài khoản" in row for row in rows)
        shot(admin, "6-audit")

        # --- logout: the copied session cookie is worth nothing -------------------------------------
        copied = admin_context.cookies()
        admin.click("text=Đăng xuất")
        admin.wait_for_selector("text=Đăng nhập cán bộ")
        thief = browser.new_context()
        thief.add_cookies(copied)
        stolen = thief.new_page()
        stolen.goto(f"{url}/staff/audit")
        assert "Đăng nhập cán bộ" in stolen.content() and "Nhật ký thao tác" not in stolen.content()
        browser.close()

    with sessions() as db:
        record = db.get(FeedbackRecord, record_id)
        assert record.unit.code == "so-tu-phap" and record.assignee_id is None and record.status == "in_progress"
        assert db.query(StaffUser).filter_by(username="hoa").one().display_name == "Vũ Thị Hoa"
    for name in ("1-clerk-inbox", "2-reply-held", "3-reply-sent", "4-unit-b", "5-accounts", "6-audit"):
        assert (OUTPUT / f"walk-{name}.png").stat().st_size > 10_000
