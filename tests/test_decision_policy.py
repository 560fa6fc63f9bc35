"""The answer / clarify / decline policy and the thresholds the calibration tool fits for it.

Synthetic search results with a chosen confidence stand in for the engine: the policy and the fit
are read here without a model, so a change of either shows in one place."""

from __future__ import annotations

import numpy as np

from bot.engine.confidence import FEATURES, Calibration
from bot.engine.decide import decide
from bot.engine.intents import IntentGuess, catalogue_examples
from bot.tools.calibrate import Observed, allowed_confident_wrong, meets_bars, out_of_scope_threshold
from indexer.normalize import NormalizedQuery
from indexer.search import GroupHit, SearchResult
from knowledge.schema import Catalogue, Procedure

# one feature carries the whole score: probability = sigmoid(10 * (dense_top - 0.5))
CALIBRATION = Calibration(weights={name: (10.0 if name == "dense_top" else 0.0) for name in FEATURES}, bias=-5.0,
                          decline_below=0.1, clarify_below=0.87, out_of_scope_below=0.5)


def result(confidence: float, code: str = "1.000001") -> SearchResult:
    dense = 0.5 + float(np.log(confidence / (1 - confidence))) / 10.0
    query = NormalizedQuery("q", "q", "q", "q")
    hits = (GroupHit(group=code, kind="procedure", item_ids=(code,), score=1.0, dense=dense, lexical=0.0, fuzzy=0.0),
            GroupHit(group="other", kind="procedure", item_ids=("2.000002",), score=0.5, dense=0.0, lexical=0.0, fuzzy=0.0))
    return SearchResult(query=query, hits=hits, query_vector=np.zeros(4, dtype=np.float32))


def guess(intent: str, p: float) -> IntentGuess:
    other = "info" if intent == "out_of_scope" else "out_of_scope"
    return IntentGuess(intent=intent, probability=p, probabilities={intent: p, other: 1 - p}, feedback_kind=None)


def with_oos(threshold: float) -> Calibration:
    return Calibration(weights=CALIBRATION.weights, bias=CALIBRATION.bias, decline_below=0.1, clarify_below=0.87,
                       out_of_scope_below=threshold)


def test_the_classifiers_out_of_scope_stands_only_below_the_fitted_retrieval_confidence():
    doubted = guess("out_of_scope", 0.8)
    assert decide(with_oos(0.5), result(0.45), doubted).intent == "out_of_scope"
    kept = decide(with_oos(0.4), result(0.45), doubted)  # retrieval overrules the classifier
    assert kept.intent == "procedure" and kept.clarify and not kept.decline
    assert decide(with_oos(0.4), result(0.3), doubted).intent == "out_of_scope"
    assert decide(with_oos(0.4), result(0.95), guess("info", 0.9)).clarify is False


def test_small_talk_the_classifier_barely_believes_yields_to_a_confident_search():
    def chitchat(p: float):
        return IntentGuess(intent="chitchat", probability=p, probabilities={"chitchat": p, "info": 1 - p}, feedback_kind=None)

    assert decide(CALIBRATION, result(0.9), chitchat(0.99)).intent == "chitchat"  # sure: a greeting stays one
    assert decide(CALIBRATION, result(0.3), chitchat(0.55)).intent == "chitchat"  # nothing found either
    barely = decide(CALIBRATION, result(0.6), chitchat(0.55))  # a bare topic, barely taken for small talk
    assert barely.intent == "procedure" and barely.clarify


def test_out_of_scope_threshold_goes_as_low_as_it_loses_no_decline_in_any_scope():
    """Procedure questions the classifier doubts sit at 0.35-0.45; true out-of-scope ones lower,
    except one at 0.32 in the second scope: the fit stops just above it."""
    rows = [Observed("a", result(c), guess("out_of_scope", 0.8), frozenset({"1.000001"})) for c in (0.35, 0.4, 0.45)]
    rows += [Observed("a", result(c), guess("out_of_scope", 0.9), frozenset()) for c in (0.12, 0.2, 0.22)]
    rows += [Observed("b", result(c), guess("out_of_scope", 0.9), frozenset()) for c in (0.15, 0.32)]
    assert out_of_scope_threshold(CALIBRATION, rows) == 0.35
    # nothing to lose anywhere: as low as the candidates go
    assert out_of_scope_threshold(CALIBRATION, rows[:6]) == 0.25


def test_an_imported_catalogue_gives_the_classifier_short_names_not_only_official_ones():
    """Without aliases the "info" examples were official names only ("Thủ tục … (thực hiện tại cấp
    xã)"), and the classifier learnt that plain wording is out of scope."""
    proc = Procedure(code="1.000001", name="Thủ tục đăng ký nghĩa vụ quân sự lần đầu (thực hiện tại cấp xã)",
                     group="nvqs")
    official, short = catalogue_examples(Catalogue(procedures=(proc,)))["info"]
    assert "thủ tục đăng ký nghĩa vụ quân sự lần đầu (thực hiện tại cấp xã)" in official
    assert "đăng ký nghĩa vụ quân sự lần đầu" in short and "thủ tục" not in short and "cấp xã" not in short


def test_known_share_reads_the_catalogues_own_words():
    from bot.engine.topic import known_share

    known = frozenset({"tuổi", "tuoi", "con", "ủy", "quyền", "uy", "quyen", "bánh", "banh"})
    assert known_share("con tôi 5 tuổi", known) == 1.0
    assert known_share("chỉ mình cách làm bánh xèo", known) < 0.75  # "xèo" is no catalogue word
    assert known_share("con toi 5 tuoi", known) == 1.0  # typed without marks: the folded forms
    assert known_share("How long does it take?", known) == 1.0  # English: nothing to judge
    assert known_share("kể chuyện cười đi", frozenset()) == 1.0  # an index without words.json judges nothing


def test_catalogue_words_are_the_catalogues_not_the_common_word_list():
    from indexer.build import catalogue_words
    from indexer.normalize import bundled_vocabulary

    proc = Procedure(code="1.000001", name="Đăng ký khai sinh cho trẻ dưới 6 tuổi", group="ks")
    words = catalogue_words(Catalogue(procedures=(proc,)))
    assert {"khai", "sinh", "trẻ", "tuổi"} <= set(words) and "6" not in words
    assert "cũng" in bundled_vocabulary() and "cũng" not in words


def test_dev_is_held_below_the_target_by_its_sampling_error():
    # ~210 dev questions per scope: 0.03 beyond dev means about 0.011 on dev
    assert 0.010 < allowed_confident_wrong(0.03, 214) < 0.012
    # more questions, less margin; the margin never exceeds the target
    assert allowed_confident_wrong(0.03, 214) < allowed_confident_wrong(0.03, 2000) < 0.03
    assert allowed_confident_wrong(0.03, 5) == 0.0
    assert allowed_confident_wrong(0.03, 0) == 0.03


def test_a_threshold_must_keep_confident_answers_rare_wrong_and_right_97_percent_of_the_time():
    # one wrong among fifteen confident answers: 0.5 % of 214 questions, but 93 % precision
    one_in_fifteen = {"confident_wrong": 1 / 214, "precision": 14 / 15, "procedures": 214}
    assert not meets_bars(one_in_fifteen, 0.03)
    assert meets_bars({**one_in_fifteen, "precision": 1.0, "confident_wrong": 0.0}, 0.03)
    # precise but too many wrong over all questions (a scope answering most of them)
    assert not meets_bars({"confident_wrong": 0.02, "precision": 0.975, "procedures": 214}, 0.03)
    # nothing answered confidently: precision 1.0 by convention, nothing wrong
    assert meets_bars({"confident_wrong": 0.0, "precision": 1.0, "procedures": 214}, 0.03)


def with_faq_first(confidence: float) -> SearchResult:
    """A search led by a reform FAQ entry, a procedure second."""
    base = result(confidence)
    faq = GroupHit(group="faq:online", kind="faq", item_ids=("faq:online",), score=2.0, dense=base.hits[0].dense,
                   lexical=0.0, fuzzy=0.0)
    return SearchResult(query=base.query, hits=(faq, *base.hits), query_vector=base.query_vector)


def test_an_faq_led_by_aspect_words_alone_gives_way_to_the_procedure_the_rest_names():
    asked = guess("info", 0.9)
    # without its aspect phrases the message names a procedure clearly and the FAQ is gone: clarify on procedures
    named = decide(CALIBRATION, with_faq_first(0.9), asked, lambda: result(0.9))
    assert named.intent == "procedure" and named.clarify and named.hits[0].kind == "procedure"
    # the FAQ is still among the first few without them: it stands
    assert decide(CALIBRATION, with_faq_first(0.9), asked, lambda: with_faq_first(0.9)).intent == "faq"
    # what is left names nothing clearly, or nothing is left: the FAQ stands
    assert decide(CALIBRATION, with_faq_first(0.9), asked, lambda: result(0.3)).intent == "faq"
    assert decide(CALIBRATION, with_faq_first(0.9), asked, lambda: None).intent == "faq"
    # the aspect-free search runs only when an FAQ leads
    def never() -> SearchResult:
        raise AssertionError("searched again although no FAQ led")
    assert decide(CALIBRATION, result(0.9), asked, never).intent == "procedure"


def test_an_faq_the_search_barely_believes_is_offered_beside_the_next_candidates_not_answered():
    """A reform FAQ lifted by a story's words alone (power of attorney, for a question about
    becoming a guardian) was answered outright; below the bar at which retrieval overrules the
    classifier it is the first of the choices instead."""
    asked = guess("info", 0.9)
    sure = decide(CALIBRATION, with_faq_first(0.9), asked, lambda: None)
    assert sure.intent == "faq" and not sure.clarify and all(h.kind == "faq" for h in sure.hits)
    unsure = decide(CALIBRATION, with_faq_first(0.3), asked, lambda: None)
    assert unsure.intent == "faq" and unsure.clarify and not unsure.decline
    assert unsure.hits[0].kind == "faq" and any(h.kind == "procedure" for h in unsure.hits[:3])


def test_the_written_question_templates_each_hold_one_slot_and_reach_the_examples():
    from bot.engine.intents import QUESTION_TEMPLATES, written_templates

    written = written_templates()
    assert len(written) >= 400 and all(t.count("{x}") == 1 for t in written)
    assert set(written) <= set(QUESTION_TEMPLATES)
    procs = [Procedure(code=f"1.{i:06d}", name=f"Đăng ký việc số {i}", group=f"g{i}") for i in range(600)]
    info = catalogue_examples(Catalogue(procedures=procs), per_group=1)["info"]
    filled = {t.split("{x}")[0] for t in written if t.split("{x}")[0].strip()}
    assert sum(any(example.startswith(prefix) for prefix in filled) for example in info) > 100
