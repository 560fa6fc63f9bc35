"""Staff web hardening: out-of-range input gives 400 (never 500), one Vietnamese error page,
server-side sessions that logout/lock/disable/password change end, nothing personal or free text
from the URL on pages or in cookies, Secure cookies by default, security headers, and login
throttling per (username, client address) that cannot lock a colleague out from elsewhere."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from feedback import auth, service
from feedback.models import StaffSession
from feedback.web import app as web_app
from feedback.web.app import WebConfig, create_staff_app

PASSWORD = "mat-khau-rat-dai-1"
HUGE = 2**63


def make_app(sessions, **config) -> Starlette:
    config.setdefault("https_only", False)
    return Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40, **config)))])


@pytest.fixture()
def site(sessions):
    with sessions() as db, db.begin():
        auth.add_user(db, "canbo", PASSWORD, role="admin", display_name="Cán bộ Một")
        auth.add_user(db, "canbo2", PASSWORD, display_name="Cán bộ Hai")
        record = service.create_record(db, service.Draft(
            kind="phan_anh", content="Cán bộ hẹn trả kết quả nhưng quá hạn", channel="zalo", chat_id="z-1",
            agency="UBND xã Phú Lâm", contact_consent=True, contact_name="Lê Bình", contact_phone="0912345678"))
    return make_app(sessions), sessions, record.id


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client: TestClient, username: str = "canbo", password: str = PASSWORD):
    page = client.get("/staff/login")
    return client.post("/staff/login", data={"username": username, "password": password, "csrf": csrf_of(page.text)},
                       follow_redirects=False)


def logged_in(app, **kwargs) -> TestClient:
    client = TestClient(app, **kwargs)
    assert login(client).status_code == 303
    return client


# --- out-of-range input: 400 with the Vietnamese page, never 500 --------------------------------------

OUT_OF_RANGE = [
    f"/staff/records/{HUGE}", f"/staff/records/{10**40}", "/staff/?page=" + "9" * 40, "/staff/?page=0",
    "/staff/?page=abc", f"/staff/?assignee={HUGE}", "/staff/?from=2026-02-30", "/staff/?status=" + "x" * 500,
    "/staff/reports?period=0001", "/staff/reports?period=9999", "/staff/reports?period=0001-01-01..9999-12-31",
    "/staff/reports?period=ky:0001", "/staff/reports/bao-cao.xlsx?period=9999", "/staff/reports/hai-long.png?period=0001",
    "/staff/reports?agency=" + "x" * 500,
]


def test_out_of_range_parameters_give_400_not_500(site):
    app, _, _ = site
    client = logged_in(app)
    for url in OUT_OF_RANGE:
        response = client.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert re.search("không hợp lệ|nằm trong các năm|quá dài", response.text), url
    assert client.get("/staff/?page=3").status_code == 200  # past the last page: an empty list, not an error
    anonymous = TestClient(app)
    token = csrf_of(anonymous.get("/staff/login").text)
    response = anonymous.post("/staff/login", data={"username": "x" * 500, "password": "p", "csrf": token})
    assert response.status_code == 400 and "tên đăng nhập quá dài" in response.text


def test_out_of_range_ids_in_posts_give_400_and_change_nothing(site):
    app, sessions, record_id = site
    client = logged_in(app)
    token = csrf_of(client.get("/staff/").text)
    for what in ("status", "assign", "reply", "reveal"):
        response = client.post(f"/staff/records/{HUGE}/{what}", data={"csrf": token, "to": "accepted", "assignee": "1"})
        assert response.status_code == 400 and "mã hồ sơ không hợp lệ" in response.text, what


def test_bad_form_values_come_back_as_a_message_on_the_page(site):
    app, sessions, record_id = site
    client = logged_in(app)
    token = csrf_of(client.get(f"/staff/records/{record_id}").text)
    page = client.post(f"/staff/records/{record_id}/assign", data={"csrf": token, "assignee": str(HUGE)})
    assert page.status_code == 200 and "cán bộ được giao không hợp lệ" in page.text
    page = client.post("/staff/bulk-assign", data={"csrf": token, "assignee": "abc", "ids": [str(record_id)]})
    assert "cán bộ được giao không hợp lệ" in page.text
    page = client.post("/staff/bulk-assign", data={"csrf": token, "assignee": "1"})
    assert "chưa chọn hồ sơ nào" in page.text
    page = client.post(f"/staff/records/{record_id}/status", data={"csrf": token, "to": "accepted", "version": "9" * 30})
    assert "phiên bản hồ sơ không hợp lệ" in page.text
    with sessions() as db:
        record = db.get(service.FeedbackRecord, record_id)
        assert record.status == "new" and record.assignee_id is None


def test_unknown_pages_and_too_large_bodies_get_the_vietnamese_error_page(sessions, monkeypatch):
    with sessions() as db, db.begin():
        auth.add_user(db, "canbo", PASSWORD)
    monkeypatch.setattr(web_app, "MAX_UPLOAD_BYTES", 1024)
    client = logged_in(make_app(sessions))
    missing = client.get("/staff/khong-co-trang-nay")
    assert missing.status_code == 404 and "Không tìm thấy trang hoặc hồ sơ" in missing.text
    token = csrf_of(client.get("/staff/").text)
    big = client.post("/staff/templates", data={"csrf": token, "title": "T", "body": "x" * 3 * 1024 * 1024})
    assert big.status_code == 413 and "quá lớn" in big.text
    wrong_method = client.put("/staff/", data={"csrf": token})
    assert wrong_method.status_code == 405 and "không được hỗ trợ" in wrong_method.text


# --- sessions ------------------------------------------------------------------------------------------

def test_a_copied_cookie_is_useless_after_logout(site):
    app, sessions, _ = site
    client = logged_in(app)
    stolen = dict(client.cookies)
    token = csrf_of(client.get("/staff/").text)
    client.post("/staff/logout", data={"csrf": token})
    thief = TestClient(app, cookies=stolen)
    page = thief.get("/staff/")
    assert page.url.path == "/staff/login" and "Đăng nhập cán bộ" in page.text
    with sessions() as db:
        assert db.query(StaffSession).count() == 0


@pytest.mark.parametrize("act", ["lock", "disable", "password"])
def test_lock_disable_and_password_change_end_every_session(site, act):
    app, sessions, _ = site
    desk, phone = logged_in(app), logged_in(app)  # two devices of the same person
    colleague = TestClient(app)
    assert login(colleague, "canbo2").status_code == 303
    assert desk.get("/staff/").url.path == "/staff/"
    with sessions() as db, db.begin():
        {"lock": lambda: auth.lock_user(db, "canbo"), "disable": lambda: auth.disable_user(db, "canbo"),
         "password": lambda: auth.set_password(db, "canbo", "mat-khau-moi-hoan-toan")}[act]()
    for client in (desk, phone):
        assert client.get("/staff/").url.path == "/staff/login", act
    assert colleague.get("/staff/").url.path == "/staff/"  # a colleague's session is not touched


def test_a_locked_session_row_is_refused_even_if_the_lock_was_written_elsewhere(site):
    """A lock written straight into the database (another tool) still ends the session at the next request."""
    app, sessions, _ = site
    client = logged_in(app)
    import datetime as dt

    with sessions() as db, db.begin():
        user = db.query(service.StaffUser).filter_by(username="canbo").one()
        user.locked_until = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1)
    assert client.get("/staff/").url.path == "/staff/login"


def test_no_personal_data_in_cookies_and_no_notice_from_the_url(site):
    app, sessions, record_id = site
    client = logged_in(app)
    page = client.get(f"/staff/records/{record_id}")
    revealed = client.post(f"/staff/records/{record_id}/reveal", data={"csrf": csrf_of(page.text)})
    assert "0912345678" in revealed.text and "Lê Bình" in revealed.text
    for response in [*revealed.history, revealed]:
        assert "0912345678" not in response.headers.get("set-cookie", "")
    assert set(client.cookies.keys()) == {"tthc_staff"}
    assert len(client.cookies["tthc_staff"]) < 60  # a random token: nothing else fits
    with sessions() as db:
        data = [row.data for row in db.query(StaffSession)]
    assert "0912345678" not in str(data) and "Lê Bình" not in str(data)
    fake = client.get("/staff/?msg=Thông báo: nộp phạt qua số tài khoản 123&error=Lỗi giả")
    assert "Thông báo: nộp phạt" not in fake.text and "Lỗi giả" not in fake.text
    fake = client.get(f"/staff/records/{record_id}?msg=Thông báo giả")
    assert "Thông báo giả" not in fake.text


# --- cookies and headers --------------------------------------------------------------------------------

def test_cookies_are_secure_by_default_and_not_on_plain_http_when_told(sessions):
    with sessions() as db, db.begin():
        auth.add_user(db, "canbo", PASSWORD)
    secure_app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40)))])
    client = TestClient(secure_app, base_url="https://testserver")
    response = login(client)
    assert response.status_code == 303
    session_cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("tthc_staff=")][0].lower()
    assert "secure" in session_cookie and "httponly" in session_cookie and "samesite=lax" in session_cookie
    assert client.get("/staff/").url.path == "/staff/"
    plain = TestClient(make_app(sessions))
    response = login(plain)
    assert all("secure" not in c.lower() for c in response.headers.get_list("set-cookie"))


def test_security_headers_on_pages_and_error_pages(site):
    app, _, record_id = site
    client = logged_in(app)
    for url in ["/staff/login", "/staff/", f"/staff/records/{record_id}", f"/staff/records/{HUGE}", "/staff/khong-co"]:
        headers = client.get(url).headers
        assert headers["x-frame-options"] == "DENY", url
        assert headers["referrer-policy"] == "no-referrer", url
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'nonce-" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    page = client.get(f"/staff/records/{record_id}")
    nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["content-security-policy"]).group(1)
    assert "onchange=" not in page.text and all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script[^>]*>", page.text))


# --- login throttling -----------------------------------------------------------------------------------

def test_same_message_for_wrong_password_unknown_user_and_locked_account(site):
    app, sessions, _ = site
    client = TestClient(app)
    wrong = login(client, password="sai-mat-khau-1")
    unknown = login(client, username="khong-ton-tai")
    with sessions() as db, db.begin():
        auth.lock_user(db, "canbo2")
    locked = login(client, username="canbo2")  # right password, locked account
    texts = {re.search(r'<div class="err">([^<]+)</div>', r.text).group(1) for r in (wrong, unknown, locked)}
    assert len(texts) == 1 and all(r.status_code == 401 for r in (wrong, unknown, locked))


def test_failures_from_one_address_do_not_lock_the_owner_out_from_another(site):
    app, _, _ = site
    attacker = TestClient(app, client=("203.0.113.9", 40000))
    for _ in range(auth.MAX_FAILURES + 2):
        assert login(attacker, password="doan-mo-mat-khau").status_code == 401
    assert login(attacker).status_code == 401  # the right password from the throttled address waits too
    owner = TestClient(app, client=("10.1.2.3", 50000))
    assert login(owner).status_code == 303 and owner.get("/staff/").url.path == "/staff/"


def test_backoff_grows_and_a_success_resets_it(sessions):
    import datetime as dt

    with sessions() as db, db.begin():
        auth.add_user(db, "canbo", PASSWORD)
    start = dt.datetime(2026, 12, 1, 8, 0)
    waits = []
    for i in range(auth.MAX_FAILURES + 3):
        now = start + dt.timedelta(hours=i)  # each try after the previous wait ended
        with sessions() as db, db.begin():
            result = auth.authenticate(db, "canbo", "sai", now=now, address="1.2.3.4")
            row = db.query(auth.LoginThrottle).one()
            waits.append((row.locked_until - now).total_seconds() / 60 if row.locked_until else 0)
        assert result.user is None
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8]
    with sessions() as db, db.begin():
        later = start + dt.timedelta(hours=20)
        assert auth.authenticate(db, "canbo", PASSWORD, now=later, address="1.2.3.4").user is not None
        assert db.query(auth.LoginThrottle).count() == 0
