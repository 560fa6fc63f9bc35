"""The serving side of teaching: the index suggests targets, the overlay is written, the index swapped.

The staff page (feedback/web/learning.py) and `tthc learn` only see plain callables and
`feedback.learning.Suggestion`s, so the feedback side stays free of the index. Applying writes
`learned.jsonl` into the served catalogue directory and starts the same background rebuild + hot
swap as a catalogue import (bot/app/catalogue_admin.py): embeddings are cached by content hash, so
only the taught phrasings are embedded, and requests keep being answered by the old engine until
the new one is ready.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.app.catalogue_admin import CatalogueAdmin
from feedback.learning import Suggestion, merge_overlay
from indexer.search import Index
from knowledge.learned import LEARNED_FILE, Lesson, read_lessons, unknown_targets, write_lessons
from knowledge.loaders import load_catalogue

_CODE = re.compile(r"^\d+\.\d{6}$")
MAX_REMEMBERED = 20_000  # questions whose suggestions are kept (a vector of 384 floats each: ~30 MB)


def hit_suggestions(index: Index, hits) -> list[Suggestion]:
    found = []
    for hit in hits:
        item = hit.item_ids[0]
        if hit.kind == "faq":
            topic = item.split(":", 1)[1]
            entry = index.faq.get(topic)
            found.append(Suggestion("faq", topic, entry.title if entry else topic, round(float(hit.dense), 3)))
        else:
            proc = index.procedures.get(item)
            found.append(Suggestion("procedure", item, f"{proc.name} ({item})" if proc else item, round(float(hit.dense), 3)))
    return found


def suggest(index: Index, texts: Sequence[str], top: int = 5) -> list[tuple[np.ndarray, list[Suggestion]]]:
    """Per question: its unit query vector and the closest catalogue entries (dense cosine as score)."""
    out = []
    for text in texts:
        result = index.search(text)  # the default k: the index's own result cache applies
        vector = np.asarray(result.query_vector, dtype=np.float32)
        vector = vector / (np.linalg.norm(vector) or 1.0)
        out.append((vector, hit_suggestions(index, result.hits[:top])))
    return out


def find(index: Index, query: str, top: int = 10) -> list[Suggestion]:
    """The catalogue picker: a procedure code or FAQ slug looked up, else a search by name."""
    query = query.strip()
    if _CODE.match(query):
        proc = index.procedures.get(query)
        return [Suggestion("procedure", query, f"{proc.name} ({query})")] if proc else []
    if query in index.faq:
        return [Suggestion("faq", query, index.faq[query].title)]
    return hit_suggestions(index, index.search(query, k=top).hits[:top]) if query else []


def known_target(index: Index, kind: str, target: str) -> bool:
    return (kind == "procedure" and target in index.procedures) or (kind == "faq" and target in index.faq)


def write_overlay(catalogue_dir: Path, taught: list[Lesson], extra_roots: Sequence[Path] = ()) -> int:
    """Merge `taught` into the directory's overlay after checking every target; return lines written."""
    path = catalogue_dir / LEARNED_FILE
    existing, problems = read_lessons(path)
    merged = merge_overlay(existing, taught)
    catalogue = load_catalogue(catalogue_dir, *extra_roots, learned=False).catalogue
    problems += unknown_targets(((lesson.id, lesson) for lesson in merged), set(catalogue.by_code()),
                                {f.topic for f in catalogue.faq}, str(path))
    if problems:
        raise ValueError("; ".join(str(p) for p in problems[:5]))
    write_lessons(path, merged)
    return len(merged)


@dataclass
class LearningAdmin:
    """Hooks for the staff page: suggestions from the serving index, apply = overlay + rebuild + swap.

    Suggestions are remembered per (index version, question): the page groups the whole queue of a
    period on every view, and searching hundreds of questions again each time would take seconds.
    """

    admin: CatalogueAdmin
    _seen: dict = field(default_factory=dict)

    @property
    def index(self) -> Index:
        return self.admin.holder.service.engine.index  # the version being served now

    def suggest(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[Suggestion]]]:
        index = self.index
        missing = list(dict.fromkeys(t for t in texts if (index.version, t) not in self._seen))
        if len(self._seen) + len(missing) > MAX_REMEMBERED:
            self._seen.clear()
        self._seen.update(((index.version, t), found) for t, found in zip(missing, suggest(index, missing), strict=True))
        return [self._seen[(index.version, t)] for t in texts]

    def find(self, query: str) -> list[Suggestion]:
        return find(self.index, query)

    def known(self, kind: str, target: str) -> bool:
        return known_target(self.index, kind, target)

    def apply(self, taught: list[Lesson]) -> str:
        lines = write_overlay(self.admin.catalogue_dir, taught)
        return f"Đã ghi {lines} câu đã học; " + self.admin.rebuild().lower()

    def status(self) -> dict:
        return self.admin.status()
