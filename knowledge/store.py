"""Procedures of a built index, read from its `catalogue.jsonl` when asked for, not all kept in memory.

Why: an answer needs one procedure (or its few level variants) at a time, but the national catalogue
parsed into pydantic objects costs about 80 MB per serving worker, a fifth of its memory budget.
The store keeps only each procedure's byte offset in the file and parses on access, with a small
LRU for the popular ones. The file is the index's own artifact (validated when the index was
built, never changed afterwards), so reading it by offset is safe for the life of the index.
FAQ entries are few and stay in memory.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from knowledge.schema import Catalogue, FaqEntry, Procedure


class ProcedureStore(Mapping[str, Procedure]):
    """A read-only mapping code → Procedure over a catalogue JSONL file (see knowledge.loaders)."""

    def __init__(self, path: Path, cache_size: int = 256):
        self.path = path
        self._offsets: dict[str, int] = {}
        self.faq: dict[str, FaqEntry] = {}
        self.out_of_scope: list[str] = []  # taught examples the bot declines (knowledge/learned.py)
        with path.open("rb") as handle:
            offset = 0
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    kind = record.pop("kind", None)
                    if kind == "procedure":
                        self._offsets[record["code"]] = offset
                    elif kind == "faq":
                        entry = FaqEntry.model_validate(record)
                        self.faq[entry.topic] = entry
                    elif kind == "out_of_scope":
                        self.out_of_scope.append(str(record.get("question", "")))
                offset += len(line)
        self._parsed = functools.lru_cache(maxsize=cache_size)(self._read)  # thread-safe

    def _read(self, code: str) -> Procedure:
        with self.path.open("rb") as handle:
            handle.seek(self._offsets[code])
            record = json.loads(handle.readline())
        record.pop("kind", None)
        return Procedure.model_validate(record)

    def __getitem__(self, code: str) -> Procedure:
        if code not in self._offsets:
            raise KeyError(code)  # like a dict; an unknown code is not cached
        return self._parsed(code)

    def __contains__(self, code: object) -> bool:
        return code in self._offsets

    def __iter__(self) -> Iterator[str]:
        return iter(self._offsets)

    def __len__(self) -> int:
        return len(self._offsets)

    def catalogue(self) -> Catalogue:
        """The whole catalogue, parsed now (for training and administration, not for answering)."""
        return Catalogue(procedures=tuple(self[code] for code in self._offsets), faq=tuple(self.faq.values()),
                         out_of_scope=tuple(self.out_of_scope))
