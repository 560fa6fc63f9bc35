"""The inbox: filters from the query string (validated: out-of-range values give 400), bulk assignment."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import service
from feedback.db import utcnow
from feedback.models import AuditEntry, StaffUser
from feedback.web.forms import BulkAssignForm, InboxQuery, bad_request
from feedback.web.site import Outcome, Site


def inbox_filter(query: InboxQuery) -> service.InboxFilter:
    return service.InboxFilter(
        status=query.status or None, kind=query.kind or None, agency=query.agency or None,
        procedure=query.procedure or None, channel=query.channel or None, assignee_id=query.assignee,
        date_from=query.from_, date_to=query.to, overdue=query.overdue == "1", q=query.q[:200] or None, page=query.page)


def active_staff(db) -> list[StaffUser]:
    return list(db.scalars(select(StaffUser).where(StaffUser.active).order_by(StaffUser.username)))


def routes(site: Site) -> list[Route]:
    async def inbox(request: Request) -> Response:
        flt = inbox_filter(bad_request(InboxQuery, dict(request.query_params)))
        with site.sessions() as db:
            user = site.user(request, db)
            records, total = service.inbox(db, flt)
            now = utcnow()
            rows = [{"r": r, "overdue": service.is_overdue(r, now), "due_soon": service.is_due_soon(r, now)} for r in records]
            params = {k: v for k, v in request.query_params.items() if k != "page"}
            pages = max(1, -(-total // flt.per_page))
            return site.render(request, "inbox.html", user=user, rows=rows, total=total, flt=flt, staff=active_staff(db),
                               pages=pages, page_link=lambda n: "?" + urlencode({**params, "page": n}))

    def assign_many(request: Request, db, user: StaffUser, form: BulkAssignForm) -> Outcome:
        service.assign(db, form.ids, form.assignee, user.username)
        db.add(AuditEntry(actor=user.username, action="bulk_assign", detail=",".join(map(str, form.ids))[:1000]))
        return Outcome("/", f"Đã giao {len(form.ids)} hồ sơ")

    return [Route("/", inbox, methods=["GET"]),
            Route("/bulk-assign", site.action(assign_many, BulkAssignForm), methods=["POST"])]
