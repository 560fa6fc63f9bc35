"""No wording of an evaluation question sits in the project's code or data (shared/tools/eval_overlap.py).

The only findings allowed are identifiers the evaluation contract itself imposes: a sample
procedure's `group:` or an FAQ entry's `topic:` must equal a slug of shared/eval/targets.json
(tests/test_sample_catalogue.py checks that), and three of those slugs happen to be six words of a
dev question. Anything else — an alias, a cue, an example copied from a citizen — fails.
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


def test_no_dev_wording_in_the_sources():
    tool = shared_path("tools", "eval_overlap.py")
    completed = subprocess.run([sys.executable, str(tool), str(ROOT)], capture_output=True, text=True, timeout=300)
    findings = re.findall(r'^(\S+): "([^"]+)" \(([^)]+)\)$', completed.stdout, re.M)
    slugs = contract_slugs()
    unexplained = [f"{file}: {phrase} ({qid})" for file, phrase, qid in findings
                   if not is_contract_identifier(file, phrase, slugs)]
    assert unexplained == []
