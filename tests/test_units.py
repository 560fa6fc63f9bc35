"""Units (cơ quan / xã): routing at intake, scoping of every staff page by URL, transfer told to the
citizen, the work views, counters and order of the inbox, bulk status change with per-record errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from sqlalchemy import event, select
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from feedback import outbox, service, units, worklist
from feedback.auth import add_user
from feedback.models import COORDINATOR, AuditEntry, FeedbackRecord, StaffUser, StatusChange, Unit, UnitMember
from feedback.unit_routing import suggest_unit, transfer
from feedback.web.app import WebConfig, create_staff_app

PASSWORD = "mat-khau-rat-dai-1"


def draft(**kw) -> service.Draft:
    values = dict(kind="phan_anh", content="Cán bộ hẹn trả kết quả nhưng quá hạn", channel="zalo", chat_id="z-1")
    return service.Draft(**{**values, **kw})


def make_units(db) -> tuple[Unit, Unit]:
    a = units.add_unit(db, "UBND xã Phú Lâm", kind="xa")
    b = units.add_unit(db, "Công an phường Hòa Lạc", kind="co_quan", keywords="CA phường Hòa Lạc, công an Hòa Lạc")
    return a, b


# --- intake ---------------------------------------------------------------------------------------
def test_intake_suggests_a_unit_from_agency_text_and_procedure_history(sessions):
    with sessions() as db, db.begin():
        a, b = make_units(db)
        an = units.add_unit(db, "UBND xã An", kind="xa")
        an_phu = units.add_unit(db, "UBND xã An Phú", kind="xa")
        queue = units.coordinator(db)
        assert suggest_unit(db, agency="Ủy ban nhân dân xã Phú Lâm").unit_id == a.id  # long form = UBND
        # typed without diacritics, the commune named in passing
        assert suggest_unit(db, text="can bo xa phu lam thu tien khong co bien lai").unit_id == a.id
        # one typo in a long name still matches; a keyword counts as the name
        assert suggest_unit(db, text="Công an phường Hòa Lc giữ giấy tờ quá lâu").unit_id == b.id
        assert suggest_unit(db, text="ra CA phường Hòa Lạc hỏi mãi").unit_id == b.id
        # a different commune whose name differs by one letter is not taken for this one
        assert suggest_unit(db, text="cán bộ xã Phú Lân hẹn mãi").unit_id == queue.id
        # the more specific name wins: "xã An Phú" is not "xã An"
        assert suggest_unit(db, text="UBND xã An Phú chậm trả kết quả").unit_id == an_phu.id
        assert suggest_unit(db, text="UBND xã An chậm trả kết quả").unit_id == an.id
        assert suggest_unit(db, text="thủ tục quá rườm rà").unit_id == queue.id
        # the agency outranks the text
        assert suggest_unit(db, agency="Công an phường Hòa Lạc", text="xã Phú Lâm").unit_id == b.id

        record = service.create_record(db, draft(agency="UBND xã Phú Lâm"))
        assert record.unit_id == a.id and "UBND xã Phú Lâm" in record.history[0].note
        # procedure history: records of 9.999 kept by staff in unit B → the next one starts there
        first = [service.create_record(db, draft(procedure_code="9.999", chat_id=f"h{i}")) for i in range(2)]
        assert all(r.unit_id == queue.id for r in first)
        admin = add_user(db, "tinh", PASSWORD, role="admin")
        for r in first:
            transfer(db, units.scope_of(db, admin), r.id, b.id, "thuộc thẩm quyền công an", "tinh")
        assert service.create_record(db, draft(procedure_code="9.999", chat_id="h3")).unit_id == b.id
        assert service.create_record(db, draft(procedure_code="1.111", chat_id="h4")).unit_id == queue.id


def test_migration_moves_existing_records_and_staff_into_the_coordinator_queue(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from feedback.db import MIGRATIONS, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010_learning_decisions")
        connection.execute(text("INSERT INTO staff_users (username, display_name, password_hash, role, active, failed_logins, "
                                "created_at) VALUES ('cu', 'Cũ', 'x', 'staff', 1, 0, '2026-01-01')"))
        connection.execute(text(
            "INSERT INTO feedback_records (reference, kind, content, procedure_name, field, agency, subject_note, channel, "
            "chat_id, status, received_at, due_at, next_update_due_at, paused_days, outcome_note, contact_consent, version, "
            "updated_at) VALUES ('PA-2026-AAAAAA', 'phan_anh', 'x', '', '', 'UBND xã Phú Lâm', '', 'zalo', '1', 'new', "
            "'2026-01-01', '2026-02-01', '2026-01-10', 0, '', 0, 1, '2026-01-01')"))
        command.upgrade(config, "0011_units")
        queue = connection.execute(text("SELECT id FROM units WHERE code = :c"), {"c": COORDINATOR}).scalar_one()
        assert connection.execute(text("SELECT unit_id FROM feedback_records")).scalar_one() == queue
        assert connection.execute(text("SELECT unit_id, role FROM unit_members")).one() == (queue, "tiep_nhan")
        command.downgrade(config, "0010_learning_decisions")  # and back
        command.upgrade(config, "head")
    engine.dispose()


# --- scoping by URL -------------------------------------------------------------------------------
def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def client_for(app, username: str) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303
    return client


@pytest.fixture()
def two_units(sessions):
    """Unit A (xã Phú Lâm: an, tiếp nhận; anh, xử lý), unit B (công an Hòa Lạc: binh), a province admin."""
    with sessions() as db, db.begin():
        a, b = make_units(db)
        for name, unit, role in (("an", a, "tiep_nhan"), ("anh", a, "xu_ly"), ("binh", b, "tiep_nhan")):
            add_user(db, name, PASSWORD, display_name=name.capitalize(), coordinator_desk=False)
            units.grant(db, name, unit.code, role)
        add_user(db, "tinh", PASSWORD, role="admin", display_name="Quản trị tỉnh")
        ra = service.create_record(db, draft(agency="UBND xã Phú Lâm", chat_id="citizen-a", content="Xã Phú Lâm chậm trả"))
        rb = service.create_record(db, draft(agency="Công an phường Hòa Lạc", chat_id="citizen-b", contact_consent=True,
                                             contact_name="Lê Bình", contact_phone="0912345678",
                                             content="Công an Hòa Lạc giữ căn cước"))
        assert (ra.unit_id, rb.unit_id) == (a.id, b.id)
        ids = {"a": a.id, "b": b.id, "ra": ra.id, "rb": rb.id, "ref_b": rb.reference, "ref_a": ra.reference}
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="u" * 40, https_only=False)))])
    return app, sessions, ids


def user_id(db, name: str) -> int:
    return db.scalar(select(StaffUser.id).where(StaffUser.username == name))


def test_a_member_of_unit_a_cannot_read_change_assign_reveal_or_export_a_record_of_unit_b(two_units):
    app, sessions, ids = two_units
    client = client_for(app, "an")
    rb = ids["rb"]
    assert client.get(f"/staff/records/{ids['ra']}").status_code == 200
    assert client.get(f"/staff/records/{rb}").status_code == 404
    token = csrf_of(client.get("/staff/").text)
    with sessions() as db:
        binh, version = user_id(db, "binh"), db.get(FeedbackRecord, rb).version
    posts = {"status": {"to": "accepted", "note": "x", "version": version}, "assign": {"assignee": binh},
             "reply": {"text": "Đã xử lý", "version": version}, "reveal": {},
             "transfer": {"unit": ids["a"], "reason": "chuyển về xã", "version": version}}
    for what, data in posts.items():
        response = client.post(f"/staff/records/{rb}/{what}", data={"csrf": token, **data}, follow_redirects=False)
        assert response.status_code == 404, what
        assert "0912345678" not in response.text
    # lists and search do not show it; the bulk acts refuse it by itself and do the rest
    link_b = f'href="/staff/records/{rb}"'
    assert link_b not in client.get("/staff/").text and f'href="/staff/records/{ids["ra"]}"' in client.get("/staff/").text
    assert "Không có hồ sơ phù hợp" in client.get("/staff/", params={"q": ids["ref_b"]}).text
    for view in worklist.VIEWS:
        assert link_b not in client.get("/staff/", params={"view": view}).text
    with sessions() as db:
        anh = user_id(db, "anh")
    page = client.post("/staff/bulk-assign", data={"csrf": token, "ids": [ids["ra"], rb], "assignee": anh})
    assert "Đã giao 1 hồ sơ" in page.text and "không tìm thấy hồ sơ trong đơn vị của anh/chị" in page.text
    page = client.post("/staff/bulk-status", data={"csrf": token, "ids": [rb], "to": "accepted", "note": "nhận"})
    assert "Đã đổi trạng thái 0 hồ sơ" in page.text
    # reports and their downloads: unit B's agency is not in A's report, not even by asking for it
    assert "không có hồ sơ nào" in client.get("/staff/reports", params={"agency": "Công an phường Hòa Lạc"}).text
    archive = zipfile.ZipFile(io.BytesIO(client.get("/staff/reports/bao-cao-csv.zip").content))
    text = " ".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    assert "UBND xã Phú Lâm" in text and "Hòa Lạc" not in text
    assert client.get("/staff/reports/bao-cao.xlsx").content[:2] == b"PK"
    with sessions() as db:
        record = db.get(FeedbackRecord, rb)
        assert (record.status, record.assignee_id, record.unit_id, record.version) == ("new", None, ids["b"], version)
        assert db.get(FeedbackRecord, ids["ra"]).assignee_id == anh
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "reveal_contact")) is None
        assert db.scalars(select(outbox.OutboxMessage)).all() == []
    # the member of B and the province admin see it; B's member does not see A's
    binh_client = client_for(app, "binh")
    assert binh_client.get(f"/staff/records/{rb}").status_code == 200
    assert binh_client.get(f"/staff/records/{ids['ra']}").status_code == 404
    admin = client_for(app, "tinh")
    assert admin.get(f"/staff/records/{rb}").status_code == 200 and ids["ref_a"] in admin.get("/staff/").text


def test_roles_and_assignees_stay_within_the_unit(two_units):
    app, sessions, ids = two_units
    with sessions() as db:
        binh, anh = user_id(db, "binh"), user_id(db, "anh")
    an = client_for(app, "an")
    token = csrf_of(an.get(f"/staff/records/{ids['ra']}").text)
    page = an.post(f"/staff/records/{ids['ra']}/assign", data={"csrf": token, "assignee": binh})
    assert "không thuộc đơn vị của hồ sơ" in page.text
    page = an.post(f"/staff/records/{ids['ra']}/assign", data={"csrf": token, "assignee": anh})
    assert "Đã giao xử lý" in page.text
    # the assign box shows who holds it now; only members of the unit are offered
    assert re.search(rf'<option value="{anh}" selected>Anh \(đang xử lý\)</option>', page.text)
    assert ">Binh</option>" not in page.text and ">Anh (đang xử lý)</option>" in page.text
    handler = client_for(app, "anh")  # xử lý: handles, does not redistribute
    token = csrf_of(handler.get(f"/staff/records/{ids['ra']}").text)
    page = handler.post(f"/staff/records/{ids['ra']}/transfer", data={"csrf": token, "unit": ids["b"], "reason": "không phải xã"})
    assert "chỉ cán bộ tiếp nhận" in page.text
    with sessions() as db:
        assert db.get(FeedbackRecord, ids["ra"]).unit_id == ids["a"]


def test_transfer_needs_a_reason_and_tells_the_citizen_where_and_why(two_units):
    app, sessions, ids = two_units
    client = client_for(app, "an")
    token = csrf_of(client.get(f"/staff/records/{ids['ra']}").text)
    page = client.post(f"/staff/records/{ids['ra']}/transfer", data={"csrf": token, "unit": ids["b"], "reason": " "})
    assert "chuyển đơn vị cần ghi lý do" in page.text
    reason = "Nội dung liên quan cấp căn cước, thuộc thẩm quyền công an phường"
    page = client.post(f"/staff/records/{ids['ra']}/transfer", data={"csrf": token, "unit": ids["b"], "reason": reason})
    assert page.url.path == "/staff/" and "Đã chuyển hồ sơ" in page.text  # no longer in the user's units
    assert client.get(f"/staff/records/{ids['ra']}").status_code == 404
    with sessions() as db:
        record = db.get(FeedbackRecord, ids["ra"])
        assert record.unit_id == ids["b"] and record.assignee_id is None and record.status == "new"
        message = db.scalars(select(outbox.OutboxMessage)).one()
        assert message.chat_id == "citizen-a" and message.channel == "zalo"
        assert "Công an phường Hòa Lạc" in message.text and reason in message.text and "anh/chị" in message.text
        assert record.reference in message.text
        note = db.scalars(select(StatusChange).where(StatusChange.record_id == record.id).order_by(StatusChange.id.desc())).first()
        assert "UBND xã Phú Lâm → Công an phường Hòa Lạc" in note.note and reason in note.note
        audit = db.scalar(select(AuditEntry).where(AuditEntry.action == "transfer_unit"))
        assert audit.actor == "an" and audit.record_id == record.id
    assert client_for(app, "binh").get(f"/staff/records/{ids['ra']}").status_code == 200


# --- the work views -------------------------------------------------------------------------------
NOW = dt.datetime(2026, 10, 14, 3, 0)  # a Wednesday, 10:00 in Vietnam


def test_counters_views_and_order_of_the_inbox(sessions):
    with sessions() as db, db.begin():
        a, _ = make_units(db)
        me = add_user(db, "an", PASSWORD, coordinator_desk=False)
        units.grant(db, "an", a.code, "tiep_nhan")
        other = add_user(db, "anh", PASSWORD, coordinator_desk=False)
        units.grant(db, "anh", a.code, "xu_ly")

        def make(days_ago: float, **kw) -> FeedbackRecord:
            return service.create_record(db, draft(agency="UBND xã Phú Lâm", **kw), now=NOW - dt.timedelta(days=days_ago))

        late_mine = make(40, chat_id="1")  # 20 working days are past
        late_free = make(35, chat_id="2")
        soon = make(26, chat_id="3")  # due within 3 working days
        update = make(12, chat_id="4")  # update was due after 7 working days; answer not yet due
        fresh_other = make(1, chat_id="5")
        waiting = make(45, chat_id="6")
        done = make(50, chat_id="7")
        service.assign(db, [late_mine.id], me.id, "an")
        service.assign(db, [fresh_other.id], other.id, "an")
        service.transition(db, waiting.id, "waiting", "an", "xin bản chụp biên lai", now=NOW - dt.timedelta(days=44))
        service.transition(db, done.id, "rejected", "an", "không thuộc phạm vi", now=NOW - dt.timedelta(days=49))
        elsewhere = service.create_record(db, draft(chat_id="8"), now=NOW - dt.timedelta(days=40))  # coordinator queue
        scope = units.scope_of(db, me)

        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.get_bind(), "before_cursor_execute", listener)
        counts = worklist.counters(db, scope, now=NOW)
        event.remove(db.get_bind(), "before_cursor_execute", listener)
        assert len(statements) == 1  # one aggregate query
        assert counts == {"overdue": 2, "due_soon": 1, "unassigned": 4, "mine": 1, "update_due": 4}

        def view(name: str) -> set[int]:
            rows, total = worklist.worklist(db, scope, service.InboxFilter(), name, now=NOW)
            assert total == len(rows) == counts.get(name, total)
            return {r.id for r in rows}

        assert view("overdue") == {late_mine.id, late_free.id}
        assert view("due_soon") == {soon.id}
        assert view("mine") == {late_mine.id}
        assert view("unassigned") == {late_free.id, soon.id, update.id, waiting.id}
        assert view("update_due") == {late_mine.id, late_free.id, soon.id, update.id}
        rows, total = worklist.worklist(db, scope, service.InboxFilter(), now=NOW)
        # overdue first (earliest due first), then open by due date, waiting, finished; nothing of other units
        assert [r.id for r in rows] == [late_mine.id, late_free.id, soon.id, update.id, fresh_other.id, waiting.id, done.id]
        assert elsewhere.id not in {r.id for r in rows} and total == 7
        newest = worklist.worklist(db, scope, service.InboxFilter(), sort="received", now=NOW)[0]
        assert newest[0].id == fresh_other.id


def test_navigation_counters_and_filters_over_http(two_units):
    app, sessions, ids = two_units
    client = client_for(app, "an")
    page = client.get("/staff/")
    assert re.search(r'view=unassigned">Chưa giao <span class="badge">1</span>', page.text)
    assert re.search(r'view=mine">Của tôi <span class="badge">0</span>', page.text)
    assert ids["ref_a"] not in client.get("/staff/?view=mine").text
    assert ids["ref_a"] in client.get("/staff/?view=unassigned").text
    assert client.get("/staff/?view=everything").status_code == 400
    assert client.get("/staff/?sort=random").status_code == 400


def test_bulk_status_change_needs_a_reason_and_reports_each_record(two_units):
    app, sessions, ids = two_units
    with sessions() as db, db.begin():
        extra = service.create_record(db, draft(agency="UBND xã Phú Lâm", chat_id="citizen-c"))
        service.transition(db, extra.id, "rejected", "an", "không thuộc phạm vi")
        extra_id, extra_ref = extra.id, extra.reference
    client = client_for(app, "an")
    token = csrf_of(client.get("/staff/").text)
    page = client.post("/staff/bulk-status", data={"csrf": token, "ids": [ids["ra"], extra_id], "to": "accepted"})
    assert "đổi trạng thái hàng loạt cần ghi lý do" in page.text
    page = client.post("/staff/bulk-status", data={"csrf": token, "ids": [ids["ra"], extra_id, ids["rb"]], "to": "accepted",
                                                   "note": "Đã xem xét, thụ lý"})
    assert "Đã đổi trạng thái 1 hồ sơ; 2 hồ sơ không thực hiện được" in page.text
    assert f"{extra_ref}: không chuyển được" in page.text and f"#{ids['rb']}: không tìm thấy" in page.text
    with sessions() as db:
        assert db.get(FeedbackRecord, ids["ra"]).status == "accepted"
        assert db.get(FeedbackRecord, extra_id).status == "rejected"
        assert db.get(FeedbackRecord, ids["rb"]).status == "new"
        note = db.scalars(select(StatusChange).where(StatusChange.record_id == ids["ra"]).order_by(StatusChange.id.desc())).first()
        assert note.note == "Đã xem xét, thụ lý" and note.actor == "an"
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "bulk_status")).detail == f"accepted: {ids['ra']}"
        assert db.scalar(select(UnitMember).where(UnitMember.user_id == user_id(db, "an"))).role == "tiep_nhan"


def test_cli_adds_units_and_grants_and_revokes_roles(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app as cli
    from feedback.db import make_engine, session_factory

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TTHC_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    runner = CliRunner()
    assert runner.invoke(cli, ["unit", "add", "UBND xã Phú Lâm", "--kind", "xa", "--keywords", "Phú Lâm cũ"]).exit_code == 0
    assert runner.invoke(cli, ["unit", "add", "UBND xã Phú Lâm"]).exit_code == 2  # the same code twice
    assert runner.invoke(cli, ["staff", "add", "minh", "--password", PASSWORD]).exit_code == 0
    assert runner.invoke(cli, ["staff", "grant", "minh", "ubnd-xa-phu-lam", "xu_ly"]).exit_code == 0
    assert runner.invoke(cli, ["staff", "grant", "minh", "ubnd-xa-phu-lam", "giam_doc"]).exit_code == 2
    assert runner.invoke(cli, ["staff", "revoke", "minh", COORDINATOR]).exit_code == 0
    listing = runner.invoke(cli, ["unit", "list"])
    assert listing.exit_code == 0 and "ubnd-xa-phu-lam" in listing.output
    engine = make_engine(url)
    with session_factory(engine)() as db:
        user = db.scalar(select(StaffUser).where(StaffUser.username == "minh"))
        assert [(u.code, role) for u, role in units.memberships(db, user.id)] == [("ubnd-xa-phu-lam", "xu_ly")]
    engine.dispose()
