"""Typed records of the procedure catalogue and the reform FAQ.

Every record that enters the system passes through these pydantic models exactly once, in the
loader or an importer, so the rest of the code can trust field types and never re-validate.
Models are frozen: an index built from a catalogue must not see that catalogue change under it.

The on-disk "project format" is these models serialised as YAML or JSON (see docs/catalogue.md).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge import limits

CODE_PATTERN = r"^\d+\.\d{6}$"  # national procedure code, e.g. 1.001193

# Bounded text: every string a citizen may be sent has a ceiling (see knowledge.limits for why)
Short = Annotated[str, Field(max_length=limits.MAX_SHORT)]
Name = Annotated[str, Field(max_length=limits.MAX_NAME)]
Text = Annotated[str, Field(max_length=limits.MAX_TEXT)]
Url = Annotated[str, Field(max_length=limits.MAX_URL)]
MAX_DURATION = 100_000  # in the published unit; more is a typo or a run of digits
Count = Annotated[int, Field(ge=0, le=limits.MAX_COUNT)]


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

    value: float | None = Field(default=None, ge=0, le=MAX_DURATION)
    unit: Short | None = None  # "ngày làm việc", "ngày", "giờ", "tháng"…
    text: Name = ""  # the published wording, kept verbatim when parsing is unsure
    rules: tuple[DatedRule, ...] = ()  # dated clauses of `text` (see knowledge.validity)


class Fee(_Record):
    """A fee or charge; `amount_vnd` 0 means free, None means "see text"."""

    amount_vnd: int | None = Field(default=None, ge=0, le=limits.MAX_AMOUNT_VND)
    text: Name = ""
    rules: tuple[DatedRule, ...] = ()  # dated clauses of `text` or the channel note (knowledge.validity)


class Channel(_Record):
    kind: ChannelKind
    time: Duration = Duration()
    fee: Fee = Fee()
    note: Name = ""


class RequiredDocument(_Record):
    name: Name
    originals: Count | None = None  # bản chính
    copies: Count | None = None  # bản sao
    form: Name | None = None  # mẫu đơn, tờ khai to use, if any
    note: Name = ""


class LegalReference(_Record):
    number: Short  # e.g. "123/2015/NĐ-CP"
    title: Name = ""


class OnlineService(_Record):
    level: OnlineLevel = OnlineLevel.NONE
    url: Url | None = None


class Procedure(_Record):
    """One administrative procedure (thủ tục hành chính) at one implementing level.

    The same procedure often exists once per level (xã / tỉnh / bộ) under different codes; such
    variants share a `group` so the citizen sees one answer and picks the level.
    """

    code: str = Field(pattern=CODE_PATTERN)
    name: Name = Field(min_length=3)
    group: Short = Field(min_length=1)
    name_en: Name = ""
    aliases: tuple[Short, ...] = Field(default=(), max_length=limits.MAX_ITEMS)  # everyday names citizens use
    # questions staff taught the bot from its misses (knowledge/learned.py): searchable, never shown
    learned: tuple[Name, ...] = Field(default=(), max_length=limits.MAX_ITEMS)
    summary: str = Field(default="", max_length=limits.MAX_SUMMARY)  # one or two plain sentences
    field: Short = ""  # lĩnh vực
    levels: tuple[Short, ...] = Field(default=(), max_length=20)  # "Cấp xã", "Cấp tỉnh", "Cấp bộ", "Cơ quan khác"
    agency: Text = ""  # cơ quan thực hiện
    applicants: Text = ""  # đối tượng thực hiện
    documents: tuple[RequiredDocument, ...] = Field(default=(), max_length=limits.MAX_ITEMS)
    steps: tuple[Text, ...] = Field(default=(), max_length=limits.MAX_ITEMS)
    channels: tuple[Channel, ...] = Field(default=(), max_length=limits.MAX_ITEMS)
    online: OnlineService = OnlineService()
    legal_basis: tuple[LegalReference, ...] = Field(default=(), max_length=limits.MAX_ITEMS)
    result: Text = ""
    conditions: Text = ""
    source_url: Url = ""
    updated: dt.date | None = None
    # source text kept where parsing was unsure
    raw: dict[Short, Text] = Field(default_factory=dict, max_length=50)

    @field_validator("aliases")
    @classmethod
    def _drop_blank_aliases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(a.strip() for a in value if a and a.strip())

    def channel(self, kind: ChannelKind) -> Channel | None:
        return next((c for c in self.channels if c.kind == kind), None)


class Source(_Record):
    title: Name
    url: Url | None = None


class FaqEntry(_Record):
    """A reform-FAQ answer (CCHC, một cửa, VNeID…); `topic` is its stable slug."""

    topic: Short = Field(pattern=r"^[a-z0-9-]+$")
    title: Name
    title_en: Name = ""
    questions: tuple[Name, ...] = Field(default=(), max_length=limits.MAX_ITEMS)  # phrasings a citizen might use
    answer: Text
    answer_en: Text = ""
    sources: tuple[Source, ...] = Field(default=(), max_length=limits.MAX_ITEMS)
    updated: dt.date | None = None


class Catalogue(_Record):
    """Everything the assistant knows, as loaded: procedures by code plus FAQ entries."""

    procedures: tuple[Procedure, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    out_of_scope: tuple[Name, ...] = ()  # questions staff marked "ngoài phạm vi": the bot declines their like

    def by_code(self) -> dict[str, Procedure]:
        return {p.code: p for p in self.procedures}
