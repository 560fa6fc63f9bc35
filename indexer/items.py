"""What the index searches: catalogue records turned into items, passages and lexical documents.

An item is one procedure (id = its code) or one FAQ entry (id = "faq:<topic>"). Items of one
procedure group (its level variants) share a group key, and ranking happens per group.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.normalize import Normalizer
from indexer.stated_facts import filed_by_no_person, serves_own_staff
from knowledge.naming import short_name
from knowledge.schema import Catalogue, FaqEntry, Procedure
from knowledge.text import fold

LEVEL_ORDER = {"Cấp xã": 0, "Cấp tỉnh": 1, "Cấp bộ": 2, "Cơ quan khác": 3}
SUMMARY_CHARS = 300
RESULT_CHARS = 160  # a result field can be a paragraph; its first words name the document produced
APPLICANT_CHARS = 200
# The conditions say in whose situation a procedure applies ("ông, bà, cha, mẹ … đến lưu trú"),
# which is how a citizen's story is told; their first sentences join the short name in one more
# passage, after "điều kiện:" (run together, a name's last words and the conditions' first made
# phrases neither holds). A third of the national procedures have conditions. Dev: folds top-1
# 0.594 → 0.607 (MRR 0.685 → 0.695), national 0.659 → 0.664; overlay lost one question (0.860 →
# 0.855), sample the same. In BM25's text as well they cost national and overlay top-1.
CONDITIONS_CHARS = 300
EVERYDAY_PER_PASSAGE = 6


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # "procedure" | "faq"
    group: str
    title: str
    level_rank: int = 0
    serves_own_staff: bool = False  # the police's or the armed forces' own people act in it (stated_facts)
    no_person_files: bool = False  # only organisations, agencies or their officials file it (stated_facts)


def faq_id(topic: str) -> str:
    return f"faq:{topic}"


def procedure_item(proc: Procedure) -> Item:
    rank = min((LEVEL_ORDER.get(level, 4) for level in proc.levels), default=4)
    return Item(id=proc.code, kind="procedure", group=proc.group, title=proc.name, level_rank=rank,
                serves_own_staff=serves_own_staff(proc.applicants, proc.steps[0] if proc.steps else ""),
                no_person_files=filed_by_no_person(proc.applicants))


def faq_item(entry: FaqEntry) -> Item:
    return Item(id=faq_id(entry.topic), kind="faq", group=faq_id(entry.topic), title=entry.title)


def _short(text: str, limit: int) -> str:
    """Text up to `limit` characters, cut at a word boundary."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def procedure_passages(proc: Procedure, normalizer: Normalizer | None = None) -> list[str]:
    """Short texts the dense model embeds for a procedure, built from its own fields.

    Besides the hand-written name, everyday names and summary (a curated entry has them), every
    procedure gets: its short name without boilerplate (knowledge.naming), the short name with what
    it produces ("… : Giấy khai sinh"), the short name with the everyday names of the official
    terms it uses (the shared lexicon read backwards), and the short name with the start of its
    conditions, so an imported procedure nobody curated is found by the words citizens use and
    by the situations they describe."""
    short, _qualifier = short_name(proc.name)
    texts = [proc.name, short, proc.name_en, *proc.aliases, proc.summary[:SUMMARY_CHARS], *proc.learned]
    if proc.result and fold(proc.result) not in fold(short):
        texts.append(f"{short}: {_short(proc.result, RESULT_CHARS)}")
    if normalizer is not None and (everyday := normalizer.everyday_terms(short)):
        texts.append(f"{short} ({', '.join(everyday[:EVERYDAY_PER_PASSAGE])})")
    if proc.conditions.strip():
        texts.append(f"{short}, điều kiện: {_short(proc.conditions, CONDITIONS_CHARS)}")
    return list(dict.fromkeys(t for t in texts if t))


def faq_passages(entry: FaqEntry) -> list[str]:
    texts = [entry.title, entry.title_en, *entry.questions]
    return list(dict.fromkeys(t for t in texts if t))


def procedure_lexical_text(proc: Procedure, normalizer: Normalizer | None = None) -> str:
    """What BM25 reads: names weigh twice; the short name, result, applicants and the everyday
    names of the official terms in the name and result come from the procedure's own fields."""
    short, _qualifier = short_name(proc.name)
    everyday = normalizer.everyday_terms(f"{proc.name} . {proc.result}") if normalizer is not None else []
    return " . ".join([proc.name, short, *proc.aliases, proc.name_en, proc.summary, proc.field,
                       _short(proc.result, RESULT_CHARS), _short(proc.applicants, APPLICANT_CHARS), *everyday,
                       *proc.learned])


def faq_lexical_text(entry: FaqEntry) -> str:
    return " . ".join([entry.title, entry.title, *entry.questions, entry.title_en, entry.answer[:400]])


def catalogue_items(catalogue: Catalogue, normalizer: Normalizer | None = None) -> tuple[list[Item], list[list[str]], list[str], list[list[str]]]:
    """Items, their dense passages, their lexical text and their fuzzy names, in one order."""
    items: list[Item] = []
    passages: list[list[str]] = []
    lexical: list[str] = []
    names: list[list[str]] = []
    for proc in sorted(catalogue.procedures, key=lambda p: p.code):
        items.append(procedure_item(proc))
        passages.append(procedure_passages(proc, normalizer))
        lexical.append(procedure_lexical_text(proc, normalizer))
        names.append(list(dict.fromkeys([proc.name, short_name(proc.name)[0], *proc.aliases])))
    for entry in sorted(catalogue.faq, key=lambda f: f.topic):
        items.append(faq_item(entry))
        passages.append(faq_passages(entry))
        lexical.append(faq_lexical_text(entry))
        names.append([entry.title, *entry.questions])
    return items, passages, lexical, names
