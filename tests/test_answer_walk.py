"""Every procedure's fee and time line, rendered for a fixed day, reads as whole words in citizen
language: no note cut inside a word, no database placeholder, no double period.

Walks the bundled sample and, when ../shared is present, the national data through the importers.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.engine.replies import fee_text, time_text
from knowledge.importers.dvcqg import import_crawl_jsonl, import_structured_json
from knowledge.loaders import bundled_sample_path, load_catalogue
from knowledge.schema import Procedure

from .conftest import shared_path

DAYS = (dt.date(2026, 12, 4), dt.date(2027, 1, 2))
PLACEHOLDERS = ("Cổng không ghi", "Dữ liệu quốc gia ghi", "Không ghi tổng thời hạn", "(trực tiếp: 0 đồng)",
                "không ghi đơn vị", "Cổng DVCQG ghi", "Dữ liệu không ghi")
DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\s*\.(?!\.)")
WORD = re.compile(r"\w+")
# words the reply code itself writes around the catalogue's values
RENDERED = set(WORD.findall(
    "đồng miễn phí nộp trực tiếp trực tuyến qua bưu chính áp dụng đến hết từ ngày làm việc giờ tháng năm tuần phút "
    "chưa có thông tin anh chị vui lòng xem chi tiết cụ thể thêm ở đường dẫn cuối tin nhắn"
))


def _source_words(proc: Procedure) -> set[str]:
    words = set(RENDERED)
    for channel in proc.channels:
        for text in (channel.fee.text, channel.note, channel.time.text, channel.time.unit or "",
                     *(r.text for r in channel.fee.rules), *(r.text for r in channel.time.rules)):
            words.update(w.lower() for w in WORD.findall(text))
    return words


def _problems(procedures: list[Procedure]) -> list[str]:
    problems = []
    for proc in procedures:
        known = _source_words(proc)
        for day in DAYS:
            for line in (fee_text("vi", proc, day), time_text("vi", proc, day)):
                # a word cut by characters ("ng", "c", "thu") is no whole word of the source notes
                if cut := [w for w in WORD.findall(line) if w.lower() not in known and not w.isdigit()]:
                    problems.append(f"{proc.code} {day}: cut word {cut} in {line!r}")
                if found := [p for p in PLACEHOLDERS if p.lower() in line.lower()]:
                    problems.append(f"{proc.code}: placeholder {found} in {line!r}")
                if DOUBLE_PERIOD.search(line):
                    problems.append(f"{proc.code}: double period in {line!r}")
    return problems


def test_the_sample_catalogue_renders_whole_words_in_citizen_language():
    procedures = list(load_catalogue(bundled_sample_path()).catalogue.procedures)
    assert len(procedures) > 100
    assert _problems(procedures) == []


def test_the_national_crawl_renders_whole_words_in_citizen_language():
    report = import_crawl_jsonl(shared_path("data", "dvcqg", "procedures.jsonl"))
    assert len(report.procedures) > 1000
    assert _problems(report.procedures) == []


def test_the_structured_exports_render_whole_words_in_citizen_language():
    procedures = []
    for path in sorted(shared_path("data", "dvcqg-structured").glob("*.json")):
        procedures.extend(import_structured_json(path).procedures)
    if not procedures:
        pytest.skip("no structured exports")
    assert _problems(procedures) == []
