"""A record's page and what staff do on it: assign, change status, reply, reveal the contact, transfer to
another unit; reply templates. Every record is fetched through the user's units (`Site.record`): outside them, 404.

The citizen's contact is masked until a staff member asks for it ("Xem liên hệ", audited); the
session then remembers only *which* record was revealed, and the page reads name and phone from
the database once: personal data is never put in a cookie or a URL.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import attachments, service
from feedback.deadlines import step_deadlines
from feedback.models import AuditEntry, FeedbackRecord, ReplyTemplate, StaffUser
from feedback.unit_routing import transfer
from feedback.units import active_units, require_distribute, scoped
from feedback.web.forms import AssignForm, ReplyForm, StatusForm, TemplateForm, TransferForm, path_id
from feedback.web.site import Outcome, Site
from feedback.web.views import workflow as workflow_views
from feedback.web.views.inbox import active_staff
from feedback.worklist import check_assignee

STALE_REPLY = ("Hồ sơ vừa được người khác cập nhật trong lúc anh/chị soạn trả lời nên trả lời chưa được gửi. "
               "Nội dung anh/chị đã nhập vẫn được giữ trong ô trả lời bên dưới: vui lòng xem lại hồ sơ rồi bấm “Gửi trả lời”.")


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
            scope = site.scope(db, user)
            record = site.record(db, user, rid)
            duplicates = list(db.scalars(scoped(select(FeedbackRecord).where(
                (FeedbackRecord.duplicate_of_id == record.id) | (FeedbackRecord.id == (record.duplicate_of_id or -1))), scope)))
            templates_ = list(db.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)))
            revealed = None
            if site.current(request).data.get("reveal") == record.id:
                site.take(request, "reveal")
                revealed = {"name": record.contact_name, "phone": record.contact_phone}
            kept = site.take(request, "reply_draft") if "reply_draft" in site.current(request).data else None
            draft = kept["text"] if kept and kept.get("record") == record.id else ""
            return site.render(request, "record.html", user=user, r=record, staff=active_staff(db, scope, [record.unit_id]),
                               units=active_units(db), may_distribute=scope.may_distribute(record.unit_id), duplicates=duplicates,
                               transitions=service.TRANSITIONS.get(record.status, ()), templates=templates_,
                               masked_phone=mask_phone(record.contact_phone), revealed=revealed,
                               overdue=service.is_overdue(record), files=attachments.for_record(db, record.id),
                               FILE_STATUS=attachments.STATUS_LABEL,
                               steps=step_deadlines(record) if record.status in ("new", "accepted") else {},
                               draft=draft, **workflow_views.page_context(db, record, scope.clause()))

    def back(request: Request) -> str:
        return f"/records/{record_id(request)}"

    def change_status(request: Request, db, user: StaffUser, form: StatusForm) -> Outcome:
        rid = record_id(request)
        service.transition(db, rid, form.to, user.username, form.note, form.version)
        return Outcome(back(request), "Đã cập nhật trạng thái")

    def assign_one(request: Request, db, user: StaffUser, form: AssignForm) -> Outcome:
        record = site.record(db, user, record_id(request))
        require_distribute(site.scope(db, user), record)
        check_assignee(db, record, form.assignee)
        service.assign(db, [record.id], form.assignee, user.username)
        return Outcome(back(request), "Đã giao xử lý")

    def transfer_unit(request: Request, db, user: StaffUser, form: TransferForm) -> Outcome:
        record = transfer(db, site.scope(db, user), record_id(request), form.unit, form.reason, user.username, form.version)
        # after the move the record may be outside the user's units: then back to the inbox
        target = back(request) if site.scope(db, user).sees(record) else "/"
        return Outcome(target, "Đã chuyển hồ sơ sang đơn vị khác và báo cho người dân")

    def send_reply(request: Request, db, user: StaffUser, form: ReplyForm) -> Outcome:
        try:
            service.reply(db, record_id(request), user.username, form.text, form.version)
        except service.ConcurrentEdit:
            raise service.ConcurrentEdit(STALE_REPLY) from None
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

    def keep_reply(request: Request, form: ReplyForm) -> dict:
        """A refused reply (stale tab, closed record) comes back in the form, not lost."""
        return {"reply_draft": {"record": record_id(request), "text": form.text}}

    def checked(handler, schema=None):
        return site.action(handler, schema, back=back)

    return [
        Route("/records/{record_id:int}", record_page, methods=["GET"]),
        Route("/records/{record_id:int}/status", checked(change_status, StatusForm), methods=["POST"]),
        Route("/records/{record_id:int}/assign", checked(assign_one, AssignForm), methods=["POST"]),
        Route("/records/{record_id:int}/reply", site.action(send_reply, ReplyForm, back=back, keep=keep_reply),
              methods=["POST"]),
        Route("/records/{record_id:int}/reveal", checked(reveal), methods=["POST"]),
        Route("/records/{record_id:int}/transfer", checked(transfer_unit, TransferForm), methods=["POST"]),
        *workflow_views.routes(site, back),
        Route("/templates", templates_page, methods=["GET"]),
        Route("/templates", site.action(save_template, TemplateForm, back=lambda r: "/templates"), methods=["POST"]),
    ]
