"""Procedures of a built index, read from its `catalogue.jsonl` when asked for, not all kept in memory.

Why: an answer needs one procedure (or its few level variants) at a time, but the national catalogue
parsed into pydantic objects costs about 80 MB per serving worker, a fifth of its memory budget.
The store keeps only each procedure's byte offset in the file and parses on access, with a small
LRU for the popular ones. The file is the index's own artifact (validated when the index was
built, never changed afterwards), so reading it by offset is safe for the life of the index.
FAQ entries are few and stay in memory.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path

from knowledge.schema import Catalogue, FaqEntry, Procedure


class ProcedureStore(Mapping[str, Procedure]):
    """A read-only mapping code → Procedure over a catalogue JSONL file (see knowledge.loaders)."""

    def __init__(self, path: Path, cache_size: int = 256):
        self.path = path
        self.cache_size = cache_size
        self._offsets: dict[str, int] = {}
        self.faq: dict[str, FaqEntry] = {}
        with path.open("rb") as handle:
            offset = 0
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    if record.get("kind") == "procedure":
                        self._offsets[record["code"]] = offset
                    elif record.get("kind") == "faq":
                        entry = FaqEntry.model_validate({k: v for k, v in record.items() if k != "kind"})
                        self.faq[entry.topic] = entry
                offset += len(line)
        self._cache: OrderedDict[str, Procedure] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, code: str) -> Procedure:
        offset = self._offsets[code]  # KeyError for an unknown code, like a dict
        with self._lock:
            if (cached := self._cache.get(code)) is not None:
                self._cache.move_to_end(code)
                return cached
        with self.path.open("rb") as handle:
            handle.seek(offset)
            record = json.loads(handle.readline())
        procedure = Procedure.model_validate({k: v for k, v in record.items() if k != "kind"})
        with self._lock:
            self._cache[code] = procedure
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return procedure

    def __contains__(self, code: object) -> bool:
        return code in self._offsets

    def __iter__(self) -> Iterator[str]:
        return iter(self._offsets)

    def __len__(self) -> int:
        return len(self._offsets)

    def catalogue(self) -> Catalogue:
        """The whole catalogue, parsed now (for training and administration, not for answering)."""
        return Catalogue(procedures=tuple(self[code] for code in self._offsets), faq=tuple(self.faq.values()))
