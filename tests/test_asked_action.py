"""The action a question asks for, in the citizen's words, decides between names on one object."""

from __future__ import annotations

import pytest

from indexer.asked_action import AskedActions, _kind

TITLES = {
    "issue": "Cấp giấy phép kinh doanh karaoke (thực hiện tại cấp tỉnh)",
    "adjust": "Điều chỉnh thông tin trên giấy phép kinh doanh karaoke",
    "withdraw": "Thủ tục rút đơn đề nghị hỗ trợ học nghề",
    "apply": "Thủ tục đề nghị hỗ trợ học nghề",
    "found": "Thành lập văn phòng giám định tư pháp",
    "sell": "Chuyển nhượng văn phòng giám định tư pháp",
    "civil": "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
    "notice": "Thông báo tạm ngừng hoạt động kinh doanh karaoke",
}


@pytest.fixture(scope="module")
def actions() -> AskedActions:
    return AskedActions(TITLES)


def top(fused: dict[str, float]) -> str:
    return max(fused, key=fused.__getitem__)


def first_after(titles: dict[str, str], fused: dict[str, float], question: str) -> str:
    """The first candidate once a catalogue of `titles` has read `question` (`fused` is reordered in place)."""
    AskedActions(titles).first(fused, question)
    return top(fused)


@pytest.mark.parametrize(("question", "first", "second", "wanted"), [
    ("giấy phép karaoke ghi sai địa chỉ muốn sửa", "issue", "adjust", "adjust"),
    ("con tôi muốn hủy đơn xin hỗ trợ học nghề", "apply", "withdraw", "withdraw"),
    ("muốn bán lại văn phòng giám định thì cần gì", "found", "sell", "sell"),
])
def test_the_asked_action_in_everyday_words_takes_first_place(actions, question, first, second, wanted):
    fused = {first: 1.0, second: 0.8, "civil": 0.5}
    actions.first(fused, question)
    assert top(fused) == wanted
    assert fused[wanted] == 1.0 and fused[first] < 1.0  # scores exchanged, the yielding one just behind


def test_a_question_that_asks_no_action_keeps_retrieval_order(actions):
    fused = {"issue": 1.0, "adjust": 0.8}
    actions.first(fused, "xin giấy phép karaoke ở đâu")
    assert fused == {"issue": 1.0, "adjust": 0.8}


def test_what_befell_the_asker_is_not_what_they_ask_for(actions):
    # "bị thu hồi", "được điều chỉnh" tell a story; nothing is asked to be withdrawn or adjusted
    fused = {"issue": 1.0, "adjust": 0.8}
    actions.first(fused, "giấy phép karaoke đã được điều chỉnh rồi, giờ xin cấp cho quán mới")
    assert top(fused) == "issue"


def test_a_candidate_on_another_object_never_moves_up(actions):
    # "Thay đổi … thông tin hộ tịch" begins with a change, but shares nothing with the karaoke licence
    fused = {"issue": 1.0, "civil": 0.9}
    actions.first(fused, "muốn thay đổi giấy phép karaoke")
    assert top(fused) == "issue"


def test_a_first_candidate_that_already_names_the_action_stays(actions):
    # "Thông báo chấm dứt …" holds the asked action among its first words: it is already that action
    titles = {"notice": "Thông báo chấm dứt hoạt động kinh doanh karaoke", "end": "Chấm dứt hoạt động kinh doanh karaoke"}
    assert first_after(titles, {"notice": 1.0, "end": 0.9}, "muốn chấm dứt kinh doanh karaoke") == "notice"


def test_only_the_first_three_candidates_are_read(actions):
    fused = {"issue": 1.0, "civil": 0.9, "notice": 0.8, "adjust": 0.7}
    actions.first(fused, "muốn sửa giấy phép karaoke")
    assert top(fused) == "issue"


def test_paying_is_no_closing(actions):
    # "đóng" begins "đóng …" names of closing, but a question closes only with "đóng cửa"
    titles = {"open": "Cấp phép hoạt động khu vui chơi dưới nước", "close": "Đóng khu vui chơi dưới nước"}
    fused = {"open": 1.0, "close": 0.9}
    assert first_after(titles, fused, "khu vui chơi dưới nước phải đóng phí gì") == "open"
    assert first_after(titles, fused, "muốn đóng cửa khu vui chơi dưới nước") == "close"


def test_a_kind_without_words_is_refused():
    with pytest.raises(ValueError, match="action_kinds.yaml"):
        _kind("end", {"names": ["chấm dứt"], "asked": []})
