"""Importers for the national public-service portal data (csdl.dichvucong.gov.vn exports).

- `import_crawl_jsonl`: the crawl, one JSON object per line with flattened tables;
- `import_structured_json`: the structured detail exports (one procedure per file).

Both turn a source record into a `Procedure`, report every row or field that could not be used
with its file, row and field, and say which records were parsed fully and which only partly (raw
source text kept in `Procedure.raw` for the parts a parser was unsure of).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from knowledge.errors import LoadProblem
from knowledge.grouping import group_key
from knowledge.importers.flattened import (
    duration_value,
    parse_channels,
    parse_documents,
    parse_fee,
    parse_legal_basis,
    parse_steps,
)
from knowledge.importers.report import ImportReport
from knowledge.naming import without_own_code
from knowledge.safe_read import iter_json_lines, quote, read_json
from knowledge.schema import (
    Channel,
    ChannelKind,
    Duration,
    LegalReference,
    OnlineLevel,
    OnlineService,
    Procedure,
    RequiredDocument,
)
from knowledge.text import fold, tidy
from knowledge.textfit import shorten
from knowledge.validity import parse_rules

_EMPTY = {"", "không có thông tin", "không quy định", "không"}
_CODE = re.compile(r"^\d+\.\d{6}$")


def _clean(value: Any) -> str:
    text = tidy(str(value or ""))
    return "" if text.lower() in _EMPTY else text


def _levels(value: str) -> tuple[str, ...]:
    return tuple(tidy(part).replace("Cấp Bộ", "Cấp bộ").replace("Cấp Xã", "Cấp xã").replace("Cấp Tỉnh", "Cấp tỉnh")
                 for part in (value or "").split(",") if tidy(part))


def online_level(name: str, channels: list[Channel]) -> OnlineLevel:
    """The portal export has no service-level field: use the name, then whether an online channel exists."""
    folded = fold(name)
    if "toan trinh" in folded:
        return OnlineLevel.FULL
    if "mot phan" in folded:
        return OnlineLevel.PARTIAL
    return OnlineLevel.PARTIAL if any(c.kind == ChannelKind.ONLINE for c in channels) else OnlineLevel.NONE


def _result_text(value: str) -> str:
    # "Giấy khai sinhMã: KQ.G15.000031Từ khóa…Chọn cơ quan thực hiện…": keep the part before the code
    return _clean(re.split(r"Mã:\s*KQ|Từ khóa|Chọn cơ quan", value or "")[0])


# where a Procedure field comes from in a crawl row, so a problem names the column the source has
SOURCE_FIELDS = {"code": "ma_thu_tuc", "name": "ten_thu_tuc", "group": "ten_thu_tuc", "field": "linh_vuc",
                 "levels": "cap_thuc_hien", "agency": "co_quan_thuc_hien", "applicants": "doi_tuong_thuc_hien",
                 "documents": "thanh_phan_ho_so", "steps": "trinh_tu_thuc_hien", "channels": "cach_thuc_thuc_hien",
                 "online": "detail_url", "legal_basis": "can_cu_phap_ly", "result": "ket_qua_xu_ly",
                 "conditions": "yeu_cau_dieu_kien", "source_url": "detail_url"}
TEXT_COLUMNS = frozenset({*SOURCE_FIELDS.values(), "co_quan_co_tham_quyen"})


def _source_field(loc: tuple) -> str:
    head = SOURCE_FIELDS.get(str(loc[0]), str(loc[0])) if loc else "-"
    rest = ".".join(str(p) for p in loc[1:])
    return f"{head} ({'.'.join(str(p) for p in loc)})" if rest or head != str(loc[0]) else head


_PART_SOURCE = {"Channel": "cach_thuc_thuc_hien", "Duration": "cach_thuc_thuc_hien", "Fee": "cach_thuc_thuc_hien",
                "RequiredDocument": "thanh_phan_ho_so", "LegalReference": "can_cu_phap_ly", "OnlineService": "detail_url"}


def _error_problems(err: ValidationError, file: str, row: int) -> list[LoadProblem]:
    """Validation errors named by the crawl column they came from (a part model by its column)."""
    if err.title in _PART_SOURCE:
        return [LoadProblem(file, row, f"{_PART_SOURCE[err.title]} ({err.title}.{'.'.join(map(str, e['loc']))})",
                            e["msg"]) for e in err.errors()]
    return [LoadProblem(file, row, _source_field(e["loc"]), e["msg"]) for e in err.errors()]


def _type_problems(record: dict[str, Any], file: str, row: int) -> list[LoadProblem]:
    """A crawl column the importer reads must be text: a list or object there is named, not str()-ed."""
    return [LoadProblem(file, row, key, f"expected text, got {type(value).__name__}: {quote(value)}")
            for key, value in record.items() if key in TEXT_COLUMNS and value is not None and not isinstance(value, str)]


def _record_to_procedure(record: dict[str, Any], file: str, row: int) -> tuple[Procedure | None, list[str], list[LoadProblem]]:
    problems = _type_problems(record, file, row)
    if problems:
        return None, [], problems
    code = _clean(record.get("ma_thu_tuc"))
    name = without_own_code(_clean(record.get("ten_thu_tuc")), code)
    if not code:
        problems.append(LoadProblem(file, row, "ma_thu_tuc", "missing procedure code"))
    elif not _CODE.match(code):
        problems.append(LoadProblem(file, row, "ma_thu_tuc", f"not a national procedure code: {quote(code)}"))
    if len(name) < 3:
        problems.append(LoadProblem(file, row, "ten_thu_tuc", "missing procedure name"))
    if problems:
        return None, [], problems
    try:
        unsure: list[str] = []
        raw: dict[str, str] = {}
        channels = parse_channels(record.get("cach_thuc_thuc_hien", ""))
        if not channels.complete:
            unsure.append("cach_thuc_thuc_hien")
            raw["cach_thuc_thuc_hien"] = shorten(tidy(record.get("cach_thuc_thuc_hien", "")), 4000)
        documents = parse_documents(record.get("thanh_phan_ho_so", ""))
        if not documents.complete:
            unsure.append("thanh_phan_ho_so")
            raw["thanh_phan_ho_so"] = shorten(tidy(record.get("thanh_phan_ho_so", "")), 6000)
        legal = parse_legal_basis(record.get("can_cu_phap_ly", ""))
        if not legal.complete and _clean(record.get("can_cu_phap_ly")):
            unsure.append("can_cu_phap_ly")
            raw["can_cu_phap_ly"] = shorten(tidy(record.get("can_cu_phap_ly", "")), 4000)
        url = _clean(record.get("detail_url")) or None
        proc = Procedure(
            code=code,
            name=name,
            group=group_key(name),
            field=_clean(record.get("linh_vuc")),
            levels=_levels(record.get("cap_thuc_hien", "")),
            agency=_clean(record.get("co_quan_thuc_hien")) or _clean(record.get("co_quan_co_tham_quyen")),
            applicants=_clean(record.get("doi_tuong_thuc_hien")),
            documents=tuple(documents.value),
            steps=tuple(parse_steps(record.get("trinh_tu_thuc_hien", ""))),
            channels=tuple(channels.value),
            online=OnlineService(level=online_level(name, channels.value), url=url),
            legal_basis=tuple(legal.value),
            result=_result_text(record.get("ket_qua_xu_ly", "")),
            conditions=shorten(_clean(record.get("yeu_cau_dieu_kien")), 3000),
            source_url=url or "",
            raw=raw,
        )
    except ValidationError as err:
        return None, [], _error_problems(err, file, row)
    return proc, unsure, []


def _note_partial(report: ImportReport, proc: Procedure, unsure: list[str]) -> None:
    if unsure:
        report.partial += 1
        if len(report.partial_examples) < 10:
            report.partial_examples.append(f"{proc.code} ({proc.name[:60]}): {', '.join(unsure)}")
    else:
        report.complete += 1


def import_crawl_jsonl(path: Path) -> ImportReport:
    report = ImportReport()
    file = str(path)
    for line in iter_json_lines(path):
        if line.problems:
            report.problems.extend(LoadProblem(file, line.line, ".".join(map(str, where)), message)
                                   for where, message in line.problems)
            continue
        if not isinstance(line.value, dict):
            report.problems.append(LoadProblem(file, line.line, "-", "a line must be a JSON object"))
            continue
        proc, unsure, problems = _record_to_procedure(line.value, file, line.line)
        report.problems.extend(problems)
        if proc:
            report.add(proc, file, line.line, "ma_thu_tuc")
            _note_partial(report, proc, unsure)
    return report


def _structured_channel(row: dict[str, Any]) -> Channel | None:
    kinds = {"trực tiếp": ChannelKind.DIRECT, "trực tuyến": ChannelKind.ONLINE, "dịch vụ bưu chính": ChannelKind.POST}
    kind = kinds.get(_clean(row.get("hinh_thuc")).lower())
    if kind is None:
        return None
    time_text = _clean(row.get("thoi_han_giai_quyet"))
    match = re.match(r"(\d+(?:[.,]\d+)?)\s*(.*)", time_text)
    duration = Duration(text=time_text, rules=parse_rules(time_text))
    if match and (value := duration_value(match.group(1))) is not None:
        duration = Duration(value=value, unit=match.group(2).lower()[:100] or None, text=time_text)
    fee_text = _clean(row.get("phi_le_phi"))
    fee, _, _ = parse_fee(re.sub(r"^(?:Phí|Lệ phí)\s*:\s*", "", fee_text))
    note = _clean(row.get("mo_ta"))
    # dated rules come from the whole published fee cell and description, before any shortening
    fee = fee.model_copy(update={"rules": parse_rules(f"{fee_text}. {note}")})
    return Channel(kind=kind, time=duration, fee=fee, note=shorten(note, 500))


def _copies(note: str, label: str) -> int | None:
    match = re.search(rf"{label}\s*:\s*(\d{{1,3}})(?!\d)", note or "")
    return int(match.group(1)) if match else None


def _structured_problems(data: Any, file: str) -> list[LoadProblem]:
    """The parts of a structured export the importer reads must have the shapes the portal gives."""
    if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
        return [LoadProblem(file, 1, "metadata", "not a structured export: 'metadata' must be an object")]
    problems = []
    for section in ("metadata", "content"):
        value = data.get(section) or {}
        if not isinstance(value, dict):
            problems.append(LoadProblem(file, 1, section, f"expected an object, got {type(value).__name__}"))
            continue
        problems.extend(LoadProblem(file, 1, f"{section}.{key}", f"expected text, got {type(item).__name__}: {quote(item)}")
                        for key, item in value.items() if item is not None and not isinstance(item, str))
    tables = data.get("tables") or {}
    if not isinstance(tables, dict):
        return [*problems, LoadProblem(file, 1, "tables", f"expected an object, got {type(tables).__name__}")]
    for name, rows in tables.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            problems.append(LoadProblem(file, 1, f"tables.{name}", "expected a list of objects"))
            continue
        problems.extend(LoadProblem(file, 1, f"tables.{name}.{index}.{key}",
                                    f"expected text, got {type(item).__name__}: {quote(item)}")
                        for index, r in enumerate(rows) for key, item in r.items()
                        if item is not None and not isinstance(item, str))
    if not isinstance(data.get("thu_tuc_id", ""), str | None):
        problems.append(LoadProblem(file, 1, "thu_tuc_id", "expected text"))
    return problems


def import_structured_json(path: Path, data: Any = None) -> ImportReport:
    """One structured export file (`dvcqg-structured/<code>.json`); `data` when already parsed."""
    report = ImportReport()
    file = str(path)
    if data is None:
        data, read_problems = read_json(path)
        if read_problems:
            report.problems.extend(LoadProblem(file, 1, ".".join(map(str, w)), m) for w, m in read_problems)
            return report
    report.problems.extend(_structured_problems(data, file))
    if report.problems:
        return report
    meta, content, tables = data["metadata"], data.get("content") or {}, data.get("tables") or {}
    record = {
        "ma_thu_tuc": meta.get("mã_thủ_tục") or data.get("thu_tuc_id"),
        "ten_thu_tuc": meta.get("tên_thủ_tục"),
    }
    proc, _, problems = _record_to_procedure(record, str(path), 1)
    if proc is None:
        report.problems.extend(problems)
        return report
    try:
        proc = _structured_details(proc, meta, content, tables)
    except ValidationError as err:
        report.problems.extend(LoadProblem(file, 1, f"{err.title}.{'.'.join(map(str, e['loc']))}", e["msg"])
                               for e in err.errors())
        return report
    report.add(proc, file, 1)
    _note_partial(report, proc, [] if proc.channels and proc.documents else ["tables"])
    return report


def _structured_details(proc: Procedure, meta: dict, content: dict, tables: dict) -> Procedure:
    channels = [c for c in (_structured_channel(r) for r in tables.get("hinh_thuc_nop") or []) if c]
    documents = [
        RequiredDocument(
            name=shorten(_clean(r.get("ten_giay_to")), 600),
            originals=_copies(r.get("ghi_chu", ""), "Bản chính"),
            copies=_copies(r.get("ghi_chu", ""), "Bản sao"),
            form=_clean(r.get("so_luong")) or None,
        )
        for r in tables.get("thanh_phan_ho_so") or []
        if len(_clean(r.get("ten_giay_to"))) >= 3
    ]
    legal = [
        LegalReference(number=_clean(r.get("so_ky_hieu")), title=shorten(_clean(r.get("trich_yeu")), 400))
        for r in tables.get("can_cu_phap_ly") or []
        if _clean(r.get("so_ky_hieu"))
    ]
    name = proc.name.rstrip(".")
    proc = proc.model_copy(update={
        "name": name,
        "group": group_key(name),
        "field": _clean(meta.get("lĩnh_vực")),
        "levels": _levels(meta.get("cấp_thực_hiện", "")),
        "agency": _clean(content.get("cơ_quan_thực_hiện")),
        "applicants": _clean(content.get("đối_tượng_thực_hiện")),
        "documents": tuple(documents),
        "steps": tuple(parse_steps(content.get("trình_tự_thực_hiện", ""))),
        "channels": tuple(channels),
        "online": OnlineService(level=online_level(name, channels), url=None),
        "legal_basis": tuple(legal),
        "result": _clean(content.get("kết_quả_thực_hiện")),
        "conditions": shorten(_clean(content.get("yêu_cầu_điều_kiện_thực_hiện")), 3000),
    })
    return Procedure.model_validate(proc.model_dump())  # re-validate after the update
