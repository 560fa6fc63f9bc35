"""The command line through Typer's runner: the `answer` contract, import and validate."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot.cli import app

from .conftest import TESTS, shared_path

runner = CliRunner()


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TTHC_EMBEDDER", "hashing")
    monkeypatch.setenv("TTHC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_answer_contract(env):
    questions = env / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "a", "question": "làm giấy khai sinh cho con cần giấy tờ gì"},
        {"id": "b", "question": "mất căn cước làm lại ở đâu"},
        {"id": "c", "question": ""},
    ]), encoding="utf-8")
    out = env / "out.jsonl"
    result = runner.invoke(app, ["answer", "--jsonl", str(questions), "--out", str(out), "--catalogue", str(TESTS / "data" / "mini.yaml")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    for row in rows:
        assert set(row) >= {"id", "intent", "procedures", "faq", "aspect", "confident", "answer"}
        assert len(row["procedures"]) <= 10 and isinstance(row["confident"], bool)
    assert rows[0]["procedures"][0] == "1.000001" and rows[0]["aspect"] == "documents"
    assert rows[1]["procedures"][0] in ("1.000002", "1.000003") and rows[1]["aspect"] == "place"


def test_answer_dialogues_keeps_state_per_conversation(env):
    dialogues = env / "d.jsonl"
    dialogues.write_text(json.dumps({"id": "d1", "turns": [{"user": "làm giấy khai sinh cần giấy tờ gì"},
                                                             {"user": "thế còn lệ phí?"}]}, ensure_ascii=False), encoding="utf-8")
    out = env / "out.jsonl"
    result = runner.invoke(app, ["answer", "--dialogues", "--jsonl", str(dialogues), "--out", str(out),
                                 "--catalogue", str(TESTS / "data" / "mini.yaml")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["turn"]) for r in rows] == [("d1", 0), ("d1", 1)]
    assert rows[1]["procedures"][0] == "1.000001" and rows[1]["aspect"] == "fee"


def test_catalogue_import_and_validate(env):
    source = env / "crawl.jsonl"
    source.write_text("\n".join([
        json.dumps({"ma_thu_tuc": "1.001193", "ten_thu_tuc": "Thủ tục đăng ký khai sinh", "cap_thuc_hien": "Cấp xã",
                    "cach_thuc_thuc_hien": "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp1 Ngày làm việcMiễn phí",
                    "thanh_phan_ho_so": "Tên giấy tờMẫu đơn, tờ khaiSố lượngTờ khai1 bản chính", "can_cu_phap_ly": ""},
                   ensure_ascii=False),
        json.dumps({"ma_thu_tuc": "x", "ten_thu_tuc": ""}),
    ]), encoding="utf-8")
    out = env / "catalogue"
    result = runner.invoke(app, ["catalogue", "import", str(source), "--out", str(out)])
    assert result.exit_code == 1 and "row 2" in result.output and "ma_thu_tuc" in result.output
    assert not out.exists()  # a bad row stops the import unless --skip-bad
    result = runner.invoke(app, ["catalogue", "import", str(source), "--out", str(out), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["catalogue", "validate", str(out)]).exit_code == 0
    broken = env / "broken.yaml"
    broken.write_text("procedures:\n  - {code: '12', name: 'Thủ tục', group: g}\n", encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "validate", str(broken)])
    assert result.exit_code == 1 and "row 1" in result.output and "code" in result.output


def test_missing_catalogue_is_one_clear_line(env):
    result = runner.invoke(app, ["ask", "xin chào", "--catalogue", str(env / "nope")])
    assert result.exit_code == 2
    assert "catalogue not found" in result.output


def test_console_script_is_installed():
    completed = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and "answer" in completed.stdout


def test_import_dry_run_diff_and_xlsx_merge(env):
    from openpyxl import Workbook

    from knowledge.loaders import bundled_sample_path, load_catalogue

    out = env / "catalogue"
    assert runner.invoke(app, ["catalogue", "import", str(TESTS / "data" / "mini.yaml"), "--out", str(out)]).exit_code == 0
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH THỦ TỤC HÀNH CHÍNH"])
    sheet.append(["Mã số", "Tên", "Cơ quan ban hành", "Cơ quan thực hiện", "Lĩnh vực"])
    sheet.append(["1.000001", "Thủ tục đăng ký khai sinh (tên mới)", "Bộ Tư pháp", "UBND cấp xã", "Hộ tịch"])
    sheet.append(["1.009999", "Thủ tục mới hoàn toàn", "Bộ Tư pháp", "Sở Tư pháp", "Hộ tịch"])
    sheet.append(["sai-ma", "Dòng lỗi", "", "", ""])
    xlsx = env / "list.xlsx"
    workbook.save(xlsx)
    dry = runner.invoke(app, ["catalogue", "import", str(xlsx), "--out", str(out), "--dry-run"])
    assert dry.exit_code == 1 and "row 5" in dry.output and "Mã số" in dry.output
    assert "thay đổi 1.000001: name" in dry.output and "thêm: 1.009999" in dry.output
    assert load_catalogue(out).catalogue.by_code()["1.000001"].name == "Thủ tục đăng ký khai sinh"  # unchanged
    applied = runner.invoke(app, ["catalogue", "import", str(xlsx), "--out", str(out), "--skip-bad"])
    assert applied.exit_code == 0, applied.output
    merged = load_catalogue(out).catalogue.by_code()
    assert merged["1.000001"].name == "Thủ tục đăng ký khai sinh (tên mới)" and merged["1.000001"].documents  # details kept
    assert merged["1.009999"].agency == "Sở Tư pháp" and len(merged) == 6
    # FAQ entries survive the merge: the imported file's own, over the bundled reform FAQ every import keeps
    mini_faq = {e.topic: e for e in load_catalogue(TESTS / "data" / "mini.yaml").catalogue.faq}
    kept = {e.topic: e for e in load_catalogue(out).catalogue.faq}
    assert len(mini_faq) == 2 and all(kept[topic] == entry for topic, entry in mini_faq.items())
    assert set(kept) >= {e.topic for e in load_catalogue(bundled_sample_path()).catalogue.faq}


def test_ask_output_is_never_hard_wrapped_when_piped(env):
    """Piped (`tthc ask … | cat`), rich would wrap at 80 columns and break links across lines."""
    result = runner.invoke(app, ["ask", "làm giấy khai sinh cho con cần giấy tờ gì", "--catalogue",
                                 str(TESTS / "data" / "mini.yaml")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "https://dichvucong.gov.vn/test/1" in lines  # the link whole, on its own line
    assert any(len(line) > 80 for line in lines)
