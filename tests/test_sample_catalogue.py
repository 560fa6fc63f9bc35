"""The bundled sample: covers every evaluation target, and its facts agree with the national data."""

import json
import re

import pytest

from knowledge.importers.run import import_sources
from knowledge.loaders import bundled_sample_path, load_catalogue
from knowledge.text import tidy

from .conftest import shared_path


@pytest.fixture(scope="module")
def sample():
    result = load_catalogue(bundled_sample_path())
    assert not result.problems, [str(p) for p in result.problems]
    return result.catalogue


@pytest.fixture(scope="module")
def national():
    report = import_sources(shared_path("data", "dvcqg", "procedures.jsonl"))
    report.merge(import_sources(shared_path("data", "dvcqg-structured")))
    return {p.code: p for p in report.procedures}


def test_every_entry_is_complete_for_a_citizen(sample):
    for proc in sample.procedures:
        assert len(proc.aliases) >= 5, proc.code
        assert proc.summary and proc.documents and proc.channels and proc.steps, proc.code
    for entry in sample.faq:
        assert len(entry.questions) >= 8 and entry.answer and entry.answer_en, entry.topic


@pytest.mark.shared
def test_covers_every_target_code_and_faq_topic(sample):
    targets = json.loads(shared_path("eval", "targets.json").read_text())
    codes = {p.code: p for p in sample.procedures}
    for group in targets["procedure_groups"]:
        for code in group["codes"]:
            assert code in codes, code
            assert codes[code].group == group["group"], code
    assert {f.topic for f in sample.faq} >= {t["topic"] for t in targets["faq_topics"]}


def _digits(text: str) -> set[int]:
    return {int(re.sub(r"[.,]", "", m)) for m in re.findall(r"\d[\d.,]*\d|\d", text or "")}


@pytest.mark.shared
def test_facts_agree_with_national_data(sample, national):
    """Names, levels, portal URL, processing times and fees agree with the national record.

    A fee may be left open (null) where the national cell says "Miễn phí" but points to a fee
    regulation; an amount that differs from the parsed national amount must quote the national
    figure in its text (the national data sometimes drops thousands: "100 VNĐ" for 100.000 đồng).
    """
    problems = []
    for proc in sample.procedures:
        ref = national[proc.code]
        if tidy(proc.name).rstrip(".") != tidy(ref.name).rstrip("."):
            problems.append(f"{proc.code} name")
        if set(proc.levels) != set(ref.levels):
            problems.append(f"{proc.code} levels {proc.levels} != {ref.levels}")
        if ref.source_url and proc.source_url != ref.source_url:
            problems.append(f"{proc.code} source_url")
        ref_times = {c.kind: c.time.value for c in ref.channels if c.time.value is not None}
        ref_fees = {c.kind: c.fee.amount_vnd for c in ref.channels if c.fee.amount_vnd is not None}
        for channel in proc.channels:
            if channel.kind in ref_times and channel.time.value is not None:
                values = {c.time.value for c in ref.channels if c.kind == channel.kind}
                if channel.time.value not in values:
                    problems.append(f"{proc.code} {channel.kind.value} time {channel.time.value} not in {values}")
            if channel.kind in ref_fees and channel.fee.amount_vnd not in (None, ref_fees[channel.kind]):
                national_fee = ref_fees[channel.kind]
                quoted = national_fee in _digits(channel.fee.text) or channel.fee.amount_vnd == 1000 * national_fee
                if not quoted:
                    problems.append(f"{proc.code} {channel.kind.value} fee {channel.fee.amount_vnd} vs {ref_fees[channel.kind]}")
    assert not problems, problems
