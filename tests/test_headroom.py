"""benchmarks.headroom: ranks, recall and the dialogue split read what they say they read."""

from __future__ import annotations

from benchmarks.headroom import after_previous, gold_rank, procedure_questions, recall_at
from bot.tools.evaluation import score_dialogues, turn_outcomes


def test_a_procedure_named_outright_ranks_first_and_another_group_lower(mini_index):
    assert gold_rank(mini_index, "Đăng ký tạm trú", {"dang-ky-tam-tru"}) == 1
    rank = gold_rank(mini_index, "Đăng ký tạm trú", {"cap-giay-phep-lai-xe"})
    assert rank is None or rank > 1
    assert gold_rank(mini_index, "Đăng ký tạm trú", {"no-such-group"}) is None


def test_recall_counts_ranks_within_each_depth():
    recall = recall_at([1, 2, 4, 11, None], depths=(1, 3, 5, 10, 20))
    assert recall == {1: 0.2, 3: 0.4, 5: 0.6, 10: 0.6, 20: 0.8}
    assert recall_at([], depths=(1,)) == {1: 0.0}


def test_only_procedure_questions_whose_codes_the_catalogue_holds_are_read():
    group_of = {"1.000004": "dang-ky-tam-tru", "1.000002": "cap-lai-can-cuoc", "1.000003": "cap-lai-can-cuoc"}
    rows = [{"question": "tạm trú", "intent": "procedure", "gold": ["1.000004"]},
            {"question": "mất căn cước", "intent": "procedure", "gold": ["1.000002", "1.000003", "9.999"]},
            {"question": "code unknown here", "intent": "procedure", "gold": ["9.999"]},
            {"question": "thời tiết", "intent": "out_of_scope"},
            {"question": "portal rows carry no intent", "gold": ["1.000004"]}]
    assert procedure_questions(rows, group_of) == [("tạm trú", {"dang-ky-tam-tru"}),
                                                   ("mất căn cước", {"cap-lai-can-cuoc"}),
                                                   ("portal rows carry no intent", {"dang-ky-tam-tru"})]


def test_turns_are_split_by_the_turn_before():
    split = after_previous([[True, True, False, False, True], [False, True]])
    assert split == {"first turn": (1, 2), "after a right turn": (1, 2), "after a wrong turn": (2, 3)}


def test_turn_outcomes_agree_with_the_dialogue_score():
    targets = {"procedure_groups": [{"group": "tam-tru", "codes": ["1.000004"]}]}
    dialogues = [{"id": "d1", "turns": [{"user": "a", "intent": "procedure", "groups": ["tam-tru"], "aspect": "documents"},
                                        {"user": "b", "intent": "procedure", "groups": ["tam-tru"], "aspect": "fee"},
                                        {"user": "c", "intent": "chitchat"},
                                        {"user": "d", "intent": "procedure", "groups": ["tam-tru"], "aspect": "time"}]}]
    predictions = [{"id": "d1", "turn": 0, "intent": "procedure", "procedures": ["1.000004"], "aspect": "documents"},
                   {"id": "d1", "turn": 1, "intent": "procedure", "procedures": ["1.000004"], "aspect": "time"},
                   {"id": "d1", "turn": 2, "intent": "chitchat", "procedures": []}]  # turn 3 never answered
    assert turn_outcomes(dialogues, predictions, targets) == [[True, False, True, False]]
    assert score_dialogues(dialogues, predictions, targets) == {"turns": 4, "turns_right": 0.5}
