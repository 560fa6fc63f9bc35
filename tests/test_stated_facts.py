"""A fact the question states (an age, a business's legal form, a sector's own people) against what
a procedure is written for."""

import pytest

from indexer.normalize import Normalizer
from indexer.stated_facts import (
    AGE_MISMATCH,
    FORM_MISMATCH,
    STAFF_UNCUED,
    StatedFacts,
    _any_of,
    bundled_legal_forms,
    named_forms,
    serves_own_staff,
    stated_forms,
)
from knowledge.text import fold

TITLES = {
    "dn": "Giải thể doanh nghiệp",
    "hkd": "Chấm dứt hoạt động hộ kinh doanh",
    "htx": "Giải thể hợp tác xã",
    "all": "Đăng ký doanh nghiệp, hợp tác xã, hộ kinh doanh trên hệ thống thông tin",
    "plain": "Đăng ký khai sinh",
    "cccd14": "Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên",
    "cccd0": "Cấp thẻ căn cước cho người dưới 14 tuổi",
}


def weighed(question: str) -> dict[str, float]:
    fused = dict.fromkeys(TITLES, 1.0)
    StatedFacts(TITLES).weigh(fused, Normalizer().query(question).folded)
    return fused


def test_forms_are_read_on_whole_words_from_names_and_questions():
    forms = bundled_legal_forms()
    assert named_forms(fold("Giải thể doanh nghiệp"), forms) == {"enterprise"}
    assert named_forms(fold("Đăng ký doanh nghiệp, hợp tác xã, hộ kinh doanh"), forms) == {
        "enterprise", "cooperative", "household_business"}
    assert named_forms(fold("Đăng ký khai sinh"), forms) == frozenset()
    assert stated_forms(fold("mở hộ kinh doanh bán tạp hóa"), forms) == {"household_business"}
    assert stated_forms(fold("công ty cổ phần của tôi"), forms) == {"enterprise"}
    assert stated_forms(fold("doanh nghiệpx"), forms) == frozenset()  # not a whole word


def test_a_name_written_only_for_another_form_steps_back():
    fused = weighed("mẹ tôi có hộ kinh doanh, giờ muốn thôi bán luôn")
    assert fused["dn"] == fused["htx"] == FORM_MISMATCH
    assert fused["hkd"] == fused["all"] == fused["plain"] == 1.0  # agrees, or states no form


def test_abbreviations_state_a_form_through_the_lexicon():
    fused = weighed("cty tạm ngừng kd thì báo ở đâu")  # "cty" is read as "công ty"
    assert fused["hkd"] == FORM_MISMATCH and fused["dn"] == 1.0
    assert weighed("giải thể htx")["dn"] == FORM_MISMATCH


def test_a_question_that_states_nothing_changes_nothing():
    assert set(weighed("xin cấp bản sao trích lục hộ tịch").values()) == {1.0}


def test_a_stated_age_still_decides_between_names_that_differ_by_age():
    fused = weighed("con tôi 10 tuổi làm căn cước")
    assert fused["cccd14"] == AGE_MISMATCH and fused["cccd0"] > 1.0
    assert fused["plain"] == 1.0


def test_a_form_without_words_is_refused_by_name():
    with pytest.raises(ValueError, match="legal_forms.yaml: household_business.cues"):
        _any_of([" "], "legal_forms.yaml: household_business.cues")


def test_a_procedure_for_a_sectors_own_people_is_read_from_who_acts_in_it():
    """Its name is as plain as anyone's; its applicants or first step say an officer acts."""
    from indexer.items import procedure_item
    from knowledge.schema import Procedure

    assert serves_own_staff("Cá nhân", "Bước 1: Hạ sĩ quan, chiến sĩ nghĩa vụ nộp danh sách thân nhân tại đơn vị")
    assert serves_own_staff("Công nhân quốc phòng", "")
    assert not serves_own_staff("Công dân nam, quân nhân dự bị", "Bước 1: Công dân đến Ban Chỉ huy quân sự cấp xã")
    assert not serves_own_staff("Công dân Việt Nam", "Bước 1: Người đề nghị nộp hồ sơ tại Công an cấp xã")
    # only the start of the first step says who acts: a later mention is someone else's part
    assert not serves_own_staff("Cá nhân", "Bước 1: Người dân nộp hồ sơ. " + "x " * 200 + "chiến sĩ nghĩa vụ")
    proc = Procedure(code="9.000001", name="Cấp thẻ bảo hiểm y tế", group="the-bhyt-cong-an",
                     steps=("Bước 1: Công nhân công an nộp danh sách",))
    assert procedure_item(proc).serves_own_staff


def test_a_question_that_names_no_officer_is_not_about_a_procedure_for_officers():
    facts = StatedFacts({"own": "Cấp thẻ bảo hiểm y tế", "all": "Đăng ký đóng, cấp thẻ BHYT"}, own_staff=frozenset({"own"}))
    fused = {"own": 1.0, "all": 0.9}
    facts.weigh(fused, Normalizer().query("làm thẻ bhyt cho mẹ ở đâu").folded)
    assert fused == {"own": STAFF_UNCUED, "all": 0.9}
    for question in ("thẻ bhyt cho vợ của chiến sĩ công an", "bố em là bộ đội, làm thẻ bhyt cho bố"):
        fused = {"own": 1.0, "all": 0.9}
        facts.weigh(fused, Normalizer().query(question).folded)
        assert fused == {"own": 1.0, "all": 0.9}, question
