"""The audit log as administrators read it: filtered by who, which record and which act, newest first.

An `AuditEntry` holds the actor (a staff username, "cli" or "system"), the act, the record's id and a
short detail (a template title, record ids, a report period, an account name): no citizen's words,
name or phone is written there. The page shows the record's reference, not its content, and masks
anything in a detail that looks like a phone, an ID number or an e-mail address, so a future act
that writes one by mistake still does not put it on a screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.models import AuditEntry, FeedbackRecord

PER_PAGE = 50
_PERSONAL = (
    (re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"), "[e-mail đã ẩn]"),
    (re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d)"), "[số điện thoại đã ẩn]"),
    (re.compile(r"(?<!\d)\d{12}(?!\d)|(?<!\d)\d{9}(?!\d)"), "[số giấy tờ đã ẩn]"),
)


def mask(text: str) -> str:
    for pattern, replacement in _PERSONAL:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    record: str | None = None  # a record id or its reference (PA-2026-…)
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: object
    actor: str
    action: str
    record_id: int | None
    reference: str | None
    detail: str


def _record_id(db: Session, text: str) -> int:
    """The record a filter names; 0 (no row has it) when none does, so the list is empty, not unfiltered."""
    text = text.strip()
    if text.isdigit() and len(text) <= 18:
        return int(text)
    return db.scalar(select(FeedbackRecord.id).where(FeedbackRecord.reference == text.upper())) or 0


def entries(db: Session, flt: AuditFilter) -> tuple[list[AuditRow], int]:
    """One page of entries matching the filter, newest first, and how many match in all."""
    query = select(AuditEntry)
    if flt.actor:
        query = query.where(AuditEntry.actor == flt.actor.strip().lower())
    if flt.action:
        query = query.where(AuditEntry.action == flt.action)
    if flt.record:
        query = query.where(AuditEntry.record_id == _record_id(db, flt.record))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = db.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                      .offset((max(1, flt.page) - 1) * flt.per_page).limit(flt.per_page)).all()
    ids = {e.record_id for e in page if e.record_id is not None}
    references = dict(db.execute(select(FeedbackRecord.id, FeedbackRecord.reference)
                                 .where(FeedbackRecord.id.in_(ids))).all()) if ids else {}
    return [AuditRow(e.id, e.at, e.actor, e.action, e.record_id, references.get(e.record_id), mask(e.detail or ""))
            for e in page], total


def known_actions(db: Session) -> list[str]:
    """The acts present in the log, for the filter's list."""
    return sorted(db.scalars(select(AuditEntry.action).distinct()))


def known_actors(db: Session) -> list[str]:
    return sorted(db.scalars(select(AuditEntry.actor).distinct()))


ACTION_LABELS = {
    "reveal_contact": "Xem thông tin liên hệ", "classify": "Phân loại hồ sơ", "publish": "Công khai kết quả",
    "bulk_assign": "Giao nhiều hồ sơ", "save_template": "Lưu mẫu trả lời", "report_download": "Tải báo cáo",
    "account_create": "Tạo tài khoản", "account_disable": "Vô hiệu hóa tài khoản", "account_enable": "Kích hoạt lại tài khoản",
    "account_lock": "Khóa tài khoản", "account_unlock": "Mở khóa tài khoản", "account_password_reset": "Đặt lại mật khẩu",
    "account_role": "Đổi vai trò", "catalogue_upload": "Kiểm tra tệp danh mục", "catalogue_apply": "Áp dụng danh mục",
    "catalogue_rebuild": "Xây lại chỉ mục", "catalogue_reload": "Tải phiên bản chỉ mục",
    "reopen": "Mở lại hồ sơ", "transfer_unit": "Chuyển đơn vị", "retry_delivery": "Gửi lại trả lời",
    "view_attachment": "Xem tệp đính kèm", "unpublish": "Bỏ công khai kết quả", "handling": "Ghi hình thức xử lý",
    "bulk_status": "Đổi trạng thái nhiều hồ sơ",
    # what staff do to one record (feedback/service.py, workflow.py): who, which record, never the text
    "assign": "Giao xử lý hồ sơ", "reply": "Gửi trả lời người dân", "internal_note": "Thêm ghi chú nội bộ",
    "status": "Đổi trạng thái hồ sơ",
    "account_password_change": "Tự đổi mật khẩu",
    # units and who works in them (feedback/units.py: the units page, the accounts page, the CLI)
    "unit_create": "Tạo đơn vị", "unit_update": "Sửa tên, từ khóa đơn vị", "unit_deactivate": "Ngừng hoạt động đơn vị",
    "unit_activate": "Hoạt động lại đơn vị", "unit_grant": "Giao vai trò trong đơn vị", "unit_revoke": "Rút khỏi đơn vị",
    # teaching the assistant (feedback/learning.py)
    "learn_procedure": "Gắn câu hỏi vào thủ tục", "learn_faq": "Gắn câu hỏi vào câu hỏi CCHC",
    "learn_out_of_scope": "Đánh dấu câu hỏi ngoài phạm vi", "learn_skip": "Bỏ qua câu hỏi",
    "learn_undo": "Hoàn tác quyết định về câu hỏi", "learn_apply": "Áp dụng bài học cho trợ lý",
}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.endswith("_refused") and action[:-8] in ACTION_LABELS:
        return f"{ACTION_LABELS[action[:-8]]} (bị từ chối)"
    return action
