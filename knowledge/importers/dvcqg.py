"""Importers for the national public-service portal data (csdl.dichvucong.gov.vn exports).

- `import_crawl_jsonl`: the crawl, one JSON object per line with flattened tables;
- `import_structured_json`: the structured detail exports (one procedure per file).

Both turn a source record into a `Procedure`, report every row or field that could not be used
with its file, row and field, and say which records were parsed fully and which only partly (raw
source text kept in `Procedure.raw` for the parts a parser was unsure of).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from knowledge.errors import LoadProblem
from knowledge.grouping import group_key
from knowledge.importers.flattened import (
    parse_channels,
    parse_documents,
    parse_fee,
    parse_legal_basis,
    parse_steps,
)
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


@dataclass
class ImportReport:
    """What an import produced and what it could not use."""

    procedures: list[Procedure] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # files in no format we know (not an error)
    faq: list = field(default_factory=list)  # FAQ entries from project-format sources
    complete: int = 0
    partial: int = 0
    partial_examples: list[str] = field(default_factory=list)

    def merge(self, other: ImportReport) -> None:
        self.procedures.extend(other.procedures)
        self.problems.extend(other.problems)
        self.skipped_files.extend(other.skipped_files)
        self.faq.extend(other.faq)
        self.complete += other.complete
        self.partial += other.partial
        self.partial_examples.extend(other.partial_examples[: max(0, 10 - len(self.partial_examples))])


def _record_to_procedure(record: dict[str, Any], file: str, row: int) -> tuple[Procedure | None, list[str], list[LoadProblem]]:
    code = _clean(record.get("ma_thu_tuc"))
    name = _clean(record.get("ten_thu_tuc"))
    problems = []
    if not _CODE.match(code):
        problems.append(LoadProblem(file, row, "ma_thu_tuc", f"not a national procedure code: {code!r}"))
    if len(name) < 3:
        problems.append(LoadProblem(file, row, "ten_thu_tuc", "missing procedure name"))
    if problems:
        return None, [], problems
    unsure: list[str] = []
    raw: dict[str, str] = {}
    channels = parse_channels(record.get("cach_thuc_thuc_hien", ""))
    if not channels.complete:
        unsure.append("cach_thuc_thuc_hien")
        raw["cach_thuc_thuc_hien"] = shorten(record.get("cach_thuc_thuc_hien", ""), 4000)
    documents = parse_documents(record.get("thanh_phan_ho_so", ""))
    if not documents.complete:
        unsure.append("thanh_phan_ho_so")
        raw["thanh_phan_ho_so"] = shorten(record.get("thanh_phan_ho_so", ""), 6000)
    legal = parse_legal_basis(record.get("can_cu_phap_ly", ""))
    if not legal.complete and _clean(record.get("can_cu_phap_ly")):
        unsure.append("can_cu_phap_ly")
        raw["can_cu_phap_ly"] = shorten(record.get("can_cu_phap_ly", ""), 4000)
    url = _clean(record.get("detail_url")) or None
    try:
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
        return None, [], [
            LoadProblem(file, row, ".".join(str(p) for p in e["loc"]), e["msg"]) for e in err.errors()
        ]
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
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                report.problems.append(LoadProblem(str(path), line_no, "-", f"not valid JSON: {exc.msg}"))
                continue
            if not isinstance(record, dict):
                report.problems.append(LoadProblem(str(path), line_no, "-", "a line must be a JSON object"))
                continue
            proc, unsure, problems = _record_to_procedure(record, str(path), line_no)
            report.problems.extend(problems)
            if proc:
                report.procedures.append(proc)
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
    if match:
        duration = Duration(value=float(match.group(1).replace(",", ".")), unit=match.group(2).lower() or None, text=time_text)
    fee_text = _clean(row.get("phi_le_phi"))
    fee, _, _ = parse_fee(re.sub(r"^(?:Phí|Lệ phí)\s*:\s*", "", fee_text))
    note = _clean(row.get("mo_ta"))
    # dated rules come from the whole published fee cell and description, before any shortening
    fee = fee.model_copy(update={"rules": parse_rules(f"{fee_text}. {note}")})
    return Channel(kind=kind, time=duration, fee=fee, note=shorten(note, 500))


def _copies(note: str, label: str) -> int | None:
    match = re.search(rf"{label}\s*:\s*(\d+)", note or "")
    return int(match.group(1)) if match else None


def import_structured_json(path: Path) -> ImportReport:
    """One structured export file (`dvcqg-structured/<code>.json`)."""
    report = ImportReport()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        meta, content, tables = data["metadata"], data.get("content", {}), data.get("tables", {})
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        report.problems.append(LoadProblem(str(path), path.name, "-", f"not a structured export: {exc}"))
        return report
    record = {
        "ma_thu_tuc": meta.get("mã_thủ_tục") or data.get("thu_tuc_id"),
        "ten_thu_tuc": meta.get("tên_thủ_tục"),
    }
    proc, _, problems = _record_to_procedure(record, str(path), 1)
    if proc is None:
        report.problems.extend(problems)
        return report
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
    proc = Procedure.model_validate(proc.model_dump())  # re-validate after the update
    report.procedures.append(proc)
    _note_partial(report, proc, [] if channels and documents else ["tables"])
    return report


def iter_source_files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json"))


def looks_like_crawl(path: Path) -> bool:
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    return '"ma_thu_tuc"' in first


def looks_like_structured(path: Path) -> bool:
    head = path.read_text(encoding="utf-8")[:400]
    return '"thu_tuc_id"' in head or '"metadata"' in head
