"""The record page's workflow parts: internal notes, classification and form of handling with the
assistant's suggestion, publishing the result, each reply's delivery state and "Gửi lại".

Kept apart from views/records.py (the page itself, assignment, status, reply) so each module keeps
one job; records.py mounts these routes and asks `page_context` for what the page shows.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from feedback import delivery, service, workflow
from feedback.models import FeedbackRecord, StaffUser
from feedback.suggest import MIN_EXAMPLES, suggest
from feedback.web.forms import HandlingForm, NoteForm, PublishForm, path_id
from feedback.web.site import Outcome, Site


_SHORT = {"quy_dinh": "quy định", "hanh_vi": "hành vi"}


def page_context(db, record: FeedbackRecord, visible=None) -> dict:
    """What the record page shows of the workflow (read in the page's own session)."""
    return {
        "deliveries": delivery.deliveries(db, record),
        "notes": list(record.notes),
        "suggestion": suggest(db, record, visible=visible),
        "min_examples": MIN_EXAMPLES,
        "final": record.status in workflow.FINAL,
        "CLASSIFICATION": workflow.CLASSIFICATION_LABEL,
        # each form with what it applies to, so the choice is made knowingly (set_handling checks it too)
        "HANDLING": {code: f"{label} ({', '.join(_SHORT[c] for c in applies)})"
                     for code, (label, applies) in workflow.HANDLING.items()},
    }


def routes(site: Site, back) -> list[Route]:
    def rid(request: Request) -> int:
        return path_id(request.path_params["record_id"])

    def add_note(request: Request, db, user: StaffUser, form: NoteForm) -> Outcome:
        workflow.add_note(db, rid(request), user.username, form.text)
        return Outcome(back(request), "Đã lưu ghi chú nội bộ (không gửi người dân)")

    def set_handling(request: Request, db, user: StaffUser, form: HandlingForm) -> Outcome:
        record = service.get(db, rid(request))
        hint = suggest(db, record)
        workflow.set_handling(db, record.id, form.classification, form.handling, user.username, form.version,
                              suggested=hint.classification if hint else None)
        return Outcome(back(request), "Đã lưu phân loại và hình thức xử lý")

    def publish(request: Request, db, user: StaffUser, form: PublishForm) -> Outcome:
        if form.publish:
            service.publish(db, rid(request), user.username)
            return Outcome(back(request), "Đã đánh dấu công khai kết quả xử lý")
        workflow.unpublish(db, rid(request), user.username)
        return Outcome(back(request), "Đã bỏ đánh dấu công khai")

    def retry(request: Request, db, user: StaffUser, _form) -> Outcome:
        delivery.retry(db, rid(request), path_id(request.path_params["reply_id"]), user.username)
        return Outcome(back(request), "Đã đưa trả lời vào hàng gửi lại")

    def checked(handler, schema=None):
        return site.action(handler, schema, back=back)

    return [
        Route("/records/{record_id:int}/notes", checked(add_note, NoteForm), methods=["POST"]),
        Route("/records/{record_id:int}/handling", checked(set_handling, HandlingForm), methods=["POST"]),
        Route("/records/{record_id:int}/publish", checked(publish, PublishForm), methods=["POST"]),
        Route("/records/{record_id:int}/replies/{reply_id:int}/retry", checked(retry), methods=["POST"]),
    ]
