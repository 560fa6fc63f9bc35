"""The units page and unit memberships on the accounts page, over HTTP: administrators only (403 for
anyone else, GET and POST), create / edit / deactivate a unit (refused while it holds open records),
grant and revoke a unit role with effect on the user's next request, and the audit log: every staff
act on a record (assign, reply, internal note, status change single and bulk, transfer, contact
reveal, attachment view) leaves one row with a Vietnamese label and none of the citizen's data."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from feedback import attachments, audit, service, units
from feedback.attachment_files import store
from feedback.auth import add_user
from feedback.models import AuditEntry, FeedbackRecord, StaffUser, Unit, UnitMember
from feedback.unit_routing import suggest_unit
from feedback.web.app import WebConfig, create_staff_app

PASSWORD = "mat-khau-rat-dai-1"
NAME, PHONE = "Lê Thị Bình", "0912345678"
PHONE_FORMS = (PHONE, "0912 345 678", "912345678")


def csrf_of(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def client_for(app, username: str) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303
    return client


def token(client: TestClient) -> str:
    return csrf_of(client.get("/staff/").text)


def draft(**kw) -> service.Draft:
    values = dict(kind="phan_anh", content="Bộ phận một cửa hẹn trả kết quả ba lần vẫn chưa có", channel="zalo",
                  chat_id="citizen-1")
    return service.Draft(**{**values, **kw})


@pytest.fixture()
def site(sessions, tmp_path):
    """Unit A (xã Phú Lâm) holding one open record with the citizen's contact, unit B (công an Hòa
    Lạc); a province administrator, a staff member in no unit yet, an editor."""
    with sessions() as db, db.begin():
        a = units.add_unit(db, "UBND xã Phú Lâm", kind="xa", keywords="Phú Lâm cũ")
        b = units.add_unit(db, "Công an phường Hòa Lạc", kind="co_quan", keywords="CA Hòa Lạc")
        add_user(db, "quantri", PASSWORD, role="admin", display_name="Quản trị tỉnh")
        add_user(db, "canbo", PASSWORD, display_name="Cán bộ Một", coordinator_desk=False)
        add_user(db, "bientap", PASSWORD, role="editor", coordinator_desk=False)
        record = service.create_record(db, draft(agency="UBND xã Phú Lâm", contact_consent=True, contact_name=NAME,
                                                 contact_phone=PHONE))
        assert record.unit_id == a.id
        ids = {"a": a.id, "b": b.id, "record": record.id, "reference": record.reference,
               "canbo": db.scalar(select(StaffUser.id).where(StaffUser.username == "canbo"))}
    files = tmp_path / "files"
    config = WebConfig(secret_key="p" * 40, https_only=False, attachment_dir=files)
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, config))])
    return app, sessions, ids, files


def audit_rows(sessions, **where) -> list[AuditEntry]:
    with sessions() as db:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEntry, key) == value)
        return list(db.scalars(query))


def unit(sessions, unit_id: int) -> Unit:
    with sessions() as db:
        return db.get(Unit, unit_id)


# --- who may ---------------------------------------------------------------------------------------
def test_non_admins_get_403_on_every_units_and_membership_url(site):
    app, sessions, ids, _ = site
    before = len(audit_rows(sessions))
    for username in ("canbo", "bientap"):
        client = client_for(app, username)
        csrf = token(client)
        assert client.get("/staff/units").status_code == 403, username
        assert "Đơn vị</a>" not in client.get("/staff/").text  # not in their navigation either
        posts = {
            "/staff/units": {"name": "UBND xã Mới", "kind": "xa"},
            f"/staff/units/{ids['a']}/edit": {"name": "Tên khác", "keywords": "x"},
            f"/staff/units/{ids['a']}/deactivate": {},
            f"/staff/units/{ids['a']}/activate": {},
            f"/staff/accounts/{ids['canbo']}/grant": {"unit": "ubnd-xa-phu-lam", "role": "quan_tri"},
            f"/staff/accounts/{ids['canbo']}/revoke": {"unit": "ubnd-xa-phu-lam"},
        }
        for url, data in posts.items():
            response = client.post(url, data={"csrf": csrf, **data})
            assert response.status_code == 403 and "không có quyền" in response.text, (username, url)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Unit)) == 3  # the coordinator queue, A and B
        assert db.get(Unit, ids["a"]).name == "UBND xã Phú Lâm" and db.get(Unit, ids["a"]).active
        assert db.scalar(select(func.count()).select_from(UnitMember).where(UnitMember.user_id == ids["canbo"])) == 0
    assert len(audit_rows(sessions)) == before
    assert TestClient(app).get("/staff/units").url.path == "/staff/login"


# --- the units page --------------------------------------------------------------------------------
def test_create_edit_deactivate_and_reactivate_a_unit_each_audited(site):
    app, sessions, ids, _ = site
    admin = client_for(app, "quantri")
    listing = admin.get("/staff/units")
    assert listing.status_code == 200 and "Phú Lâm cũ" in listing.text and "CA Hòa Lạc" in listing.text
    row = re.search(r"ubnd-xa-phu-lam</code>.*?</tr>", listing.text, re.S).group(0)
    assert "Xã/phường" in row and re.search(r"<td>0</td>\s*<td>1</td>", row)  # no member, one open record

    created = admin.post("/staff/units", data={"csrf": token(admin), "name": "  UBND phường  Tân Mai ", "kind": "xa",
                                               "code": "", "keywords": "Tân Mai\nphường Tân Mai cũ"})
    assert "Đã tạo đơn vị UBND phường Tân Mai (mã ubnd-phuong-tan-mai)" in created.text
    assert "Tân Mai, phường Tân Mai cũ" in created.text
    assert "đã có" in admin.post("/staff/units", data={"csrf": token(admin), "name": "UBND phường Tân Mai"}).text
    assert "chưa nhập tên đơn vị" in admin.post("/staff/units", data={"csrf": token(admin), "name": " "}).text
    assert "loại đơn vị phải là" in admin.post("/staff/units", data={"csrf": token(admin), "name": "Điều phối 2",
                                                                      "kind": "dieu_phoi"}).text
    with sessions() as db:
        new = db.scalar(select(Unit).where(Unit.code == "ubnd-phuong-tan-mai"))
        new_id = new.id
        assert (new.kind, new.active) == ("xa", True)

    edited = admin.post(f"/staff/units/{new_id}/edit", data={"csrf": token(admin), "name": "UBND phường Tân Mai (mới)",
                                                             "keywords": "Tân Mai, chợ Tân Mai"})
    assert "Đã lưu đơn vị UBND phường Tân Mai (mới)" in edited.text
    assert "không có gì thay đổi" in admin.post(f"/staff/units/{new_id}/edit", data={
        "csrf": token(admin), "name": "UBND phường Tân Mai (mới)", "keywords": "Tân Mai, chợ Tân Mai"}).text
    with sessions() as db:  # the keywords are what intake routes by
        assert suggest_unit(db, text="bảo vệ ở chợ Tân Mai thu tiền gửi xe").unit_id == new_id

    off = admin.post(f"/staff/units/{new_id}/deactivate", data={"csrf": token(admin)})
    assert "Đã ngừng hoạt động đơn vị" in off.text and "Ngừng hoạt động</span>" in off.text
    assert not unit(sessions, new_id).active
    with sessions() as db:  # no longer a destination of intake
        assert suggest_unit(db, text="bảo vệ ở chợ Tân Mai thu tiền gửi xe").unit_id == units.coordinator(db).id
    assert "đã ngừng hoạt động" in admin.post(f"/staff/accounts/{ids['canbo']}/grant", data={
        "csrf": token(admin), "unit": "ubnd-phuong-tan-mai", "role": "xu_ly"}).text
    on = admin.post(f"/staff/units/{new_id}/activate", data={"csrf": token(admin)})
    assert "hoạt động trở lại" in on.text and unit(sessions, new_id).active

    rows = audit_rows(sessions, actor="quantri")
    assert [r.action for r in rows] == ["unit_create", "unit_update", "unit_deactivate", "unit_activate"]
    assert all("ubnd-phuong-tan-mai" in r.detail for r in rows)
    page = admin.get("/staff/audit?actor=quantri").text
    for action in ("unit_create", "unit_update", "unit_deactivate", "unit_activate"):
        assert audit.ACTION_LABELS[action] in page, action


def test_deactivation_is_refused_while_the_unit_holds_open_records(site):
    app, sessions, ids, _ = site
    admin = client_for(app, "quantri")
    refused = admin.post(f"/staff/units/{ids['a']}/deactivate", data={"csrf": token(admin)})
    assert ("Không thể ngừng hoạt động đơn vị UBND xã Phú Lâm: đơn vị còn 1 hồ sơ đang mở. "
            "Vui lòng xử lý xong hoặc chuyển các hồ sơ này sang đơn vị khác trước.") in html.unescape(refused.text)
    assert unit(sessions, ids["a"]).active
    with sessions() as db:
        queue = units.coordinator(db).id
    assert "hàng chờ điều phối" in admin.post(f"/staff/units/{queue}/deactivate", data={"csrf": token(admin)}).text
    assert unit(sessions, queue).active
    assert not audit_rows(sessions, action="unit_deactivate")
    with sessions() as db, db.begin():  # once the record is finished, the unit can go
        service.transition(db, ids["record"], "rejected", "quantri", "Không thuộc phạm vi phản ánh, kiến nghị")
    assert "Đã ngừng hoạt động đơn vị UBND xã Phú Lâm" in admin.post(f"/staff/units/{ids['a']}/deactivate",
                                                                     data={"csrf": token(admin)}).text
    assert not unit(sessions, ids["a"]).active


# --- memberships on the accounts page --------------------------------------------------------------
def test_grant_shows_the_units_record_on_the_next_request_and_revoke_hides_it(site):
    app, sessions, ids, _ = site
    admin, desk = client_for(app, "quantri"), client_for(app, "canbo")
    url = f"/staff/records/{ids['record']}"
    assert desk.get(url).status_code == 404
    accounts = admin.get("/staff/accounts").text
    assert "Chưa thuộc đơn vị nào" in accounts and "Toàn tỉnh (quản trị viên thấy hồ sơ mọi đơn vị)" in accounts

    base = f"/staff/accounts/{ids['canbo']}"
    granted = admin.post(f"{base}/grant", data={"csrf": token(admin), "unit": "ubnd-xa-phu-lam", "role": "xu_ly"})
    assert "canbo: xử lý tại UBND xã Phú Lâm" in granted.text
    assert "UBND xã Phú Lâm: <strong>Xử lý</strong>" in granted.text
    page = desk.get(url)  # the same login: the scope is read on every request
    assert page.status_code == 200 and ids["reference"] in page.text
    promoted = admin.post(f"{base}/grant", data={"csrf": token(admin), "unit": "ubnd-xa-phu-lam", "role": "lanh_dao"})
    assert "UBND xã Phú Lâm: <strong>Lãnh đạo</strong>" in promoted.text
    assert "vai trò trong đơn vị phải là" in admin.post(f"{base}/grant", data={
        "csrf": token(admin), "unit": "ubnd-xa-phu-lam", "role": "giam_doc"}).text
    assert "không có đơn vị mã" in admin.post(f"{base}/grant", data={"csrf": token(admin), "unit": "khong-co",
                                                                      "role": "xu_ly"}).text
    with sessions() as db:
        assert [(u.code, r) for u, r in units.memberships(db, ids["canbo"])] == [("ubnd-xa-phu-lam", "lanh_dao")]

    revoked = admin.post(f"{base}/revoke", data={"csrf": token(admin), "unit": "ubnd-xa-phu-lam"})
    assert "Đã rút canbo khỏi đơn vị UBND xã Phú Lâm" in revoked.text
    assert desk.get(url).status_code == 404
    assert "không thuộc đơn vị" in admin.post(f"{base}/revoke", data={"csrf": token(admin), "unit": "ubnd-xa-phu-lam"}).text

    rows = audit_rows(sessions, actor="quantri")
    assert [(r.action, r.detail) for r in rows] == [
        ("unit_grant", "tài khoản canbo, đơn vị ubnd-xa-phu-lam: Xử lý"),
        ("unit_grant", "tài khoản canbo, đơn vị ubnd-xa-phu-lam: Xử lý → Lãnh đạo"),
        ("unit_revoke", "tài khoản canbo, đơn vị ubnd-xa-phu-lam: Lãnh đạo")]
    page = admin.get("/staff/audit?actor=quantri").text
    assert "Giao vai trò trong đơn vị" in page and "Rút khỏi đơn vị" in page


# --- audit coverage --------------------------------------------------------------------------------
def version(sessions, record_id: int) -> int:
    with sessions() as db:
        return db.get(FeedbackRecord, record_id).version


def test_every_staff_act_on_a_record_is_audited_once_without_the_citizens_data(site):
    app, sessions, ids, files = site
    with sessions() as db, db.begin():
        add_user(db, "anh", PASSWORD, display_name="Anh", coordinator_desk=False)
        units.grant(db, "canbo", "ubnd-xa-phu-lam", "tiep_nhan")
        units.grant(db, "anh", "ubnd-xa-phu-lam", "xu_ly")
        second = service.create_record(db, draft(agency="UBND xã Phú Lâm", chat_id="citizen-2", contact_consent=True,
                                                 contact_name=NAME, contact_phone=PHONE))
        anh = db.scalar(select(StaffUser.id).where(StaffUser.username == "anh"))
        [photo] = attachments.attach(db, db.get(FeedbackRecord, ids["record"]), [{"file_id": "photo-1", "kind": "photo"}])
        data = b"\xff\xd8\xff\xe0 not really a photo"
        attachments.mark_stored(db, photo.id, store(files, data, "image/jpeg"), "image/jpeg", len(data))
        photo_id, second_id = photo.id, second.id
    rid, before = ids["record"], len(audit_rows(sessions))
    desk = client_for(app, "canbo")
    at = f"/staff/records/{rid}"
    said = f"Đã gọi bà {NAME} theo số {PHONE} để xác minh"  # staff write the citizen's data in free text

    def post(url: str, **data) -> str:
        response = desk.post(url, data={"csrf": token(desk), **data})
        assert response.status_code == 200, url
        return response.text

    assert "Đã giao xử lý" in post(f"{at}/assign", assignee=anh)
    assert "Đã giao 1 hồ sơ" in post("/staff/bulk-assign", ids=[second_id], assignee=anh)
    assert "Đã cập nhật trạng thái" in post(f"{at}/status", to="accepted", note=said, version=version(sessions, rid))
    assert "Đã đổi trạng thái 1 hồ sơ" in post("/staff/bulk-status", ids=[second_id], to="accepted", note=said)
    assert "Đã lưu ghi chú nội bộ" in post(f"{at}/notes", text=said)
    assert PHONE in post(f"{at}/reveal")
    assert "Đã gửi trả lời" in post(f"{at}/reply", text=f"Kính gửi bà {NAME}: {said}.", version=version(sessions, rid))
    assert "Đã cập nhật trạng thái" in post(f"{at}/status", to="in_progress", note=said, version=version(sessions, rid))
    opened = desk.get(f"{at}/attachments/{photo_id}")
    assert opened.status_code == 200 and opened.content == data
    assert "Đã chuyển hồ sơ" in post(f"/staff/records/{second_id}/transfer", unit=ids["b"], reason=said,
                                     version=version(sessions, second_id))

    rows = audit_rows(sessions)[before:]
    assert all(r.actor == "canbo" for r in rows)
    assert [(r.action, r.record_id) for r in rows] == [
        ("assign", rid),
        ("assign", second_id), ("bulk_assign", None),
        ("status", rid),
        ("status", second_id), ("bulk_status", None),
        ("internal_note", rid),
        ("reveal_contact", rid),
        ("reply", rid), ("status", rid),  # the reply moves the record on: accepted → in progress → answered
        ("status", rid),
        ("reopen", rid),  # answered → in progress, with a reason that names the citizen
        ("view_attachment", rid),
        ("transfer_unit", second_id)]
    assert rows[0].detail == "giao cho anh" and rows[3].detail == "Mới → Đã tiếp nhận"
    assert rows[-1].detail == "ubnd-xa-phu-lam → cong-an-phuong-hoa-lac"
    for row in rows:
        assert NAME not in row.detail and "Bình" not in row.detail, row.action
        assert not any(form in row.detail for form in PHONE_FORMS), row.action

    admin = client_for(app, "quantri")
    page = html.unescape(admin.get("/staff/audit?actor=canbo").text)
    assert "Không có mục nào" not in page and ids["reference"] in page
    for action in {r.action for r in rows}:
        assert audit.action_label(action) != action and audit.action_label(action) in page, action
    assert NAME not in page and not any(form in page for form in PHONE_FORMS)
