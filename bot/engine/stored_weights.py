"""Fitted weights stored beside an index version (or in the cache), keyed by what they were fitted on.

The intent and aspect models are both fitted once per index and read at every start. They share
how: an atomic write, a read that takes a stale, missing or damaged file for "not there", and the
order of places tried (the version directory first, the cache when that directory is read-only).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

Model = TypeVar("Model")


def save_arrays(path: Path, key: str, compressed: bool = False, **arrays: np.ndarray) -> None:
    """Write `arrays` and `key` atomically: a concurrent reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    (np.savez_compressed if compressed else np.savez)(tmp, key=np.array(key), **arrays)
    tmp.replace(path)


def load_arrays(path: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays stored at `path` if they were stored under `key`; None when the file is missing,
    stale, or damaged (a truncated or empty file is refitted, not a crash at start)."""
    try:
        with np.load(path) as data:
            if str(data["key"]) != key:
                return None
            return {name: data[name] for name in data.files if name != "key"}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def stored_or_fitted(places: list[Path], load: Callable[[Path], Model | None], fit: Callable[[], Model],
                     save: Callable[[Model, Path], None]) -> Model:
    """The first model `load` finds in `places`, else `fit()`, stored in the first place that takes it
    (the version directory may be read-only: a shipped index)."""
    for path in places:
        if (stored := load(path)) is not None:
            return stored
    model = fit()
    for path in places:
        try:
            save(model, path)
            break
        except OSError:
            continue
    return model
