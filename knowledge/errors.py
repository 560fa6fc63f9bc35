"""Errors and problem reports of the catalogue layer.

    CatalogueError            a catalogue cannot be used at all (no file, nothing valid)
    LoadProblem (a record)    one bad row or field: reported, the rest still loads
"""

from __future__ import annotations

from dataclasses import dataclass


class CatalogueError(Exception):
    """The catalogue as a whole cannot be loaded or written."""


@dataclass(frozen=True)
class LoadProblem:
    """One row or field that could not be used, located precisely for the administrator."""

    file: str
    row: int | str  # line number (JSONL), list index (YAML) or file name of a one-record file
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}: field '{self.field}': {self.message}"
