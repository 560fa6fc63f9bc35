"""Staff web through an HTTP client: login, CSRF, crawl without a session, actions, escaping."""

import re

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from feedback import outbox, service
from feedback.auth import add_user
from feedback.models import AuditEntry, FeedbackRecord
from feedback.web.app import WebConfig, create_staff_app

PASSWORD = "mat-khau-rat-dai-1"


@pytest.fixture()
def web(sessions):
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40, https_only=False)))])
    with sessions() as db, db.begin():
        add_user(db, "canbo", PASSWORD, role="admin", display_name="Cán bộ Một")
        add_user(db, "canbo2", PASSWORD, display_name="Cán bộ Hai")
        record = service.create_record(db, service.Draft(
            kind="phan_anh", content="<script>alert('x')</script> cán bộ thu tiền không có biên lai", channel="zalo",
            chat_id="2468458835291979221", procedure_code="2.000815", procedure_name="Chứng thực bản sao",
            agency="UBND xã Phú Lâm", contact_consent=True, contact_name="Lê Bình", contact_phone="0912345678"))
    return TestClient(app, base_url="http://testserver"), sessions, record.id


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client: TestClient, username: str = "canbo", password: str = PASSWORD):
    page = client.get("/staff/login")
    return client.post("/staff/login", data={"username": username, "password": password, "csrf": csrf_of(page.text)},
                       follow_redirects=False)


def test_every_staff_route_without_a_session_gets_the_login_page(web):
    client, _, record_id = web
    gets = ["/staff/", f"/staff/records/{record_id}", "/staff/templates", "/staff/?status=new&q=x"]
    posts = [f"/staff/records/{record_id}/status", f"/staff/records/{record_id}/assign", f"/staff/records/{record_id}/reply",
             f"/staff/records/{record_id}/reveal", "/staff/bulk-assign", "/staff/templates"]
    for url in gets:
        response = client.get(url)
        assert response.url.path == "/staff/login" and "Đăng nhập cán bộ" in response.text, url
    for url in posts:
        response = client.post(url, data={"csrf": "x"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/staff/login", url


def test_login_sets_a_safe_cookie_and_wrong_password_is_refused(web):
    client, _, _ = web
    assert login(client, password="wrong-password").status_code == 401
    response = login(client)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_posts_without_the_csrf_token_are_refused(web):
    client, sessions, record_id = web
    login(client)
    response = client.post(f"/staff/records/{record_id}/status", data={"to": "accepted"}, follow_redirects=False)
    assert response.status_code == 403
    page = client.get("/staff/login")
    assert client.post("/staff/login", data={"username": "canbo", "password": PASSWORD}).status_code == 403
    with sessions() as db:
        assert db.get(FeedbackRecord, record_id).status == "new"


def test_inbox_filters_and_escapes_citizen_text(web):
    client, _, record_id = web
    login(client)
    page = client.get("/staff/?channel=zalo&kind=phan_anh")
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert "Chứng thực bản sao" in page.text
    empty = client.get("/staff/?channel=telegram")
    assert "Không có hồ sơ phù hợp" in empty.text


def test_record_page_masks_contact_until_revealed_and_logs_it(web):
    client, sessions, record_id = web
    login(client)
    page = client.get(f"/staff/records/{record_id}")
    assert "0912345678" not in page.text and "•••••••678" in page.text
    revealed = client.post(f"/staff/records/{record_id}/reveal", data={"csrf": csrf_of(page.text)})  # → record page
    assert "0912345678" in revealed.text
    assert "0912345678" not in client.get(f"/staff/records/{record_id}").text  # shown once
    with sessions() as db:
        assert db.query(AuditEntry).filter_by(action="reveal_contact").count() == 1


def test_assign_change_status_reply_and_queue_for_the_citizen(web):
    client, sessions, record_id = web
    login(client)
    page = client.get(f"/staff/records/{record_id}")
    token = csrf_of(page.text)
    with sessions() as db:
        staff2 = db.query(service.StaffUser).filter_by(username="canbo2").one().id
        version = db.get(FeedbackRecord, record_id).version
    client.post(f"/staff/records/{record_id}/assign", data={"csrf": token, "assignee": staff2})
    client.post(f"/staff/records/{record_id}/status", data={"csrf": token, "to": "accepted", "version": version + 1})
    with sessions() as db:
        version = db.get(FeedbackRecord, record_id).version
    response = client.post(f"/staff/records/{record_id}/reply",
                           data={"csrf": token, "text": "UBND xã đã kiểm tra và hoàn trả khoản thu sai.", "version": version})
    assert "Đã gửi trả lời" in response.text
    with sessions() as db:
        record = db.get(FeedbackRecord, record_id)
        assert record.status == "answered" and record.assignee.username == "canbo2"
        queued = db.query(outbox.OutboxMessage).one()
        assert queued.channel == "zalo" and queued.chat_id == "2468458835291979221" and "hoàn trả" in queued.text


def test_invalid_transition_and_stale_form_show_a_clear_message(web):
    client, sessions, record_id = web
    login(client)
    token = csrf_of(client.get(f"/staff/records/{record_id}").text)
    response = client.post(f"/staff/records/{record_id}/status", data={"csrf": token, "to": "closed"})
    assert "không chuyển được" in response.text
    response = client.post(f"/staff/records/{record_id}/status", data={"csrf": token, "to": "accepted", "version": "999"})
    assert "người khác cập nhật" in response.text


def test_bulk_assign_and_templates(web):
    client, sessions, record_id = web
    login(client)
    token = csrf_of(client.get("/staff/").text)
    with sessions() as db:
        staff2 = db.query(service.StaffUser).filter_by(username="canbo2").one().id
    response = client.post("/staff/bulk-assign", data={"csrf": token, "ids": [record_id], "assignee": staff2})
    assert "Đã giao 1 hồ sơ" in response.text
    client.post("/staff/templates", data={"csrf": token, "title": "Đã tiếp nhận", "body": "Cơ quan đã tiếp nhận phản ánh."})
    assert "Cơ quan đã tiếp nhận phản ánh." in client.get(f"/staff/records/{record_id}").text
