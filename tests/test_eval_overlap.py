"""No wording of an evaluation question sits in the project's code or data (shared/tools/eval_overlap.py).

The only findings allowed are (1) identifiers the evaluation contract itself imposes: a sample
procedure's `group:` or an FAQ entry's `topic:` must equal a slug of shared/eval/targets.json
(tests/test_sample_catalogue.py checks that), and three of those slugs happen to be six words of a
dev question; (2) in the shipped index (bot/data/sample-index, generated from the sample by `tthc
index ship`), runs of words that exist only across the boundary of two JSON strings (the tool reads
a file as one stream of words, so two adjacent names can form a phrase neither contains).
Anything else — an alias, a cue, an example copied from a citizen — fails.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.shared


def contract_slugs() -> set[str]:
    targets = json.loads(shared_path("eval", "targets.json").read_text(encoding="utf-8"))
    return {g["group"] for g in targets["procedure_groups"]} | {t["topic"] for t in targets["faq_topics"]}


def is_contract_identifier(file: str, phrase: str, slugs: set[str]) -> bool:
    text = (ROOT / file).read_text(encoding="utf-8")
    dashed = phrase.replace(" ", "-")
    return any(dashed in slug and re.search(rf"^\s*-?\s*(group|topic): {re.escape(slug)}\s*$", text, re.M)
               for slug in slugs)


GENERATED = "bot/data/sample-index/"


def fold_words(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return " ".join(re.findall(r"[a-z0-9]+", "".join(c for c in text if unicodedata.category(c) != "Mn")))


def strings_of(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return []


def generated_artefact(file: str, phrase: str, slugs: set[str]) -> bool:
    """A phrase of the shipped index that no single string holds, or that only a contract slug holds."""
    if not file.startswith(GENERATED):
        return False
    text = (ROOT / file).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()] if file.endswith(".jsonl") else [json.loads(text)]
    holders = [s for row in rows for s in strings_of(row) if f" {phrase} " in f" {fold_words(s)} "]
    return all(s.removeprefix("faq:") in slugs for s in holders)


def test_no_dev_wording_in_the_sources():
    tool = shared_path("tools", "eval_overlap.py")
    completed = subprocess.run([sys.executable, str(tool), str(ROOT)], capture_output=True, text=True, timeout=300)
    findings = re.findall(r'^(\S+): "([^"]+)" \(([^)]+)\)$', completed.stdout, re.M)
    slugs = contract_slugs()
    unexplained = [f"{file}: {phrase} ({qid})" for file, phrase, qid in findings
                   if not (is_contract_identifier(file, phrase, slugs) or generated_artefact(file, phrase, slugs))]
    assert unexplained == []
