"""A fact the question states (an age, a business's legal form, a sector's own people, a paper it
already has, an organisation asking) against what a procedure is written for."""

import pytest

from indexer.normalize import Normalizer
from indexer.stated_facts import (
    AGE_MISMATCH,
    EXISTING_UNCUED,
    FORM_MISMATCH,
    NO_PERSON_UNCUED,
    STAFF_UNCUED,
    StatedFacts,
    _any_of,
    bundled_existing_paper,
    bundled_legal_forms,
    existing_paper_from,
    filed_by_no_person,
    groups_no_person_files,
    named_forms,
    presupposes_paper,
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


def test_a_name_that_presupposes_a_paper_is_read_from_its_leading_action_with_marks():
    existing = bundled_existing_paper()
    for name in ("Cấp lại thẻ ABTC", "Thủ tục đổi Giấy chứng nhận đăng ký đầu tư", "Đăng ký lại kết hôn",
                 "Gia hạn, điều chỉnh giấy phép khai thác nước dưới đất", "Xóa đăng ký thường trú",
                 "Thu hồi giấy phép hoạt động (thực hiện tại cấp tỉnh)"):
        assert presupposes_paper(name, existing), name
    # "đối với" folds like "đổi"; "Cấp mới", "Cấp" and "Đăng ký" are first issues
    for name in ("Thủ tục đối với hàng hóa xuất khẩu có giá trị dưới năm triệu đồng", "Cấp mới thẻ ABTC",
                 "Cấp giấy phép lái xe", "Đăng ký kết hôn", "Cấp lạiđổi", "Đổimới giấy"):
        assert not presupposes_paper(name, existing), name


PAPERS = {"first": "Cấp mới thẻ ABTC", "again": "Cấp lại thẻ ABTC", "licence": "Cấp giấy phép lái xe",
          "licence-again": "Cấp lại giấy phép lái xe", "resident-out": "Xóa đăng ký thường trú",
          "resident": "Đăng ký thường trú"}


def weighed_papers(question: str) -> dict[str, float]:
    fused = dict.fromkeys(PAPERS, 1.0)
    query = Normalizer().query(question)
    StatedFacts(PAPERS).weigh(fused, query.folded, query.restored)
    return fused


def test_a_question_that_says_nothing_of_a_paper_it_has_asks_for_the_first_issue():
    presupposing = {"again", "licence-again", "resident-out"}
    # "lái" is not "lại", "cư" is not "cũ"; "mất" that means "takes" is no loss (indexer.word_senses)
    for question in ("xin thẻ ABTC ở đâu", "thi bằng lái xe hạng B", "đăng ký cư trú cho con",
                     "làm thẻ ABTC mất bao lâu"):
        fused = weighed_papers(question)
        assert {g for g, v in fused.items() if v == EXISTING_UNCUED} == presupposing, question
        assert {g for g, v in fused.items() if v == 1.0} == set(PAPERS) - presupposing, question


def test_a_paper_the_question_has_or_what_befell_it_keeps_every_name():
    for question in ("thẻ ABTC bị mất thì làm sao", "làm lại bằng lái", "bằng lái hết hạn rồi",
                     "đổi bằng lái cũ", "thẻ bị rách", "xóa hộ khẩu cho bố"):
        assert set(weighed_papers(question).values()) == {1.0}, question
    # without the restored text the fact is not read
    fused = dict.fromkeys(PAPERS, 1.0)
    StatedFacts(PAPERS).weigh(fused, fold("xin thẻ ABTC ở đâu"))
    assert set(fused.values()) == {1.0}


def test_existing_paper_words_that_are_missing_are_refused_by_name():
    with pytest.raises(ValueError, match="existing_paper.yaml: actions lists no words"):
        existing_paper_from({"actions": [" "], "cues": ["mất"]})
    with pytest.raises(ValueError, match="existing_paper.yaml: cues lists no words"):
        existing_paper_from({"actions": ["cấp lại"]})


def test_who_files_a_procedure_is_read_from_its_applicants():
    """Organisations, agencies and officials acting for them are no private person; an empty list
    says nothing."""
    from indexer.items import procedure_item
    from knowledge.schema import Procedure

    for applicants in ("Tổ chức (không bao gồm doanh nghiệp, HTX)", "Cán bộ, công chức, viên chức",
                       "Doanh nghiệp, Doanh nghiệp có vốn đầu tư nước ngoài, Tổ chức nước ngoài"):
        assert filed_by_no_person(applicants), applicants
    for applicants in ("Công dân Việt Nam, Doanh nghiệp", "Hộ kinh doanh đã đăng ký", "",
                       "Đơn vị sử dụng lao động lập hồ sơ cho người lao động", "Cá nhân, tổ chức",
                       "Người nước ngoài", "Cán bộ, công chức, viên chức, Đảng viên"):
        assert not filed_by_no_person(applicants), applicants
    proc = Procedure(code="3.000335", name="Cấp Phiếu lý lịch tư pháp theo yêu cầu của cơ quan tiến hành tố tụng",
                     group="lltp-to-tung", applicants="Cán bộ, công chức, viên chức")
    assert procedure_item(proc).no_person_files
    # a group is an organisation's only when none of its levels is a person's
    assert groups_no_person_files([("a", True), ("a", True), ("b", True), ("b", False), ("c", False)]) == {"a"}


FILED = {"org": "Cấp Phiếu lý lịch tư pháp theo yêu cầu của cơ quan nhà nước",
         "person": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"}


def weighed_filers(question: str) -> dict[str, float]:
    fused = dict.fromkeys(FILED, 1.0)
    query = Normalizer().query(question)
    StatedFacts(FILED, no_person=frozenset({"org"})).weigh(fused, query.folded, query.restored)
    return fused


def test_a_question_that_names_no_organisation_is_about_what_a_person_files():
    # "cho" is not "chợ", "quy định" not "quỹ", "trường hợp" no school
    for question in ("xin phiếu lý lịch tư pháp ở đâu", "làm lý lịch tư pháp cho con theo quy định",
                     "trường hợp ở nước ngoài xin lý lịch tư pháp"):
        assert weighed_filers(question) == {"org": NO_PERSON_UNCUED, "person": 1.0}, question
    for question in ("công ty tôi cần phiếu lý lịch tư pháp của nhân viên", "cty can phieu ly lich tu phap",
                     "tòa án yêu cầu cấp lý lịch tư pháp", "ban quản lý chợ xin lý lịch tư pháp"):
        assert weighed_filers(question) == {"org": 1.0, "person": 1.0}, question
    # without the restored text the fact is not read
    fused = dict.fromkeys(FILED, 1.0)
    StatedFacts(FILED, no_person=frozenset({"org"})).weigh(fused, fold("xin phiếu lý lịch tư pháp"))
    assert set(fused.values()) == {1.0}
