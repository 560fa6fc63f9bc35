"""The catalogue-wide validation set keeps the promises docs/evaluation.md makes of it: well formed
for shared/eval/score.py, about procedures that exist, none of which dev or the other validation
set asks about, and free of dev wording (beyond phrases of the catalogue itself)."""

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from knowledge.text import fold

from .conftest import shared_path

VALIDATION = Path(__file__).parent / "data" / "validation"
STYLES = {"formal", "no_diacritics", "typo", "slang", "narrative", "keyword", "english"}
ASPECTS = {"documents", "fee", "time", "place", "online", "steps", "eligibility", "general"}
PHRASE_WORDS = 5


def _rows(name: str, folder: Path = VALIDATION) -> list[dict]:
    return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _phrases(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", fold(text))
    return {" ".join(words[i:i + PHRASE_WORDS]) for i in range(len(words) - PHRASE_WORDS + 1)}


@lru_cache(maxsize=1)
def catalogue_phrases() -> frozenset[str]:
    """Phrases of the national catalogue's own text: official wording any question may share."""
    phrases: set[str] = set()
    for line in shared_path("data", "dvcqg", "procedures.jsonl").open(encoding="utf-8"):
        for value in json.loads(line).values():
            if isinstance(value, str):
                phrases |= _phrases(value)
    return frozenset(phrases)


def dev_phrases() -> set[str]:
    """Phrases of the dev questions and the dev dialogues' turns."""
    phrases: set[str] = set()
    for line in shared_path("eval", "dev.jsonl").open(encoding="utf-8"):
        phrases |= _phrases(json.loads(line)["question"])
    for line in shared_path("eval", "dialogues.jsonl").open(encoding="utf-8"):
        for turn in json.loads(line)["turns"]:
            phrases |= _phrases(turn["user"])
    return phrases


def test_catalogue_questions_are_well_formed():
    rows = _rows("catalogue_questions.jsonl")
    assert len(rows) >= 1000
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["question"] for row in rows}) == len(rows)
    for row in rows:
        assert row["intent"] == "procedure" and row["gold"], row["id"]
        assert row["style"] in STYLES and row["aspect"] in ASPECTS, row["id"]
        assert 0 < len(row["question"]) <= 200, row["id"]


def assert_asks_about_untested_procedures(rows: list[dict], tested: set[str], at_least: int) -> None:
    """Every question's gold codes are national procedures that no set in `tested` asks about, and
    the questions cover at least `at_least` different procedures."""
    national = {json.loads(line)["ma_thu_tuc"] for line in shared_path("data", "dvcqg", "procedures.jsonl").open(encoding="utf-8")}
    for row in rows:
        assert set(row["gold"]) <= national, row["id"]
        assert not set(row["gold"]) & tested, row["id"]
    assert len({row["gold"][0] for row in rows}) >= at_least


@pytest.mark.shared
def test_catalogue_questions_ask_about_procedures_no_other_set_tests():
    targets = json.loads(shared_path("eval", "targets.json").read_text(encoding="utf-8"))
    tested = {code for group in targets["procedure_groups"] for code in group["codes"]}
    tested |= {code for row in _rows("questions.jsonl") for code in row.get("gold") or []}
    assert_asks_about_untested_procedures(_rows("catalogue_questions.jsonl"), tested, at_least=600)


@pytest.mark.shared
def test_catalogue_questions_share_no_phrase_with_dev():
    dev = dev_phrases() - catalogue_phrases()
    shared = [(row["id"], sorted(_phrases(row["question"]) & dev)) for row in _rows("catalogue_questions.jsonl")]
    assert not [hit for hit in shared if hit[1]]
