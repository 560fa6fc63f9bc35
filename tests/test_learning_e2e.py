"""The review page 'Câu hỏi cần xử lý' in real headless Chromium: an editor sees the grouped misses,
teaches a whole group to a suggested procedure, undoes one decision and applies. Screenshot saved
under test-output/."""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount

from feedback import learning
from feedback.auth import add_user
from feedback.models import AuditEntry, QuestionLog
from feedback.web.app import WebConfig, create_staff_app

from .test_learning import FakeHooks
from .wire import LoopbackServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(os.environ.get("TTHC_TEST_OUTPUT", Path(__file__).parent.parent / "test-output"))
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


def test_editor_teaches_a_group_undoes_and_applies_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    from feedback.db import init_db, make_engine, session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'e2e.db'}")
    init_db(engine)
    sessions = session_factory(engine)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with sessions() as db, db.begin():
        add_user(db, "hoa", "mat-khau-cua-hoa", role="editor", display_name="Phạm Thị Hoa")
        for text in ("làm căn cước cho con 6 tuổi", "căn cước gắn chip cho bé ở đâu", "đổi căn cước hết hạn", "khai sinh muộn cho con"):
            db.add(QuestionLog(channel="telegram", text=text, intent="procedure", decision="decline", confidence=0.2, at=now))
    fake = FakeHooks()
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="e2e-secret-" * 4, https_only=False, learning=fake.hooks())))])
    server = LoopbackServer(app).start()
    OUTPUT.mkdir(exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
            page.goto(f"{server.url}/staff/login")
            page.fill("input[name=username]", "hoa")
            page.fill("input[name=password]", "mat-khau-cua-hoa")
            page.click("button[type=submit]")
            page.click("text=Câu hỏi cần xử lý")
            page.wait_for_selector("text=Nhóm 1 · 3 câu hỏi")
            page.screenshot(path=str(OUTPUT / "staff-learning.png"), full_page=True)
            first = page.locator("form.group").first
            assert first.locator("select[name=target]").input_value() == "procedure:1.000002"
            first.locator("button[value=teach]").click()
            page.wait_for_selector("text=Đã ghi 3 câu hỏi")
            page.locator("form.group").first.locator("button[value=out_of_scope]").click()
            page.wait_for_selector("text=Không có câu hỏi nào cần xử lý")
            page.locator("form[action*='/learning/undo/']").last.locator("button").click()
            page.wait_for_selector("text=Đã hoàn tác")
            page.click("#apply")
            page.wait_for_selector("text=đã áp dụng lúc")
            browser.close()
    finally:
        server.stop()
    with sessions() as db:
        live = db.scalars(select(learning.LearningDecision).where(learning.LearningDecision.undone_at.is_(None))).all()
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert sorted(d.action for d in live) == ["out_of_scope", "procedure", "procedure"]
    assert actions == ["learn_procedure", "learn_out_of_scope", "learn_undo", "learn_apply"]
    assert len(fake.applied[0]) == 3
    assert (OUTPUT / "staff-learning.png").stat().st_size > 10_000
