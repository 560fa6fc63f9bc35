"""How much of a procedure's name the question says: a fourth ranking for fusion.

Dense and BM25 scores read the question against whole documents. A long name that shares many
common words with a story ("Xác nhận về điều kiện diện tích bình quân nhà ở để đăng ký thường trú
vào chỗ ở do thuê, mượn") then beats a short one the question names outright ("Đăng ký tạm trú").
This ranking asks the reverse question: what share of a name's terms (its words and word pairs,
weighted by how rare they are among names) the question contains, read through the same lexicon
(everyday words bring their official terms). A procedure's names are its short official name and
its everyday names; the best-covered one counts.

Built from names alone, so an imported catalogue gets it with no hand work.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

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
        # per name: (its terms with weights, total weight), so a query costs one pass over candidates
        self._names = {
            group: [({t: idf[t] for t in name_terms}, sum(idf[t] for t in name_terms)) for name_terms in group_terms]
            for group, group_terms in terms.items()
        }

    def coverage(self, group: str, question_terms: frozenset[str]) -> float:
        """Best share (0..1) of one of the group's names, by term weight, that the question holds."""
        best = 0.0
        for weights, total in self._names.get(group, ()):
            covered = sum(w for t, w in weights.items() if t in question_terms)
            best = max(best, covered / total)
        return best

    def ranking(self, folded_question: str, groups: Iterable[str], tie_break: Mapping[str, float]) -> list[tuple[str, float]]:
        """Candidate groups by coverage, best first; groups the question says nothing of are left out.

        Many short names are covered in full by one question; `tie_break` (the dense scores) orders
        those, so the ranking does not depend on the order candidates came in."""
        question_terms = frozenset(lexical_terms(folded_question))
        scored = [(g, c) for g in groups if (c := self.coverage(g, question_terms)) > 0.0]
        return sorted(scored, key=lambda kv: (kv[1], tie_break.get(kv[0], 0.0), kv[0]), reverse=True)
