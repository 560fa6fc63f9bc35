"""Staff teach the bot from its misses: overlay, queue, grouping, bulk decide, undo, CLI, review page."""

import datetime as dt
import json
import re
import shutil

import numpy as np
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient
from typer.testing import CliRunner

from feedback import learning
from feedback.auth import add_user
from feedback.learning_groups import group_queue, purity
from feedback.models import AuditEntry, QuestionLog
from feedback.web.app import WebConfig, create_staff_app
from feedback.web.learning import LearningHooks
from knowledge.learned import LEARNED_FILE, Lesson, read_lessons, write_lessons
from knowledge.loaders import load_catalogue

from .conftest import TESTS

PASSWORD = "mat-khau-rat-dai-1"


@pytest.fixture()
def catalogue_dir(tmp_path):
    directory = tmp_path / "catalogue"
    directory.mkdir()
    shutil.copy(TESTS / "data" / "mini.yaml", directory / "mini.yaml")
    return directory


def test_overlay_adds_phrasings_and_names_unknown_targets(catalogue_dir):
    write_lessons(catalogue_dir / LEARNED_FILE, [
        Lesson("bé nhà em mới sinh thì làm giấy gì", "procedure", "1.000001"),
        Lesson("vneid có mất phí không", "faq", "vneid"),
        Lesson("giá vàng hôm nay bao nhiêu", "out_of_scope"),
        Lesson("câu lạc đề", "procedure", "9.999999"),
    ])
    result = load_catalogue(catalogue_dir)
    assert [(p.row, p.field) for p in result.problems] == [(4, "procedure")] and "9.999999" in result.problems[0].message
    catalogue = result.catalogue
    assert catalogue.by_code()["1.000001"].learned == ("bé nhà em mới sinh thì làm giấy gì",)
    assert "vneid có mất phí không" in next(f for f in catalogue.faq if f.topic == "vneid").questions
    assert catalogue.out_of_scope == ("giá vàng hôm nay bao nhiêu",)
    assert load_catalogue(catalogue_dir, learned=False).catalogue.out_of_scope == ()


def test_learned_phrasings_survive_a_reimport(catalogue_dir, tmp_path):
    from knowledge.importers.run import apply_plan, plan_import

    write_lessons(catalogue_dir / LEARNED_FILE, [Lesson("bé mới sinh làm giấy gì", "procedure", "1.000001")])
    plan = plan_import(TESTS / "data" / "mini.yaml", catalogue_dir)
    assert not plan.diff.changed  # the overlay is not baked into the procedures
    apply_plan(plan, catalogue_dir)
    assert (catalogue_dir / LEARNED_FILE).exists()
    assert load_catalogue(catalogue_dir).catalogue.by_code()["1.000001"].learned == ("bé mới sinh làm giấy gì",)


def test_index_and_intents_read_the_overlay(catalogue_dir, tmp_path, hashing_embedder):
    from bot.engine.intents import catalogue_examples
    from indexer.build import build_index
    from indexer.search import Index

    question = "thủ tục cho đứa nhỏ vừa chào đời"
    write_lessons(catalogue_dir / LEARNED_FILE, [Lesson(question, "procedure", "1.000005"), Lesson("xổ số miền bắc", "out_of_scope")])
    catalogue = load_catalogue(catalogue_dir).catalogue
    build_index(catalogue, hashing_embedder, tmp_path / "index", cache_dir=tmp_path / "cache")
    index = Index.load(tmp_path / "index", hashing_embedder)
    assert index.search(question).hits[0].item_ids[0] == "1.000005"
    assert index.catalogue.out_of_scope == ("xổ số miền bắc",)  # travels in the index's own catalogue
    examples = catalogue_examples(index.catalogue)
    assert question in examples["info"] and examples["out_of_scope"] == ["xổ số miền bắc"]
    manifest = json.loads((index.path / "manifest.json").read_text())
    assert manifest["embedding_cache"]["misses"] > 0
    catalogue2 = catalogue.model_copy(update={"procedures": tuple(
        p.model_copy(update={"learned": p.learned + ("một câu mới",)}) if p.code == "1.000001" else p
        for p in catalogue.procedures)})
    version = build_index(catalogue2, hashing_embedder, tmp_path / "index", cache_dir=tmp_path / "cache")
    assert json.loads((version / "manifest.json").read_text())["embedding_cache"]["misses"] == 1  # only the taught one


def _log(db, text, decision="decline", intent="procedure", helpful=None, at=None, code=None):
    row = QuestionLog(channel="zalo", text=text, intent=intent, decision=decision, procedure_code=code, confidence=0.2,
                      helpful=helpful, at=at or dt.datetime(2026, 11, 10, 3))
    db.add(row)
    db.flush()
    return row.id


def test_queue_bulk_decide_undo_and_audit(sessions):
    with sessions() as db, db.begin():
        a = _log(db, "làm căn cước cho con 10 tuổi")
        b = _log(db, "căn cước trẻ em làm ở đâu", decision="clarify")
        c = _log(db, "khai sinh cho con", decision="answer", helpful=False, code="1.000001")
        _log(db, "đã trả lời tốt", decision="answer", helpful=True)
        _log(db, "", decision="decline", intent="feedback")  # no text logged: never offered
        _log(db, "tháng trước", at=dt.datetime(2026, 10, 5))
    start, end = dt.datetime(2026, 10, 31, 17), dt.datetime(2026, 11, 30, 17)
    with sessions() as db:
        items = learning.queue(db, start, end)
    assert [(i.id, i.reason) for i in items] == [(a, "từ chối"), (b, "hỏi lại"), (c, "👎")]
    with sessions() as db, db.begin():
        made = learning.decide(db, "lan", [a, b], "procedure", "1.000002", batch="g1")
        with pytest.raises(learning.LearningError):
            learning.decide(db, "lan", [c], "procedure", "")
    with sessions() as db, db.begin():
        assert [i.id for i in learning.queue(db, start, end)] == [c]
        assert [(x.kind, x.target, x.question) for x in learning.live_lessons(db)] == [
            ("procedure", "1.000002", "làm căn cước cho con 10 tuổi"), ("procedure", "1.000002", "căn cước trẻ em làm ở đâu")]
        learning.undo(db, "minh", made[1].id)
        with pytest.raises(learning.LearningError):
            learning.undo(db, "minh", made[1].id)
    with sessions() as db, db.begin():
        assert [i.id for i in learning.queue(db, start, end)] == [b, c]
        assert len(learning.live_lessons(db)) == 1
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == ["learn_procedure", "learn_undo"]
        learning.decide(db, "lan", [a], "out_of_scope")  # a new decision replaces the live one
        assert [(x.kind, x.question) for x in learning.live_lessons(db)] == [("out_of_scope", "làm căn cước cho con 10 tuổi")]


def test_a_clarification_whose_choices_were_turned_down_says_so_in_the_queue(sessions):
    with sessions() as db, db.begin():
        turned_down = _log(db, "đổi bằng lái nước ngoài", decision="clarify", helpful=False)
        rated_down = _log(db, "khai sinh cho con", decision="answer", helpful=False)
    with sessions() as db:
        items = learning.queue(db, dt.datetime(2026, 10, 31, 17), dt.datetime(2026, 11, 30, 17))
    assert [(i.id, i.reason) for i in items] == [(turned_down, "người hỏi: không phải"), (rated_down, "👎")]


def test_apply_keeps_lines_imported_from_elsewhere():
    cli = Lesson("câu từ tệp", "faq", "vneid", id="l1", source="")
    old_web = Lesson("đã hoàn tác", "procedure", "1.000001", id="w1", source=learning.WEB_SOURCE)
    new_web = Lesson("mới xếp", "procedure", "1.000002", id="w2", source=learning.WEB_SOURCE)
    assert learning.merge_overlay([cli, old_web], [new_web]) == [cli, new_web]


def _item(i, text, target, score):
    return learning.QueueItem(i, text, dt.datetime(2026, 11, 1), "từ chối", None,
                              [learning.Suggestion("procedure", target, target, score)])


def test_groups_are_coherent_and_biggest_first():
    rng = np.random.default_rng(0)
    topics = rng.normal(size=(3, 32))
    items, vectors, gold = [], [], {}
    for i, (topic, target, score) in enumerate([(0, "1.000001", 0.95)] * 4 + [(1, "1.000001", 0.95)] * 2
                                               + [(2, "1.000009", 0.3)] * 3 + [(1, "1.000002", 0.2)]):
        items.append(_item(i, f"q{i}", target, score))
        vectors.append(topics[topic] + rng.normal(scale=0.05, size=32))
        gold[i] = str(topic)
    vectors = np.array(vectors) / np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = group_queue(items, vectors, anchor_min=0.9, link_min=0.8)
    assert [g.size for g in groups] == [4, 3, 2, 1]  # same closest entry, two topics: split
    assert purity(groups, gold) == 1.0
    assert groups[0].suggestions[0].target == "1.000001"
    lumped = group_queue(items, vectors, anchor_min=0.0, link_min=-1.0)
    assert purity(lumped, gold) < 1.0  # the measure can fail


runner = CliRunner()


def test_cli_import_list_undo_round_trip_and_bad_line(catalogue_dir, tmp_path, monkeypatch):
    from bot.cli import app

    monkeypatch.setenv("TTHC_EMBEDDER", "hashing")
    monkeypatch.setenv("TTHC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TTHC_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"question": "đứa nhỏ vừa chào đời thì làm giấy gì", "procedure": "1.000005"},
        {"question": "vneid có mất phí không", "faq": "vneid"},
        {"question": "thời tiết ngày mai", "out_of_scope": True}]), encoding="utf-8")
    result = runner.invoke(app, ["learn", "import", str(good), "--catalogue", str(catalogue_dir)])
    assert result.exit_code == 0, result.output
    lessons, problems = read_lessons(catalogue_dir / LEARNED_FILE)
    assert len(lessons) == 3 and not problems
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([json.dumps({"question": "câu đúng", "procedure": "1.000001"}),
                              json.dumps({"question": "mã sai", "procedure": "1.999999"}),
                              json.dumps({"question": "không đích"})]), encoding="utf-8")
    before = (catalogue_dir / LEARNED_FILE).read_bytes()
    result = runner.invoke(app, ["learn", "import", str(bad), "--catalogue", str(catalogue_dir)])
    assert result.exit_code == 1
    assert re.search(r"bad\.jsonl.*2.*procedure.*1\.999999", result.output.replace("\n", " "))
    assert re.search(r"bad\.jsonl.*3", result.output) and "không áp dụng" in result.output
    assert (catalogue_dir / LEARNED_FILE).read_bytes() == before  # nothing applied
    listed = runner.invoke(app, ["learn", "list", "--catalogue", str(catalogue_dir)])
    assert "thời tiết ngày mai" in listed.output
    result = runner.invoke(app, ["learn", "undo", lessons[2].id, "--catalogue", str(catalogue_dir)])
    assert result.exit_code == 0, result.output
    assert [lesson.id for lesson in read_lessons(catalogue_dir / LEARNED_FILE)[0]] == [lessons[0].id, lessons[1].id]
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "x", "question": "đứa nhỏ vừa chào đời thì làm giấy gì"}, ensure_ascii=False))
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["answer", "--jsonl", str(questions), "--out", str(out), "--catalogue", str(catalogue_dir)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["procedures"][0] == "1.000005"


class FakeHooks:
    """The index side, faked: two topics by keyword; apply records what it was given."""

    def __init__(self):
        self.applied: list = []

    def suggest(self, texts):
        out = []
        for text in texts:
            is_id = "căn cước" in text
            vector = np.array([1.0, 0.0] if is_id else [0.0, 1.0], dtype=np.float32)
            target = "1.000002" if is_id else "1.000001"
            out.append((vector, [learning.Suggestion("procedure", target, f"Thủ tục {target}", 0.9)]))
        return out

    def hooks(self):
        return LearningHooks(suggest=self.suggest, find=lambda q: [learning.Suggestion("procedure", "1.000003", "Cấp lại")],
                             known=lambda kind, target: target in ("1.000001", "1.000002", "1.000003"),
                             apply=lambda lessons: self.applied.append(lessons) or "Đã ghi; đang xây lại chỉ mục.",
                             status=lambda: {"version": "v1", "build": {"state": "idle"}})


def test_review_page_groups_bulk_teach_undo_apply(sessions):
    fake = FakeHooks()
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40, https_only=False, learning=fake.hooks())))])
    client = TestClient(app, base_url="http://testserver")
    with sessions() as db, db.begin():
        add_user(db, "bientap", PASSWORD, role="editor")
        add_user(db, "canbo", PASSWORD)
        ids = [_log(db, t) for t in ("làm căn cước cho con", "căn cước gắn chip cho bé", "khai sinh muộn", "đổi căn cước <b>x</b>")]

    def login(name):
        client.cookies.clear()
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/staff/login").text).group(1)
        client.post("/staff/login", data={"username": name, "password": PASSWORD, "csrf": csrf})

    login("canbo")
    assert client.get("/staff/learning?period=2026-11").status_code == 403
    login("bientap")
    page = client.get("/staff/learning?period=2026-11").text
    assert "Câu hỏi cần xử lý" in page and "4 câu hỏi" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert page.index("Nhóm 1 · 3 câu hỏi") < page.index("Nhóm 2 · 1 câu hỏi")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    group = [ids[0], ids[1], ids[3]]
    reply = client.post("/staff/learning/decide", data={"csrf": csrf, "period": "2026-11", "ids": group,
                                                        "target": "procedure:1.000002", "action": "teach"})
    assert "Đã ghi 3 câu hỏi" in reply.text and "Nhóm 1 · 1 câu hỏi" in reply.text
    reply = client.post("/staff/learning/decide", data={"csrf": csrf, "period": "2026-11", "ids": [ids[2]],
                                                        "target_text": "1.777777", "action": "teach"})
    assert "không có thủ tục" in reply.text
    reply = client.post("/staff/learning/apply", data={"csrf": csrf, "period": "2026-11"})
    assert "đang xây lại" in reply.text and "đã áp dụng lúc" in reply.text
    assert [lesson.target for lesson in fake.applied[0]] == ["1.000002"] * 3
    with sessions() as db:
        first = db.scalars(select(learning.LearningDecision).order_by(learning.LearningDecision.id)).first()
    reply = client.post(f"/staff/learning/undo/{first.id}", data={"csrf": csrf, "period": "2026-11"})
    assert "Đã hoàn tác" in reply.text and "1 thay đổi chờ áp dụng" in reply.text
    assert client.post("/staff/learning/apply", data={"csrf": "sai", "period": "2026-11"}).status_code == 403
    with sessions() as db:
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["learn_procedure", "learn_apply", "learn_undo"]


def test_serving_side_suggests_finds_and_writes_the_overlay(mini_index, catalogue_dir):
    from bot.app.learning_admin import find, known_target, suggest, write_overlay

    (vector, suggestions), = suggest(mini_index, ["làm giấy khai sinh cho con"])
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5 and suggestions[0].target == "1.000001"
    assert [s.target for s in find(mini_index, "1.000002")] == ["1.000002"] and find(mini_index, "1.999999") == []
    assert find(mini_index, "vneid")[0].kind == "faq" and known_target(mini_index, "faq", "vneid")
    write_lessons(catalogue_dir / LEARNED_FILE, [Lesson("từ tệp", "faq", "vneid", id="l1")])
    taught = [Lesson("mới xếp", "procedure", "1.000002", id="w1", source=learning.WEB_SOURCE)]
    assert write_overlay(catalogue_dir, taught) == 2
    with pytest.raises(ValueError, match="1.999999"):
        write_overlay(catalogue_dir, [Lesson("sai", "procedure", "1.999999", id="w2", source=learning.WEB_SOURCE)])
    assert [lesson.id for lesson in read_lessons(catalogue_dir / LEARNED_FILE)[0]] == ["l1", "w1"]  # nothing written


def test_cli_export_writes_the_grouped_queue(catalogue_dir, tmp_path, monkeypatch):
    from bot.app.settings import Settings
    from bot.app.wiring import open_database
    from bot.cli import app

    monkeypatch.setenv("TTHC_EMBEDDER", "hashing")
    monkeypatch.setenv("TTHC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TTHC_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    with open_database(Settings())() as db, db.begin():
        for text in ("giấy khai sinh cho con", "giấy khai sinh cho con", "mất căn cước làm lại"):
            _log(db, text)
    out = tmp_path / "queue.jsonl"
    result = runner.invoke(app, ["learn", "export", "--period", "2026-11", "--out", str(out), "--catalogue", str(catalogue_dir)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["question"], r["group"], r["count"]) for r in rows] == [
        ("giấy khai sinh cho con", 1, 2), ("giấy khai sinh cho con", 1, 2), ("mất căn cước làm lại", 2, 1)]
    assert rows[0]["suggestions"][0]["procedure"] == "1.000001"
    rows[0]["procedure"] = rows[0]["suggestions"][0]["procedure"]  # staff fill in a target and import it back
    (tmp_path / "back.jsonl").write_text(json.dumps(rows[0], ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["learn", "import", str(tmp_path / "back.jsonl"), "--catalogue", str(catalogue_dir)])
    assert result.exit_code == 0, result.output
    assert read_lessons(catalogue_dir / LEARNED_FILE)[0][0].target == "1.000001"
