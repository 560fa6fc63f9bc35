"""How much of a procedure's name the question says: a fourth ranking for fusion.

Dense and BM25 scores read the question against whole documents. A long name that shares many
common words with a story ("Xác nhận về điều kiện diện tích bình quân nhà ở để đăng ký thường trú
vào chỗ ở do thuê, mượn") then beats a short one the question names outright ("Đăng ký tạm trú").
This ranking asks the reverse question: what share of a name's terms (its words and word pairs,
weighted by how rare they are among names) the question contains, read through the same lexicon
(everyday words bring their official terms). A procedure's names are its short official name and
its everyday names; the best-covered one counts.

Built from names alone, so an imported catalogue gets it with no hand work. Stored as postings
(term → names holding it, with the term's weight), so a question costs one weighted count over
the postings of its own terms: a curated group has dozens of names, and scoring each name of
each candidate in Python took 6 ms a question, a sixth of the whole answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from indexer.items import Item
from indexer.normalize import lexical_terms
from knowledge.naming import short_name
from knowledge.text import fold


class NameCover:
    """IDF-weighted term sets of every procedure group's names, for `ranking`."""

    def __init__(self, items: Sequence[Item], names: Sequence[Sequence[str]]):
        terms: dict[str, list[frozenset[str]]] = {}
        for item, item_names in zip(items, names, strict=True):
            if item.kind != "procedure":
                continue
            own = terms.setdefault(item.group, [])
            for name in (short_name(item.title)[0], *item_names):
                if (name_terms := frozenset(lexical_terms(fold(name)))) and name_terms not in own:
                    own.append(name_terms)
        frequency: dict[str, int] = {}
        for group_terms in terms.values():
            for term in frozenset().union(*group_terms):
                frequency[term] = frequency.get(term, 0) + 1
        idf = {term: math.log(1.0 + len(terms) / count) for term, count in frequency.items()}
        # one row per name, rows of a group side by side (np.maximum.reduceat takes each group's best)
        self._groups = list(terms)
        self._group_index = {group: i for i, group in enumerate(self._groups)}
        starts, totals, postings = [], [], {}
        row = 0
        for group in self._groups:
            starts.append(row)
            for name_terms in terms[group]:
                totals.append(sum(idf[t] for t in name_terms))
                for term in name_terms:
                    postings.setdefault(term, []).append(row)
                row += 1
        self._starts = np.asarray(starts, dtype=np.int64)
        self._totals = np.maximum(np.asarray(totals, dtype=np.float64), 1e-9)
        self._postings = {t: (np.asarray(rows, dtype=np.int64), idf[t]) for t, rows in postings.items()}

    def _group_coverage(self, question_terms: Iterable[str]) -> np.ndarray:
        """Per group (in `self._groups` order): the best share of one of its names the terms cover."""
        covered = np.zeros(len(self._totals), dtype=np.float64)
        for term in set(question_terms):
            if (posting := self._postings.get(term)) is not None:
                covered[posting[0]] += posting[1]
        if not len(self._starts):
            return np.zeros(0)
        return np.maximum.reduceat(covered / self._totals, self._starts)

    def coverage(self, group: str, question_terms: Iterable[str]) -> float:
        """Best share (0..1) of one of the group's names, by term weight, that the question holds."""
        if (index := self._group_index.get(group)) is None:
            return 0.0
        return float(self._group_coverage(question_terms)[index])

    def ranking(self, question_terms: Iterable[str], groups: Iterable[str],
                tie_break: Mapping[str, float]) -> list[tuple[str, float]]:
        """Candidate groups by coverage, best first; groups the question says nothing of are left out.
        `question_terms`: the question's `lexical_terms` (NormalizedQuery.terms).

        Many short names are covered in full by one question; `tie_break` (the dense scores) orders
        those, so the ranking does not depend on the order candidates came in."""
        per_group = self._group_coverage(question_terms)
        scored = []
        for group in groups:
            # rounded: a name covered in full sums its weights in another order than its total
            if (index := self._group_index.get(group)) is not None and (value := round(float(per_group[index]), 9)) > 0.0:
                scored.append((group, value))
        return sorted(scored, key=lambda kv: (kv[1], tie_break.get(kv[0], 0.0), kv[0]), reverse=True)
