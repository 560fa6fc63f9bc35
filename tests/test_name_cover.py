"""The name-coverage ranking (indexer/name_cover.py): what share of a procedure's name a question says."""

from __future__ import annotations

from indexer.items import Item
from indexer.name_cover import NameCover
from indexer.normalize import lexical_terms
from knowledge.text import fold


def _cover(titles: dict[str, str], everyday: dict[str, list[str]] | None = None) -> NameCover:
    items = [Item(id=g, kind="procedure", group=g, title=t) for g, t in titles.items()]
    return NameCover(items, [(everyday or {}).get(g, []) for g in titles])


TITLES = {
    "tam-tru": "Đăng ký tạm trú",
    "dien-tich": "Xác nhận về điều kiện diện tích bình quân nhà ở để đăng ký thường trú vào chỗ ở do thuê, mượn",
    "thuong-tru": "Đăng ký thường trú",
}


def test_a_short_name_said_in_full_ranks_above_a_long_name_sharing_more_words():
    cover = _cover(TITLES)
    question = lexical_terms(fold("Tôi thuê nhà ở quận khác, chủ nhà nhắc phải đăng ký tạm trú, nộp ở đâu"))
    ranking = cover.ranking(question, TITLES, tie_break={})
    assert ranking[0][0] == "tam-tru"
    assert ranking[0][1] == 1.0
    assert dict(ranking)["dien-tich"] < 0.5


def test_rare_words_weigh_more_than_words_every_name_shares():
    titles = {**TITLES, "a": "Đăng ký khai sinh", "b": "Đăng ký kết hôn", "c": "Đăng ký khai tử"}
    cover = _cover(titles)
    only_common = frozenset(["dang", "ky", "dang_ky"])
    only_rare = frozenset(["tam", "tru", "tam_tru"])
    assert cover.coverage("tam-tru", only_rare) > 0.5 > cover.coverage("tam-tru", only_common)


def test_everyday_names_count_and_ties_follow_the_tie_break():
    cover = _cover(TITLES, everyday={"thuong-tru": ["nhập hộ khẩu"]})
    question = lexical_terms(fold("nhập hộ khẩu cho con"))
    assert cover.ranking(question, TITLES, tie_break={})[0] == ("thuong-tru", 1.0)
    both = lexical_terms(fold("đăng ký thường trú hay đăng ký tạm trú"))
    assert [g for g, _ in cover.ranking(both, TITLES, tie_break={"tam-tru": 0.9, "thuong-tru": 0.8})][:2] == ["tam-tru", "thuong-tru"]
    assert [g for g, _ in cover.ranking(both, TITLES, tie_break={"tam-tru": 0.8, "thuong-tru": 0.9})][:2] == ["thuong-tru", "tam-tru"]


def test_a_question_that_says_nothing_of_a_name_leaves_it_out():
    cover = _cover(TITLES)
    assert cover.ranking(lexical_terms(fold("thời tiết hôm nay")), TITLES, tie_break={}) == []
