"""The aspect labels of our own question sets follow one rule, written down in docs/evaluation.md.

Two labelling sessions read every procedure question of dev, the validation set, the
catalogue-wide validation set and the catalogue-wide tuning set, shuffled, without the labels, the
procedures or the bot's answers, and chose the aspect asked first (tests/data/aspect_blind_labels.jsonl;
the procedure turns of the dev and validation dialogues too, read in their conversation, ids `<dialogue>#<turn>`).
Where both chose the same aspect against the one the question's writer gave, our sets carry theirs
and keep the writer's as `aspect_as_written`; everywhere else the writer's label stands."""

from collections import Counter
from pathlib import Path

import pytest

from .conftest import shared_path
from .test_tuning_sets import TUNING_QUESTIONS
from .test_validation_sets import VALIDATION, _rows

BLIND = Path(__file__).parent / "data" / "aspect_blind_labels.jsonl"
OUR_SETS = (VALIDATION / "questions.jsonl", VALIDATION / "catalogue_questions.jsonl", TUNING_QUESTIONS)


def _blind() -> dict[str, tuple[str, str]]:
    return {row["id"]: (row["a"], row["b"]) for row in _rows(BLIND.name, BLIND.parent)}


@pytest.mark.parametrize("path", OUR_SETS, ids=lambda p: p.name)
def test_a_label_changes_exactly_where_both_blind_labellers_agree_against_it(path):
    blind = _blind()
    changed = kept = 0
    for row in _rows(path.name, path.parent):
        if row.get("intent") != "procedure" or not row.get("aspect"):
            continue
        a, b = blind[row["id"]]  # every procedure question was labelled blind
        written = row.get("aspect_as_written", row["aspect"])
        if a == b != written:
            assert row["aspect"] == a and row["aspect_as_written"] == written, row["id"]
            changed += 1
        else:
            assert "aspect_as_written" not in row, row["id"]
            kept += 1
    assert changed and kept > 5 * changed  # a correction of a minority, not a relabelling


@pytest.mark.shared
def test_the_blind_labels_read_aspects_as_dev_does():
    """The labellers' reading is dev's convention, not a new one: they agree with dev's own labels on
    at least nine questions in ten (0.94 and 0.96 when measured)."""
    blind = _blind()
    dev = shared_path("eval", "dev.jsonl")
    rows = [r for r in _rows(dev.name, dev.parent) if r.get("intent") == "procedure" and r.get("aspect")]
    for labeller in (0, 1):
        agree = Counter(blind[r["id"]][labeller] == r["aspect"] for r in rows)
        assert agree[True] / len(rows) >= 0.9
