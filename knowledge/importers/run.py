"""`tthc catalogue import`: detect each source file's format, import, write the project format.

The output directory is written atomically: the new catalogue is assembled in a sibling temporary
directory and renamed into place, so a failed import never leaves a half-written catalogue.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge import limits
from knowledge.diff import CatalogueDiff, diff_catalogues
from knowledge.errors import CatalogueError, LoadProblem
from knowledge.importers.dvcqg import import_crawl_jsonl, import_structured_json
from knowledge.importers.report import ImportReport
from knowledge.importers.xlsx import import_xlsx, merge_list_entry
from knowledge.learned import LEARNED_FILE
from knowledge.loaders import bundled_faq, load_catalogue, write_jsonl
from knowledge.safe_read import iter_json_lines, read_json
from knowledge.schema import Catalogue, FaqEntry, Procedure

SOURCE_SUFFIXES = (".jsonl", ".json", ".yaml", ".yml", ".xlsx")
# keys that tell the two JSONL formats apart: the national crawl and the project format
_CRAWL_KEYS = frozenset({"ma_thu_tuc", "ten_thu_tuc", "thanh_phan_ho_so", "cach_thuc_thuc_hien", "trinh_tu_thuc_hien",
                         "can_cu_phap_ly", "detail_url", "formality_id"})
_PROJECT_KEYS = frozenset({"kind", "code", "name", "group", "topic", "answer", "documents", "channels"})


def jsonl_format(path: Path) -> str | None:
    """"crawl", "project" or None, by the keys of the first JSON objects in the file, not only the first.

    Looking at one line let a crawl whose first row lacked `ma_thu_tuc` be skipped as "not a
    catalogue" with exit status 0; now the majority of up to FORMAT_SAMPLE_LINES objects decides.
    """
    crawl = project = seen = 0
    for line in iter_json_lines(path):
        if isinstance(line.value, dict):
            keys = set(line.value)
            crawl += len(keys & _CRAWL_KEYS) > len(keys & _PROJECT_KEYS)
            project += len(keys & _PROJECT_KEYS) > len(keys & _CRAWL_KEYS)
        seen += 1
        if seen >= limits.FORMAT_SAMPLE_LINES:
            break
    if crawl == project == 0:
        return None
    return "crawl" if crawl >= project else "project"


def _from_loader(path: Path) -> ImportReport:
    loaded = load_catalogue(path)
    report = ImportReport(procedures=list(loaded.catalogue.procedures), faq=list(loaded.catalogue.faq),
                          problems=list(loaded.problems), complete=len(loaded.catalogue.procedures))
    report.origins = dict(loaded.origins)
    return report


def import_file(path: Path) -> ImportReport:
    """Import one file in whatever format it is; a file in no format we know is an error, not a skip."""
    file = str(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _from_loader(path)
    if suffix == ".xlsx":
        return import_xlsx(path)
    if suffix == ".jsonl":
        kind = jsonl_format(path)
        if kind == "crawl":
            return import_crawl_jsonl(path)
        if kind == "project":
            return _from_loader(path)
        report = ImportReport()
        report.problems.append(LoadProblem(file, 0, "-", "unrecognised JSONL: no line is a national crawl row "
                                                         "(ma_thu_tuc, ten_thu_tuc…) or a project record (code, name…)"))
        for line in iter_json_lines(path):  # unreadable lines may be why: name them too
            report.problems.extend(LoadProblem(file, line.line, ".".join(map(str, w)), m) for w, m in line.problems)
        return report
    if suffix == ".json":
        data, problems = read_json(path)
        if problems:
            report = ImportReport()
            report.problems.extend(LoadProblem(file, 0, ".".join(map(str, w)), m) for w, m in problems)
            return report
        if isinstance(data, dict) and ("metadata" in data or "thu_tuc_id" in data):
            return import_structured_json(path, data)
        if isinstance(data, dict) and ("procedures" in data or "faq" in data):
            return _from_loader(path)
        report = ImportReport()
        report.problems.append(LoadProblem(file, 0, "-", "unrecognised JSON: neither a structured export (metadata, "
                                                         "tables) nor the project format (procedures, faq)"))
        return report
    report = ImportReport()
    report.problems.append(LoadProblem(file, 0, "-", f"unrecognised file type '{path.suffix}': expected one of "
                                                     f"{', '.join(SOURCE_SUFFIXES)}"))
    return report


def source_files(path: Path) -> tuple[list[Path], list[Path]]:
    """(files to import, hidden files left out) under `path`; hidden means a name starting with '.'."""
    if path.is_file():
        return [path], []
    files, hidden = [], []
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        (hidden if any(part.startswith(".") for part in item.relative_to(path).parts) else files).append(item)
    return files, hidden


def import_sources(path: Path) -> ImportReport:
    """Import every file under `path` (national crawl, structured exports, XLSX lists, project format).

    A code in one file twice is an error (reported by the file's importer). Across files, an XLSX
    list row (code and name only) updates the full record of the same code instead of replacing
    it; two full records of one code: the later file wins, with a warning naming both places.
    """
    if not path.exists():
        raise CatalogueError(f"no such file or directory: {path}")
    files, hidden = source_files(path)
    report = ImportReport(skipped_files=[str(h) for h in hidden])
    if not files:
        report.problems.append(LoadProblem(str(path), 0, "-", "no files to import"))
    merged: dict[str, Procedure] = {}
    for source in files:
        part = import_file(source)
        for proc in part.procedures:
            before = merged.get(proc.code)
            where = part.origins.get(proc.code, (str(source), "?"))
            if before is not None and _is_list_entry(proc) != _is_list_entry(before):
                full, listed = (before, proc) if _is_list_entry(proc) else (proc, before)
                merged[proc.code] = merge_list_entry(full, listed)
                continue
            if before is not None:
                first = report.origins.get(proc.code, ("?", "?"))
                report.warnings.append(LoadProblem(where[0], where[1], "code", f"code {proc.code} also at {first[0]} "
                                                                               f"row {first[1]}; this later one is kept"))
            merged[proc.code] = proc
            report.origins[proc.code] = where
        part.procedures, part.origins = [], {}
        report.merge(part)
    report.procedures = list(merged.values())
    return report


def _is_list_entry(proc: Procedure) -> bool:
    return proc.raw.get("source", "").startswith("xlsx")


def validate_sources(path: Path) -> ImportReport:
    """What `catalogue validate` checks: exactly what an import of `path` would read and refuse."""
    return import_sources(path)


@dataclass
class ImportPlan:
    """What `catalogue import` would do: the report, the resulting catalogue, and the diff."""

    report: ImportReport
    procedures: dict[str, Procedure]
    faq: list[FaqEntry]
    diff: CatalogueDiff

    @property
    def valid(self) -> bool:
        return not self.report.problems


def plan_import(source: Path, target: Path, replace: bool = False) -> ImportPlan:
    """Import `source` and merge it into the catalogue at `target` (if any), without writing.

    Full records replace the same code; list-export rows (codes and names only) update names of
    known codes and add minimal entries for new ones. With `replace`, codes absent from the
    import are removed.
    """
    report = import_sources(source)
    existing_catalogue = load_catalogue(target, learned=False).catalogue if target.exists() else Catalogue()
    existing = existing_catalogue.by_code()
    merged: dict[str, Procedure] = {} if replace else dict(existing)
    for proc in report.procedures:
        if _is_list_entry(proc):
            merged[proc.code] = merge_list_entry(existing.get(proc.code), proc)
        else:
            merged[proc.code] = proc
    # the bundled reform FAQ is the base layer: importing procedures into an empty directory (or
    # replacing the catalogue) must not leave a deployment without it; the target's and the
    # import's own entries refine it by topic
    faq = {entry.topic: entry for entry in bundled_faq()}
    faq.update((entry.topic, entry) for entry in (() if replace else existing_catalogue.faq))
    faq.update((entry.topic, entry) for entry in report.faq)
    return ImportPlan(report, merged, list(faq.values()), diff_catalogues(existing, merged, replace))


def apply_plan(plan: ImportPlan, out_dir: Path) -> Path:
    return write_catalogue_dir(plan.procedures.values(), out_dir, plan.faq)


def write_catalogue_dir(procedures: Iterable[Procedure], out_dir: Path, faq: Iterable[FaqEntry] = ()) -> Path:
    """Write the catalogue as `out_dir/procedures.jsonl`, replacing `out_dir` atomically."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.staging-"))
    try:
        write_jsonl(staging / "procedures.jsonl", sorted(procedures, key=lambda p: p.code), faq)
        if (out_dir / LEARNED_FILE).is_file():  # what staff taught survives a re-import
            shutil.copy2(out_dir / LEARNED_FILE, staging / LEARNED_FILE)
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir / "procedures.jsonl"
