"""Accounts, audit and catalogue administration pages over HTTP: administrators only, every act audited,
disable / lock / password reset end live sessions, unlock clears the login throttle, the audit log
filters, and the catalogue validation report stays on the server, in Vietnamese, without paths."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from feedback import auth, service
from feedback.models import AuditEntry, LoginThrottle, StaffSession, StaffUser
from feedback.web.app import AdminHooks, WebConfig, create_staff_app

PASSWORD = "mat-khau-rat-dai-1"
NEW_PASSWORD = "mat-khau-moi-dai-2"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/staff/login")
    return client.post("/staff/login", data={"username": username, "password": password, "csrf": csrf_of(page.text)},
                       follow_redirects=False)


def logged_in(app, username: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    assert login(client, username, password).status_code == 303
    return client


def token(client: TestClient) -> str:
    return csrf_of(client.get("/staff/").text)


def uid(sessions, username: str) -> int:
    with sessions() as db:
        return db.scalar(select(StaffUser.id).where(StaffUser.username == username))


def audit_actions(sessions) -> list[str]:
    with sessions() as db:
        return [a.action for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture()
def site(sessions):
    with sessions() as db, db.begin():
        auth.add_user(db, "quantri", PASSWORD, role="admin", display_name="Quản trị")
        auth.add_user(db, "canbo", PASSWORD, display_name="Cán bộ Một")
        auth.add_user(db, "bientap", PASSWORD, role="editor")
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40, https_only=False)))])
    return app, sessions


# --- who may -------------------------------------------------------------------------------------------

def test_non_admins_get_403_on_every_accounts_and_audit_url(site):
    app, sessions = site
    target = uid(sessions, "canbo")
    for username in ("canbo", "bientap"):
        client = logged_in(app, username)
        csrf = token(client)
        for url in ("/staff/accounts", "/staff/audit", "/staff/audit?actor=quantri&page=2"):
            assert client.get(url).status_code == 403, (username, url)
        posts = {"/staff/accounts": {"username": "moi", "role": "admin", "password": NEW_PASSWORD},
                 **{f"/staff/accounts/{target}/{act}": {"role": "admin", "password": NEW_PASSWORD}
                    for act in ("disable", "enable", "lock", "unlock", "password", "role")}}
        for url, data in posts.items():
            response = client.post(url, data={"csrf": csrf, **data})
            assert response.status_code == 403 and "không có quyền" in response.text, (username, url)
    with sessions() as db:
        assert db.scalar(select(StaffUser).where(StaffUser.username == "moi")) is None
        assert db.get(StaffUser, target).role == "staff"
    assert audit_actions(sessions) == []
    anonymous = TestClient(app)
    assert anonymous.get("/staff/accounts").url.path == "/staff/login"


# --- acts ----------------------------------------------------------------------------------------------

def test_list_shows_accounts_and_create_with_a_generated_password_shown_once(site):
    app, sessions = site
    admin = logged_in(app, "quantri")
    page = admin.get("/staff/accounts")
    assert page.status_code == 200 and "Cán bộ Một" in page.text and "Chưa đăng nhập" in page.text
    created = admin.post("/staff/accounts", data={"csrf": token(admin), "username": "Moi.CanBo", "display_name": "Cán bộ Mới",
                                                  "role": "staff", "password": ""})
    generated = re.search(r"<code>([^<]+)</code>", created.text).group(1)
    assert created.status_code == 200 and "chỉ hiện một lần" in created.text and len(generated) >= 16
    assert created.headers["cache-control"] == "no-store"
    assert generated not in admin.get("/staff/accounts").text  # once: not on the next page
    assert login(TestClient(app), "moi.canbo", generated).status_code == 303
    duplicate = admin.post("/staff/accounts", data={"csrf": token(admin), "username": "moi.canbo", "password": NEW_PASSWORD})
    assert "tên đăng nhập đã tồn tại" in duplicate.text
    with sessions() as db:
        detail = db.scalar(select(AuditEntry.detail).where(AuditEntry.action == "account_create"))
    assert "moi.canbo" in detail and generated not in detail
    listing = admin.get("/staff/accounts").text
    assert "Chưa đăng nhập" in listing  # bientap never logged in
    assert re.search(r"moi\.canbo</td>.*?\d\d/\d\d/\d{4} \d\d:\d\d", listing, re.S)  # last login shown


def test_disable_ends_a_live_session_and_enable_restores_login(site):
    app, sessions = site
    victim = logged_in(app, "canbo")
    copied = dict(victim.cookies)
    admin = logged_in(app, "quantri")
    target = uid(sessions, "canbo")
    page = admin.post(f"/staff/accounts/{target}/disable", data={"csrf": token(admin)})
    assert "Đã vô hiệu hóa canbo" in page.text and "Đã vô hiệu hóa</span>" in page.text
    thief = TestClient(app, cookies=copied)
    assert thief.get("/staff/").url.path == "/staff/login"
    with sessions() as db:
        assert db.scalar(select(StaffSession).where(StaffSession.user_id == target)) is None
    assert login(TestClient(app), "canbo").status_code == 401
    admin.post(f"/staff/accounts/{target}/enable", data={"csrf": token(admin)})
    assert login(TestClient(app), "canbo").status_code == 303
    assert audit_actions(sessions) == ["account_disable", "account_enable"]


def test_reset_password_ends_sessions_old_password_fails_new_one_works(site):
    app, sessions = site
    victim = logged_in(app, "canbo")
    copied = dict(victim.cookies)
    admin = logged_in(app, "quantri")
    target = uid(sessions, "canbo")
    short = admin.post(f"/staff/accounts/{target}/password", data={"csrf": token(admin), "password": "ngan"})
    assert "ít nhất 10 ký tự" in short.text
    assert TestClient(app, cookies=copied).get("/staff/").url.path == "/staff/"  # a refused reset changed nothing
    page = admin.post(f"/staff/accounts/{target}/password", data={"csrf": token(admin), "password": NEW_PASSWORD})
    assert "Đã đặt mật khẩu tạm cho canbo" in page.text and NEW_PASSWORD not in page.text
    assert TestClient(app, cookies=copied).get("/staff/").url.path == "/staff/login"
    assert login(TestClient(app), "canbo", PASSWORD).status_code == 401
    assert login(TestClient(app), "canbo", NEW_PASSWORD).status_code == 303
    generated_page = admin.post(f"/staff/accounts/{target}/password", data={"csrf": token(admin), "password": ""})
    generated = re.search(r"<code>([^<]+)</code>", generated_page.text).group(1)
    assert login(TestClient(app), "canbo", NEW_PASSWORD).status_code == 401
    assert login(TestClient(app), "canbo", generated).status_code == 303
    with sessions() as db:
        details = list(db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "account_password_reset")))
    assert len(details) == 2 and not any(NEW_PASSWORD in d or generated in d for d in details)


def test_unlock_clears_the_login_throttle_and_an_admin_lock(site):
    app, sessions = site
    for _ in range(auth.MAX_FAILURES):
        assert login(TestClient(app), "canbo", "sai-mat-khau-1").status_code == 401
    assert login(TestClient(app), "canbo").status_code == 401  # throttled: even the right password waits
    admin = logged_in(app, "quantri")
    listing = admin.get("/staff/accounts").text
    assert "Tạm khóa do đăng nhập sai" in listing
    target = uid(sessions, "canbo")
    admin.post(f"/staff/accounts/{target}/unlock", data={"csrf": token(admin)})
    with sessions() as db:
        assert db.scalar(select(LoginThrottle).where(LoginThrottle.username == "canbo")) is None
    victim = logged_in(app, "canbo")
    admin.post(f"/staff/accounts/{target}/lock", data={"csrf": token(admin)})
    assert victim.get("/staff/").url.path == "/staff/login"
    assert "Khóa bởi quản trị" in admin.get("/staff/accounts").text
    assert login(TestClient(app), "canbo").status_code == 401
    admin.post(f"/staff/accounts/{target}/unlock", data={"csrf": token(admin)})
    assert login(TestClient(app), "canbo").status_code == 303
    assert audit_actions(sessions) == ["account_unlock", "account_lock", "account_unlock"]


def test_role_change_takes_effect_at_once_and_the_last_admin_is_kept(site):
    app, sessions = site
    colleague = logged_in(app, "canbo")
    assert colleague.get("/staff/accounts").status_code == 403
    admin = logged_in(app, "quantri")
    target = uid(sessions, "canbo")
    admin.post(f"/staff/accounts/{target}/role", data={"csrf": token(admin), "role": "admin"})
    assert colleague.get("/staff/accounts").status_code == 200  # the same session, the new role
    bad = admin.post(f"/staff/accounts/{target}/role", data={"csrf": token(admin), "role": "root"})
    assert "vai trò không hợp lệ" in bad.text
    own = admin.post(f"/staff/accounts/{uid(sessions, 'quantri')}/disable", data={"csrf": token(admin)})
    assert "tài khoản anh/chị đang dùng" in own.text
    admin.post(f"/staff/accounts/{target}/role", data={"csrf": token(admin), "role": "staff"})
    assert colleague.get("/staff/accounts").status_code == 403
    with sessions() as db:
        assert db.get(StaffUser, target).role == "staff"
        details = list(db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "account_role")))
    assert details == ["tài khoản canbo: staff → admin", "tài khoản canbo: admin → staff"]


def test_the_last_active_admin_cannot_be_demoted_or_disabled(sessions):
    from feedback import accounts

    with sessions() as db, db.begin():
        only = auth.add_user(db, "quantri", PASSWORD, role="admin")
    for act in (lambda db: accounts.set_role(db, "cli", only.id, "staff"), lambda db: accounts.disable(db, "cli", only.id),
                lambda db: accounts.lock(db, "cli", only.id)):
        with sessions() as db, db.begin(), pytest.raises(service.InvalidInput, match="quản trị viên cuối cùng"):
            act(db)


# --- audit page ----------------------------------------------------------------------------------------

def test_audit_page_filters_pages_and_shows_no_personal_data(site):
    app, sessions = site
    with sessions() as db, db.begin():
        record = service.create_record(db, service.Draft(
            kind="phan_anh", content="Nội dung riêng của người dân", channel="zalo", chat_id="z-9",
            contact_consent=True, contact_name="Lê Bình", contact_phone="0912345678"))
        service.reveal_contact(db, record.id, "canbo")
        for n in range(60):
            db.add(AuditEntry(actor="canbo", action="report_download", detail=f"bao-cao-{n}.xlsx 2026-{n % 12 + 1:02d}"))
        db.add(AuditEntry(actor="bientap", action="save_template", detail="gọi 0912 345 678 hoặc le@example.com"))
    admin = logged_in(app, "quantri")
    page = admin.get("/staff/audit")
    assert page.status_code == 200 and "62 mục" in page.text and "Trang 1/2" in page.text
    assert "gọi [số điện thoại đã ẩn] hoặc [e-mail đã ẩn]" in page.text  # newest first: on page 1
    for secret in ("0912345678", "0912 345 678", "le@example.com", "Lê Bình", "Nội dung riêng", "z-9"):
        assert secret not in page.text
    by_record = admin.get(f"/staff/audit?record={record.reference}")
    assert "1 mục" in by_record.text and "Xem thông tin liên hệ" in by_record.text and record.reference in by_record.text
    assert "1 mục" in admin.get(f"/staff/audit?record={record.id}").text
    assert "0 mục" in admin.get("/staff/audit?record=PA-2026-ZZZZZZ").text
    by_actor = admin.get("/staff/audit?actor=bientap")
    assert "1 mục" in by_actor.text and "Lưu mẫu trả lời" in by_actor.text
    by_action = admin.get("/staff/audit?action=report_download&page=2")
    assert "60 mục" in by_action.text and "Trang 2/2" in by_action.text
    assert by_action.text.count("Tải báo cáo</td>") == 10 and "bao-cao-9.xlsx" in by_action.text  # oldest last
    assert admin.get("/staff/audit?page=0").status_code == 400
