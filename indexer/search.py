"""Read-only search over a built index: dense + lexical + fuzzy, fused per procedure group.

`Index.load(path)` returns an immutable object; `search(text)` normalises the query, runs the
three retrievers, groups level variants, and fuses the per-group rankings with weighted reciprocal
rank fusion (`indexer.fusion`, a pure function). A `method` argument runs one retriever alone, for baselines.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import bm25s
import faiss
import numpy as np
from rapidfuzz import fuzz, process

from indexer.asked_action import AskedActions
from indexer.build import FORMAT_VERSION, active_version
from indexer.embed import Embedder
from indexer.fusion import CANDIDATES, fuse, rank_groups
from indexer.items import Item
from indexer.name_cover import NameCover
from indexer.normalize import DiacriticRestorer, NormalizedQuery, Normalizer
from indexer.query_cache import LruCache
from indexer.stated_facts import StatedFacts, groups_no_person_files
from indexer.variants import (action_siblings, action_vocabulary, named_action_first, narrowing_kinds, near_variants,
                              plain_variants_first, uncued_narrowing_behind)
from knowledge.naming import cued_kinds
from knowledge.schema import Catalogue
from knowledge.store import ProcedureStore
from knowledge.text import fold

METHODS = ("dense", "lexical", "fuzzy")
# "names": how much of a procedure's name the question says (indexer/name_cover.py); dev: national
# 0.603 → 0.636, overlay 0.827 → 0.850, sample 0.921 → 0.911, folds 0.584 → 0.589, helpful up in all
DEFAULT_WEIGHTS = {"dense": 0.8, "lexical": 1.0, "fuzzy": 0.2, "names": 0.3}
# Up to this many names a full fuzzy scan is cheap enough to find what the other retrievers missed;
# beyond it fuzzy matching only re-ranks dense and lexical candidates (see benchmarks/). At 3000
# the curated sample (2,350 names) scanned them all: 4.6 ms of a 45 ms answer, while dev top-1,
# top-3 and helpful stayed the same in every scope when it only re-ranked candidates (benchmarks.latency).
FUZZY_FULL_SCAN_MAX = 1000
# groups of the dense and lexical rankings whose names fuzzy matching re-ranks: at weight 0.2 it
# cannot lift a group from below both retrievers' first 20, and a curated group has dozens of names
FUZZY_CANDIDATES = 20
FUZZY_MEMBERS_PER_GROUP = 4  # re-ranked per candidate group: a procedure's levels (xã, huyện, tỉnh, trung ương)
# BM25 items kept per query. Fusion reads the top CANDIDATES groups of each retriever, so on a
# 100k-entry catalogue turning every non-zero score into a dict entry was most of a search's time.
LEXICAL_KEEP = 2000
# An item's dense score is its best passage's, and the best of many draws is higher by chance: a
# curated entry with 30 everyday phrasings beat an imported procedure that has only its own fields
# (name, short name, result, everyday terms: at most ~6 passages) on questions about the latter
# (leave-curation-out folds, dev: top-1 0.29). Passages beyond what an import gives cost
# log(n / 6) × 0.03 in cosine: folds 0.29 → 0.45, national 0.505 → 0.509, sample 0.897 → 0.893.
BASE_PASSAGES = 6
PASSAGE_DISCOUNT = 0.03
# BM25 can only read the words its vocabulary holds: a question in English, or one full of words
# the catalogue never uses, gives a ranking from its few known words (rank 500+ for the right
# procedure), which outvoted a right dense answer. Lexical weight scales with the share of the
# question's words it knows, in full from this share on (dev: national 0.556 → 0.561, no other change).
LEXICAL_COVERAGE_FULL = 0.8
FOLLOW_UP_TEXT_WEIGHT = 1 / 3  # a follow-up's own vector in its in-context search


class IndexMismatch(Exception):
    """The index on disk was built with another embedder or format than the one configured."""


@dataclass(frozen=True, slots=True)  # slots: a cached result holds 30 of these (memory)
class GroupHit:
    group: str
    kind: str  # "procedure" | "faq"
    item_ids: tuple[str, ...]  # best first
    score: float  # fused score
    dense: float  # best cosine similarity of the group's passages
    lexical: float  # best BM25 score of the group's items
    fuzzy: float  # best fuzzy score (0-100)


@dataclass(frozen=True)
class SearchResult:
    query: NormalizedQuery
    hits: tuple[GroupHit, ...]
    query_vector: np.ndarray = field(repr=False)

    def procedures(self) -> list[GroupHit]:
        return [h for h in self.hits if h.kind == "procedure"]

    def faq(self) -> list[GroupHit]:
        return [h for h in self.hits if h.kind == "faq"]


_NAMED_LEVEL = ((1, re.compile(r"\bcap tinh\b")), (2, re.compile(r"\bcap (?:bo|trung uong)\b")))


def mentioned_level(folded: str) -> int:
    """Level rank the citizen named ("ở tỉnh", "cấp bộ"); commune level (0) when none is named.

    Citizens go to the commune first; a level is only preferred when it is named explicitly.
    """
    for rank, pattern in _NAMED_LEVEL:
        if pattern.search(folded):
            return rank
    return 0


class Index:
    """A loaded index version. Immutable after load; safe to share between threads."""

    def __init__(self, path: Path, embedder: Embedder, cache_size: int = 0):
        """`cache_size` > 0 keeps that many search results by normalised query: the same question
        (in any spelling that normalises alike) is answered again without any retrieval work."""
        self.path = path
        self.cache_size = cache_size
        self.results = LruCache(cache_size) if cache_size > 0 else None
        self.embedder = embedder
        self.manifest = json.loads((path / "manifest.json").read_text())
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatch(f"index format {self.manifest.get('format_version')} != {FORMAT_VERSION}")
        if self.manifest["embedder"] != embedder.name:
            raise IndexMismatch(
                f"index at {path} was built with '{self.manifest['embedder']}', configured embedder is '{embedder.name}'"
            )
        self.items = [Item(**raw) for raw in json.loads((path / "items.json").read_text())]
        passages = json.loads((path / "passages.json").read_text())
        self.passage_item = np.array([p[0] for p in passages], dtype=np.int64)
        counts = np.bincount(self.passage_item, minlength=len(self.items)) if len(self.passage_item) else np.zeros(0)
        self.passage_penalty = PASSAGE_DISCOUNT * np.log(np.maximum(1.0, counts / BASE_PASSAGES))
        self.vectors = faiss.read_index(str(path / "vectors.faiss"))
        if self.vectors.d != self.manifest["dimension"]:
            raise IndexMismatch("vector dimension differs from the manifest")
        self.bm25 = bm25s.BM25.load(str(path / "lexical"), load_corpus=False, show_progress=False)
        self.names = json.loads((path / "names.json").read_text())
        self._flat_names = [(i, name) for i, names in enumerate(self.names) for name in names if len(name) >= 4]
        self._item_names: list[list[str]] = [[] for _ in self.names]
        for i, name in self._flat_names:
            self._item_names[i].append(name)
        self._flat_name_items = [i for i, _ in self._flat_names]
        self._flat_name_texts = [name for _, name in self._flat_names]
        self.name_cover = NameCover(self.items, self.names)
        restorer = DiacriticRestorer([])
        restorer.table = json.loads((path / "restorer.json").read_text())
        self.normalizer = Normalizer(restorer=restorer)
        # the catalogue's own words, as written and folded (a message typed without marks meets the latter)
        words = json.loads((path / "words.json").read_text())
        self.known_words = frozenset(words) | frozenset(fold(w) for w in words)
        # read on demand: the parsed national catalogue would cost ~80 MB per worker (knowledge/store.py)
        self.procedures = ProcedureStore(path / "catalogue.jsonl")
        self.faq = self.procedures.faq
        titles = {item.group: item.title for item in self.items if item.kind == "procedure"}
        own_staff = frozenset(item.group for item in self.items if item.serves_own_staff)
        no_person = groups_no_person_files((item.group, item.no_person_files) for item in self.items
                                           if item.kind == "procedure")
        # an age, a legal form, own people, a paper, who files
        self.stated_facts = StatedFacts(titles, own_staff=own_staff, no_person=no_person)
        self.variants, self.narrowing = near_variants(titles), narrowing_kinds(titles)
        self.action_siblings = action_siblings(titles)
        self.action_vocabulary = action_vocabulary(self.action_siblings)
        self.asked_actions = AskedActions(titles)  # "hủy" asks for "rút …", "sửa" for "điều chỉnh …"
        self.group_items: dict[str, list[int]] = {}
        for i, item in enumerate(self.items):
            self.group_items.setdefault(item.group, []).append(i)
        self._lock = threading.Lock()  # bm25s/faiss calls are not documented as thread-safe

    @property
    def catalogue(self) -> Catalogue:
        """The whole catalogue of this index, parsed now: for training and administration only."""
        return self.procedures.catalogue()

    @classmethod
    def load(cls, root: Path, embedder: Embedder, cache_size: int = 0) -> Index:
        version = active_version(root)
        if version is None:
            raise FileNotFoundError(f"no built index under {root}")
        return cls(version, embedder, cache_size)

    @property
    def version(self) -> str:
        return self.path.name

    # --- retrievers -------------------------------------------------------------------------
    def embed_query(self, query: NormalizedQuery) -> np.ndarray:
        return self.embedder.encode([query.restored], is_query=True)[0]

    def dense_scores(self, vector: np.ndarray, top: int = 400) -> dict[int, float]:
        top = min(top, self.vectors.ntotal)
        with self._lock:
            scores, ids = self.vectors.search(vector[None, :].astype(np.float32), top)
        best: dict[int, float] = {}
        for score, pid in zip(scores[0], ids[0], strict=True):
            if pid < 0:
                continue
            item = int(self.passage_item[pid])
            score = float(score) - float(self.passage_penalty[item])
            if score > best.get(item, -1.0):
                best[item] = score
        return best

    def lexical_scores(self, query: NormalizedQuery) -> dict[int, float]:
        terms = [t for t in query.terms if t in self.bm25.vocab_dict]
        if not terms:
            return {}
        with self._lock:
            scores = self.bm25.get_scores(terms)
        nonzero = np.nonzero(scores > 0)[0]
        if len(nonzero) > LEXICAL_KEEP:  # a big catalogue: only the best can reach the fused top groups
            nonzero = nonzero[np.argpartition(-scores[nonzero], LEXICAL_KEEP)[:LEXICAL_KEEP]]
        return {int(i): float(scores[i]) for i in nonzero}

    def lexical_coverage(self, query: NormalizedQuery) -> float:
        """Share of the question's words (not pairs) that the catalogue's lexical vocabulary holds."""
        words = [t for t in query.terms if "_" not in t]
        return sum(t in self.bm25.vocab_dict for t in words) / len(words) if words else 0.0

    def fuzzy_scores(self, query: NormalizedQuery, candidates: set[int] | None = None) -> dict[int, float]:
        """Fuzzy match against names and everyday names; restricted to `candidates` (item numbers)
        when given, so in the fused search it re-ranks what dense and lexical found instead of
        scanning every name (16 ms → under 1 ms per query on the national catalogue).

        `cdist` rather than `process.extract`: same scores, but it releases the GIL, so a worker's
        other requests (HTTP, database) go on while names are compared."""
        text = query.folded
        if len(text) < 3:
            return {}
        if candidates is None:
            owners, names = self._flat_name_items, self._flat_name_texts
        else:
            pairs = [(i, n) for i in sorted(candidates) for n in self._item_names[i]]
            owners, names = [i for i, _ in pairs], [n for _, n in pairs]
        if not names:
            return {}
        scores = process.cdist([text], names, scorer=fuzz.token_set_ratio, score_cutoff=50, workers=1)[0]
        best: dict[int, float] = {}
        for pos in np.argsort(-scores, kind="stable")[:CANDIDATES]:  # ties keep name order, like extract
            if scores[pos] < 50:
                break
            item = owners[pos]
            best[item] = max(best.get(item, 0.0), float(scores[pos]))
        return best

    # --- search -----------------------------------------------------------------------------
    def search(
        self,
        text: str,
        k: int = 10,
        method: str | None = None,
        weights: dict[str, float] | None = None,
        query_vector: np.ndarray | None = None,
    ) -> SearchResult:
        query = self.normalizer.query(text)
        cacheable = self.results is not None and k == 10 and method is None and weights is None and query_vector is None
        if cacheable and (cached := self.results.get((query.folded, query.restored))) is not None:
            return replace(cached, query=query)
        result = self._search(query, k, method, weights, query_vector)
        if cacheable:
            self._remember((query.folded, query.restored), result)
        return result

    def _remember(self, key: tuple, result: SearchResult) -> None:
        """Cache a result; its vector becomes read-only, as every reader shares it."""
        result.query_vector.setflags(write=False)
        self.results.put(key, result)

    def _known_vector(self, query: NormalizedQuery) -> np.ndarray:
        """A query's vector: from a cached search result when there is one (a popular question
        answered from the result cache never went through the embedding cache), else embedded."""
        if self.results is not None and (cached := self.results.peek((query.folded, query.restored))) is not None:
            return cached.query_vector
        return self.embed_query(query)

    def search_in_context(self, context: Sequence[str], text: str) -> SearchResult:
        """A follow-up read with the conversation's recent messages ("thế còn lệ phí?" after a question).

        Lexical and fuzzy matching read the joined text. The dense vector is the normalised mean of
        the parts' vectors rather than an embedding of the joined text: every earlier message was
        embedded when it was asked and sits in the query-embedding cache, so a follow-up costs at
        most its own embedding instead of embedding a text nobody sent before (the query embedding
        is most of a worker's CPU under load)."""
        parts = [p for p in (*context, text) if p.strip()]
        if len(parts) <= 1:
            return self.search(text)
        query = self.normalizer.query(" ".join(parts))
        part_queries = [self.normalizer.query(p) for p in parts]
        key = ("in-context", *(q.restored for q in part_queries))
        if self.results is not None and (cached := self.results.get(key)) is not None:
            return replace(cached, query=query)
        vectors = [self._known_vector(q) for q in part_queries]
        # the context weighs two thirds, as it did in the embedding of the joined text (the earlier
        # messages are the longer part); chosen between 1/2 and 1/3 on the dialogues (docs/retrieval.md)
        context_share = (1.0 - FOLLOW_UP_TEXT_WEIGHT) / (len(vectors) - 1)
        mean = (sum(v * context_share for v in vectors[:-1]) + vectors[-1] * FOLLOW_UP_TEXT_WEIGHT).astype(np.float32)
        mean /= float(np.linalg.norm(mean)) or 1.0
        result = self._search(query, 10, None, None, mean)
        if self.results is not None:
            self._remember(key, result)
        return result

    def _fuzzy_candidates(self, groups: set[str], per_item: dict[str, dict[int, float]]) -> set[int]:
        """Items whose names fuzzy matching re-ranks: per candidate group, its best few members.

        A group is one procedure at its levels (at most four), so this is every member in the
        national catalogue; in a nationwide one, where a group also holds every province's copy,
        re-ranking all members meant ~17k names per query at 100k entries (35 ms). Members that
        dense or lexical search found come first."""
        dense, lexical = per_item["dense"], per_item["lexical"]
        chosen: set[int] = set()
        for group in groups:
            members = self.group_items[group]
            if len(members) > FUZZY_MEMBERS_PER_GROUP:
                members = sorted(members, key=lambda i: (i not in dense and i not in lexical, -dense.get(i, 0.0),
                                                         -lexical.get(i, 0.0)))[:FUZZY_MEMBERS_PER_GROUP]
            chosen.update(members)
        return chosen

    def _search(self, query: NormalizedQuery, k: int, method: str | None, weights: dict[str, float] | None,
                query_vector: np.ndarray | None) -> SearchResult:
        """Search and fuse; depends on the query only through its folded and restored forms (the cache key)."""
        wanted_level = mentioned_level(query.folded)
        vector = query_vector if query_vector is not None else self.embed_query(query)
        per_item = {
            "dense": self.dense_scores(vector) if method in (None, "dense") else {},
            "lexical": self.lexical_scores(query) if method in (None, "lexical") else {},
        }
        rankings = {m: rank_groups(scores, self.items) for m, scores in per_item.items() if scores}
        best_dense = dict(rankings.get("dense", ()))  # each group's best cosine: breaks ties below
        if method == "fuzzy":
            per_item["fuzzy"] = self.fuzzy_scores(query)
        elif method is None and len(self._flat_names) <= FUZZY_FULL_SCAN_MAX:
            per_item["fuzzy"] = self.fuzzy_scores(query)
        elif method is None:
            groups = {g for ranking in rankings.values() for g, _ in ranking[:FUZZY_CANDIDATES]}
            per_item["fuzzy"] = self.fuzzy_scores(query, self._fuzzy_candidates(groups, per_item))
        else:
            per_item["fuzzy"] = {}
        if per_item["fuzzy"]:
            rankings["fuzzy"] = rank_groups(per_item["fuzzy"], self.items)
        if method:
            weights = {method: 1.0}
        weights = weights or DEFAULT_WEIGHTS
        if not method:  # both read the question's words: scaled by how many of them the catalogue knows
            known = min(1.0, self.lexical_coverage(query) / LEXICAL_COVERAGE_FULL)
            weights = {**weights, "lexical": weights.get("lexical", 0.0) * known, "names": weights.get("names", 0.0) * known}
            candidates = {g for ranking in rankings.values() for g, _ in ranking[:CANDIDATES]}
            if names := self.name_cover.ranking(query.terms, candidates, best_dense):
                rankings["names"] = names
        fused = fuse(rankings, weights)
        if not method:
            self.stated_facts.weigh(fused, query.folded, query.restored)  # "con tôi 10 tuổi", "hộ kinh doanh" against a name
            uncued_narrowing_behind(fused, self.narrowing, kinds := cued_kinds(query.folded))
            plain_variants_first(fused, self.variants, kinds, query.folded)
            named_action_first(fused, self.action_siblings, query.folded, self.action_vocabulary)
            self.asked_actions.first(fused, query.restored)
        # ties in fused rank (dense #1 + lexical #2 vs the reverse) go to the stronger dense evidence
        top_groups = sorted(fused.items(), key=lambda kv: (round(kv[1], 9), best_dense.get(kv[0], 0.0)),
                            reverse=True)[: max(k, 1) * 3]
        hits = []
        for group, score in top_groups:
            members = self.group_items[group]
            ordered = sorted(members, key=lambda i: (self.items[i].level_rank != wanted_level, self.items[i].level_rank,
                                                     -per_item["dense"].get(i, 0.0)))
            hits.append(
                GroupHit(
                    group=group,
                    kind=self.items[members[0]].kind,
                    item_ids=tuple(self.items[i].id for i in ordered),
                    score=score,
                    dense=max((per_item["dense"].get(i, 0.0) for i in members), default=0.0),
                    lexical=max((per_item["lexical"].get(i, 0.0) for i in members), default=0.0),
                    fuzzy=max((per_item["fuzzy"].get(i, 0.0) for i in members), default=0.0),
                )
            )
        return SearchResult(query=query, hits=tuple(hits), query_vector=vector)
