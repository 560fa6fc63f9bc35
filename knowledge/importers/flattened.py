"""Parsers for the national crawl's flattened tables.

The crawl joined table cells without separators, e.g. `cach_thuc_thuc_hien` =
"Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến5 Ngày làm việc2,000,000 Việt Nam Đồng(…)Trực tiếp…".
Each parser returns what it could recover plus a flag saying whether the whole text was understood,
so the importer can keep the raw text where parsing is unsure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from knowledge.limits import MAX_AMOUNT_VND
from knowledge.schema import MAX_DURATION, Channel, ChannelKind, Duration, Fee, LegalReference, RequiredDocument
from knowledge.text import tidy
from knowledge.textfit import shorten
from knowledge.validity import channel_with_rules

CHANNEL_NAMES = {
    "Trực tiếp": ChannelKind.DIRECT,
    "Trực tuyến": ChannelKind.ONLINE,
    "Dịch vụ bưu chính": ChannelKind.POST,
}
_CHANNEL_SPLIT = re.compile(r"(Trực tiếp|Trực tuyến|Dịch vụ bưu chính)")
_CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_TIME_UNITS = r"Ngày làm việc|Ngày|Giờ làm việc|Giờ|Tháng|Năm|Phút|Tuần"
_CURRENCY = r"Việt Nam Đồng|VNĐ|VND|Đồng|đồng"
# a time is a number not directly followed by a currency: "Trực tiếp125 VNĐ" glues time 1 and fee
# 25 and cannot be split safely, so it is left unparsed (raw text kept) rather than read as 125 days
_TIME = re.compile(rf"^\s*(\d+(?:[.,]\d+)?)(?!\d|[.,]\d|\s*(?:{_CURRENCY}))\s*({_TIME_UNITS})?", re.IGNORECASE)
_FREE = re.compile(r"^\s*(Miễn phí|Không có thông tin|Không)", re.IGNORECASE)
_AMOUNT = re.compile(r"^\s*([\d][\d.,]*)\s*(Việt Nam Đồng|VNĐ|VND|Đồng|đồng)", re.IGNORECASE)
_FEE_IN_TEXT = re.compile(r"(?:Phí|Lệ phí)\s*:\s*(\d[\d.,]{0,20})\s*(?:Đồng|đồng|VNĐ)")


T = TypeVar("T")


@dataclass
class Parsed(Generic[T]):
    value: T
    complete: bool


def _amount(text: str) -> int | None:
    """An amount in đồng, or None when unreadable or beyond any real fee (the text is kept instead)."""
    digits = re.sub(r"[.,](?=\d{3}\b)", "", text)
    try:
        amount = float(digits.replace(",", "."))
    except ValueError:
        return None
    return int(amount) if 0 <= amount <= MAX_AMOUNT_VND else None


def duration_value(text: str) -> float | None:
    """A processing time as a number, or None when beyond any real time (e.g. a run of digits)."""
    if len(text) > 12:
        return None
    value = float(text.replace(",", "."))
    return value if value <= MAX_DURATION else None


def parse_fee(text: str) -> tuple[Fee, str, bool]:
    """Read a fee at the start of `text`; return the fee, the rest of the text, and certainty."""
    if m := _FREE.match(text):
        rest = text[m.end():]
        if m.group(1).lower() == "miễn phí":
            return Fee(amount_vnd=0, text="Miễn phí"), rest, True
        return Fee(amount_vnd=None, text=""), rest, False
    if m := _AMOUNT.match(text):
        amount = _amount(m.group(1))
        return Fee(amount_vnd=amount, text=f"{amount:,} đồng".replace(",", ".") if amount is not None else ""), text[m.end():], amount is not None
    if m := _FEE_IN_TEXT.search(text):
        amount = _amount(m.group(1))
        return Fee(amount_vnd=amount, text=shorten(text, 300)), "", False
    return Fee(), text, False


def parse_channels(text: str) -> Parsed[list[Channel]]:
    """Per-channel processing time and fee from `cach_thuc_thuc_hien`."""
    body = text or ""
    complete = body.startswith(_CHANNEL_HEADER)
    body = body.removeprefix(_CHANNEL_HEADER)
    parts = _CHANNEL_SPLIT.split(body)
    if parts and parts[0].strip():
        complete = False
    channels: list[Channel] = []
    for name, segment in zip(parts[1::2], parts[2::2], strict=False):
        # the portal may list a channel several times, one row per case (e.g. per vehicle type)
        kind = CHANNEL_NAMES[name]
        time = Duration()
        rest = segment
        if (m := _TIME.match(segment)) and (value := duration_value(m.group(1))) is not None:
            unit = m.group(2)
            time = Duration(value=value, unit=unit.lower() if unit else None,
                            text=f"{m.group(1)} {unit.lower()}" if unit else m.group(1))
            rest = segment[m.end():]
            if unit is None:
                complete = False
        else:
            complete = False
            if re.match(rf"^\s*\d+\s*(?:{_CURRENCY})", segment):
                channels.append(Channel(kind=kind, note=shorten(segment, 500)))
                continue
        fee, rest, fee_sure = parse_fee(rest)
        complete = complete and fee_sure
        note = tidy(rest).strip("() ")
        if note and fee.amount_vnd == 0 and re.search(r"\d{2,}[.,]\d{3}", note):
            # "Miễn phí" followed by a note quoting an amount: the source contradicts itself, so the
            # amount is left open and the note becomes the fee text a citizen reads
            complete = False
            fee = Fee(amount_vnd=None, text=shorten(note, 300))
        # dated rules are read from the whole note, before it is shortened for storage
        # (constructed unvalidated: the whole note may exceed the stored note's size limit)
        channels.append(channel_with_rules(Channel.model_construct(kind=kind, time=time, fee=fee, note=note)).model_copy(
            update={"note": shorten(note, 500)}))
    if not channels:
        complete = False
    return Parsed(channels, complete)


_DOC_HEADER = re.compile(r"Tên giấy tờMẫu đơn, tờ khaiSố lượng")
# A count starts where a digit run starts (the lookbehind) and is short: without both, a long run
# of digits makes the engine retry at every position (quadratic; 90 s on 80k digits, found by fuzzing).
# A count glued to a year ("…năm 20251 bản chính") is the single digit after the 4-digit run.
_COUNT = r"(?:(?<!\d)\d{1,3}|(?<=\d{4})\d)"
_DOC_ROW_END = re.compile(rf"({_COUNT})\s*bản chính(?:\s*,\s*({_COUNT})\s*bản sao)?|({_COUNT})\s*bản sao")
_FORM_FILE = re.compile(r"\.(?:docx?|pdf|xlsx?|rar|zip)\s*$", re.IGNORECASE)


def _last_cell_join(chunk: str, window: int = 120) -> int | None:
    """Cells were joined without a space: a form file name starts where a capital follows a non-space."""
    for i in range(len(chunk) - 1, max(0, len(chunk) - window), -1):
        before = chunk[i - 1]
        if chunk[i].isupper() and not before.isspace() and (before in ")].;:," or before.islower() or before.isdigit()):
            return i
    return None
_SECTION = re.compile(r"^\s*(?:\*|-)*\s*[^*]{0,120}?:\s*$")


def parse_documents(text: str) -> Parsed[list[RequiredDocument]]:
    """Document rows from `thanh_phan_ho_so`: each row ends with "N bản chính[,N bản sao]"."""
    body = _DOC_HEADER.sub("\n", text or "")
    documents: list[RequiredDocument] = []
    complete = True
    position = 0
    for m in _DOC_ROW_END.finditer(body):
        chunk = body[position:m.start()]
        position = m.end()
        # a section heading ("* Giấy tờ phải nộp:") sits before the header we replaced by "\n"
        chunk = chunk.split("\n")[-1]
        form = None
        if _FORM_FILE.search(chunk):
            join = _last_cell_join(chunk)
            if join is not None:
                form = tidy(chunk[join:])
                chunk = chunk[:join]
        name = tidy(chunk).lstrip("-+•* ").strip()
        if len(name) < 3:
            complete = False
            continue
        originals = int(m.group(1)) if m.group(1) else 0
        copies = int(m.group(2)) if m.group(2) else (int(m.group(3)) if m.group(3) else 0)
        documents.append(RequiredDocument(name=shorten(name, 600), originals=originals, copies=copies, form=form))
    if tidy(body[position:]):
        complete = False
    if not documents:
        complete = False
    return Parsed(documents, complete)


_LEGAL_NUMBER = re.compile(
    r"(\d{1,4}/\d{4}/QH\d{2}|\d{1,4}/\d{4}/[A-ZĐ]{1,6}(?:-[A-ZĐ0-9]{1,12}){0,3}|"
    r"\d{1,4}/[A-ZĐ]{1,6}(?:-[A-ZĐ0-9]{1,12}){1,3})"
    r"(?![a-zà-ỹđ])"  # the next title starts right after the number: do not eat its capital letter
)
_LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"


def parse_legal_basis(text: str) -> Parsed[list[LegalReference]]:
    """Legal references from `can_cu_phap_ly`: each row is a title followed by its number."""
    body = (text or "").removeprefix(_LEGAL_HEADER)
    references: list[LegalReference] = []
    seen: set[str] = set()
    position = 0
    for m in _LEGAL_NUMBER.finditer(body):
        title = tidy(body[position:m.start()])
        position = m.end()
        number = m.group(1)
        # a number quoted inside the title ("Nghị định số 123/2015/NĐ-CP ngày…") is part of the title
        if title and not title.endswith(("số", "số:")) and number not in seen:
            seen.add(number)
            references.append(LegalReference(number=number, title=shorten(title, 400)))
        elif title and references and number in seen:
            continue
    complete = bool(references) and not tidy(body[position:])
    return Parsed(references, complete)


_STEP_SPLIT = re.compile(r"(?=Bước\s*\d+\s*[:.])")


def parse_steps(text: str) -> list[str]:
    """Split `trinh_tu_thuc_hien` into steps ("Bước 1: …") or, failing that, paragraphs."""
    text = (text or "").strip()
    if not text:
        return []
    parts = [tidy(p) for p in _STEP_SPLIT.split(text) if tidy(p)]
    if len(parts) <= 1:
        parts = [tidy(p) for p in re.split(r"\n\s*\n|\n(?=\s*-)", text) if tidy(p)]
    return [shorten(p, 1200) for p in parts[:15]]
