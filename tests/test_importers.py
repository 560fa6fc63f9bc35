import json

import pytest

from knowledge.importers.dvcqg import import_crawl_jsonl, import_structured_json
from knowledge.importers.flattened import parse_channels, parse_documents, parse_legal_basis
from knowledge.importers.run import import_sources, write_catalogue_dir
from knowledge.loaders import load_catalogue
from knowledge.schema import ChannelKind

from .conftest import shared_path


def test_channels_with_units_fees_and_notes():
    text = ("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến5 Ngày làm việc2,000,000 Việt Nam Đồng(Phí thẩm định)"
            "Trực tiếp7 Ngày làm việcMiễn phí")
    parsed = parse_channels(text)
    assert parsed.complete
    online, direct = parsed.value
    assert online.kind == ChannelKind.ONLINE and online.time.value == 5 and online.time.unit == "ngày làm việc"
    assert online.fee.amount_vnd == 2_000_000 and "thẩm định" in online.note
    assert direct.kind == ChannelKind.DIRECT and direct.fee.amount_vnd == 0


def test_channels_without_unit_are_partial():
    parsed = parse_channels("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến1Miễn phíDịch vụ bưu chính1Miễn phí")
    assert not parsed.complete
    assert [c.kind for c in parsed.value] == [ChannelKind.ONLINE, ChannelKind.POST]
    assert parsed.value[0].time.value == 1 and parsed.value[0].time.unit is None


def test_documents_rows_end_with_copies_and_forms_split_off():
    text = ("* Giấy tờ phải nộp:Tên giấy tờMẫu đơn, tờ khaiSố lượngTờ khai đăng ký theo mẫu;Mau01.docx1 bản chính"
            "Giấy chứng sinh0 bản chính,1 bản sao")
    parsed = parse_documents(text)
    assert parsed.complete
    first, second = parsed.value
    assert first.name.startswith("Tờ khai") and first.form == "Mau01.docx" and first.originals == 1
    assert second.name == "Giấy chứng sinh" and second.copies == 1


def test_legal_numbers_do_not_eat_the_next_title():
    text = "Tên văn bản pháp lýMã văn bảnLuật Hộ tịch60/2014/QH13Nghị định hướng dẫn123/2015/NĐ-CPThông tư phí85/2019/TT-BTC"
    parsed = parse_legal_basis(text)
    assert [r.number for r in parsed.value] == ["60/2014/QH13", "123/2015/NĐ-CP", "85/2019/TT-BTC"]
    assert parsed.value[1].title == "Nghị định hướng dẫn"


def test_bad_rows_are_reported_with_file_row_field_and_the_rest_loads(tmp_path):
    good = {"ma_thu_tuc": "1.001193", "ten_thu_tuc": "Thủ tục đăng ký khai sinh", "cap_thuc_hien": "Cấp xã",
            "cach_thuc_thuc_hien": "", "thanh_phan_ho_so": "", "can_cu_phap_ly": ""}
    path = tmp_path / "crawl.jsonl"
    path.write_text("\n".join([
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({**good, "ma_thu_tuc": "ABC"}, ensure_ascii=False),
        json.dumps({**good, "ma_thu_tuc": "1.000002", "ten_thu_tuc": ""}, ensure_ascii=False),
    ]), encoding="utf-8")
    report = import_crawl_jsonl(path)
    assert [p.code for p in report.procedures] == ["1.001193"]
    problems = {(p.row, p.field) for p in report.problems}
    assert problems == {(2, "-"), (3, "ma_thu_tuc"), (4, "ten_thu_tuc")}
    assert all(p.file == str(path) for p in report.problems)


def test_level_variants_share_a_group_whatever_code_or_level_abbreviation_their_names_carry(tmp_path):
    """Some national names end in their own code ("… (cấp Tỉnh) (1.010729)") or write the central
    level "(cấp TW)": the code leaves the name, and both records of one procedure share a group."""
    rows = [("1.010721", "Cấp điều chỉnh giấy phép môi trường (1.010721)", "Cấp bộ"),
            ("1.010729", "Cấp điều chỉnh giấy phép môi trường (cấp Tỉnh) ( 1.010729 )", "Cấp tỉnh"),
            ("1.002986", "Cấp lại giấy phép hoạt động dự báo, cảnh báo khí tượng thủy văn (cấp TW)", "Cấp bộ"),
            ("1.000943", "Cấp lại giấy phép hoạt động dự báo, cảnh báo khí tượng thủy văn (cấp tỉnh)", "Cấp tỉnh"),
            ("1.000002", "Xác nhận mẫu (1.000001)", "Cấp xã"),
            ("1.000003", "Tách thửa hoặc hợp thửa đất.", "Cấp xã")]
    path = tmp_path / "crawl.jsonl"
    path.write_text("\n".join(json.dumps({"ma_thu_tuc": code, "ten_thu_tuc": name, "cap_thuc_hien": level},
                                          ensure_ascii=False) for code, name, level in rows), encoding="utf-8")
    by_code = {p.code: p for p in import_crawl_jsonl(path).procedures}
    assert by_code["1.010721"].name == "Cấp điều chỉnh giấy phép môi trường"
    assert by_code["1.010729"].name == "Cấp điều chỉnh giấy phép môi trường (cấp Tỉnh)"
    assert by_code["1.010721"].group == by_code["1.010729"].group
    assert by_code["1.002986"].group == by_code["1.000943"].group
    assert by_code["1.010721"].group != by_code["1.002986"].group
    assert by_code["1.000002"].name == "Xác nhận mẫu (1.000001)"  # another procedure's code is part of the name
    assert by_code["1.000003"].name == "Tách thửa hoặc hợp thửa đất."  # no code: the name as written


def test_structured_export(tmp_path):
    data = {"thu_tuc_id": "1.013133", "metadata": {"mã_thủ_tục": "1.013133", "tên_thủ_tục": "Thủ tục đăng ký nghĩa vụ quân sự lần đầu",
                                                    "cấp_thực_hiện": "Cấp Xã", "lĩnh_vực": "Nghĩa vụ quân sự"},
            "content": {"trình_tự_thực_hiện": "Bước 1. Nộp. Bước 2. Nhận."},
            "tables": {"hinh_thuc_nop": [{"hinh_thuc": "Trực tiếp", "thoi_han_giai_quyet": "1 Ngày làm việc", "phi_le_phi": "Phí : 0 Đồng"}],
                       "thanh_phan_ho_so": [{"ten_giay_to": "Phiếu tự khai sức khỏe", "ghi_chu": "Bản chính: 1\nBản sao: 0"}],
                       "can_cu_phap_ly": [{"so_ky_hieu": "13/2016/NĐ-CP", "trich_yeu": "Nghị định 13/2016/NĐ-CP"}]}}
    path = tmp_path / "1.013133.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = import_structured_json(path)
    (proc,) = report.procedures
    assert proc.levels == ("Cấp xã",)
    assert proc.channels[0].fee.amount_vnd == 0 and proc.channels[0].time.value == 1
    assert proc.documents[0].originals == 1 and proc.legal_basis[0].number == "13/2016/NĐ-CP"


def test_write_is_atomic_and_roundtrips(tmp_path, mini_catalogue):
    from knowledge.importers.dvcqg import ImportReport

    out = tmp_path / "catalogue"
    write_catalogue_dir(list(mini_catalogue.procedures), out)
    loaded = load_catalogue(out)
    assert not loaded.problems
    assert {p.code for p in loaded.catalogue.procedures} == {p.code for p in mini_catalogue.procedures}
    assert [p.name for p in tmp_path.iterdir()] == ["catalogue"]  # no staging leftovers


@pytest.mark.shared
def test_whole_national_data_imports():
    report = import_sources(shared_path("data", "dvcqg", "procedures.jsonl"))
    report.merge(import_sources(shared_path("data", "dvcqg-structured")))
    assert len(report.procedures) == 2849
    assert report.complete + report.partial == 2849
    assert report.complete > 1400
    assert not report.problems


def test_parsers_are_linear_on_adversarial_input():
    """Regression for a catastrophic-backtracking case found by benchmarks/fuzz.py."""
    import time

    for text in ("0912345678" * 8000, "1 bản" * 20000, "Phí: " + "1," * 30000, "Trực tuyến" + "9" * 50000):
        started = time.perf_counter()
        parse_documents(text)
        parse_channels(text)
        parse_legal_basis(text)
        assert time.perf_counter() - started < 2.0, text[:20]
