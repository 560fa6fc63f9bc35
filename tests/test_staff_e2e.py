"""End to end in real headless Chromium: log in, filter, assign, reply; the reply is queued for the
citizen's chat. Screenshots of the inbox and a record page are saved under test-output/."""

import os
import shutil
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from feedback import outbox, service
from feedback.auth import add_user
from feedback.models import FeedbackRecord
from feedback.web.app import WebConfig, create_staff_app

from .wire import LoopbackServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(os.environ.get("TTHC_TEST_OUTPUT", Path(__file__).parent.parent / "test-output"))
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


@pytest.fixture()
def site(tmp_path):
    from feedback.db import init_db, make_engine, session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'e2e.db'}")
    init_db(engine)
    sessions = session_factory(engine)
    with sessions() as db, db.begin():
        add_user(db, "lan", "mat-khau-cua-lan", role="admin", display_name="Nguyễn Thị Lan")
        add_user(db, "minh", "mat-khau-cua-minh", display_name="Trần Văn Minh")
        for i, (kind, text, channel, agency) in enumerate([
            ("phan_anh", "Nộp hồ sơ cấp đổi căn cước tại Công an phường Hòa Lạc hẹn 7 ngày nhưng gần một tháng chưa có thẻ.", "telegram", "Công an phường Hòa Lạc"),
            ("kien_nghi", "Đề nghị Bộ phận Một cửa UBND phường Tân Mai tiếp nhận hồ sơ sáng thứ Bảy.", "zalo", "UBND phường Tân Mai"),
            ("khen", "Cảm ơn chị cán bộ một cửa xã Hòa Bình hướng dẫn làm khai tử rất tận tình.", "zalo", "UBND xã Hòa Bình"),
        ]):
            service.create_record(db, service.Draft(kind=kind, content=text, channel=channel, chat_id=f"chat-{i}", agency=agency))
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="e2e-secret-" * 4, https_only=False)))])
    server = LoopbackServer(app).start()
    yield server.url, sessions
    server.stop()


def test_staff_logs_in_filters_assigns_and_replies_in_chromium(site):
    from playwright.sync_api import sync_playwright

    url, sessions = site
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page.goto(f"{url}/staff/")
        assert "Đăng nhập cán bộ" in page.content()
        page.fill("input[name=username]", "lan")
        page.fill("input[name=password]", "mat-khau-cua-lan")
        page.click("button[type=submit]")
        page.wait_for_selector("text=Hộp thư phản ánh, kiến nghị")
        page.screenshot(path=str(OUTPUT / "staff-inbox.png"), full_page=True)

        page.select_option("select[name=kind]", "phan_anh")
        page.click("form.filters button")
        page.wait_for_selector("text=(1 hồ sơ)")
        page.click("td a[href*='/staff/records/']")
        page.wait_for_selector("text=Nội dung")
        page.select_option("form[action$='/assign'] select[name=assignee]", label="Trần Văn Minh")
        page.click("form[action$='/assign'] button")
        page.wait_for_selector("text=Đã giao xử lý")
        page.fill("textarea[name=text]", "Công an phường đã kiểm tra: thẻ đã in xong, mời anh/chị nhận tại trụ sở từ ngày mai.")
        page.click("form[action$='/reply'] button")
        page.wait_for_selector("text=Đã gửi trả lời")
        page.screenshot(path=str(OUTPUT / "staff-record.png"), full_page=True)
        assert "Đã trả lời" in page.content() and "Trần Văn Minh" in page.content()
        browser.close()

    with sessions() as db:
        record = db.query(FeedbackRecord).filter_by(kind="phan_anh").one()
        assert record.status == "answered" and record.assignee.username == "minh"
        queued = db.query(outbox.OutboxMessage).one()
        assert queued.channel == "telegram" and queued.chat_id == "chat-0" and queued.status == outbox.PENDING
        assert "thẻ đã in xong" in queued.text
    assert (OUTPUT / "staff-inbox.png").stat().st_size > 10_000
    assert (OUTPUT / "staff-record.png").stat().st_size > 10_000
