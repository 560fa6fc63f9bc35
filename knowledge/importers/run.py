"""`tthc catalogue import`: detect each source file's format, import, write the project format.

The output directory is written atomically: the new catalogue is assembled in a sibling temporary
directory and renamed into place, so a failed import never leaves a half-written catalogue.
"""

from __future__ import annotations

import os
import shutil
import tempfile
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
from knowledge.loaders import load_catalogue, write_jsonl


def _looks_like_project_format(path: Path) -> bool:
    head = path.read_text(encoding="utf-8")[:2000]
    return any(key in head for key in ('"code"', '"kind"', '"procedures"', '"faq"'))


def import_sources(path: Path) -> ImportReport:
    """Import every recognised file under `path` (national crawl, structured exports, project format)."""
    if not path.exists():
        raise CatalogueError(f"no such file or directory: {path}")
    report = ImportReport()
    for source in iter_source_files(path):
        if source.suffix == ".jsonl" and looks_like_crawl(source):
            report.merge(import_crawl_jsonl(source))
        elif source.suffix == ".json" and looks_like_structured(source):
            report.merge(import_structured_json(source))
        elif not _looks_like_project_format(source):
            report.problems.append(LoadProblem(str(source), 1, "-", "not a catalogue file (unknown format); skipped"))
        else:
            loaded = load_catalogue(source)
            report.procedures.extend(loaded.catalogue.procedures)
            report.problems.extend(loaded.problems)
            report.complete += len(loaded.catalogue.procedures)
    if path.is_dir():
        for ignored in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix not in (".jsonl", ".json")):
            if ignored.suffix in (".yaml", ".yml"):
                loaded = load_catalogue(ignored)
                report.procedures.extend(loaded.catalogue.procedures)
                report.problems.extend(loaded.problems)
                report.complete += len(loaded.catalogue.procedures)
    # the same code twice (e.g. crawl and structured export): the later one wins, say so
    seen: dict[str, int] = {}
    for index, proc in enumerate(report.procedures):
        if proc.code in seen:
            report.problems.append(LoadProblem(str(path), proc.code, "code", "duplicate code; the later record is kept"))
        seen[proc.code] = index
    report.procedures = [report.procedures[i] for i in sorted(seen.values())]
    return report


def write_catalogue_dir(report: ImportReport, out_dir: Path) -> Path:
    """Write the imported procedures as `out_dir/procedures.jsonl`, replacing `out_dir` atomically."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.staging-"))
    try:
        write_jsonl(staging / "procedures.jsonl", sorted(report.procedures, key=lambda p: p.code))
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
