"""Load and write the project's own catalogue format (YAML or JSON; see docs/catalogue.md).

A catalogue is a file or a directory read recursively. Files:
- `*.yaml` / `*.yml` / `*.json`: a mapping with optional `procedures:` and `faq:` lists;
- `*.jsonl`: one record per line, each with `"kind": "procedure"` or `"kind": "faq"`.

Bad records are reported (file, row, field) and skipped; everything else loads. When several files
give the same procedure code, the file read later wins (files are read in sorted path order), which
lets a curated overlay directory refine an imported national catalogue.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.errors import CatalogueError, LoadProblem
from knowledge.schema import Catalogue, FaqEntry, Procedure

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


def _yaml_load(text: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - safe loader


def _validation_problems(path: Path, row: int | str, err: ValidationError) -> list[LoadProblem]:
    return [
        LoadProblem(str(path), row, ".".join(str(p) for p in e["loc"]) or "-", e["msg"])
        for e in err.errors()
    ]


def _records_in_file(path: Path) -> Iterator[tuple[int | str, str, Any]]:
    """Yield (row, kind, raw record) for every record a file holds."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield line_no, "invalid", f"not valid JSON: {exc.msg}"
                continue
            if not isinstance(record, dict):
                yield line_no, "invalid", "a line must be a JSON object"
                continue
            yield line_no, str(record.pop("kind", "procedure")), record
        return
    try:
        data = json.loads(text) if path.suffix == ".json" else _yaml_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        yield 0, "invalid", f"cannot parse file: {exc}"
        return
    if data is None:
        return
    if not isinstance(data, dict):
        yield 0, "invalid", "top level must be a mapping with 'procedures' and/or 'faq'"
        return
    for key, kind in (("procedures", "procedure"), ("faq", "faq")):
        items = data.get(key) or []
        if not isinstance(items, list):
            yield 0, "invalid", f"'{key}' must be a list"
            continue
        for index, record in enumerate(items, start=1):
            yield index, kind, record


def catalogue_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise CatalogueError(f"catalogue not found: {root}")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in CATALOGUE_SUFFIXES)


def load_catalogue(*roots: Path | str) -> LoadResult:
    """Load one or more catalogue files/directories; later roots override earlier ones by code."""
    procedures: dict[str, Procedure] = {}
    faq: dict[str, FaqEntry] = {}
    problems: list[LoadProblem] = []
    files: list[Path] = []
    for root in roots:
        for path in catalogue_files(Path(root)):
            files.append(path)
            for row, kind, record in _records_in_file(path):
                if kind == "invalid":
                    problems.append(LoadProblem(str(path), row, "-", str(record)))
                    continue
                if not isinstance(record, dict):
                    problems.append(LoadProblem(str(path), row, "-", "a record must be a mapping"))
                    continue
                try:
                    if kind == "faq":
                        entry = FaqEntry.model_validate(record)
                        faq[entry.topic] = entry
                    elif kind == "procedure":
                        proc = Procedure.model_validate(record)
                        procedures[proc.code] = proc
                    else:
                        problems.append(LoadProblem(str(path), row, "kind", f"unknown kind '{kind}'"))
                except ValidationError as err:
                    problems.extend(_validation_problems(path, row, err))
    catalogue = Catalogue(procedures=tuple(procedures.values()), faq=tuple(faq.values()))
    return LoadResult(catalogue=catalogue, problems=problems, files=files)


def catalogue_fingerprint(catalogue: Catalogue) -> str:
    """Content hash of a catalogue: equal catalogues give equal hashes whatever their file layout."""
    digest = hashlib.sha256()
    for proc in sorted(catalogue.procedures, key=lambda p: p.code):
        digest.update(proc.model_dump_json().encode())
    for entry in sorted(catalogue.faq, key=lambda f: f.topic):
        digest.update(entry.model_dump_json().encode())
    return digest.hexdigest()[:16]


def _record_line(kind: str, model: Procedure | FaqEntry) -> str:
    data = {"kind": kind, **model.model_dump(mode="json", exclude_defaults=True)}
    return json.dumps(data, ensure_ascii=False)


def write_jsonl(path: Path, procedures: Iterable[Procedure], faq: Iterable[FaqEntry] = ()) -> None:
    """Write records to `path` atomically: readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for proc in procedures:
                out.write(_record_line("procedure", proc) + "\n")
            for entry in faq:
                out.write(_record_line("faq", entry) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
