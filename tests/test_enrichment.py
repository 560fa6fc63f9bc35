"""Automatic enrichment of imported procedures: short names, the shared lexicon read backwards,
near-variants, the import keeping full records and the reform FAQ, and leave-curation-out folds."""

from __future__ import annotations

import json

import pytest

from benchmarks.folds import fold_of_groups, fold_overlay
from indexer.items import procedure_lexical_text, procedure_passages
from indexer.normalize import Lexicon, Normalizer
from indexer.variants import (action_siblings, named_action_first, narrowing_kinds, near_variants, plain_variants_first,
                              uncued_narrowing_behind)
from knowledge.importers.run import import_sources, plan_import
from knowledge.loaders import bundled_faq
from knowledge.naming import cued_kinds, qualifier_kinds, short_name, variant_key
from knowledge.schema import Procedure


@pytest.mark.parametrize(("name", "short", "qualifier"), [
    ("Thủ tục đăng ký khai sinh", "Đăng ký khai sinh", ""),
    ("Cấp lại giấy phép hoạt động dự báo, cảnh báo khí tượng thủy văn (cấp tỉnh)",
     "Cấp lại giấy phép hoạt động dự báo, cảnh báo khí tượng thủy văn", ""),
    ("Đổi chứng nhận đăng ký xe, biển số xe bằng dịch vụ công trực tuyến một phần hoặc trực tiếp "
     "thực hiện tại cấp trung ương, cấp tỉnh, cấp xã", "Đổi chứng nhận đăng ký xe, biển số xe", ""),
    ("Gia hạn, điều chỉnh giấy phép khai thác nước dưới đất đối với công trình có quy mô dưới 5.000 m3/ngày đêm",
     "Gia hạn, điều chỉnh giấy phép khai thác nước dưới đất", "đối với công trình có quy mô dưới 5.000 m3/ngày đêm"),
    ("Thủ tục cấp sổ tạm quản hàng hóa (sổ ATA)", "Cấp sổ tạm quản hàng hóa", "sổ ATA"),
    ("Thủ tục hải quan đối với hàng hóa quá cảnh", "Thủ tục hải quan", "đối với hàng hóa quá cảnh"),
])
def test_short_name_moves_boilerplate_to_the_qualifier(name, short, qualifier):
    assert short_name(name) == (short, qualifier)


def test_short_name_keeps_a_core_that_would_say_nothing():
    # "Cấp" alone before "đối với" names nothing: the clause stays in the short name
    short, qualifier = short_name("Cấp đối với tàu cá")
    assert short == "Cấp đối với tàu cá" and qualifier == ""


def test_everyday_names_reach_every_procedure_using_the_official_term():
    lexicon = Lexicon.from_mapping({"everyday": {"sổ đỏ": "giấy chứng nhận quyền sử dụng đất",
                                                 "hộ khẩu": "đăng ký thường trú",
                                                 "cắt khẩu": "xóa đăng ký thường trú"}})
    normalizer = Normalizer(lexicon)
    assert normalizer.everyday_terms("Cấp đổi Giấy chứng nhận quyền sử dụng đất") == ["sổ đỏ"]
    assert normalizer.everyday_terms("Đăng ký thường trú") == ["hộ khẩu"]
    # the longest official term speaks: removing a registration is not "hộ khẩu" registration
    assert normalizer.everyday_terms("Xóa đăng ký thường trú") == ["cắt khẩu"]
    assert normalizer.everyday_terms("Đăng ký khai sinh") == []
    proc = Procedure(code="1.000001", name="Thủ tục đăng ký thường trú (thực hiện tại cấp xã)", group="g")
    assert "hộ khẩu" in procedure_lexical_text(proc, normalizer)
    assert any("hộ khẩu" in p for p in procedure_passages(proc, normalizer))
    assert "Đăng ký thường trú" in procedure_passages(proc, normalizer)


def test_result_joins_the_short_name_in_a_passage():
    proc = Procedure(code="1.000001", name="Thủ tục đăng ký khai tử", group="g", result="Trích lục khai tử")
    assert "Đăng ký khai tử: Trích lục khai tử" in procedure_passages(proc)


def test_the_start_of_the_conditions_joins_the_short_name_in_a_passage():
    conditions = "Người đến ở nhờ qua đêm tại nhà của người khác phải được báo trong ngày. " + "Chi tiết khác. " * 60
    proc = Procedure(code="1.000002", name="Thủ tục thông báo lưu trú", group="g", conditions=conditions)
    passage = next(p for p in procedure_passages(proc) if "ở nhờ" in p)
    assert passage.startswith("Thông báo lưu trú, điều kiện: Người đến ở nhờ qua đêm") and len(passage) < 350
    assert len(procedure_passages(Procedure(code="1.000002", name="Thủ tục thông báo lưu trú", group="g"))) == 2


def test_qualifier_kinds_and_cues():
    assert qualifier_kinds("Thủ tục đăng ký kết hôn có yếu tố nước ngoài") == {"foreign"}
    assert qualifier_kinds("Thủ tục đăng ký khai tử lưu động") == {"mobile"}
    assert qualifier_kinds("Thủ tục đăng ký kết hôn") == frozenset()
    assert variant_key("Thủ tục đăng ký kết hôn có yếu tố nước ngoài") == variant_key("Đăng ký kết hôn (cấp xã)")
    assert "foreign" in cued_kinds("dang ky ket hon voi nguoi han quoc")
    assert "mobile" in cued_kinds("can bo den tan nha dang ky duoc khong")
    # where a death happened is not a request for the official to come
    assert "mobile" not in cued_kinds("bo toi mat tai nha tuan truoc, lam khai tu o dau")
    assert "mobile" not in cued_kinds("chau sinh tai benh vien huyen")
    assert not cued_kinds("dang ky ket hon can giay to gi")


def first_after_variants(fused: dict[str, float], variants, question: str) -> str:
    """The group ranked first once near-variants are reordered for `question`."""
    plain_variants_first(fused, variants, cued_kinds(question), question)
    return max(fused, key=fused.get)


def test_a_name_only_for_foreigners_steps_back_when_the_question_says_nothing_foreign():
    titles = {"tam-tru-nn": "Khai báo tạm trú cho người nước ngoài tại Việt Nam bằng Phiếu khai báo tạm trú",
              "luu-tru": "Thông báo lưu trú",
              "dat": "Đăng ký đất đai lần đầu cho hộ gia đình, cá nhân, người Việt Nam định cư ở nước ngoài"}
    narrowing = narrowing_kinds(titles)
    assert narrowing == {"tam-tru-nn": frozenset({"foreign"})}  # a name listing citizens too serves them
    story = "em gai ra choi ngu lai nha minh ba dem, co phai bao phuong khong"
    fused = {"tam-tru-nn": 1.0, "luu-tru": 0.95, "dat": 0.5}
    uncued_narrowing_behind(fused, narrowing, cued_kinds(story))
    assert max(fused, key=fused.get) == "luu-tru" and fused["dat"] == 0.5
    fused = {"tam-tru-nn": 1.0, "luu-tru": 0.95}
    uncued_narrowing_behind(fused, narrowing, cued_kinds("nha toi co khach nguoi nuoc ngoai den o"))
    assert max(fused, key=fused.get) == "tam-tru-nn"


def test_plain_variant_first_unless_the_question_cues_the_qualifier():
    titles = {"kh": "Thủ tục đăng ký kết hôn", "kh-nn": "Thủ tục đăng ký kết hôn có yếu tố nước ngoài",
              "kh-ld": "Thủ tục đăng ký kết hôn lưu động", "other": "Thủ tục đăng ký giám hộ có yếu tố nước ngoài"}
    variants = near_variants(titles)
    assert set(variants) == {"kh-nn", "kh-ld"}  # no plain "giám hộ" here: nothing to put first
    fused = {"kh-nn": 1.0, "kh-ld": 0.9, "kh": 0.5, "other": 0.8}
    plain_variants_first(fused, variants, cued_kinds("dang ky ket hon o xa"), "dang ky ket hon o xa")
    assert max(fused, key=fused.get) == "kh" and fused["kh"] == 1.0  # the plain one takes the place
    assert fused["kh-nn"] > fused["other"] == 0.8
    question = "ket hon voi nguoi han quoc"
    cued = {"kh-nn": 0.5, "kh-ld": 0.4, "kh": 1.0}
    plain_variants_first(cued, variants, cued_kinds(question), question)
    assert max(cued, key=cued.get) == "kh-nn"


def test_a_name_extended_by_a_clause_is_a_variant_cued_by_the_clause():
    titles = {"ks": "Thủ tục đăng ký khai sinh",
              "ks-hs": "Thủ tục đăng ký khai sinh cho người đã có hồ sơ, giấy tờ cá nhân",
              "ks-kh": "Thủ tục đăng ký khai sinh kết hợp đăng ký nhận cha, mẹ, con",
              "nc": "Thủ tục đăng ký nhận cha, mẹ, con"}
    variants = near_variants(titles)
    assert [(v.siblings, v.kinds) for v in variants["ks-hs"]] == [(("ks",), frozenset())]
    assert [set(v.siblings) for v in variants["ks-kh"]] == [{"ks", "nc"}]
    assert first_after_variants({"ks-hs": 1.0, "ks": 0.7}, variants, "lam giay khai sinh cho be moi sinh") == "ks"
    cued = "nguoi lon da co ho so giay to ca nhan nhung chua khai sinh"
    assert first_after_variants({"ks-hs": 0.7, "ks": 1.0}, variants, cued) == "ks-hs"


def test_a_name_can_qualify_two_plainer_names_and_yields_to_each_unless_cued():
    titles = {"nn": "Thủ tục đăng ký khai sinh có yếu tố nước ngoài",
              "hs": "Thủ tục đăng ký khai sinh cho người đã có hồ sơ, giấy tờ cá nhân",
              "nn-hs": "Thủ tục đăng ký khai sinh có yếu tố nước ngoài cho người đã có hồ sơ, giấy tờ cá nhân"}
    variants = near_variants(titles)
    assert {v.siblings for v in variants["nn-hs"]} == {("hs",), ("nn",)}  # the foreign form, and an extension
    foreign_birth = "vo toi mang quoc tich nhat, be nha minh sinh o hue, lam giay khai sinh the nao"
    assert first_after_variants({"nn-hs": 1.0, "nn": 0.9, "hs": 0.5}, variants, foreign_birth) == "nn"
    both = "nguoi nuoc ngoai da co ho so giay to ca nhan nhung chua dang ky khai sinh"
    assert first_after_variants({"nn-hs": 0.8, "nn": 0.9, "hs": 1.0}, variants, both) == "nn-hs"


def test_living_abroad_is_a_qualifier_and_in_the_country_is_the_plain_case():
    titles = {"home": "Nhập quốc tịch Việt Nam ở trong nước", "abroad": "Nhập quốc tịch Việt Nam ở nước ngoài"}
    assert qualifier_kinds(titles["abroad"]) == {"abroad"} and not qualifier_kinds(titles["home"])
    variants = near_variants(titles)
    assert [v.siblings for v in variants["abroad"]] == [("home",)]
    # a nationality named in the question is not where the citizen lives
    question = "toi la nguoi nhat ban dang sinh song o da nang muon nhap quoc tich viet nam"
    assert first_after_variants({"home": 0.5, "abroad": 0.6}, variants, question) == "home"
    question = "gia dinh toi dinh cu o uc nhieu nam, chong toi muon nhap quoc tich viet nam"
    assert first_after_variants({"home": 0.6, "abroad": 0.5}, variants, question) == "abroad"


def test_the_action_a_question_names_decides_between_actions_on_one_object():
    titles = {"cap": "Cấp giấy phép lái xe", "cap-lai": "Cấp lại giấy phép lái xe",
              "doi": "Đổi giấy phép lái xe", "other": "Cấp giấy phép xây dựng"}
    siblings = action_siblings(titles)
    assert "other" not in siblings and set(siblings) == {"cap", "cap-lai", "doi"}
    fused = {"cap": 0.9, "cap-lai": 0.8, "doi": 0.7, "other": 0.5}
    named_action_first(fused, siblings, "lam roi bang lai o cho, can cap lai gap")
    assert max(fused, key=fused.get) == "cap-lai" and fused["cap"] < fused["cap-lai"]
    fused = {"cap": 0.9, "cap-lai": 0.8, "doi": 0.7, "other": 0.5}
    named_action_first(fused, siblings, "giay phep lai xe qua han roi doi the nao")
    assert max(fused, key=fused.get) == "doi"


def test_an_action_inside_a_longer_one_is_not_named():
    # "bị mất" reads as "cấp lại": that does not name "cấp" (issue a new passport) of another family
    from indexer.variants import named_actions

    vocabulary = frozenset({"cap", "cap lai", "trinh bao mat"})
    assert named_actions("danh roi ho chieu ngoai cho cap lai", vocabulary) == {"cap lai"}
    assert named_actions("cap ho chieu lan dau", vocabulary) == {"cap"}
    titles = {"cap": "Cấp hộ chiếu phổ thông ở trong nước", "bao-mat": "Trình báo mất hộ chiếu phổ thông",
              "x": "Cấp lại giấy phép lái xe", "y": "Cấp giấy phép lái xe"}
    siblings = action_siblings(titles)
    fused = {"cap": 0.5, "bao-mat": 0.9}
    named_action_first(fused, siblings, "ho chieu that lac can trinh bao mat cap lai")
    assert max(fused, key=fused.get) == "bao-mat"


def test_a_base_action_named_in_passing_decides_nothing():
    # "we registered (đăng ký) our marriage long ago" names the plain action in a story about re-registering
    titles = {"dk": "Đăng ký kết hôn", "dk-lai": "Đăng ký lại kết hôn"}
    siblings = action_siblings(titles)
    fused = {"dk": 0.5, "dk-lai": 0.9}
    named_action_first(fused, siblings, "hai vo chong dang ky ket hon tu lau, ban chinh that lac")
    assert fused == {"dk": 0.5, "dk-lai": 0.9}
    fused = {"dk": 0.9, "dk-lai": 0.5}
    named_action_first(fused, siblings, "muon dang ky lai ket hon")
    assert max(fused, key=fused.get) == "dk-lai"


def test_a_reissue_asked_of_a_family_that_redoes_with_another_verb_names_its_redo():
    # a lost paper reads as "cấp lại" (lexicon); marriages are not re-issued but registered again
    titles = {"dk": "Đăng ký kết hôn", "dk-lai": "Đăng ký lại kết hôn", "gp": "Cấp giấy phép lái xe",
              "gp-lai": "Cấp lại giấy phép lái xe"}
    siblings = action_siblings(titles)
    fused = {"dk": 0.9, "dk-lai": 0.5}
    named_action_first(fused, siblings, "to giay ket hon cua bo me bi chuot gam nat cap lai")
    assert max(fused, key=fused.get) == "dk-lai"
    fused = {"dk": 0.9, "dk-lai": 0.5}  # another "… lại" (checked again) is not a reissue
    named_action_first(fused, siblings, "ket hon xong nho can bo kiem tra lai ho so")
    assert max(fused, key=fused.get) == "dk"


def test_list_export_row_updates_instead_of_erasing_the_full_record(tmp_path):
    crawl = {"ma_thu_tuc": "1.000001", "ten_thu_tuc": "Thủ tục đăng ký khai sinh", "linh_vuc": "Hộ tịch",
             "ket_qua_xu_ly": "Giấy khai sinh", "cap_thuc_hien": "Cấp xã"}
    (tmp_path / "procedures.jsonl").write_text(json.dumps(crawl, ensure_ascii=False) + "\n", encoding="utf-8")
    report = import_sources(tmp_path)
    if not report.procedures:
        pytest.skip("crawl field names differ from this fixture")
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Danh sách thủ tục"])
    sheet.append(["Mã số", "Tên", "Cơ quan ban hành", "Cơ quan thực hiện", "Lĩnh vực"])
    sheet.append(["1.000001", "Đăng ký khai sinh", "Bộ Tư pháp", "UBND cấp xã", "Hộ tịch"])
    book.save(tmp_path / "danh-sach-tthc-tu-phap.xlsx")
    both = import_sources(tmp_path)
    (proc,) = both.procedures
    assert proc.name == "Đăng ký khai sinh" and proc.result == "Giấy khai sinh"
    assert not both.problems


def test_import_into_an_empty_directory_keeps_the_reform_faq(tmp_path):
    source = tmp_path / "src.yaml"
    source.write_text("procedures:\n- code: '1.000001'\n  name: Đăng ký khai sinh\n  group: khai-sinh\n",
                      encoding="utf-8")
    plan = plan_import(source, tmp_path / "empty")
    assert {e.topic for e in plan.faq} == {e.topic for e in bundled_faq()} and plan.faq
    plan = plan_import(source, tmp_path / "empty", replace=True)
    assert {e.topic for e in plan.faq} == {e.topic for e in bundled_faq()}


def test_folds_strip_hand_work_of_left_out_groups_only():
    assert fold_of_groups(["c", "a", "b"], 2) == {"a": 0, "b": 1, "c": 0}
    curated = [Procedure(code="1.000001", name="Đăng ký khai sinh", group="a", aliases=("làm giấy khai sinh",),
                         summary="Cho trẻ mới sinh.", name_en="Birth registration"),
               Procedure(code="1.000002", name="Đăng ký kết hôn", group="b", aliases=("lấy vợ",))]
    imported = {"1.000001": Procedure(code="1.000001", name="Thủ tục đăng ký khai sinh", group="dang-ky-khai-sinh")}
    first, second = fold_overlay(curated, imported, {"a"})
    assert first.name == "Thủ tục đăng ký khai sinh" and not first.aliases and first.group == "a"
    assert second.aliases == ("lấy vợ",)
    (alone,) = fold_overlay(curated[1:], {}, {"b"})
    assert alone.aliases == () and alone.summary == "" and alone.name == "Đăng ký kết hôn"
