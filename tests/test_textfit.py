"""Notes are shortened by whole sentences and clauses, never inside a word (knowledge.textfit)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.loaders import bundled_sample_path, load_catalogue
from knowledge.textfit import ELLIPSIS, fit, normalise

WORDS = st.sampled_from([
    "lệ", "phí", "miễn", "cho", "người", "thuộc", "gia", "đình", "có", "công", "hộ", "nghèo", "khuyết", "tật",
    "HĐND", "tỉnh", "quyết", "định", "Thông", "tư", "64/2025/TT-BTC", "70.000", "đồng/thẻ", "(nếu", "có)",
    "Cổng", "Dịch", "vụ", "thu", "nhập", "cá", "nhân", "và", "hoặc", "trừ", "50%",
])
SEPARATORS = st.sampled_from([" ", " ", " ", ", ", "; ", ". ", ": ", " – ", " - ", ".. ", "  "])
NOTES = st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=60).map(
    lambda pairs: "".join(word + sep for word, sep in pairs).strip()
)


def _ends_on_a_word_boundary(kept: str, whole: str) -> bool:
    """`kept` is a prefix of `whole` and does not stop between two letters of one word."""
    if not whole.startswith(kept):
        return False
    return len(kept) == len(whole) or not (kept[-1:].isalnum() and whole[len(kept)].isalnum())


@settings(max_examples=150, deadline=None)
@given(NOTES, st.integers(min_value=8, max_value=240))
def test_a_fitted_note_is_a_whole_word_prefix_within_the_budget(note, budget):
    result = fit(note, budget, ELLIPSIS)
    whole = normalise(note)
    assert len(result.text) <= budget
    if not result.omitted:
        assert result.text == whole
        return
    kept = result.text.removesuffix(ELLIPSIS)
    # "khu vực.…" is written "khu vực…": the dropped period is the only allowed difference
    assert _ends_on_a_word_boundary(kept, whole) or _ends_on_a_word_boundary(kept + ".", whole)
    assert not kept.endswith((",", ";", ":", "–", "-", "("))
    # no bracket left open by the cut (beyond those the source itself never closes)
    assert kept.count("(") - kept.count(")") <= max(0, whole.count("(") - whole.count(")"))


@settings(max_examples=100, deadline=None)
@given(NOTES)
def test_a_note_that_fits_comes_back_whole_and_normalised(note):
    result = fit(note, 10_000)
    assert not result.omitted
    assert not re.search(r"(?<!\.)\.\.(?!\.)", result.text) and "  " not in result.text


def test_sentences_go_before_clauses_and_clauses_before_words():
    note = ("Miễn lệ phí. Mức lệ phí cụ thể (nếu có) do HĐND tỉnh, thành phố quyết định; miễn cho người thuộc "
            "gia đình có công với cách mạng, hộ nghèo, người khuyết tật.")
    assert fit(note, 20).text == "Miễn lệ phí."
    assert fit(note, 100, ELLIPSIS).text == "Miễn lệ phí. Mức lệ phí cụ thể (nếu có) do HĐND tỉnh, thành phố quyết định…"
    assert fit("Mộtchuỗirấtdàikhôngcókhoảngtrắng nào", 10) == fit("x" * 40, 10).__class__("", True)


def test_double_periods_and_spaces_are_normalised():
    assert normalise("Lệ phí 135.000 đồng/lần.. Nộp  tại xã .") == "Lệ phí 135.000 đồng/lần. Nộp tại xã."
    assert normalise("(nhân đạo, khẩn cấp...)") == "(nhân đạo, khẩn cấp...)"  # an ellipsis stays


def test_every_note_of_the_sample_catalogue_fits_without_a_cut_word():
    """The notes that were cut mid-word before ("hộ nghèo, ng.", "thuế thu nhập .") now end whole."""
    catalogue = load_catalogue(bundled_sample_path()).catalogue
    notes = {c.fee.text for p in catalogue.procedures for c in p.channels if c.fee.text}
    notes |= {c.note for p in catalogue.procedures for c in p.channels if c.note}
    notes |= {p.conditions for p in catalogue.procedures if p.conditions}
    assert len(notes) > 50
    for note in notes:
        for budget in (60, 100, 160, 300):
            result = fit(note, budget, ELLIPSIS)
            kept = result.text.removesuffix(ELLIPSIS) if result.omitted else result.text
            whole = normalise(note)
            assert len(result.text) <= budget, note
            assert _ends_on_a_word_boundary(kept, whole) or _ends_on_a_word_boundary(kept + ".", whole), (note, kept)
