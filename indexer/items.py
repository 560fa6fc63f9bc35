"""What the index searches: catalogue records turned into items, passages and lexical documents.

An item is one procedure (id = its code) or one FAQ entry (id = "faq:<topic>"). Items of one
procedure group (its level variants) share a group key, and ranking happens per group.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.schema import Catalogue, FaqEntry, Procedure

LEVEL_ORDER = {"Cấp xã": 0, "Cấp tỉnh": 1, "Cấp bộ": 2, "Cơ quan khác": 3}
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # "procedure" | "faq"
    group: str
    title: str
    level_rank: int = 0


def faq_id(topic: str) -> str:
    return f"faq:{topic}"


def procedure_item(proc: Procedure) -> Item:
    rank = min((LEVEL_ORDER.get(level, 4) for level in proc.levels), default=4)
    return Item(id=proc.code, kind="procedure", group=proc.group, title=proc.name, level_rank=rank)


def faq_item(entry: FaqEntry) -> Item:
    return Item(id=faq_id(entry.topic), kind="faq", group=faq_id(entry.topic), title=entry.title)


def procedure_passages(proc: Procedure) -> list[str]:
    """Short texts the dense model embeds for a procedure: its name, everyday names, summary."""
    texts = [proc.name, proc.name_en, *proc.aliases, proc.summary[:SUMMARY_CHARS], *proc.learned]
    return list(dict.fromkeys(t for t in texts if t))


def faq_passages(entry: FaqEntry) -> list[str]:
    texts = [entry.title, entry.title_en, *entry.questions]
    return list(dict.fromkeys(t for t in texts if t))


def procedure_lexical_text(proc: Procedure) -> str:
    return " . ".join([proc.name, proc.name, *proc.aliases, proc.name_en, proc.summary, proc.field, proc.result, *proc.learned])


def faq_lexical_text(entry: FaqEntry) -> str:
    return " . ".join([entry.title, entry.title, *entry.questions, entry.title_en, entry.answer[:400]])


def catalogue_items(catalogue: Catalogue) -> tuple[list[Item], list[list[str]], list[str], list[list[str]]]:
    """Items, their dense passages, their lexical text and their fuzzy names, in one order."""
    items: list[Item] = []
    passages: list[list[str]] = []
    lexical: list[str] = []
    names: list[list[str]] = []
    for proc in sorted(catalogue.procedures, key=lambda p: p.code):
        items.append(procedure_item(proc))
        passages.append(procedure_passages(proc))
        lexical.append(procedure_lexical_text(proc))
        names.append([proc.name, *proc.aliases])
    for entry in sorted(catalogue.faq, key=lambda f: f.topic):
        items.append(faq_item(entry))
        passages.append(faq_passages(entry))
        lexical.append(faq_lexical_text(entry))
        names.append([entry.title, *entry.questions])
    return items, passages, lexical, names
