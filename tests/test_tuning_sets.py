"""The tuning sets keep the promises docs/evaluation.md makes of them. The catalogue-wide questions:
well formed for shared/eval/score.py, about procedures that exist, none of which dev, the validation
sets or the catalogue-wide validation set asks about (so tuning on it reads nothing they hold), and
free of their wording (beyond phrases of the catalogue itself). The written out-of-scope messages:
well formed, and free of any evaluation text's wording, the portal questions' included."""

import json
from pathlib import Path

import pytest

from .conftest import shared_path
from .test_validation_sets import (
    ASPECTS,
    STYLES,
    _phrases,
    _rows,
    assert_asks_about_untested_procedures,
    catalogue_phrases,
    dev_phrases,
)

TUNING = Path(__file__).parent / "data" / "tuning"
# the catalogue-wide tuning questions ship in bot/data: the aspect model learns from them (bot.engine.aspect_model)
TUNING_QUESTIONS = Path(__file__).parents[1] / "bot" / "data" / "tuning_questions.jsonl"
VALIDATION = Path(__file__).parent / "data" / "validation"


def _tuning_questions() -> list[dict]:
    return _rows(TUNING_QUESTIONS.name, TUNING_QUESTIONS.parent)


def test_tuning_questions_are_well_formed():
    rows = _tuning_questions()
    assert len(rows) >= 250
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["question"] for row in rows}) == len(rows)
    for row in rows:
        assert row["id"].startswith("tune-"), row["id"]
        assert row["intent"] == "procedure" and row["gold"], row["id"]
        assert row["style"] in STYLES and row["aspect"] in ASPECTS, row["id"]
        assert 0 < len(row["question"]) <= 300, row["id"]


def _tested_elsewhere() -> set[str]:
    targets = json.loads(shared_path("eval", "targets.json").read_text(encoding="utf-8"))
    tested = {code for group in targets["procedure_groups"] for code in group["codes"]}
    for name in ("questions.jsonl", "catalogue_questions.jsonl"):
        tested |= {code for row in _rows(name) for code in row.get("gold") or []}
    validation_targets = json.loads((VALIDATION / "dialogue_targets.json").read_text(encoding="utf-8"))
    tested |= {code for group in validation_targets.get("procedure_groups", []) for code in group.get("codes", [])}
    return tested


@pytest.mark.shared
def test_tuning_questions_ask_about_procedures_no_evaluation_set_tests():
    assert_asks_about_untested_procedures(_tuning_questions(), _tested_elsewhere(), at_least=200)


def _dev_and_validation_phrases() -> set[str]:
    """Every five-word phrase of dev, the dev dialogues and our validation questions and dialogues."""
    phrases = set(dev_phrases())
    for name in ("questions.jsonl", "catalogue_questions.jsonl"):
        for row in _rows(name):
            phrases |= _phrases(row["question"])
    for row in _rows("dialogues.jsonl"):
        for turn in row["turns"]:
            phrases |= _phrases(turn["user"])
    return phrases


@pytest.mark.shared
def test_tuning_questions_share_no_phrase_with_dev_or_validation():
    others = _dev_and_validation_phrases() - catalogue_phrases()
    shared = [(row["id"], sorted(_phrases(row["question"]) & others)) for row in _tuning_questions()]
    assert not [hit for hit in shared if hit[1]]


def test_out_of_scope_tuning_messages_are_well_formed():
    """Written out-of-scope messages (docs/evaluation.md): every one labelled out of scope, in the
    evaluation format, in a style of the validation sets, each message once."""
    rows = _rows("out_of_scope_questions.jsonl", TUNING)
    assert len(rows) >= 400
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["question"].strip().lower() for row in rows}) == len(rows)
    for row in rows:
        assert row["id"].startswith("tune-oos-"), row["id"]
        assert row["intent"] == "out_of_scope" and not row.get("gold"), row["id"]
        assert row["style"] in STYLES and row["cluster"] and row["topic"], row["id"]
        assert 0 < len(row["question"]) <= 300, row["id"]


@pytest.mark.shared
def test_out_of_scope_tuning_messages_share_no_phrase_with_any_evaluation_text():
    """Five words in a row of dev, a validation set or the portal questions would let tuning on
    these messages read an evaluation text."""
    others = _dev_and_validation_phrases()
    portal = shared_path("data", "portal-questions", "questions.jsonl")
    for line in portal.read_text(encoding="utf-8").splitlines():
        if line.strip():
            others |= _phrases(json.loads(line)["question"])
    shared = [(row["id"], sorted(_phrases(row["question"]) & others)) for row in _rows("out_of_scope_questions.jsonl", TUNING)]
    assert not [hit for hit in shared if hit[1]]
