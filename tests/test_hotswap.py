"""Zero-downtime re-indexing: a running server swaps to a new index version without failing a
question, refuses a mismatched version, and the admin page plans, applies and rebuilds."""

import json
import re
import threading
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from bot.app.catalogue_admin import CatalogueAdmin
from bot.engine.turn import Engine
from bot.app.hotswap import EngineHolder
from bot.app.server import ServerParts, create_app
from bot.app.service import ConversationService, FloodGuard, FloodPolicy
from bot.app.conversations import ConversationStore
from bot.engine.types import Incoming
from feedback.auth import add_user
from feedback.db import init_db, make_engine, session_factory
from feedback.web.app import AdminHooks, WebConfig, create_staff_app
from indexer.build import active_version, build_index
from indexer.embed import HashingEmbedder
from indexer.search import Index
from knowledge.loaders import load_catalogue
from knowledge.schema import Catalogue, Procedure

from .conftest import TESTS
from .wire import LoopbackServer, wait_for

EXTRA = Procedure(code="1.000099", name="Đăng ký nuôi chim cảnh thử nghiệm", group="nuoi-chim-canh",
                  aliases=("nuôi chim cảnh", "giấy phép nuôi chim"), levels=("Cấp xã",))


@pytest.fixture()
def live(tmp_path, mini_catalogue):
    embedder = HashingEmbedder(256)
    root = tmp_path / "index"
    build_index(mini_catalogue, embedder, root)
    index = Index.load(root, embedder)
    engine_db = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    init_db(engine_db)
    sessions = session_factory(engine_db)
    service = ConversationService(Engine.create(index), ConversationStore(sessions), FloodGuard(FloodPolicy(10_000, 1)))
    holder = EngineHolder(service, root, embedder, lambda idx: Engine.create(idx))
    parts = ServerParts(service=service, sessions=sessions, holder=holder, index_poll_seconds=0.2)
    server = LoopbackServer(create_app(parts)).start()
    yield server, parts, root, embedder, sessions
    server.stop()


def test_questions_during_rebuild_and_swap_never_fail(live, mini_catalogue):
    server, parts, root, embedder, _ = live
    old_version = parts.holder.version
    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def ask_continuously() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not stop.is_set():
                response = client.get("/health")
                results.append((response.status_code, response.json()["index"]["version"]))
                reply = parts.service.respond(Incoming(
                    "test", f"u{len(results) % 7}", "mất căn cước làm lại thế nào"))
                results.append((200 if reply and reply.intent == "procedure" and "1.000002" in reply.procedures else 500, ""))

    worker = threading.Thread(target=ask_continuously)
    worker.start()
    time.sleep(0.3)
    bigger = Catalogue(procedures=mini_catalogue.procedures + (EXTRA,), faq=mini_catalogue.faq)
    build_index(bigger, embedder, root)  # publish a new version; the watcher swaps to it
    assert wait_for(lambda: parts.holder.version != old_version, timeout=20)
    time.sleep(0.3)
    stop.set()
    worker.join()
    failures = [r for r in results if r[0] != 200]
    assert len(results) > 20 and failures == []
    versions = [v for _, v in results if v]
    assert versions[0] == old_version and versions[-1] == parts.holder.version
    reply = parts.service.respond(Incoming("test", "z", "nuôi chim cảnh"))
    assert reply.procedures[0] == "1.000099"


def test_a_mismatched_version_is_refused_and_the_old_one_keeps_serving(live, mini_catalogue):
    _, parts, root, _, _ = live
    old_version = parts.holder.version
    build_index(mini_catalogue, HashingEmbedder(128), root)  # wrong embedder for this server
    result = parts.holder.reload()
    assert not result.changed and "hashing-128" in result.error
    assert parts.holder.version == old_version
    assert active_version(root).name != old_version


def test_admin_page_plans_applies_rebuilds_and_swaps(live, tmp_path):
    _, parts, root, embedder, sessions = live
    catalogue_dir = tmp_path / "catalogue"
    catalogue_dir.mkdir()
    (catalogue_dir / "mini.yaml").write_text((TESTS / "data" / "mini.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    admin = CatalogueAdmin(catalogue_dir, root, embedder, parts.holder, cache_dir=tmp_path / "emb")
    hooks = AdminHooks(status=admin.status, plan=admin.plan, apply=admin.apply, rebuild=admin.rebuild,
                       reload=admin.reload, upload_dir=tmp_path / "uploads")
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="s" * 40, admin=hooks, https_only=False)))])
    with sessions() as db, db.begin():
        add_user(db, "quantri", "mat-khau-quan-tri", role="admin")
        add_user(db, "canbo", "mat-khau-can-bo-1")
    client = TestClient(app)

    def login(username: str, password: str) -> str:
        page = client.get("/staff/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        client.post("/staff/login", data={"username": username, "password": password, "csrf": token})
        return re.search(r'name="csrf" value="([^"]+)"', client.get("/staff/").text).group(1)

    token = login("canbo", "mat-khau-can-bo-1")
    assert client.get("/staff/admin").status_code == 403  # staff role: no admin page
    client.post("/staff/logout", data={"csrf": token})
    token = login("quantri", "mat-khau-quan-tri")
    old_version = parts.holder.version
    upload = "procedures:\n  - {code: '1.000099', name: 'Đăng ký nuôi chim cảnh thử nghiệm', group: nuoi-chim-canh, aliases: ['nuôi chim cảnh']}\n  - {code: 'bad', name: 'Sai', group: x}\n"
    page = client.post("/staff/admin/upload", data={"csrf": token}, files={"file": ("update.yaml", upload.encode(), "application/x-yaml")})
    assert "Báo cáo kiểm tra" in page.text and "Tệp «update.yaml», dòng 2, trường «code»" in page.text
    assert "Thêm: 1.000099" in page.text
    report = re.search(r'name="report" value="([^"]+)"', page.text).group(1)
    refused = client.post("/staff/admin/apply", data={"csrf": token, "report": report})
    assert "dòng lỗi" in refused.text
    applied = client.post("/staff/admin/apply", data={"csrf": token, "report": report, "skip_bad": "1"})
    assert "đang xây lại chỉ mục" in applied.text
    assert wait_for(lambda: admin.build.state in ("done", "failed"), timeout=30)
    assert admin.build.state == "done", admin.build.message
    assert parts.holder.version != old_version and "1.000099" in parts.service.engine.index.procedures
    assert "phiên bản" in client.get("/staff/admin").text
    from feedback.models import AuditEntry

    with sessions() as db:
        actions = [a.action for a in db.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["catalogue_upload", "catalogue_apply_refused", "catalogue_apply"]
