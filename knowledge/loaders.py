"""Load and write the project's own catalogue format (YAML or JSON; see docs/catalogue.md).

A catalogue is a file or a directory read recursively. Files:
- `*.yaml` / `*.yml` / `*.json`: a mapping with optional `procedures:` and `faq:` lists;
- `*.jsonl`: one record per line, each with `"kind": "procedure"` or `"kind": "faq"`.

Bad records are reported (file, row, field) and skipped; everything else loads. Files are read
through knowledge.safe_read, so a broken or hostile file (not UTF-8, nested 100k deep, a YAML alias
bomb, a 5,000-digit number) is a reported problem, never a traceback. When several files give the
same procedure code, the file read later wins (files are read in sorted path order), which lets a
curated overlay directory refine an imported national catalogue; the same code twice in one file
is a problem.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from knowledge import limits
from knowledge.atomic import write_lines_atomically
from knowledge.errors import CatalogueError, LoadProblem
from knowledge.learned import LEARNED_FILE, apply_lessons, read_lessons
from knowledge.safe_read import iter_json_lines, quote, read_json, read_yaml
from knowledge.schema import Catalogue, FaqEntry, Procedure
from knowledge.validity import with_rules

CATALOGUE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")


def bundled_sample_path() -> Path:
    """The sample catalogue shipped inside the package."""
    return Path(str(resources.files("knowledge") / "catalogue" / "sample"))


def bundled_faq() -> tuple[FaqEntry, ...]:
    """The reform FAQ shipped with the package.

    Every deployment answers questions about the reform (một cửa, VNeID, dịch vụ công), whatever
    procedures an administrator imports, so importers start from this FAQ instead of from nothing."""
    return load_catalogue(bundled_sample_path() / "faq").catalogue.faq


@dataclass
class LoadResult:
    catalogue: Catalogue
    problems: list[LoadProblem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    origins: dict[str, tuple[str, int | str]] = field(default_factory=dict)  # code → (file, row) kept


def _validation_problems(path: Path, row: int | str, err: ValidationError) -> list[LoadProblem]:
    return [
        LoadProblem(str(path), row, ".".join(str(p) for p in e["loc"]) or "-", e["msg"])
        for e in err.errors()
    ]


Record = tuple[int | str, str, dict[str, Any]]  # (row, kind, raw record)


def _records_in_file(path: Path) -> Iterator[Record | LoadProblem]:
    """Yield every record a file holds, or a located problem where a row or the file is unusable."""
    file = str(path)
    if path.suffix == ".jsonl":
        for line in iter_json_lines(path):
            if line.problems:
                yield from (LoadProblem(file, line.line, _dotted(where), message) for where, message in line.problems)
            elif not isinstance(line.value, dict):
                yield LoadProblem(file, line.line, "-", "a line must be a JSON object")
            else:
                yield line.line, str(line.value.pop("kind", "procedure")), line.value
        return
    data, problems = read_json(path) if path.suffix == ".json" else read_yaml(path)
    bad_rows: set[tuple[str, int]] = set()
    for where, message in problems:
        if len(where) >= 2 and where[0] in ("procedures", "faq") and isinstance(where[1], int):
            bad_rows.add((str(where[0]), where[1]))
            yield LoadProblem(file, where[1] + 1, _dotted(where[2:]), message)
        else:
            yield LoadProblem(file, 0, _dotted(where), message)
    if data is None:
        return
    if not isinstance(data, dict):
        yield LoadProblem(file, 0, "-", "top level must be a mapping with 'procedures' and/or 'faq'")
        return
    for key in sorted(set(map(str, data)) - {"procedures", "faq"}):
        yield LoadProblem(file, 0, quote(key, 40), "unknown top-level key (expected 'procedures' and/or 'faq')")
    for key, kind in (("procedures", "procedure"), ("faq", "faq")):
        items = data.get(key) or []
        if not isinstance(items, list):
            yield LoadProblem(file, 0, key, f"'{key}' must be a list")
            continue
        if len(items) > limits.MAX_ROWS:
            yield LoadProblem(file, limits.MAX_ROWS + 1, key, f"more than {limits.MAX_ROWS:,} records; the rest is not read")
        for index, record in enumerate(items[: limits.MAX_ROWS]):
            if (key, index) in bad_rows:
                continue
            if not isinstance(record, dict):
                yield LoadProblem(file, index + 1, "-", "a record must be a mapping")
            else:
                yield index + 1, kind, record


def _dotted(where: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in where) or "-"


def catalogue_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise CatalogueError(f"catalogue not found: {root}")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in CATALOGUE_SUFFIXES and p.name != LEARNED_FILE)


def load_catalogue(*roots: Path | str, learned: bool = True) -> LoadResult:
    """Load one or more catalogue files/directories; later files override earlier ones by code.

    Within one file a code (or FAQ topic) given twice is a problem naming both rows: one of the two
    is a mistake, and silently keeping the later would hide which. A directory's `learned.jsonl`
    (knowledge/learned.py) is applied after every root is read, unless `learned` is False (an
    import merging into the directory must not bake the overlay into the procedures).
    """
    procedures: dict[str, Procedure] = {}
    faq: dict[str, FaqEntry] = {}
    problems: list[LoadProblem] = []
    files: list[Path] = []
    origins: dict[str, tuple[str, int | str]] = {}
    out_of_scope: list[str] = []
    for root in roots:
        for path in catalogue_files(Path(root)):
            files.append(path)
            seen: dict[tuple[str, str], int | str] = {}  # (kind, code or topic) → row, in this file
            for item in _records_in_file(path):
                if isinstance(item, LoadProblem):
                    problems.append(item)
                    continue
                row, kind, record = item
                try:
                    if kind == "faq":
                        entry = FaqEntry.model_validate(record)
                        key, label = ("faq", entry.topic), "topic"
                        faq[entry.topic] = entry
                    elif kind == "out_of_scope" and isinstance(record.get("question"), str):
                        out_of_scope.append(record["question"])  # an index's own catalogue.jsonl
                        continue
                    elif kind == "procedure":
                        # a hand-written catalogue states dated fees in words: read them as rules
                        proc = with_rules(Procedure.model_validate(record))
                        key, label = ("procedure", proc.code), "code"
                        procedures[proc.code] = proc
                        origins[proc.code] = (str(path), row)
                    else:
                        problems.append(LoadProblem(str(path), row, "kind", f"unknown kind {quote(kind, 40)}"))
                        continue
                except ValidationError as err:
                    problems.extend(_validation_problems(path, row, err))
                    continue
                if key in seen:
                    problems.append(LoadProblem(str(path), row, label, f"duplicate {label} {key[1]}: also at row "
                                                                      f"{seen[key]} of this file; the later row is kept"))
                seen[key] = row
    overlays = [Path(r) / LEARNED_FILE for r in roots if learned and (Path(r) / LEARNED_FILE).is_file()]
    for overlay in overlays:
        lessons, bad = read_lessons(overlay)
        taught, unknown = apply_lessons(procedures, faq, lessons, str(overlay))
        out_of_scope.extend(taught)
        problems.extend([*bad, *unknown])
        files.append(overlay)
    catalogue = Catalogue(procedures=tuple(procedures.values()), faq=tuple(faq.values()),
                          out_of_scope=tuple(dict.fromkeys(out_of_scope)))
    return LoadResult(catalogue=catalogue, problems=problems, files=files, origins=origins)


def catalogue_fingerprint(catalogue: Catalogue) -> str:
    """Content hash of a catalogue: equal catalogues give equal hashes whatever their file layout."""
    digest = hashlib.sha256()
    for proc in sorted(catalogue.procedures, key=lambda p: p.code):
        digest.update(proc.model_dump_json().encode())
    for entry in sorted(catalogue.faq, key=lambda f: f.topic):
        digest.update(entry.model_dump_json().encode())
    for question in catalogue.out_of_scope:
        digest.update(question.encode())
    return digest.hexdigest()[:16]


def _record_line(kind: str, model: Procedure | FaqEntry) -> str:
    data = {"kind": kind, **model.model_dump(mode="json", exclude_defaults=True)}
    return json.dumps(data, ensure_ascii=False)


def write_jsonl(path: Path, procedures: Iterable[Procedure], faq: Iterable[FaqEntry] = (),
                out_of_scope: Iterable[str] = ()) -> None:
    """Write records to `path` atomically: readers see the old file or the whole new one."""
    write_lines_atomically(path, itertools.chain(
        (_record_line("procedure", proc) for proc in procedures),
        (_record_line("faq", entry) for entry in faq),
        (json.dumps({"kind": "out_of_scope", "question": q}, ensure_ascii=False) for q in out_of_scope)))
