"""Engine mechanics on the five-procedure catalogue with the deterministic embedder."""

import pytest

from bot.engine.aspects import detect_aspect
from bot.engine.turn import detect_language, handle_safely
from bot.engine.intents import reference_code, status_cued
from bot.engine.types import ConversationState, Incoming


def ask(engine, text, state=None):
    return engine.handle(Incoming("test", "u1", text), state)


@pytest.mark.parametrize(("text", "aspect"), [
    ("làm giấy khai sinh cần giấy tờ gì", "documents"),
    ("lam khai sinh het bao nhieu tien", "fee"),
    ("bao lâu thì có căn cước", "time"),
    ("nộp hồ sơ tạm trú ở đâu", "place"),
    ("làm online được không", "online"),
    ("How long does it take?", "time"),
    ("khai sinh", "general"),
])
def test_aspects(text, aspect):
    assert detect_aspect(text)[0] == aspect


@pytest.mark.parametrize(("text", "aspect"), [
    # the unit after the quantity says what is asked, whatever verb comes before it
    ("đổi hộ chiếu mất bao nhiêu ngày", "time"),
    ("doi ho chieu mat bao nhieu ngay", "time"),
    ("đổi hộ chiếu mất bao nhiêu", "fee"),
    ("đổi hộ chiếu hết bn tiền", "fee"),
    ("gửi đơn rồi thì bn lâu mới trả lời", "time"),
    ("phải báo trước mấy giờ", "time"),
    ("con bao nhiêu tuổi thì làm được", "eligibility"),
    ("công chứng cần bao nhiêu bản", "documents"),
    # two aspects, each with its own cue: the first still wins the tie
    ("lệ phí bao nhiêu, mấy ngày thì có", "fee"),
    # a quantity without a unit says nothing by itself, and one that tells a story asks nothing
    ("có bao nhiêu loại giấy phép", "general"),
    ("cửa hàng lỗ mấy tháng nay rồi, muốn đóng cửa", "general"),
    ("mấy hôm trước tôi đi xin giấy xác nhận", "general"),
])
def test_a_quantity_is_asked_in_its_unit(text, aspect):
    found, cued = detect_aspect(text)
    assert found == aspect and cued == (aspect != "general")


def test_reference_codes_and_status_cues():
    assert reference_code("mã PA-2026-7K3F9Q đến đâu rồi") == "PA-2026-7K3F9Q"
    assert reference_code("hồ sơ H12.34.56-250610-0012") == "H12.34.56-250610-0012"
    assert status_cued("hồ sơ của tôi đến đâu rồi")
    assert not status_cued("làm giấy khai sinh ở đâu")


def test_language_detection():
    assert detect_language("How do I register a birth?") == "en"
    assert detect_language("lam giay khai sinh o dau") == "vi"
    assert detect_language("Làm giấy khai sinh") == "vi"


def test_answer_cites_source_and_leads_with_the_aspect(mini_engine):
    reply = ask(mini_engine, "làm giấy khai sinh cho con cần giấy tờ gì")
    assert reply.intent == "procedure" and reply.procedures[0] == "1.000001"
    assert reply.aspect == "documents"
    assert "Hồ sơ cần chuẩn bị" in reply.text.split("\n")[1]
    assert "1.000001" in reply.text and "https://dichvucong.gov.vn/test/1" in reply.text
    assert "cấp xã" in reply.text and "toàn trình" in reply.text


def test_follow_up_reuses_the_procedure_and_changes_aspect(mini_engine):
    first = ask(mini_engine, "làm giấy khai sinh cho con cần giấy tờ gì")
    second = ask(mini_engine, "thế còn lệ phí?", first.state)
    assert second.intent == "procedure"
    assert second.procedures[0] == "1.000001" and second.aspect == "fee"
    assert "miễn phí" in second.text.lower()
    third = ask(mini_engine, "lam online duoc khong", second.state)
    assert third.procedures[0] == "1.000001" and third.aspect == "online"


def test_level_variants_are_one_answer_listing_levels(mini_engine):
    reply = ask(mini_engine, "mất căn cước thì làm lại thế nào")
    assert set(reply.procedures[:2]) == {"1.000002", "1.000003"}
    assert "cấp xã" in reply.text and "cấp tỉnh" in reply.text


def test_cited_candidates_are_one_code_per_group_in_ranked_order(mini_engine):
    """Level variants are one candidate: citing all of them first pushed the next candidates (a
    clarification's second and third choices) out of the first three places."""
    result = mini_engine.index.search("mất căn cước thì làm lại thế nào")
    group_of = {item.id: item.group for item in mini_engine.index.items}
    codes = mini_engine.cited_codes(result)
    ranked_groups = [hit.group for hit in result.procedures()]
    assert len(ranked_groups) >= 2 and len(codes) == min(10, len(ranked_groups))
    assert [group_of[c] for c in codes] == ranked_groups[:len(codes)]
    assert codes[0] in ("1.000002", "1.000003")  # the level group still comes first


def test_numbered_choice_answers_a_pending_clarification(mini_engine):
    state = ConversationState(options=("dang-ky-tam-tru", "cap-giay-phep-lai-xe"), aspect="fee", context=("x",))
    reply = ask(mini_engine, "2", state)
    assert reply.procedures[0] == "1.000005" and reply.aspect == "fee"
    assert "135.000 đồng" in reply.text
    # the clarification is consumed; what remains pending are the other aspects of the answer
    assert reply.state.options and all(o.startswith("aspect:") for o in reply.state.options)


def test_a_follow_up_before_choosing_answers_the_first_choice_and_keeps_the_others_open(mini_engine):
    pending = ConversationState(options=("dang-ky-tam-tru", "cap-giay-phep-lai-xe"), group="dang-ky-tam-tru",
                                aspect="general", context=("đăng ký tạm trú",))
    follow_up = ask(mini_engine, "lệ phí bao nhiêu", pending)
    assert follow_up.procedures[0] == "1.000004" and follow_up.aspect == "fee"
    assert not follow_up.confident  # nobody confirmed the first choice
    assert "Nếu anh/chị hỏi thủ tục khác" in follow_up.text and "2. " in follow_up.text
    assert follow_up.options[0].payload == "2" and follow_up.state.options[:2] == pending.options
    picked = ask(mini_engine, "2", follow_up.state)
    assert picked.procedures[0] == "1.000005" and picked.aspect == "fee" and "135.000 đồng" in picked.text
    assert "Nếu anh/chị hỏi thủ tục khác" not in picked.text
    # once chosen, the next follow-up is an ordinary answer again
    after = ask(mini_engine, "làm ở đâu", picked.state)
    assert after.procedures[0] == "1.000005" and "Nếu anh/chị hỏi thủ tục khác" not in after.text


def test_a_tentative_answer_numbers_its_own_choices_after_the_other_procedures(mini_engine):
    """A typed number means what the citizen reads: the answer's own choices ("Xem hồ sơ …") come
    after the other procedures (2, …), on the terminal and Zalo as on the buttons."""
    from bot.channels.render import with_numbered_choices

    pending = ConversationState(options=("dang-ky-tam-tru", "cap-giay-phep-lai-xe"), group="dang-ky-tam-tru",
                                aspect="general", context=("đăng ký tạm trú",))
    follow_up = ask(mini_engine, "lệ phí bao nhiêu", pending)
    choices = [o for o in follow_up.options if not o.payload.startswith("helpful:")]
    assert [o.payload for o in choices] == [str(n) for n in range(2, len(choices) + 2)]
    assert all(o.label in follow_up.text for o in choices)
    assert with_numbered_choices(follow_up) == follow_up.text  # no second numbering on the terminal or Zalo
    own = choices[len(pending.options) - 1]  # the first after the other procedure ("2. …")
    kind = follow_up.state.options[int(own.payload) - 1]
    assert kind.startswith("aspect:")
    picked = ask(mini_engine, own.payload, follow_up.state)
    assert picked.procedures[0] == "1.000004" and picked.aspect == kind.removeprefix("aspect:")
    assert "Nếu anh/chị hỏi thủ tục khác" not in picked.text


def test_a_chosen_aspect_answers_the_same_procedure(mini_engine):
    first = ask(mini_engine, "lệ phí làm giấy khai sinh cho con")
    assert first.aspect == "fee" and "aspect:documents" in first.state.options
    by_button = mini_engine.handle(Incoming("test", "u1", "aspect:documents", choice="aspect:documents"), first.state)
    assert by_button.procedures[0] == "1.000001" and by_button.aspect == "documents"
    assert "Giấy chứng sinh" in by_button.text
    by_number = ask(mini_engine, str(first.state.options.index("aspect:steps") + 1), first.state)
    assert by_number.procedures[0] == "1.000001" and by_number.aspect == "steps"
    assert "Nhận Giấy khai sinh" in by_number.text


def test_english_question_gets_an_english_answer(mini_engine):
    reply = ask(mini_engine, "How do I get a birth certificate for my baby?")
    assert reply.language == "en"
    assert reply.procedures[0] == "1.000001"
    assert "Birth registration" in reply.text and "Source:" in reply.text


def test_feedback_reference_is_answered_as_status(mini_engine):
    reply = ask(mini_engine, "phản ánh PA-2026-AB12CD của tôi đến đâu rồi")
    assert reply.intent == "status" and "PA-2026-AB12CD" in reply.text


@pytest.mark.parametrize("text", [
    "", "   ", "\x00\x01\x02", "🙂🙂🙂", "a" * 100_000, "<script>alert(1)</script>", "'; DROP TABLE x; --",
    "ًًٌٍَُِّْ", "中文 русский ελληνικά", "\u202e\u200b", "1", "?" * 50, "lam " * 3000,
])
def test_never_crashes(mini_engine, text):
    reply = handle_safely(mini_engine, Incoming("test", "u1", text), None)
    assert reply.text
    assert reply.intent in ("procedure", "faq", "feedback", "status", "chitchat", "out_of_scope")


def test_state_round_trips_and_expires():
    state = ConversationState(group="g", codes=("1",), aspect="fee", context=("a",), turns=2, updated_at=1.0)
    assert ConversationState.from_dict(state.to_dict()) == state
    assert state.expired(now=1.0 + 7 * 3600)


@pytest.mark.parametrize("text", ["lam giay khai sinh cho con can giay to gi", "do xe o dau", "can cuoc the nao"])
def test_unaccented_vietnamese_is_not_english(text):
    assert detect_language(text) == "vi"


@pytest.mark.parametrize(("text", "left"), [
    ("mất bao lâu thì có giấy", ["giấy"]),  # the whole "mất bao lâu" goes, no stray "mất" (a lost paper)
    ("mat bao lau thi co giay", ["giay"]),
    ("có mất phí không", []),  # only particles remain: nothing names a topic
    ("bao lâu thì lấy đc", []),
    ("tai khoan bi khoa roi thi mo lai the nao", ["tai", "khoan", "khoa"]),
    ("con tôi mới 10 tuổi thì sao", ["con", "mới", "10", "tuổi"]),
])
def test_content_words_drop_aspect_phrases_longest_first_and_particles(text, left):
    from bot.engine.aspects import content_words, strip_aspect_cues

    assert content_words(strip_aspect_cues(text)) == left


def _result(scores: dict[str, float], confidence: float):
    from types import SimpleNamespace

    hits = [SimpleNamespace(group=g, score=s, kind="procedure") for g, s in sorted(scores.items(), key=lambda kv: -kv[1])]
    return SimpleNamespace(hits=hits, confidence=confidence, query=SimpleNamespace(folded="x"))


@pytest.mark.parametrize(("alone_confidence", "expected"), [(0.9, "new"), (0.1, "current")])
def test_follow_up_topic_moves_only_when_the_message_alone_clearly_points_elsewhere(mini_engine, monkeypatch, alone_confidence, expected):
    """The combined search leans to the current topic already (it holds the previous question);
    a confident message that names another topic must be able to move it."""
    import bot.engine.followups as engine_module

    current, new = list(mini_engine.index.group_items)[:2]
    monkeypatch.setattr(engine_module, "features_of", lambda result: result)
    monkeypatch.setattr(mini_engine.calibration, "probability", lambda result: result.confidence, raising=False)
    alone = _result({new: 1.0, current: 0.8 if alone_confidence > 0.5 else 0.95}, alone_confidence)
    combined = _result({current: 1.0, new: 0.75 if alone_confidence > 0.5 else 0.7}, 0.5)
    chosen = mini_engine.follow_up_group(current, alone, combined, correction=False)
    assert chosen == {"new": new, "current": current}[expected]


def test_a_comparison_with_the_previous_question_is_a_follow_up(mini_engine):
    first = mini_engine.handle(Incoming("t", "u", "làm giấy khai sinh cần giấy tờ gì"))
    second = mini_engine.handle(Incoming("t", "u", "con tôi sinh ở nước ngoài thì có khác không"), first.state)
    assert second.intent == "procedure" and second.aspect == "documents"  # the aspect carries over


def test_a_channel_given_twice_is_told_apart_by_its_case():
    """Two in-person times (3 days with a chip card, 7 without) must say which case is which."""
    from bot.engine.replies import fee_text, time_text
    from knowledge.loaders import bundled_sample_path, load_catalogue

    procedures = load_catalogue(bundled_sample_path()).catalogue.by_code()
    text = time_text("vi", procedures["3.000228"])
    assert text.startswith("3 ngày làm việc (với người đã có thẻ") and "7 ngày làm việc (với người chưa có thẻ" in text
    assert "nộp trực tiếp" in fee_text("vi", procedures["1.001456"])  # distinct channels keep their names


def test_a_follow_up_that_cues_a_near_variant_of_the_topic_moves_to_it(monkeypatch):
    """"chồng tôi quốc tịch Nhật Bản" after a marriage question: the message names the qualifier of
    the current topic's near-variant, which the combined search holds a hair ahead, and the
    stickiness of the current topic must not hold the plain procedure."""
    from types import SimpleNamespace

    import bot.engine.followups as followups
    from indexer.variants import near_variants

    titles = {"kh": "Thủ tục đăng ký kết hôn", "kh-nn": "Thủ tục đăng ký kết hôn có yếu tố nước ngoài",
              "kh-ld": "Thủ tục đăng ký kết hôn lưu động"}
    variants = near_variants(titles)
    monkeypatch.setattr(followups, "features_of", lambda result: result)
    calibration = SimpleNamespace(probability=lambda result: result.confidence)

    def result(scores: dict[str, float], folded: str):
        hits = [SimpleNamespace(group=g, score=s, kind="procedure") for g, s in sorted(scores.items(), key=lambda kv: -kv[1])]
        return SimpleNamespace(hits=hits, confidence=0.2, query=SimpleNamespace(folded=folded))

    combined = result({"kh-nn": 1.0, "kh": 0.999, "kh-ld": 0.6}, "dang ky ket hon chong toi quoc tich nhat ban")
    cued = result({"other": 1.0, "other-2": 0.9}, "chong toi quoc tich nhat ban, giay to can gi")
    assert followups.follow_up_group(calibration, dict.fromkeys(titles), "kh", cued, combined, False, variants) == "kh-nn"
    # without a cue in the message itself, stickiness keeps the topic (the old behaviour)
    plain = result({"other": 1.0, "kh": 0.9}, "nop ho so o cho nao")
    assert followups.follow_up_group(calibration, dict.fromkeys(titles), "kh", plain, combined, False, variants) == "kh"
    assert followups.follow_up_group(calibration, dict.fromkeys(titles), "kh", cued, combined, False, None) == "kh"
