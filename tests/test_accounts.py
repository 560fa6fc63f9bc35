"""Accounts, audit and catalogue administration pages over HTTP: administrators only, every act audited,
disable / lock / password reset end live sessions, unlock clears the login throttle, the audit log
filters, and the catalogue validation report stays on the server, in Vietnamese, without paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from feedback import auth, service
from feedback.models import AuditEntry, LoginThrottle, StaffSession, StaffUser
from feedback.web.app import AdminHooks, WebConfig, create_staff_app

TESTS = Path(__file__).parent
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
    assert "Chờ đổi mật khẩu tạm" in page.text
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


# --- catalogue administration --------------------------------------------------------------------------

@pytest.fixture()
def catalogue_site(sessions, tmp_path):
    from types import SimpleNamespace

    from bot.app.catalogue_admin import CatalogueAdmin

    catalogue_dir = tmp_path / "catalogue"
    catalogue_dir.mkdir()
    (catalogue_dir / "mini.yaml").write_text((TESTS / "data" / "mini.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    index = SimpleNamespace(version="v-test", manifest={})
    holder = SimpleNamespace(service=SimpleNamespace(engine=SimpleNamespace(index=index)), last_error=None)
    admin = CatalogueAdmin(catalogue_dir, tmp_path / "index", embedder=None, holder=holder, cache_dir=tmp_path / "emb")
    applied = []
    hooks = AdminHooks(status=admin.status, plan=admin.plan, apply=lambda path, skip: applied.append(path) or "đã áp dụng",
                       rebuild=admin.rebuild, reload=lambda: "", upload_dir=tmp_path / "uploads")
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40, admin=hooks, https_only=False)))])
    with sessions() as db, db.begin():
        auth.add_user(db, "quantri", PASSWORD, role="admin")
        auth.add_user(db, "canbo", PASSWORD)
    return app, sessions, admin, applied, tmp_path


def upload(client: TestClient, name: str, body: str):
    return client.post("/staff/admin/upload", data={"csrf": token(client)}, files={"file": (name, body.encode(), "application/x-yaml")})


def test_a_large_report_stays_on_the_server_and_is_paged_in_vietnamese_without_paths(catalogue_site):
    app, sessions, _, _, tmp_path = catalogue_site
    client = logged_in(app, "quantri")
    rows = "".join(f"  - {{code: 'sai-{n}', name: 'Thủ tục thử {n}', group: thu}}\n" for n in range(3000))
    body = "procedures:\n  - {code: '1.000099', name: 'Đăng ký nuôi chim cảnh thử nghiệm', group: nuoi-chim}\n" + rows
    response = client.post("/staff/admin/upload", data={"csrf": token(client)}, follow_redirects=False,
                           files={"file": ("C:\\Users\\lan\\danh-muc.yaml", body.encode(), "application/x-yaml")})
    assert response.status_code == 303
    assert len(response.headers.get("set-cookie", "")) == 0  # nothing of the report travels in a cookie
    assert sum(len(k) + len(v) for k, v in client.cookies.items()) < 200
    with sessions() as db:
        data = [s.data for s in db.scalars(select(StaffSession))]
    assert all(len(str(d)) < 200 for d in data) and any("admin_report" in d for d in data)  # only an id in the session
    assert len(list((tmp_path / "uploads" / "reports").glob("*.json"))) == 1
    page = client.get("/staff/admin")
    assert "Đã kiểm tra tệp «danh-muc.yaml»" in page.text and "lỗi 3000" in page.text
    assert "Tệp «danh-muc.yaml», dòng 2, trường «code»: mã thủ tục sai định dạng (cần dạng 1.000123)" in page.text
    assert "Trang lỗi 1/60" in page.text and "dòng 52," not in page.text and "row" not in page.text
    assert str(tmp_path) not in page.text and "uploads" not in page.text and "Users" not in page.text
    second = client.get("/staff/admin?page=2")
    assert "Trang lỗi 2/60" in second.text and "Tệp «danh-muc.yaml», dòng 52," in second.text
    assert "dòng 2," not in second.text
    assert client.get("/staff/admin?page=abc").status_code == 400
    assert "Tệp «danh-muc.yaml», dòng 3001," in client.get("/staff/admin?page=999").text  # past the end: the last page


def test_problem_messages_are_vietnamese_by_file_row_and_field(tmp_path):
    from bot.app.catalogue_messages import describe
    from knowledge.errors import LoadProblem

    staged = str(tmp_path / "uploads" / "9f3a.jsonl")
    names = {staged: "ds.jsonl"}
    lines = [describe(LoadProblem(staged, 3, "name", "Field required"), names),
             describe(LoadProblem(staged, 0, "-", f"cannot parse YAML: while scanning in {staged}, line 4"), names),
             describe(LoadProblem(staged, 2, "-", "not valid JSON: Expecting value (line 1, column 1)"), names),
             describe(LoadProblem(staged, 5, "code", f"code 1.000001 also at {tmp_path}/catalogue/a.jsonl row 7; "
                                                      "this later one is kept"), names)]
    assert lines == ["Tệp «ds.jsonl», dòng 3, trường «name»: thiếu giá trị bắt buộc",
                     "Tệp «ds.jsonl», toàn tệp: không đọc được YAML (sai cú pháp)",
                     "Tệp «ds.jsonl», dòng 2: không phải JSON hợp lệ (dòng 1, cột 1)",
                     "Tệp «ds.jsonl», dòng 5, trường «code»: mã 1.000001 cũng có ở tệp a.jsonl dòng 7; giữ bản sau"]
    unknown = describe(LoadProblem(staged, 1, "x", f"something new at {staged}"), names)
    assert unknown.startswith("Tệp «ds.jsonl», dòng 1, trường «x»: giá trị không hợp lệ") and str(tmp_path) not in unknown


def test_apply_with_no_valid_row_is_refused_with_a_clear_message(catalogue_site):
    app, sessions, admin, applied, tmp_path = catalogue_site
    client = logged_in(app, "quantri")
    before = sorted(p.name for p in (tmp_path / "catalogue").iterdir())
    page = upload(client, "hong.yaml", "procedures:\n  - {code: 'sai', name: 'Sai', group: x}\n  - 5\n")
    assert "dòng dùng được 0" in page.text and 'name="report"' not in page.text  # no apply button
    assert "không có dòng hợp lệ nào nên không thể áp dụng" in page.text
    with sessions() as db:
        report_id = next(s.data["admin_report"] for s in db.scalars(select(StaffSession)) if "admin_report" in s.data)
    refused = client.post("/staff/admin/apply", data={"csrf": token(client), "report": report_id, "skip_bad": "1"})
    assert "tệp «hong.yaml» không có dòng hợp lệ nào nên không có gì để áp dụng" in refused.text
    stale = client.post("/staff/admin/apply", data={"csrf": token(client), "report": "0" * 32, "skip_bad": "1"})
    assert "báo cáo kiểm tra không còn" in stale.text
    assert applied == [] and sorted(p.name for p in (tmp_path / "catalogue").iterdir()) == before
    with pytest.raises(ValueError, match="không có dòng hợp lệ nào"):  # the server's own apply refuses too
        admin.apply(next((tmp_path / "uploads").glob("*.yaml")), skip_bad=True, display_name="hong.yaml")
    assert audit_actions(sessions) == ["catalogue_upload", "catalogue_apply_refused", "catalogue_apply_refused"]
    good = upload(client, "tot.yaml", "procedures:\n  - {code: '1.000099', name: 'Đăng ký nuôi chim cảnh', group: chim}\n")
    report_id = re.search(r'name="report" value="([^"]+)"', good.text).group(1)
    done = client.post("/staff/admin/apply", data={"csrf": token(client), "report": report_id})
    assert "đã áp dụng" in done.text and len(applied) == 1
    assert not list((tmp_path / "uploads" / "reports").glob("*.json"))  # an applied report is removed
    assert not list((tmp_path / "uploads").glob("*.yaml"))


def test_build_states_are_vietnamese_and_non_admins_stage_nothing(catalogue_site):
    from bot.app.catalogue_admin import STATE_LABELS, BuildStatus

    app, _, admin, _, tmp_path = catalogue_site
    assert set(STATE_LABELS.values()) == {"đang chờ", "đang xây dựng", "xong", "lỗi"}
    client = logged_in(app, "quantri")
    assert "Xây chỉ mục:</strong> đang chờ" in client.get("/staff/admin").text
    admin.build = BuildStatus(state="failed", message=f"FileNotFoundError: {tmp_path}/index/v2/manifest.json")
    page = client.get("/staff/admin").text
    assert "Xây chỉ mục:</strong> lỗi" in page and "manifest.json" in page and str(tmp_path) not in page
    staff = logged_in(app, "canbo")
    assert staff.get("/staff/admin").status_code == 403
    response = upload(staff, "x.yaml", "procedures: []\n")
    assert response.status_code == 403 and not (tmp_path / "uploads").exists()


# --- command line --------------------------------------------------------------------------------------

def test_staff_cli_list_add_disable_enable_unlock_reset_password_role(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app as cli
    from feedback.db import make_engine, session_factory

    monkeypatch.setenv("TTHC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TTHC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "200")  # the table unwrapped
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["staff", *args])
        assert result.exit_code == code, result.output
        return result.output

    run("add", "quantri", "--role", "admin", "--password", PASSWORD)
    output = run("add", "lan", "--display-name", "Nguyễn Thị Lan", "--generate")
    generated = re.search(r"chỉ hiện một lần\): (\S+)", output).group(1)
    sessions = session_factory(make_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    with sessions() as db, db.begin():
        assert auth.authenticate(db, "lan", generated).user is not None
    listing = run("list")
    assert "Nguyễn Thị Lan" in listing and "quantri" in listing and "admin" in listing
    run("disable", "lan")
    assert "vô hiệu hóa" in run("list")
    with sessions() as db, db.begin():
        assert auth.authenticate(db, "lan", generated).user is None
    run("enable", "lan")
    run("reset-password", "lan", "--password", NEW_PASSWORD)
    with sessions() as db, db.begin():
        assert auth.authenticate(db, "lan", generated).user is None
        for _ in range(auth.MAX_FAILURES):
            auth.authenticate(db, "lan", "sai-mat-khau-1")
    with sessions() as db, db.begin():
        assert auth.authenticate(db, "lan", NEW_PASSWORD).locked
    assert "đăng nhập sai" in run("list")
    run("unlock", "lan")
    with sessions() as db, db.begin():
        assert auth.authenticate(db, "lan", NEW_PASSWORD).user is not None
    run("role", "lan", "editor")
    assert "vai trò không hợp lệ" in run("role", "lan", "root", code=2)
    assert "quản trị viên cuối cùng" in run("disable", "quantri", code=2)
    assert "không có tài khoản" in run("unlock", "khongco", code=2)
    with sessions() as db:
        assert db.scalar(select(StaffUser.role).where(StaffUser.username == "lan")) == "editor"
        rows = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(a.actor, a.action) for a in rows] == [
        ("cli", "account_create"), ("cli", "account_create"), ("cli", "account_disable"), ("cli", "account_enable"),
        ("cli", "account_password_reset"), ("cli", "account_unlock"), ("cli", "account_role")]
    assert not any(generated in a.detail or NEW_PASSWORD in a.detail for a in rows)


def test_a_temporary_password_must_be_changed_before_any_page(site):
    app, sessions = site
    admin = logged_in(app, "quantri")
    target = uid(sessions, "canbo")
    desk = logged_in(app, "canbo")
    admin.post(f"/staff/accounts/{target}/password", data={"csrf": token(admin), "password": NEW_PASSWORD})
    client = logged_in(app, "canbo", NEW_PASSWORD)
    for url in ("/staff/", "/staff/templates", "/staff/reports"):
        page = client.get(url)
        assert page.url.path == "/staff/account/password" and "mật khẩu tạm" in page.text, url
    csrf = csrf_of(page.text)
    blocked = client.post("/staff/bulk-assign", data={"csrf": csrf, "assignee": "1", "ids": ["1"]}, follow_redirects=False)
    assert blocked.status_code == 303 and blocked.headers["location"] == "/staff/account/password"
    wrong = client.post("/staff/account/password", data={"csrf": csrf, "current": "sai-mat-khau-9", "new": "mat-khau-cua-toi-3",
                                                         "repeat": "mat-khau-cua-toi-3"})
    assert "mật khẩu hiện tại không đúng" in wrong.text
    mismatch = client.post("/staff/account/password", data={"csrf": csrf, "current": NEW_PASSWORD, "new": "mat-khau-cua-toi-3",
                                                            "repeat": "mat-khau-cua-toi-4"})
    assert "không khớp" in mismatch.text
    other = logged_in(app, "canbo", NEW_PASSWORD)  # a second device with the temporary password
    done = client.post("/staff/account/password", data={"csrf": csrf, "current": NEW_PASSWORD, "new": "mat-khau-cua-toi-3",
                                                        "repeat": "mat-khau-cua-toi-3"})
    assert done.url.path == "/staff/" and "Đã đổi mật khẩu" in done.text  # this device carries on
    assert client.get("/staff/templates").url.path == "/staff/templates"
    assert other.get("/staff/").url.path == "/staff/login" and desk.get("/staff/").url.path == "/staff/login"
    assert login(TestClient(app), "canbo", NEW_PASSWORD).status_code == 401
    assert login(TestClient(app), "canbo", "mat-khau-cua-toi-3").status_code == 303
    with sessions() as db:
        assert not db.get(StaffUser, target).must_change_password
    assert audit_actions(sessions)[-1] == "account_password_change"
    for _ in range(auth.MAX_FAILURES):  # guessing through the form meets the login throttle
        client.post("/staff/account/password", data={"csrf": token(client), "current": "doan-mat-khau-0",
                                                      "new": "mat-khau-cua-toi-5", "repeat": "mat-khau-cua-toi-5"})
    refused = client.post("/staff/account/password", data={"csrf": token(client), "current": "mat-khau-cua-toi-3",
                                                           "new": "mat-khau-cua-toi-5", "repeat": "mat-khau-cua-toi-5"})
    assert "đã nhập sai nhiều lần" in refused.text
    assert login(TestClient(app), "canbo", "mat-khau-cua-toi-5").status_code == 401
