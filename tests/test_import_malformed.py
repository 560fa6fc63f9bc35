"""Every malformed catalogue input is named (file, row, field) and fails import and validate.

One test per case found by testing the import path: each builds the bad file in tmp_path, runs
`tthc catalogue import --dry-run` and `tthc catalogue validate` through Typer's runner, and checks
the exit status and that the message locates the problem. Time-bounded cases also check the clock.
"""

from __future__ import annotations

import json
import time

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from bot.cli import app
from knowledge import limits
from knowledge.importers.run import import_sources
from knowledge.loaders import load_catalogue

from .conftest import shared_path

runner = CliRunner()

CRAWL = {"ma_thu_tuc": "1.001193", "ten_thu_tuc": "Thủ tục đăng ký khai sinh", "cap_thuc_hien": "Cấp xã",
         "cach_thuc_thuc_hien": "", "thanh_phan_ho_so": "", "can_cu_phap_ly": "", "linh_vuc": "Hộ tịch"}


def crawl_line(**changes) -> str:
    return json.dumps({**CRAWL, **changes}, ensure_ascii=False)


def write_crawl(path, *lines: str):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fails_naming(tmp_path, source, *expected: str) -> str:
    """Both commands exit 1 and print every expected fragment (file name, row, field…)."""
    outputs = []
    for args in (["catalogue", "import", str(source), "--out", str(tmp_path / "out"), "--dry-run"],
                 ["catalogue", "validate", str(source)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        for fragment in (source.name, *expected):
            assert fragment in result.output, (args, fragment, result.output)
        outputs.append(result.output)
    assert not (tmp_path / "out").exists()
    return outputs[1]


def test_non_utf8_crawl_line_names_line_field_and_byte_offset(tmp_path):
    good = crawl_line().encode()
    bad = crawl_line(ma_thu_tuc="1.000002", linh_vuc="Hộ tịch").encode().replace("Hộ tịch".encode(), b"H\xf4 tich")
    source = tmp_path / "crawl.jsonl"
    source.write_bytes(good + b"\n" + bad + b"\n")
    offset = len(good) + 1 + bad.index(b"\xf4")
    out = fails_naming(tmp_path, source, "row 2", "field 'linh_vuc'", "not UTF-8", "0xf4")
    assert f"byte offset {offset:,}" in out


def test_non_utf8_yaml_file_names_line_and_byte(tmp_path):
    source = tmp_path / "cat.yaml"
    source.write_bytes("procedures:\n  - {code: '1.000001', name: 'Thủ tục A', group: a}\n".encode()
                       + b"  - {code: '1.000002', name: 'Th\xe9 B', group: b}\n")
    fails_naming(tmp_path, source, "row 0", "field '-'", "line 3", "0xe9")


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".yaml"])
def test_deep_nesting_is_refused_quickly(tmp_path, suffix):
    deep = "[" * 100_000 + "]" * 100_000
    source = tmp_path / f"deep{suffix}"
    if suffix == ".jsonl":
        source.write_text(crawl_line() + "\n" + '{"ma_thu_tuc": "1.000002", "x": ' + deep + "}\n", encoding="utf-8")
        expected = ("row 2", "nested deeper")
    elif suffix == ".json":
        source.write_text('{"procedures": ' + deep + "}", encoding="utf-8")
        expected = ("row 0", "nested deeper")
    else:
        source.write_text("procedures: " + deep + "\n", encoding="utf-8")
        expected = ("row 0", "nest")
    started = time.perf_counter()
    fails_naming(tmp_path, source, *expected)
    assert time.perf_counter() - started < 3.0  # two commands, each well under a second


def test_huge_integer_named_by_row_and_field(tmp_path):
    source = tmp_path / "project.jsonl"
    record = '{"kind": "procedure", "code": "1.000001", "name": "Thủ tục A", "group": "a", ' \
             '"channels": [{"kind": "direct", "fee": {"amount_vnd": ' + "9" * 5000 + "}}]}"
    source.write_text(record + "\n", encoding="utf-8")
    fails_naming(tmp_path, source, "row 1", "field 'channels.0.fee.amount_vnd'", "5,000 digits")
    yaml_source = tmp_path / "cat.yaml"
    yaml_source.write_text("procedures:\n  - {code: '1.000001', name: 'Thủ tục A', group: a}\n"
                           "  - {code: '1.000002', name: 'Thủ tục B', group: b, documents: [{name: Tờ khai, copies: "
                           + "1" * 5000 + "}]}\n", encoding="utf-8")
    fails_naming(tmp_path, yaml_source, "row 2", "field 'documents.0.copies'", "5,000 digits")


def test_object_or_list_where_text_is_expected(tmp_path):
    source = write_crawl(tmp_path / "crawl.jsonl", crawl_line(),
                         crawl_line(ma_thu_tuc="1.000002", ten_thu_tuc={"vi": "Thủ tục"}),
                         crawl_line(ma_thu_tuc="1.000003", thanh_phan_ho_so=["Tờ khai"]))
    fails_naming(tmp_path, source, "row 2", "field 'ten_thu_tuc'", "expected text, got dict",
                 "row 3", "field 'thanh_phan_ho_so'", "got list")
    project = tmp_path / "cat.yaml"
    project.write_text("procedures:\n  - {code: '1.000001', name: [Thủ tục A], group: a}\n", encoding="utf-8")
    fails_naming(tmp_path, project, "row 1", "field 'name'", "valid string")


def test_short_xlsx_row_names_sheet_row_and_column(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH THỦ TỤC HÀNH CHÍNH"])
    sheet.append(["Mã số", "Tên", "Cơ quan ban hành", "Cơ quan thực hiện", "Lĩnh vực"])
    sheet.append(["1.000001", "Thủ tục đăng ký khai sinh", "Bộ Tư pháp", "UBND cấp xã", "Hộ tịch"])
    sheet.append(["1.000002"])  # short: no name, no agency
    sheet.append(["1.000003", "Thủ tục chỉ có tên"])  # short but complete enough: agency and field empty
    source = tmp_path / "list.xlsx"
    workbook.save(source)
    fails_naming(tmp_path, source, "row 4", "field 'Tên'", "missing procedure name")
    report = import_sources(source)
    assert {p.code for p in report.procedures} == {"1.000001", "1.000003"}


def test_duplicate_code_in_one_crawl_file_names_both_rows(tmp_path):
    source = write_crawl(tmp_path / "crawl.jsonl", crawl_line(), crawl_line(ma_thu_tuc="1.000002"),
                         crawl_line(ten_thu_tuc="Thủ tục đăng ký khai sinh (bản sửa)"))
    fails_naming(tmp_path, source, "row 3", "field 'ma_thu_tuc'", "duplicate code 1.001193", "also at row 1")


def test_duplicate_code_in_one_yaml_and_xlsx_file(tmp_path):
    project = tmp_path / "cat.yaml"
    project.write_text("procedures:\n  - {code: '1.000001', name: 'Thủ tục A', group: a}\n"
                       "  - {code: '1.000001', name: 'Thủ tục A bis', group: a}\n", encoding="utf-8")
    fails_naming(tmp_path, project, "row 2", "field 'code'", "also at row 1")
    workbook = Workbook()
    for row in (["Mã số", "Tên"], ["1.000001", "Thủ tục A"], ["1.000001", "Thủ tục A lần hai"]):
        workbook.active.append(row)
    listing = tmp_path / "list.xlsx"
    workbook.save(listing)
    fails_naming(tmp_path, listing, "row 3", "field 'Mã số'", "also at row 2")


def test_same_code_in_two_files_is_a_warning_naming_both(tmp_path):
    (tmp_path / "src").mkdir()
    write_crawl(tmp_path / "src" / "a.jsonl", crawl_line())
    write_crawl(tmp_path / "src" / "b.jsonl", crawl_line(ten_thu_tuc="Thủ tục đăng ký khai sinh mới"))
    result = runner.invoke(app, ["catalogue", "validate", str(tmp_path / "src")])
    assert result.exit_code == 0, result.output
    assert "cảnh báo" in result.output and "a.jsonl row 1" in result.output and "b.jsonl" in result.output


def test_crawl_whose_first_row_lacks_the_code_is_imported_not_skipped(tmp_path):
    first = json.dumps({k: v for k, v in CRAWL.items() if k != "ma_thu_tuc"}, ensure_ascii=False)
    source = write_crawl(tmp_path / "crawl.jsonl", first, crawl_line(ma_thu_tuc="1.000002"), crawl_line())
    fails_naming(tmp_path, source, "row 1", "field 'ma_thu_tuc'", "missing procedure code")
    report = import_sources(source)
    assert {p.code for p in report.procedures} == {"1.000002", "1.001193"} and not report.skipped_files


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("notes.csv", "ma,ten\n1.000001,Thủ tục\n", "unrecognised file type '.csv'"),
    ("other.jsonl", '{"id": 1, "text": "xin chào"}\n', "unrecognised JSONL"),
    ("other.json", '{"items": []}', "unrecognised JSON"),
])
def test_unrecognised_file_is_an_error(tmp_path, name, content, expected):
    folder = tmp_path / "src"
    folder.mkdir()
    write_crawl(folder / "crawl.jsonl", crawl_line())
    (folder / name).write_text(content, encoding="utf-8")
    out = fails_naming(tmp_path, folder, "row 0", expected)
    assert name in out


def test_field_size_limits_name_the_row(tmp_path):
    project = tmp_path / "cat.yaml"
    project.write_text("procedures:\n  - {code: '1.000001', name: 'Thủ tục A', group: a}\n"
                       f"  - {{code: '1.000002', name: 'Thủ tục B', group: b, summary: '{'x' * 300_000}'}}\n",
                       encoding="utf-8")
    fails_naming(tmp_path, project, "row 2", "field 'summary'", f"at most {limits.MAX_SUMMARY} characters")
    crawl = write_crawl(tmp_path / "crawl.jsonl", crawl_line(), crawl_line(ma_thu_tuc="1.000002", ten_thu_tuc="T" * 5000))
    fails_naming(tmp_path, crawl, "row 2", "field 'ten_thu_tuc (name)'", f"at most {limits.MAX_NAME} characters")


def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    source = tmp_path / "bomb.yaml"
    source.write_text("\n".join(lines) + "\nprocedures: [*i]\n", encoding="utf-8")
    started = time.perf_counter()
    fails_naming(tmp_path, source, "row 0", "aliases")
    assert time.perf_counter() - started < 3.0


def test_size_row_and_line_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 3)
    source = write_crawl(tmp_path / "crawl.jsonl", *(crawl_line(ma_thu_tuc=f"1.00000{i}") for i in range(1, 6)))
    fails_naming(tmp_path, source, "row 4", "more than 3 records")
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", 400)
    long_line = write_crawl(tmp_path / "long.jsonl", crawl_line(), crawl_line(ma_thu_tuc="1.000002", linh_vuc="x" * 500))
    fails_naming(tmp_path, long_line, "row 2", "line longer than 400 bytes")
    monkeypatch.setattr(limits, "MAX_YAML_BYTES", 100)
    big = tmp_path / "big.yaml"
    big.write_text("procedures:\n" + "  - {code: '1.000001', name: 'Thủ tục A', group: a}\n" * 5, encoding="utf-8")
    fails_naming(tmp_path, big, "row 0", "more than the limit")


def test_xlsx_zip_bomb_and_wide_sheets_are_bounded(tmp_path, monkeypatch):
    workbook = Workbook()
    workbook.active.append(["Mã số", "Tên"])
    workbook.active.append(["1.000001", "Thủ tục A"])
    source = tmp_path / "list.xlsx"
    workbook.save(source)
    monkeypatch.setattr(limits, "MAX_XLSX_UNZIPPED_BYTES", 1000)
    fails_naming(tmp_path, source, "row 0", "unpacks to")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    fails_naming(tmp_path, fake, "row 0", "not an Excel workbook")


def test_markup_like_source_text_is_printed_not_interpreted(tmp_path):
    source = write_crawl(tmp_path / "crawl.jsonl", crawl_line(), crawl_line(ma_thu_tuc="[/][red]x"))
    fails_naming(tmp_path, source, "row 2", "[/][red]x")


def test_loader_reports_the_same_problems_for_the_runtime(tmp_path):
    """The runtime loads catalogues with load_catalogue: the same limits apply, nothing raises."""
    source = tmp_path / "cat.jsonl"
    source.write_bytes(b'{"kind": "procedure", "code": "1.000001", "name": "Th\xff", "group": "a"}\n'
                       + b'{"kind": "faq", "topic": "x", "title": "T", "answer": ' + b"[" * 5000 + b"]" * 5000 + b"}\n")
    result = load_catalogue(source)
    assert [(p.row, p.field) for p in result.problems] == [(1, "name"), (2, "-")]
    assert not result.catalogue.procedures


@pytest.mark.shared
def test_national_data_validates_cleanly():
    result = runner.invoke(app, ["catalogue", "validate", str(shared_path("data", "dvcqg"))])
    assert result.exit_code == 0, result.output[-2000:]
    assert "2642 thủ tục" in result.output and "0 lỗi, 0 cảnh báo" in result.output


def test_staff_upload_over_the_size_limit_is_refused_before_planning(sessions, tmp_path, monkeypatch):
    import re

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from feedback.auth import add_user
    from feedback.web.app import AdminHooks, WebConfig, create_staff_app

    planned = []
    hooks = AdminHooks(status=lambda: {}, plan=lambda path: planned.append(path) or {}, apply=lambda p, s: "",
                       rebuild=lambda: "", reload=lambda: "", upload_dir=tmp_path / "uploads")
    app = Starlette(routes=[Mount("/staff", create_staff_app(sessions, WebConfig(secret_key="k" * 40, admin=hooks, https_only=False)))])
    with sessions() as db, db.begin():
        add_user(db, "quantri", "mat-khau-quan-tri", role="admin")
    client = TestClient(app)
    page = client.get("/staff/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/staff/login", data={"username": "quantri", "password": "mat-khau-quan-tri", "csrf": token})
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/staff/").text).group(1)
    monkeypatch.setattr(limits, "MAX_UPLOAD_BYTES", 2 * limits.MiB)
    big = b"procedures:\n" + b"  - {code: '1.000001', name: 'Thu tuc A', group: a}\n" * 50_000  # about 2.5 MB
    page = client.post("/staff/admin/upload", data={"csrf": token}, follow_redirects=False,
                       files={"file": ("big.yaml", big, "application/x-yaml")})
    assert page.status_code == 303 and page.headers["location"] == "/staff/admin"  # the message is kept server-side
    assert "tệp quá lớn: tối đa 2 MB" in client.get("/staff/admin").text
    assert planned == [] and not list((tmp_path / "uploads").glob("*"))
