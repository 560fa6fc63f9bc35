"""Importer for the portal's official list exports (`danh-sach-tthc-*.xlsx`): codes and names only.

Row 1 is a title block, row 2 the header (Mã số, Tên, Cơ quan ban hành, Cơ quan thực hiện, Lĩnh vực).
These files carry no documents, fees or times, so they are merged into an existing catalogue:
a known code keeps its details and takes the new name, field and agency; an unknown code becomes
a minimal entry that says where the details are to be found.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from pydantic import ValidationError

from knowledge.errors import LoadProblem
from knowledge.grouping import group_key
from knowledge.importers.dvcqg import ImportReport
from knowledge.schema import Procedure
from knowledge.text import tidy

HEADERS = {"mã số": "code", "tên": "name", "cơ quan ban hành": "issuer", "cơ quan thực hiện": "agency", "lĩnh vực": "field"}
_CODE = re.compile(r"^\d+\.\d{6}$")


def import_xlsx(path: Path) -> ImportReport:
    report = ImportReport()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken file
        report.problems.append(LoadProblem(str(path), 0, "-", f"cannot read workbook: {type(exc).__name__}"))
        return report
    sheet = workbook.active
    columns: dict[str, int] | None = None
    for row_no, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [tidy(str(c)) if c is not None else "" for c in row]
        if columns is None:
            found = {HEADERS[c.lower()]: i for i, c in enumerate(cells) if c.lower() in HEADERS}
            if {"code", "name"} <= set(found):
                columns = found
            continue
        if not any(cells):
            continue
        code = cells[columns["code"]] if columns["code"] < len(cells) else ""
        name = cells[columns["name"]] if columns["name"] < len(cells) else ""
        if not _CODE.match(code):
            report.problems.append(LoadProblem(str(path), row_no, "Mã số", f"not a national procedure code: {code!r}"))
            continue
        agency = cells[columns["agency"]].replace("\n", "; ") if "agency" in columns else ""
        try:
            report.procedures.append(Procedure(code=code, name=name, group=group_key(name),
                                               field=cells[columns["field"]] if "field" in columns else "",
                                               agency=agency, raw={"source": "xlsx list export: code and name only"}))
            report.partial += 1
        except ValidationError as err:
            for e in err.errors():
                report.problems.append(LoadProblem(str(path), row_no, "Tên" if e["loc"][0] == "name" else str(e["loc"][0]), e["msg"]))
    if columns is None:
        report.problems.append(LoadProblem(str(path), 2, "-", "header row (Mã số, Tên, …) not found"))
    workbook.close()
    return report


def merge_list_entry(existing: Procedure | None, listed: Procedure) -> Procedure:
    """A list row updates name, field and agency of a known procedure, or stands alone when new."""
    if existing is None:
        return listed
    return existing.model_copy(update={"name": listed.name, "field": listed.field or existing.field,
                                       "agency": listed.agency or existing.agency})
