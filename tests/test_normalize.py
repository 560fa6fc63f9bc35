from indexer.normalize import DiacriticRestorer, Lexicon, Normalizer, clean, is_mostly_unaccented, lexical_terms
from knowledge.text import fold, slugify


def test_fold_strips_marks_and_d():
    assert fold("Sổ ĐỎ  bị  mất") == "so do bi mat"
    assert fold("Đăng ký") == "dang ky"


def test_slugify():
    assert slugify("Cấp lại thẻ căn cước (cấp tỉnh)") == "cap-lai-the-can-cuoc-cap-tinh"


def test_clean_drops_control_characters_and_bounds_length():
    assert clean("a\x00b\u200bc  D") == "a b c d"
    assert len(clean("x" * 10_000)) <= 2000


def test_lexicon_replaces_teencode_and_abbreviations_and_adds_official_terms():
    lexicon = Lexicon.from_mapping({
        "teencode": {"ko": "không", "dc": "được"},
        "abbreviations": {"cccd": "căn cước công dân"},
        "everyday": {"sổ đỏ": "giấy chứng nhận quyền sử dụng đất"},
        "english": {"birth certificate": "giấy khai sinh"},
    })
    n = Normalizer(lexicon=lexicon)
    assert n.expand("làm CCCD ko dc") == "làm căn cước công dân không được"
    # everyday names keep their words (aliases may use them) and gain the official term
    assert n.expand("so do bi mat") == "so do bi mat giấy chứng nhận quyền sử dụng đất"
    assert n.expand("need a birth certificate").endswith("giấy khai sinh")


def test_an_abbreviation_that_is_also_a_word_is_the_abbreviation_only_in_capitals():
    lexicon = Lexicon.from_mapping({"abbreviations": {"vat": "thuế giá trị gia tăng", "sở tp": "sở tư pháp",
                                                      "tp": "thành phố"}})
    restorer = DiacriticRestorer(["đồ vật bị mất", "vật nuôi", "tang vật"])
    n = Normalizer(lexicon=lexicon, restorer=restorer)
    assert n.expand("hoàn thuế VAT") == "hoàn thuế thuế giá trị gia tăng"
    assert n.expand("đồ vật bị mất") == "đồ vật bị mất"  # typed with marks: the word
    assert n.expand("do vat bi mat") == "do vat bi mat thuế giá trị gia tăng"  # either: the word stays, meaning added
    assert n.query("do vat bi mat").restored.startswith("đồ vật bị mất")
    # an abbreviation of two words wins over its shorter key
    assert n.expand("nộp ở sở tp") == "nộp ở sở tư pháp" and n.expand("tp huế") == "thành phố huế"


def test_a_phrase_typed_with_other_marks_is_another_phrase():
    """Keys match folded, so unaccented text finds them; marks the writer typed say which word it
    is. "Thuê đất" (lease land) in a catalogue name had gained the land-tax term, and "bảo từ năm
    nay" (said that from this year) the death registration."""
    lexicon = Lexicon.from_mapping({"everyday": {"thuế đất": "thuế sử dụng đất", "báo tử": "đăng ký khai tử",
                                                 "hoà giải đất": "hòa giải tranh chấp đất đai"},
                                    "situations": {"bị mất": "cấp lại"}})
    n = Normalizer(lexicon=lexicon)
    assert n.expand("cho thuê đất") == "cho thuê đất"
    assert n.expand("nộp thuế đất") == "nộp thuế đất thuế sử dụng đất"
    assert n.expand("nop thue dat") == "nop thue dat thuế sử dụng đất"  # bare syllables agree with any marks
    assert n.expand("cán bộ bảo từ năm nay") == "cán bộ bảo từ năm nay"
    assert n.expand("đi báo tu") == "đi báo tu đăng ký khai tử"  # what was marked agrees
    assert n.expand("hồ sơ bí mật") == "hồ sơ bí mật" and n.expand("ví bị mất") == "ví bị mất cấp lại"
    assert n.expand("hòa giải đất") == "hòa giải đất hòa giải tranh chấp đất đai"  # the tone's place does not matter


def test_places_leave_the_lexical_terms_and_words_that_only_fold_like_them_stay():
    """Where a citizen lives does not choose a procedure; BM25 weighed a city's rare syllables
    above the question's topic."""
    n = Normalizer()
    words = lambda text: [t for t in n.query(text).terms if "_" not in t]  # noqa: E731
    assert words("cấp bản sao trích lục, đang ở TP.HCM") == words("cấp bản sao trích lục, đang ở")
    assert "thanh" not in words("thường trú ở tỉnh Thanh Hóa") and "tinh" not in words("thường trú ở tỉnh Thanh Hóa")
    assert words("chuyen vao binh duong o") == ["chuyen", "vao", "o"]  # bare syllables agree with any marks
    assert words("sau 5 năm định cư") == ["sau", "5", "nam", "dinh", "cu"]  # "năm định" is not Nam Định
    assert words("ly hôn vĩnh viễn ở Huế") == ["ly", "hon", "vinh", "vien", "o"]
    assert n.query("đang sống ở Hà Nội").restored.endswith("hà nội")  # the dense model reads all of it


def test_everyday_names_come_from_what_a_name_does_not_from_what_it_is_for():
    """A certificate needed "để đăng ký thường trú" is not the registration; it had gained all of
    the registration's everyday names and outranked it for questions about moving one's household."""
    lexicon = Lexicon.from_mapping({"everyday": {"nhập hộ khẩu": "đăng ký thường trú", "sổ đỏ": "giấy chứng nhận quyền sử dụng đất"}})
    n = Normalizer(lexicon=lexicon)
    assert n.everyday_terms("Đăng ký thường trú") == ["nhập hộ khẩu"]
    assert n.everyday_terms("Xác nhận diện tích nhà ở để đăng ký thường trú") == []
    assert n.everyday_terms("Xác nhận nhằm đăng ký thường trú . Giấy chứng nhận quyền sử dụng đất") == ["sổ đỏ"]  # each part apart
    assert n.everyday_terms("Cung cấp dữ liệu phục vụ đăng ký thường trú") == []


def test_official_terms_the_lexicon_adds_are_not_restored_again():
    """They are written with their marks; "thu" alone reads "thủ" in a catalogue of "thủ tục"."""
    lexicon = Lexicon.from_mapping({"english": {"income tax": "thuế thu nhập"}})
    restorer = DiacriticRestorer(["thủ tục", "thủ tục", "thu nhập"])
    n = Normalizer(lexicon=lexicon, restorer=restorer)
    assert n.query("income tax refund").restored.endswith("thuế thu nhập")
    assert n.query("thu tuc").restored == "thủ tục"  # the citizen's own bare words still are


def test_bundled_lexicon_covers_common_forms():
    n = Normalizer()
    expanded = fold(n.expand("ko biet lam cccd o dau"))
    assert "khong" in expanded and "can cuoc" in expanded


def test_restorer_marks_unaccented_runs_only():
    r = DiacriticRestorer(["làm giấy khai sinh ở đâu", "giấy khai sinh", "hộ chiếu", "ở đâu"])
    assert r.restore("lam giay khai sinh o dau") == "làm giấy khai sinh ở đâu"
    # a syllable the user marked stays as typed, even if the table prefers another form
    assert r.restore("làm hô chieu") .startswith("làm hô")
    assert r.restore("xyz") == "xyz"


def test_restorer_keeps_lone_bare_syllables_in_text_typed_with_marks():
    """"hai" is a word; a citizen who types marks left it bare on purpose (the table prefers "hải")."""
    r = DiacriticRestorer(["hải quan", "hải sản", "thời hạn hai năm", "hải", "ly hôn", "lý lịch", "lý do", "lý"])
    assert r.restore("tôi đã ly hôn được hai năm") == "tôi đã ly hôn được hai năm"
    assert r.restore("da ly hon duoc hai nam").split()[-2] == "hai"  # the n-gram decides in bare text
    assert r.restore("hai") == "hải"  # a bare text of one syllable: the table's best guess
    # lexicon additions (official terms with marks) do not make the citizen's bare text "accented"
    assert r.restore("ly hon giấy chứng nhận kết hôn", typed="ly hon") == "ly hôn giấy chứng nhận kết hôn"


def test_lexical_terms_add_bigrams():
    assert lexical_terms("so do bi mat") == ["so", "do", "bi", "mat", "so_do", "do_bi", "bi_mat"]
    assert lexical_terms("muc do 02") == lexical_terms("muc do 2") == ["muc", "do", "2", "muc_do", "do_2"]
    assert lexical_terms("00") == ["0"]


def test_lexical_terms_read_one_and_two_as_digits():
    # names say "một thành viên", citizens "1 thành viên"; both sides go through lexical_terms
    assert lexical_terms("cong ty mot thanh vien") == lexical_terms("cong ty 1 thanh vien")
    assert "2_thanh" in lexical_terms("hai thanh vien tro len")


def test_unaccented_detection():
    assert is_mostly_unaccented("lam so do o dau")
    assert not is_mostly_unaccented("làm sổ đỏ ở đâu")


def test_lexicon_keys_with_apostrophes_and_hyphens_meet_messages():
    """Messages are split at apostrophes and hyphens ("driver s license"); keys are split alike,
    or "driver's license" and "e-visa" never matched anything."""
    lexicon = Lexicon.from_mapping({"english": {"driver's license": "giấy phép lái xe", "e-visa": "thị thực điện tử"},
                                    "teencode": {"e": "em"}})
    normalizer = Normalizer(lexicon=lexicon)
    assert normalizer.expand("how do I renew my driver's license").endswith("giấy phép lái xe")
    assert normalizer.expand("apply for an e-visa").endswith("thị thực điện tử")
    assert normalizer.expand("apply for an e visa").endswith("thị thực điện tử")


def test_a_word_that_only_asks_how_long_or_how_much_is_not_searched():
    """"mất" takes or costs before a duration or an amount, and is searched only where it may mean
    lost; a message typed without marks is read by its letters (restoration may pick "mặt")."""
    from indexer.word_senses import without_aspect_words

    assert without_aspect_words("gia hạn hộ chiếu mất mấy ngày") == "gia hạn hộ chiếu mấy ngày"
    assert without_aspect_words("xin trích lục có mất phí không") == "xin trích lục có phí không"
    assert without_aspect_words("đổi bằng lái hết bao nhiêu tiền") == "đổi bằng lái bao nhiêu tiền"
    assert without_aspect_words("xin giấy phép mặt bao lâu", unmarked=True) == "xin giấy phép bao lâu"
    for kept in ("bị mất bao nhiêu tiền", "làm mất sổ hộ khẩu", "ông tôi mất mấy tháng rồi", "xây lại mặt tiền nhà",
                 "giấy phép hết hạn"):
        assert without_aspect_words(kept) == kept
    # and through the normaliser, which every query passes
    restored = Normalizer(lexicon=Lexicon.from_mapping({})).query("nộp thuế mất bao lâu").restored
    assert restored == "nộp thuế bao lâu"


def test_a_malformed_word_sense_is_refused_with_its_place_named():
    import pytest

    from indexer.word_senses import senses_from

    with pytest.raises(ValueError, match="takes.followed_by"):
        senses_from({"takes": {"word": "mất", "followed_by": []}})
    with pytest.raises(ValueError, match="costs: needs a word"):
        senses_from({"costs": {"followed_by": ["bao nhiêu"]}})
    with pytest.raises(ValueError, match="takes.unless_after"):
        senses_from({"takes": {"word": "mất", "followed_by": ["bao lâu"], "unless_after": "bị"}})
