"""Every POST form and query string of the staff web, as pydantic schemas.

A value out of its range (an id beyond 64 bits, a page number of a thousand digits, a year 0001)
used to reach SQLite or datetime and end in a 500; here it is refused before any work, with a
Vietnamese message: forms come back to their page with it (`FormError`), query strings and path
ids get a 400 page (`bad_request`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

MAX_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL BIGINT hold
MAX_PAGE = 100_000
MAX_TEXT = 4000  # as feedback.service.MAX_CONTENT: longer is refused there with its own message
MIN_YEAR, MAX_YEAR = 2000, 2100  # report periods: the records' years, with room


class FormError(ValueError):
    """A form field the staff member can correct; shown on the page the form was on."""


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
OptionalId = Annotated[Id | None, BeforeValidator(_blank_is_none), Field(default=None)]
Version = Annotated[Annotated[int, Field(ge=0, le=2**31 - 1)] | None, BeforeValidator(_blank_is_none), Field(default=None)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
OptionalDate = Annotated[dt.date | None, BeforeValidator(_blank_is_none), Field(default=None)]


class Schema(BaseModel):
    """Field labels for messages; `messages` replaces the generic text for a field."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    labels: ClassVar[dict[str, str]] = {}
    messages: ClassVar[dict[str, str]] = {}


def message(schema: type[Schema], error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    if name in schema.messages:
        return schema.messages[name]
    label = schema.labels.get(name, name)
    if first["type"] == "missing":
        return f"thiếu {label}"
    if first["type"] in ("string_too_short",):
        return f"chưa nhập {label}"
    if first["type"] in ("string_too_long", "too_long"):
        return f"{label} quá dài"
    return f"{label} không hợp lệ"


def _as_dict(schema: type[Schema], form: FormData | dict) -> dict:
    if not isinstance(form, FormData):
        return dict(form)
    out: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        key = info.alias or name
        if key not in form:
            continue
        is_list = getattr(info.annotation, "__origin__", None) is list
        out[key] = form.getlist(key) if is_list else form.get(key)
    return out


def parse(schema: type[Schema], form: FormData | dict) -> Schema:
    try:
        return schema.model_validate(_as_dict(schema, form))
    except ValidationError as exc:
        raise FormError(message(schema, exc)) from None


def bad_request(schema: type[Schema], values: Any) -> Schema:
    """Query strings: a wrong value is not something to correct on a form, so 400 with the message."""
    try:
        return parse(schema, values)
    except FormError as exc:
        raise HTTPException(400, str(exc)) from None


def path_id(value: Any) -> int:
    """A record id from the URL; beyond 64 bits it cannot exist and must not reach the database."""
    if not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise HTTPException(400, "mã hồ sơ không hợp lệ")
    return value


# --- forms -----------------------------------------------------------------------------------------
class LoginForm(Schema):
    username: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    password: Annotated[str, StringConstraints(max_length=1024)] = ""
    labels = {"username": "tên đăng nhập", "password": "mật khẩu"}


class StatusForm(Schema):
    to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    note: Text = ""
    version: Version
    labels = {"to": "trạng thái mới", "note": "ghi chú", "version": "phiên bản hồ sơ"}


class AssignForm(Schema):
    assignee: Id
    labels = {"assignee": "cán bộ được giao"}


class BulkAssignForm(Schema):
    ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    assignee: Id
    labels = {"assignee": "cán bộ được giao"}
    messages = {"ids": "chưa chọn hồ sơ nào (hoặc chọn quá 500 hồ sơ)"}


class BulkStatusForm(Schema):
    ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    labels = {"to": "trạng thái mới"}
    messages = {"ids": "chưa chọn hồ sơ nào (hoặc chọn quá 500 hồ sơ)", "note": "đổi trạng thái hàng loạt cần ghi lý do"}


class TransferForm(Schema):
    unit: Id
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=1000)]
    version: Version
    labels = {"unit": "đơn vị nhận", "version": "phiên bản hồ sơ"}
    messages = {"reason": "chuyển đơn vị cần ghi lý do (5 đến 1000 ký tự)"}


class ReplyForm(Schema):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    version: Version
    labels = {"text": "nội dung trả lời", "version": "phiên bản hồ sơ"}


class TemplateForm(Schema):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
    messages = {"title": "mẫu cần tiêu đề (tối đa 120 ký tự) và nội dung",
                "body": f"mẫu cần tiêu đề và nội dung (tối đa {MAX_TEXT} ký tự)"}


class NoteForm(Schema):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
    labels = {"text": "nội dung ghi chú"}


OptionalCode = Annotated[Short | None, BeforeValidator(_blank_is_none), Field(default=None)]


class HandlingForm(Schema):
    classification: OptionalCode
    handling: OptionalCode
    version: Version
    labels = {"classification": "phân loại", "handling": "hình thức xử lý", "version": "phiên bản hồ sơ"}


class PublishForm(Schema):
    publish: bool = False
    labels = {"publish": "công khai"}


class ApplyForm(Schema):
    report: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    skip_bad: bool = False
    messages = {"report": "báo cáo kiểm tra không còn; vui lòng tải lại tệp"}


Username = Annotated[str, BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
                     StringConstraints(min_length=1, max_length=60, pattern=r"^[a-z0-9._-]+$")]
OptionalPassword = Annotated[str, StringConstraints(max_length=1024)]


class AccountForm(Schema):
    """A new account; an empty password means: generate one and show it once."""

    username: Username
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    role: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] = "staff"
    password: OptionalPassword = ""
    labels = {"display_name": "tên hiển thị", "role": "vai trò", "password": "mật khẩu"}
    messages = {"username": "tên đăng nhập cần 1–60 ký tự: chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới"}


class PasswordForm(Schema):
    password: OptionalPassword = ""
    labels = {"password": "mật khẩu tạm"}


class ChangePasswordForm(Schema):
    current: OptionalPassword = ""
    new: OptionalPassword = ""
    repeat: OptionalPassword = ""
    labels = {"current": "mật khẩu hiện tại", "new": "mật khẩu mới", "repeat": "mật khẩu mới nhập lại"}


class RoleForm(Schema):
    role: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]
    labels = {"role": "vai trò"}


UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Keywords = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]  # feedback.units checks 1000 once tidied


class UnitForm(Schema):
    """A new unit; an empty code is made from the name (feedback.units.add_unit)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: Annotated[str, StringConstraints(strip_whitespace=True, max_length=12)] = "co_quan"
    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    keywords: Keywords = ""
    labels = {"name": "tên đơn vị", "kind": "loại đơn vị", "code": "mã đơn vị", "keywords": "từ khóa"}


class UnitEditForm(Schema):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    keywords: Keywords = ""
    labels = {"name": "tên đơn vị", "keywords": "từ khóa"}


class GrantForm(Schema):
    unit: UnitCode
    role: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]
    labels = {"unit": "đơn vị", "role": "vai trò trong đơn vị"}


class RevokeForm(Schema):
    unit: UnitCode
    labels = {"unit": "đơn vị"}


# --- query strings ---------------------------------------------------------------------------------
class InboxQuery(Schema):
    status: Short | None = None
    kind: Short | None = None
    agency: Short | None = None
    procedure: Short | None = None
    channel: Short | None = None
    assignee: OptionalId
    from_: OptionalDate = Field(default=None, alias="from")
    to: OptionalDate
    overdue: Annotated[str, StringConstraints(max_length=5)] = ""
    q: Annotated[str, StringConstraints(max_length=10_000)] = ""
    view: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(|overdue|due_soon|unassigned|mine|update_due)$")] = ""
    sort: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(|due|received)$")] = ""
    page: Annotated[int, BeforeValidator(lambda v: _blank_is_none(v) or 1), Field(ge=1, le=MAX_PAGE)] = 1
    labels = {"assignee": "cán bộ", "from": "từ ngày", "to": "đến ngày", "page": "số trang", "agency": "cơ quan",
              "procedure": "thủ tục", "status": "trạng thái", "kind": "loại", "channel": "kênh", "q": "từ khóa tìm",
              "view": "bộ lọc", "sort": "cách sắp xếp"}


class AuditQuery(Schema):
    actor: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""
    action: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    record: Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] = ""
    page: Annotated[int, BeforeValidator(lambda v: _blank_is_none(v) or 1), Field(ge=1, le=MAX_PAGE)] = 1
    labels = {"actor": "người thực hiện", "action": "thao tác", "record": "hồ sơ", "page": "số trang"}


PageNumber = Annotated[int, BeforeValidator(lambda v: _blank_is_none(v) or 1), Field(ge=1, le=MAX_PAGE)]


class AdminQuery(Schema):
    """The catalogue page: which page of the validation report's problems and of its changes."""

    page: PageNumber = 1
    changes: PageNumber = 1
    labels = {"page": "số trang", "changes": "số trang thay đổi"}


class ReportQuery(Schema):
    period: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    agency: Short = ""
    labels = {"period": "kỳ báo cáo", "agency": "đơn vị"}


def check_period(text: str) -> None:
    """A report period must parse and lie within MIN_YEAR..MAX_YEAR: year 0001 or 9999 overflows the
    time-zone conversion and the day arithmetic, and no record can be there anyway."""
    from feedback.periods import Period

    if not text:
        return
    try:
        period = Period.parse(text)
    except (ValueError, OverflowError) as exc:
        # the parser's own messages are Vietnamese; datetime's ("year 10000 is out of range") are not
        said = str(exc)
        raise HTTPException(400, said if not said.isascii() else f"kỳ báo cáo không hợp lệ: {text!r}") from None
    if period.start.year < MIN_YEAR or period.end.year > MAX_YEAR:
        raise HTTPException(400, f"kỳ báo cáo phải nằm trong các năm {MIN_YEAR}–{MAX_YEAR}")
