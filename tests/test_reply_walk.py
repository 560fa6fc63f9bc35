"""Every procedure's first message, for every aspect and sub-question, in both languages, on a fixed
day: a phone-sized message of whole words with one link and no placeholder wording.

Walks the bundled sample and, when ../shared is present, the national import (crawl and structured
exports through knowledge.importers.run.import_sources). A word of the message that is neither a
word of the procedure's own text nor of our reply texts is a word cut by characters ("ng", "c").
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.channels.render import with_numbered_choices
from bot.engine import replies
from bot.engine.answer_layout import CHOICE_ASPECTS, compose
from bot.engine.display_name import button_label, short_name
from bot.engine.types import ConversationState, Option, Reply
from knowledge.loaders import bundled_sample_path, load_catalogue
from knowledge.schema import Procedure

from .conftest import shared_path
from .test_answer_walk import PLACEHOLDERS

DAY = dt.date(2026, 12, 4)
FIRST_MESSAGE_LIMIT = 700
ASPECTS = ("general", "documents", "steps", "fee", "time", "place", "online", "eligibility")
QUESTIONS = {"vi": ("", "tặng cho đất có phải nộp thuế không", "tự đi làm được không", "con tôi có cần làm không"),
             "en": ("", "do I have to pay tax", "can someone else apply on my behalf")}
WORD = re.compile(r"\w+")
URL = re.compile(r"https?://\S+")
OURS = {w.lower() for table in replies.TEXT.values() for text in table.values() for w in WORD.findall(text)} | {
    w.lower() for table in replies.LEVEL_NAMES.values() for text in table.values() for w in WORD.findall(text)} | {
    w.lower() for w in WORD.findall("UBND working day days hour hours month months year years week weeks "
                                    "tuần ngày làm việc giờ tháng năm đồng until from")}


def _known_words(proc: Procedure) -> set[str]:
    texts = [proc.name, proc.name_en, proc.agency, proc.applicants, proc.conditions, proc.summary, proc.result,
             *(d.name for d in proc.documents), *(d.note for d in proc.documents), *proc.steps, *proc.levels,
             *(c.note for c in proc.channels), *(c.fee.text for c in proc.channels), *(c.time.text for c in proc.channels),
             replies.fee_text("vi", proc, DAY), replies.fee_text("en", proc, DAY),
             replies.time_text("vi", proc, DAY), replies.time_text("en", proc, DAY)]
    return OURS | {w.lower() for text in texts for w in WORD.findall(text)}


def rendered(lang: str, aspect: str, proc: Procedure, question: str) -> str:
    composed = compose(lang, aspect, proc, [proc], question, DAY)
    reply = Reply(text=composed.text, intent="procedure", state=ConversationState(), language=lang,
                  options=tuple(Option(label, payload) for label, payload in composed.choices))
    return with_numbered_choices(reply)


def problems(procedures: list[Procedure]) -> list[str]:
    found = []
    for proc in procedures:
        known = _known_words(proc)
        sources = " ".join([replies.url_of(proc), *proc.steps, *(d.name for d in proc.documents), proc.conditions,
                            *(c.note for c in proc.channels)])
        for lang, questions in QUESTIONS.items():
            for aspect in ASPECTS:
                for question in questions if aspect == "general" else questions[:1]:
                    text = rendered(lang, aspect, proc, question)
                    where = f"{proc.code} {lang} {aspect} {question!r}"
                    if cut := [w for w in WORD.findall(URL.sub(" ", text)) if w.lower() not in known and not w.isdigit()]:
                        found.append(f"{where}: cut words {cut[:5]}")
                    if len(text) > FIRST_MESSAGE_LIMIT:
                        found.append(f"{where}: {len(text)} characters")
                    if text.count(replies.url_of(proc)) != 1:
                        found.append(f"{where}: the portal link {text.count(replies.url_of(proc))} times")
                    if cut_links := [u for u in URL.findall(text) if u.rstrip(".,;:)…") not in sources]:
                        found.append(f"{where}: links cut or repeated {cut_links}")
                    if any(p.lower() in text.lower() for p in PLACEHOLDERS):
                        found.append(f"{where}: placeholder wording")
                    if re.search(r"(?<!\.)\.\s*\.(?!\.)|…\.", text):
                        found.append(f"{where}: double stop")
        if len(button_label(short_name(proc.name)[0])) > 60:
            found.append(f"{proc.code}: button label over 60 characters")
    return found


def test_the_sample_catalogue_fits_a_phone_screen_in_whole_words():
    procedures = list(load_catalogue(bundled_sample_path()).catalogue.procedures)
    assert problems(procedures) == []


def test_the_national_import_fits_a_phone_screen_in_whole_words():
    from knowledge.importers.run import import_sources

    procedures: dict[str, Procedure] = {}
    for source in ("dvcqg", "dvcqg-structured"):
        for proc in import_sources(shared_path("data", source)).procedures:
            procedures[proc.code] = proc
    assert len(procedures) > 1000
    found = problems(list(procedures.values()))
    assert found == [], f"{len(found)} problems, e.g. {found[:10]}"


def test_english_labels_are_english_and_vietnamese_text_is_introduced():
    catalogue = load_catalogue(bundled_sample_path()).catalogue.by_code()
    proc = catalogue["1.014064"]
    text = compose("en", "documents", proc, [proc], "", DAY).text
    assert "Documents (as listed by the portal, in Vietnamese):" in text
    assert "Hồ sơ" not in text and "Nguồn" not in text and "Anh/chị" not in text
    fee = compose("en", "fee", proc, [proc], "", DAY).text
    assert "Fees" in fee and "35.000 đồng" in fee and "Phí, lệ phí" not in fee


def test_the_asked_sub_question_is_answered_or_said_unanswered():
    catalogue = load_catalogue(bundled_sample_path()).catalogue.by_code()
    proc = catalogue["1.014064"]
    proxy = compose("vi", "general", proc, [proc], "tự đi làm được không", DAY).text.split("\n")[1]
    assert "ủy quyền" in proxy or "đại diện" in proxy
    tax = compose("vi", "general", proc, [proc], "có phải nộp thuế không", DAY).text.split("\n")[1]
    assert "thuế" in tax


def test_choices_offer_the_other_aspects_of_the_same_procedure():
    catalogue = load_catalogue(bundled_sample_path()).catalogue.by_code()
    proc = catalogue["1.014064"]
    payloads = [p for _, p in compose("vi", "fee", proc, [proc], "", DAY).choices]
    assert payloads == [f"aspect:{a}" for a in CHOICE_ASPECTS if a != "fee"]


@pytest.mark.parametrize(("name", "short"), [
    ("Thủ tục đăng ký khai sinh", "Đăng ký khai sinh"),
    ("Cấp lại thẻ căn cước (thực hiện tại cấp tỉnh)", "Cấp lại thẻ căn cước"),
    ("Thủ tục hải quan đối với hàng hóa xuất khẩu, nhập khẩu tại chỗ; Thủ tục mua bán hàng hóa giữa Doanh nghiệp "
     "chế xuất với Doanh nghiệp nội địa", "Thủ tục hải quan đối với hàng hóa xuất khẩu, nhập khẩu tại chỗ"),
])
def test_short_names_drop_boilerplate_and_move_the_qualifier(name, short):
    assert short_name(name)[0] == short


@pytest.mark.model
def test_answers_to_dev_and_validation_questions_fit_a_phone(tmp_path, monkeypatch):
    """What `tthc answer` sends for every dev and validation question (shipped sample index, real
    model): first messages of whole words, one portal link at most, no placeholder wording; median
    ≤ 450 and max ≤ 700 characters of text (the numbered choices Zalo and the terminal append are
    counted apart: they are options, not reading)."""
    import statistics
    from pathlib import Path

    from bot.app.settings import Settings
    from bot.app.wiring import create_runtime
    from bot.tools.evaluation import answer_questions, read_jsonl

    monkeypatch.setenv("TTHC_CACHE_DIR", str(tmp_path))
    engine = create_runtime(Settings()).engine
    rows = read_jsonl(shared_path("eval", "dev.jsonl")) + read_jsonl(Path(__file__).parent / "data" / "validation" / "questions.jsonl")
    answers = answer_questions(engine, rows)
    lengths = [len(a["answer"]) for a in answers]
    bad = []
    for a in answers:
        text = a["answer"]
        if len(set(URL.findall(text))) != len(URL.findall(text)):
            bad.append(f"{a['id']}: a link repeated")
        if any(p.lower() in text.lower() for p in PLACEHOLDERS):
            bad.append(f"{a['id']}: placeholder wording")
        if re.search(r"(?<!\.)\.\s*\.(?!\.)|…\.", text):
            bad.append(f"{a['id']}: double stop")
    assert bad == []
    assert statistics.median(lengths) <= 450 and max(lengths) <= 700, (statistics.median(lengths), max(lengths))
