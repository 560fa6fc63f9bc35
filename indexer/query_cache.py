"""In-memory LRU caches for what repeats between citizens: query embeddings and search results.

Citizens ask the same things ("làm căn cước ở đâu", "thế còn lệ phí?") in many chats, and one
query embedding is most of an answer's cost (~21 ms of ~30 ms). The key is the text the embedder
actually sees (after teencode expansion and diacritic restoration), so "lam cccd o dau" and
"làm căn cước ở đâu" share one entry. Only single-text query calls, the per-message path, are
cached: batches come from index builds and classifier training and would only evict real hits.

The cache sits in front of the embedder, not the index, so it survives an index hot swap: a vector
depends on the text and the model only, and the model cannot change without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import cachetools
import numpy as np

from indexer.embed import Embedder


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    size: int
    capacity: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"hits": self.hits, "misses": self.misses, "size": self.size, "capacity": self.capacity,
                "hit_rate": round(self.hit_rate, 4)}


class LruCache:
    """A thread-safe least-recently-used map with hit counters (values are shared: never mutate them).

    Eviction and recency are cachetools' LRUCache; this adds the lock (cachetools' caches are not
    thread-safe) and the hit/miss counters /health reports."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._entries: cachetools.LRUCache = cachetools.LRUCache(maxsize=capacity)
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self._misses += 1
            else:
                self._hits += 1
            return value

    def peek(self, key: Hashable) -> Any | None:
        """The value if present, without counting a lookup or refreshing its place (side uses)."""
        with self._lock:
            try:
                return cachetools.Cache.__getitem__(self._entries, key)  # the base class: no LRU update
            except KeyError:
                return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries), self.capacity)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._hits = self._misses = 0


class QueryCache:
    """Wraps an embedder; same contract (`name`, `dim`, `encode`), so an index cannot tell."""

    def __init__(self, inner: Embedder, capacity: int = 10_000):
        self.inner = inner
        self.lru = LruCache(capacity)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def warm_up(self) -> None:
        if hasattr(self.inner, "warm_up"):
            self.inner.warm_up()

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not is_query or len(texts) != 1:
            return self.inner.encode(texts, is_query=is_query)
        vector = self.lru.get(texts[0])
        if vector is None:
            # embedded outside the lock: two threads may embed the same new text once each, which
            # is cheaper than making every other request wait behind one embedding
            vector = np.asarray(self.inner.encode(texts, is_query=True), dtype=np.float32)[0]
            vector.setflags(write=False)
            self.lru.put(texts[0], vector)
        return vector[None, :].copy()

    def stats(self) -> CacheStats:
        return self.lru.stats()
