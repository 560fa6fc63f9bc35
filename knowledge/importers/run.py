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

from knowledge.errors import CatalogueError, LoadProblem
from knowledge.importers.dvcqg import (
    ImportReport,
    import_crawl_jsonl,
    import_structured_json,
    iter_source_files,
    looks_like_crawl,
    looks_like_structured,
)
from knowledge.diff import CatalogueDiff, diff_catalogues
from knowledge.importers.xlsx import import_xlsx, merge_list_entry
from knowledge.loaders import bundled_faq, load_catalogue, write_jsonl
from knowledge.schema import Catalogue, FaqEntry, Procedure


def _looks_like_project_format(path: Path) -> bool:
    head = path.read_text(encoding="utf-8")[:2000]
    return any(key in head for key in ('"code"', '"kind"', '"procedures"', '"faq"'))


def import_sources(path: Path) -> ImportReport:
    """Import every recognised file under `path` (national crawl, structured exports, project format)."""
    if not path.exists():
        raise CatalogueError(f"no such file or directory: {path}")
    report = ImportReport()
    for source in iter_source_files(path):
        if source.suffix not in (".jsonl", ".json"):
            continue  # YAML and XLSX are read below
        if source.suffix == ".jsonl" and looks_like_crawl(source):
            report.merge(import_crawl_jsonl(source))
        elif source.suffix == ".json" and looks_like_structured(source):
            report.merge(import_structured_json(source))
        elif not _looks_like_project_format(source):
            report.skipped_files.append(str(source))
        else:
            loaded = load_catalogue(source)
            report.procedures.extend(loaded.catalogue.procedures)
            report.faq.extend(loaded.catalogue.faq)
            report.problems.extend(loaded.problems)
            report.complete += len(loaded.catalogue.procedures)
    others = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for other in others:
        if other.suffix in (".yaml", ".yml"):
            loaded = load_catalogue(other)
            report.procedures.extend(loaded.catalogue.procedures)
            report.faq.extend(loaded.catalogue.faq)
            report.problems.extend(loaded.problems)
            report.complete += len(loaded.catalogue.procedures)
        elif other.suffix == ".xlsx":
            report.merge(import_xlsx(other))
    # the same code twice (e.g. crawl and structured export): the later one wins, say so. A list
    # export row (code and name only) is no rival to a full record of the same code: it updates that
    # record's name like a list row does against an existing catalogue, instead of replacing every
    # field with nothing (a ministry folder holds both the crawl and the official list export).
    seen: dict[str, int] = {}
    for index, proc in enumerate(report.procedures):
        if proc.code in seen:
            earlier = report.procedures[seen[proc.code]]
            if _is_list_row(proc) and not _is_list_row(earlier):
                report.procedures[index] = merge_list_entry(earlier, proc)
            else:
                report.problems.append(LoadProblem(str(path), proc.code, "code", "duplicate code; the later record is kept"))
        seen[proc.code] = index
    report.procedures = [report.procedures[i] for i in sorted(seen.values())]
    return report


def _is_list_row(proc: Procedure) -> bool:
    return proc.raw.get("source", "").startswith("xlsx")


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
    existing_catalogue = load_catalogue(target).catalogue if target.exists() else Catalogue()
    existing = existing_catalogue.by_code()
    merged: dict[str, Procedure] = {} if replace else dict(existing)
    for proc in report.procedures:
        if proc.raw.get("source", "").startswith("xlsx"):
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
