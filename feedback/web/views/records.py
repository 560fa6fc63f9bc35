"""A record's page and what staff do on it: assign, change status, reply, reveal the contact; reply templates.

The citizen's contact is masked until a staff member asks for it ("Xem liên hệ", audited); the
session then remembers only *which* record was revealed, and the page reads name and phone from
the database once: personal data is never put in a cookie or a URL.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import attachments, service
from feedback.deadlines import step_deadlines
from feedback.models import AuditEntry, FeedbackRecord, ReplyTemplate, StaffUser
from feedback.web.forms import AssignForm, ReplyForm, StatusForm, TemplateForm, path_id
from feedback.web.site import Outcome, Site
from feedback.web.views.inbox import active_staff


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    return "•" * max(0, len(digits) - 3) + "".join(digits[-3:])


def record_id(request: Request) -> int:
    return path_id(request.path_params["record_id"])


def routes(site: Site) -> list[Route]:
    async def record_page(request: Request) -> Response:
        rid = record_id(request)
        with site.sessions() as db:
            user = site.user(request, db)
            record = db.get(FeedbackRecord, rid)
            if record is None:
                raise HTTPException(404, "không có hồ sơ này")
            duplicates = list(db.scalars(select(FeedbackRecord).where(
                (FeedbackRecord.duplicate_of_id == record.id) | (FeedbackRecord.id == (record.duplicate_of_id or -1)))))
            templates_ = list(db.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)))
            revealed = None
            if site.current(request).data.get("reveal") == record.id:
                site.take(request, "reveal")
                revealed = {"name": record.contact_name, "phone": record.contact_phone}
            return site.render(request, "record.html", user=user, r=record, staff=active_staff(db), duplicates=duplicates,
                               transitions=service.TRANSITIONS.get(record.status, ()), templates=templates_,
                               masked_phone=mask_phone(record.contact_phone), revealed=revealed,
                               overdue=service.is_overdue(record), files=attachments.for_record(db, record.id),
                               FILE_STATUS=attachments.STATUS_LABEL,
                               steps=step_deadlines(record) if record.status in ("new", "accepted") else {})

    def back(request: Request) -> str:
        return f"/records/{record_id(request)}"

    def change_status(request: Request, db, user: StaffUser, form: StatusForm) -> Outcome:
        rid = record_id(request)
        service.transition(db, rid, form.to, user.username, form.note, form.version)
        return Outcome(back(request), "Đã cập nhật trạng thái")

    def assign_one(request: Request, db, user: StaffUser, form: AssignForm) -> Outcome:
        service.assign(db, [record_id(request)], form.assignee, user.username)
        return Outcome(back(request), "Đã giao xử lý")

    def send_reply(request: Request, db, user: StaffUser, form: ReplyForm) -> Outcome:
        service.reply(db, record_id(request), user.username, form.text, form.version)
        return Outcome(back(request), "Đã gửi trả lời (đang chuyển đến người dân)")

    def reveal(request: Request, db, user: StaffUser, _form) -> Outcome:
        rid = record_id(request)
        service.reveal_contact(db, rid, user.username)
        return Outcome(back(request), state={"reveal": rid})

    async def templates_page(request: Request) -> Response:
        with site.sessions() as db:
            user = site.user(request, db)
            items = list(db.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)))
            return site.render(request, "templates.html", user=user, items=items)

    def save_template(request: Request, db, user: StaffUser, form: TemplateForm) -> Outcome:
        if user.role != "admin":
            raise service.InvalidInput("chỉ quản trị viên được sửa mẫu trả lời")
        existing = db.scalar(select(ReplyTemplate).where(ReplyTemplate.title == form.title))
        if existing:
            existing.body = form.body
        else:
            db.add(ReplyTemplate(title=form.title, body=form.body))
        db.add(AuditEntry(actor=user.username, action="save_template", detail=form.title))
        return Outcome("/templates", "Đã lưu mẫu trả lời")

    def checked(handler, schema=None):
        return site.action(handler, schema, back=back)

    return [
        Route("/records/{record_id:int}", record_page, methods=["GET"]),
        Route("/records/{record_id:int}/status", checked(change_status, StatusForm), methods=["POST"]),
        Route("/records/{record_id:int}/assign", checked(assign_one, AssignForm), methods=["POST"]),
        Route("/records/{record_id:int}/reply", checked(send_reply, ReplyForm), methods=["POST"]),
        Route("/records/{record_id:int}/reveal", checked(reveal), methods=["POST"]),
        Route("/templates", templates_page, methods=["GET"]),
        Route("/templates", site.action(save_template, TemplateForm, back=lambda r: "/templates"), methods=["POST"]),
    ]
