"""Typed records of the procedure catalogue and the reform FAQ.

Every record that enters the system passes through these pydantic models exactly once, in the
loader or an importer, so the rest of the code can trust field types and never re-validate.
Models are frozen: an index built from a catalogue must not see that catalogue change under it.

The on-disk "project format" is these models serialised as YAML or JSON (see docs/catalogue.md).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

CODE_PATTERN = r"^\d+\.\d{6}$"  # national procedure code, e.g. 1.001193


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ChannelKind(StrEnum):
    """How a citizen can hand in the application."""

    DIRECT = "direct"  # trực tiếp, at the one-stop shop
    ONLINE = "online"  # trực tuyến, on the public-service portal
    POST = "post"  # dịch vụ bưu chính công ích


class OnlineLevel(StrEnum):
    """Online public-service level since Decree 42/2022 (replaces the old levels 3 and 4)."""

    FULL = "toan_trinh"  # toàn trình: everything online, result delivered electronically or by post
    PARTIAL = "mot_phan"  # một phần: part online, the rest at the office
    NONE = "none"  # information only


class DatedRule(_Record):
    """One clause of a fee or time note that applies only within dates.

    Notes carry rules such as "từ 01/7/2025 đến hết 31/12/2026 thu 50%"; read once at import so an
    answer can say what applies on the day it is asked rather than quote a rule that ran out.
    `percent` is the share of the base amount that is charged ("giảm 20%" is stored as 80).
    """

    text: str  # the clause as published, so a renderer can leave it out once it has expired
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None  # inclusive, as in "đến hết ngày …"
    amount_vnd: int | None = None
    percent: float | None = None


class Duration(_Record):
    """Processing time as published; `value` is None when the source gave no usable number."""

    value: float | None = None
    unit: str | None = None  # "ngày làm việc", "ngày", "giờ", "tháng"…
    text: str = ""  # the published wording, kept verbatim when parsing is unsure
    rules: tuple[DatedRule, ...] = ()  # dated clauses of `text` (see knowledge.validity)


class Fee(_Record):
    """A fee or charge; `amount_vnd` 0 means free, None means "see text"."""

    amount_vnd: int | None = None
    text: str = ""
    rules: tuple[DatedRule, ...] = ()  # dated clauses of `text` or the channel note (knowledge.validity)


class Channel(_Record):
    kind: ChannelKind
    time: Duration = Duration()
    fee: Fee = Fee()
    note: str = ""


class RequiredDocument(_Record):
    name: str
    originals: int | None = None  # bản chính
    copies: int | None = None  # bản sao
    form: str | None = None  # mẫu đơn, tờ khai to use, if any
    note: str = ""


class LegalReference(_Record):
    number: str  # e.g. "123/2015/NĐ-CP"
    title: str = ""


class OnlineService(_Record):
    level: OnlineLevel = OnlineLevel.NONE
    url: str | None = None


class Procedure(_Record):
    """One administrative procedure (thủ tục hành chính) at one implementing level.

    The same procedure often exists once per level (xã / tỉnh / bộ) under different codes; such
    variants share a `group` so the citizen sees one answer and picks the level.
    """

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=3)
    group: str = Field(min_length=1)
    name_en: str = ""
    aliases: tuple[str, ...] = ()  # everyday names and phrasings citizens use
    summary: str = ""  # one or two plain sentences for a citizen
    field: str = ""  # lĩnh vực
    levels: tuple[str, ...] = ()  # "Cấp xã", "Cấp tỉnh", "Cấp bộ", "Cơ quan khác"
    agency: str = ""  # cơ quan thực hiện
    applicants: str = ""  # đối tượng thực hiện
    documents: tuple[RequiredDocument, ...] = ()
    steps: tuple[str, ...] = ()
    channels: tuple[Channel, ...] = ()
    online: OnlineService = OnlineService()
    legal_basis: tuple[LegalReference, ...] = ()
    result: str = ""
    conditions: str = ""
    source_url: str = ""
    updated: dt.date | None = None
    raw: dict[str, str] = Field(default_factory=dict)  # source text kept where parsing was unsure

    @field_validator("aliases")
    @classmethod
    def _drop_blank_aliases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(a.strip() for a in value if a and a.strip())

    def channel(self, kind: ChannelKind) -> Channel | None:
        return next((c for c in self.channels if c.kind == kind), None)


class Source(_Record):
    title: str
    url: str | None = None


class FaqEntry(_Record):
    """A reform-FAQ answer (CCHC, một cửa, VNeID…); `topic` is its stable slug."""

    topic: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    title_en: str = ""
    questions: tuple[str, ...] = ()  # phrasings a citizen might use
    answer: str
    answer_en: str = ""
    sources: tuple[Source, ...] = ()
    updated: dt.date | None = None


class Catalogue(_Record):
    """Everything the assistant knows, as loaded: procedures by code plus FAQ entries."""

    procedures: tuple[Procedure, ...] = ()
    faq: tuple[FaqEntry, ...] = ()

    def by_code(self) -> dict[str, Procedure]:
        return {p.code: p for p in self.procedures}
