"""Importer for the portal's official list exports (`danh-sach-tthc-*.xlsx`): codes and names only.

Row 1 is a title block, row 2 the header (Mã số, Tên, Cơ quan ban hành, Cơ quan thực hiện, Lĩnh vực).
These files carry no documents, fees or times, so they are merged into an existing catalogue:
a known code keeps its details and takes the new name, field and agency; an unknown code becomes
a minimal entry that says where the details are to be found.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from pydantic import ValidationError

from knowledge import limits
from knowledge.errors import LoadProblem
from knowledge.grouping import group_key
from knowledge.importers.report import ImportReport
from knowledge.naming import without_own_code
from knowledge.safe_read import quote, size_problem
from knowledge.schema import Procedure
from knowledge.text import tidy

_COLUMN_NAMES = {"code": "Mã số", "name": "Tên", "group": "Tên", "agency": "Cơ quan thực hiện", "field": "Lĩnh vực"}
HEADERS = {"mã số": "code", "tên": "name", "cơ quan ban hành": "issuer", "cơ quan thực hiện": "agency", "lĩnh vực": "field"}
_CODE = re.compile(r"^\d+\.\d{6}$")


def _zip_problem(path: Path) -> str | None:
    """Size checks before openpyxl reads anything: the file, and the sum of its unpacked parts."""
    if problem := size_problem(path, limits.MAX_XLSX_BYTES):
        return problem
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "not an Excel workbook (.xlsx is a zip archive)"
    if unpacked > limits.MAX_XLSX_UNZIPPED_BYTES:
        return (f"unpacks to {unpacked / limits.MiB:,.0f} MiB, more than the limit of "
                f"{limits.MAX_XLSX_UNZIPPED_BYTES / limits.MiB:,.0f} MiB")
    return None


def _cell(cells: list[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    return cells[index] if index is not None and index < len(cells) else ""


def import_xlsx(path: Path) -> ImportReport:
    """Rows of the active sheet after the header row; each bad row named by its sheet row number."""
    report = ImportReport()
    file = str(path)
    if problem := _zip_problem(path):
        report.problems.append(LoadProblem(file, 0, "-", problem))
        return report
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken file
        report.problems.append(LoadProblem(file, 0, "-", f"cannot read workbook: {type(exc).__name__}"))
        return report
    try:
        _read_sheet(workbook.active, file, report)
    except Exception as exc:  # noqa: BLE001 - a damaged sheet XML fails mid-read in many ways
        report.problems.append(LoadProblem(file, 0, "-", f"cannot read sheet: {type(exc).__name__}"))
    finally:
        workbook.close()
    return report


def _read_sheet(sheet, file: str, report: ImportReport) -> None:  # noqa: ANN001 - openpyxl's read-only sheet
    if sheet is None:
        report.problems.append(LoadProblem(file, 0, "-", "the workbook has no sheet"))
        return
    columns: dict[str, int] | None = None
    for row_no, row in enumerate(sheet.iter_rows(max_col=limits.MAX_XLSX_COLUMNS, values_only=True), start=1):
        if row_no > limits.MAX_ROWS:
            report.problems.append(LoadProblem(file, row_no, "-", f"more than {limits.MAX_ROWS:,} rows; the rest is not read"))
            break
        cells = [tidy(str(c)) if c is not None else "" for c in row]
        if columns is None:
            found = {HEADERS[c.lower()]: i for i, c in enumerate(cells) if c.lower() in HEADERS}
            if {"code", "name"} <= set(found):
                columns = found
            elif row_no >= 20:
                break  # no header in the first rows: not a list export
            continue
        if not any(cells):
            continue
        code = _cell(cells, columns, "code")
        name = without_own_code(_cell(cells, columns, "name"), code)
        if not code:
            report.problems.append(LoadProblem(file, row_no, "Mã số", "missing procedure code (the row is short or the cell empty)"))
            continue
        if not _CODE.match(code):
            report.problems.append(LoadProblem(file, row_no, "Mã số", f"not a national procedure code: {quote(code)}"))
            continue
        if not name:
            report.problems.append(LoadProblem(file, row_no, "Tên", "missing procedure name (the row is short or the cell empty)"))
            continue
        try:
            proc = Procedure(code=code, name=name, group=group_key(name), field=_cell(cells, columns, "field"),
                             agency=_cell(cells, columns, "agency").replace("\n", "; "),
                             raw={"source": "xlsx list export: code and name only"})
        except ValidationError as err:
            report.problems.extend(LoadProblem(file, row_no, _COLUMN_NAMES.get(str(e["loc"][0]), str(e["loc"][0])), e["msg"])
                                   for e in err.errors())
            continue
        report.add(proc, file, row_no, "Mã số")
        report.partial += 1
    if columns is None:
        report.problems.append(LoadProblem(file, 2, "-", "header row (Mã số, Tên, …) not found in the first 20 rows"))


def merge_list_entry(existing: Procedure | None, listed: Procedure) -> Procedure:
    """A list row updates name, field and agency of a known procedure, or stands alone when new."""
    if existing is None:
        return listed
    return existing.model_copy(update={"name": listed.name, "field": listed.field or existing.field,
                                       "agency": listed.agency or existing.agency})
