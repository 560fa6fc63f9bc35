"""Dated fee rules are read once and applied against the day of the question (fixed clocks here)."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.current import duration_today, fee_today
from knowledge.importers.flattened import parse_channels
from knowledge.loaders import bundled_sample_path, load_catalogue
from knowledge.schema import ChannelKind, Duration, Fee
from knowledge.validity import applicable, parse_rules

DEC_4 = dt.date(2026, 12, 4)
JAN_2 = dt.date(2027, 1, 2)
CAN_CUOC = "70.000 đồng/thẻ; từ 01/7/2025 đến hết 31/12/2026 thu 50% (35.000 đồng) theo Thông tư 64/2025/TT-BTC; một số trường hợp được miễn"
LICENCE = "Lệ phí 135.000 đồng/lần; nộp hồ sơ trực tuyến từ 01/12/2023 đến hết 31/12/2025 áp dụng mức 115.000 đồng/lần."


def _fee(text: str, amount: int | None = None) -> Fee:
    return Fee(amount_vnd=amount, text=text, rules=parse_rules(text))


@pytest.mark.parametrize(("text", "valid_from", "valid_until", "amount", "percent"), [
    ("Kể từ ngày 01/7/2025 đến hết ngày 31/12/2026 mức thu bằng 50% mức thu nêu trên",
     dt.date(2025, 7, 1), dt.date(2026, 12, 31), None, 50),
    ("25.000đ/tem “AB” (áp dụng đến hết ngày 31/12/2026 theo Thông tư số 64/2025/TT-BTC ngày 30/6/2025)",
     None, dt.date(2026, 12, 31), 25_000, None),
    ("giảm 50 % lệ phí đến hết 31/12/2026", None, dt.date(2026, 12, 31), None, 50),
    ("giảm 20% lệ phí đến hết 31/12/2026", None, dt.date(2026, 12, 31), None, 80),
    ("kể từ ngày 01/01/2027 áp dụng mức 80.000 đồng/lần", dt.date(2027, 1, 1), None, 80_000, None),
    ("nộp trước ngày 01/3/2027 thu 10.000 đồng", None, dt.date(2027, 2, 28), 10_000, None),
    ("từ ngày 01 tháng 7 năm 2025 đến hết ngày 31 tháng 12 năm 2026 thu 50%",
     dt.date(2025, 7, 1), dt.date(2026, 12, 31), None, 50),
])
def test_the_common_forms_of_dated_notes_are_read(text, valid_from, valid_until, amount, percent):
    (rule,) = parse_rules(text)
    assert (rule.valid_from, rule.valid_until, rule.amount_vnd, rule.percent) == (valid_from, valid_until, amount, percent)


def test_notes_without_a_date_stay_notes():
    assert parse_rules("Trong thời hạn 05 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ") == ()
    assert parse_rules("Lệ phí 50.000 đồng theo Thông tư số 25/2021/TT-BTC ngày 07/4/2021 của Bộ Tài chính") == ()


def test_a_reduced_fee_is_shown_until_its_last_day_with_the_coming_change():
    fee = _fee(CAN_CUOC, 70_000)
    on_dec_4 = fee_today(fee, DEC_4)
    assert on_dec_4.amount_vnd is None
    assert on_dec_4.text == "35.000 đồng (áp dụng đến hết 31/12/2026; từ 01/01/2027: 70.000 đồng)"
    on_jan_2 = fee_today(fee, JAN_2)
    assert on_jan_2.amount_vnd == 70_000  # the reduction ran out: the base amount, nothing about 35.000
    assert fee_today(fee, DEC_4, "en").text == "35.000 đồng (until 31/12/2026; from 01/01/2027: 70.000 đồng)"


def test_a_change_is_announced_only_within_thirty_days():
    fee = _fee(CAN_CUOC, 70_000)
    in_june = fee_today(fee, dt.date(2026, 6, 1))
    assert in_june.text == "35.000 đồng (áp dụng đến hết 31/12/2026)"  # the end date is said, the change not yet
    assert "01/01/2027" in fee_today(fee, dt.date(2026, 12, 2)).text  # 30 days ahead
    assert "01/01/2027" not in fee_today(fee, dt.date(2026, 12, 1)).text  # 31 days ahead


def test_a_fee_that_changes_on_a_date():
    fee = Fee(amount_vnd=60_000, text="60.000 đồng; kể từ ngày 01/01/2027 áp dụng mức 80.000 đồng",
              rules=parse_rules("60.000 đồng; kể từ ngày 01/01/2027 áp dụng mức 80.000 đồng"))
    assert fee_today(fee, dt.date(2026, 11, 1)).amount_vnd == 60_000  # change too far ahead to mention
    assert fee_today(fee, DEC_4).text == "60.000 đồng (từ 01/01/2027: 80.000 đồng)"
    assert fee_today(fee, JAN_2).amount_vnd == 80_000
    state = applicable(fee.rules, DEC_4)
    assert not state.current and len(state.future) == 1 and state.changes[0].on == dt.date(2027, 1, 1)


def test_an_expired_rate_is_not_shown():
    on_dec_4 = fee_today(_fee(LICENCE), DEC_4)
    assert on_dec_4.amount_vnd == 135_000 and "115.000" not in on_dec_4.text
    inline = ("Lệ phí cấp GPLX 135.000 đ/lần (nộp trực tuyến từ 01/12/2023 đến hết 31/12/2025: 115.000 đ/lần). "
              "Phí sát hạch lý thuyết 60.000 đ/lần.")
    text = fee_today(_fee(inline), DEC_4).text
    assert "115.000" not in text and text.startswith("Lệ phí cấp GPLX 135.000 đ/lần") and "60.000" in text
    # while it was in force, the reduced online rate was the one to quote
    assert "115.000" in fee_today(_fee(LICENCE), dt.date(2025, 6, 1)).text


def test_a_published_amount_that_is_itself_the_expired_rate_is_not_stated():
    note = "40.000đ/giấy thông hành (áp dụng đến hết ngày 31/12/2024 theo Thông tư số 43/2024/TT-BTC của Bộ Tài chính)"
    fee = Fee(amount_vnd=40_000, text="40.000 đồng", rules=parse_rules(note))
    assert fee_today(fee, DEC_4).amount_vnd is None


def test_an_expired_time_clause_leaves_the_time_text():
    text = "30 ngày; từ 01/01/2024 đến hết 31/12/2024 rút ngắn còn 20 ngày"
    duration = Duration(text=text, rules=parse_rules(text))
    assert duration_today(duration, DEC_4).text == "30 ngày"


def test_the_importer_stores_the_rules_of_a_crawled_fee_note():
    text = ("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp7 Ngày làm việc50,000 Việt Nam Đồng(Luật Căn cước: "
            "50.000 đồng/thẻ căn cước; Kể từ ngày 01/01/2025 đến hết ngày 31/12/2025, mức thu lệ phí khi nộp trực "
            "tuyến bằng 50% mức thu lệ phí quy định. - Kể từ ngày 01/7/2025 đến hết ngày 31/12/2026 mức thu lệ phí "
            "cấp đổi, cấp lại thẻ căn cước bằng 50% mức thu nêu trên theo quy định tại Thông tư số 64/2025/TT-BTC.)")
    (channel,) = parse_channels(text).value
    assert channel.kind == ChannelKind.DIRECT and channel.fee.amount_vnd == 50_000
    assert [(r.valid_until, r.percent) for r in channel.fee.rules] == [
        (dt.date(2025, 12, 31), 50), (dt.date(2026, 12, 31), 50)]
    assert fee_today(channel.fee, DEC_4).text.startswith("25.000 đồng (áp dụng đến hết 31/12/2026")
    assert fee_today(channel.fee, JAN_2).amount_vnd == 50_000


def test_the_reply_quotes_the_fee_of_the_day_for_the_sample_identity_card():
    from bot.engine.replies import fee_text, procedure_answer

    procedures = load_catalogue(bundled_sample_path()).catalogue.by_code()
    renewal = procedures["1.014064"]  # cấp lại thẻ căn cước: 70.000 đồng, 50 % until 31/12/2026
    assert fee_text("vi", renewal, DEC_4).startswith("35.000 đồng (áp dụng đến hết 31/12/2026; từ 01/01/2027: 70.000 đồng)")
    assert "35.000" not in fee_text("vi", renewal, JAN_2) and fee_text("vi", renewal, JAN_2).startswith("70.000 đồng")
    licence = procedures["3.000347"]
    assert "115.000" not in fee_text("vi", licence, DEC_4)
    answer = procedure_answer("vi", "fee", renewal, [renewal])
    assert answer.count(renewal.online.url) == 1  # the link is printed once, at the end


def test_a_dated_amount_far_from_the_base_is_a_slip_and_not_quoted():
    note = "25.000.000đ/giấy thông hành (áp dụng đến hết ngày 31/12/2026 theo Thông tư số 64/2025/TT-BTC)"
    fee = Fee(amount_vnd=50_000, text="50.000 đồng", rules=parse_rules(note))
    assert fee_today(fee, DEC_4).amount_vnd == 50_000


def test_a_rule_that_follows_another_is_one_change():
    text = "từ 01/01/2026 đến hết 31/12/2026 thu 30.000 đồng; từ 01/01/2027 đến hết 31/12/2027 thu 40.000 đồng"
    rules = parse_rules(text)
    for order in (rules, rules[::-1]):
        (change,) = applicable(order, DEC_4).changes
        assert change.on == dt.date(2027, 1, 1) and change.rule.amount_vnd == 40_000
    fee = Fee(amount_vnd=50_000, text=text, rules=rules)
    assert fee_today(fee, DEC_4).text == "30.000 đồng (áp dụng đến hết 31/12/2026; từ 01/01/2027: 40.000 đồng)"


def test_the_default_day_is_the_calendar_day_in_vietnam():
    from knowledge.validity import today_in_vietnam

    assert today_in_vietnam(dt.datetime(2026, 12, 31, 18, 0, tzinfo=dt.UTC)) == dt.date(2027, 1, 1)
    assert today_in_vietnam(dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)) == dt.date(2026, 12, 31)
