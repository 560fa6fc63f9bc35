"""The inbox: filters from the query string (validated: out-of-range values give 400), the work views
(quá hạn, sắp đến hạn, chưa giao, của tôi, cần cập nhật tiến độ), bulk assignment and bulk status
change. Everything is within the user's units (feedback/units.py, feedback/worklist.py); a bulk act
reports each record's result, so one refused record does not hide what happened to the others."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import service, worklist
from feedback.db import utcnow
from feedback.models import StaffUser
from feedback.units import Scope, active_units, staff_of
from feedback.web.forms import BulkAssignForm, BulkStatusForm, InboxQuery, bad_request
from feedback.web.site import Outcome, Site


def inbox_filter(query: InboxQuery) -> service.InboxFilter:
    return service.InboxFilter(
        status=query.status or None, kind=query.kind or None, agency=query.agency or None,
        procedure=query.procedure or None, channel=query.channel or None, assignee_id=query.assignee,
        date_from=query.from_, date_to=query.to, overdue=query.overdue == "1", q=query.q[:200] or None, page=query.page)


def active_staff(db, scope: Scope, unit_ids=None) -> list[StaffUser]:
    """Colleagues a record can be given to: members of the given units (default: the user's own)."""
    if unit_ids is None:
        unit_ids = scope.unit_ids
        if scope.everywhere:
            unit_ids = [u.id for u in active_units(db)]
    return staff_of(db, unit_ids)


def summary(results: list[worklist.Outcome], done: str) -> str:
    ok = sum(r.ok for r in results)
    failed = len(results) - ok
    return f"{done} {ok} hồ sơ" + (f"; {failed} hồ sơ không thực hiện được (xem danh sách bên dưới)" if failed else "")


def routes(site: Site) -> list[Route]:
    async def inbox(request: Request) -> Response:
        query = bad_request(InboxQuery, dict(request.query_params))
        flt = inbox_filter(query)
        with site.sessions() as db:
            user = site.user(request, db)
            scope = site.scope(db, user)
            now = utcnow()
            records, total = worklist.worklist(db, scope, flt, query.view, query.sort or "due", now)
            rows = [{"r": r, "overdue": service.is_overdue(r, now), "due_soon": service.is_due_soon(r, now)} for r in records]
            params = {k: v for k, v in request.query_params.items() if k != "page"}
            pages = max(1, -(-total // flt.per_page))
            return site.render(request, "inbox.html", user=user, rows=rows, total=total, flt=flt, staff=active_staff(db, scope),
                               view=query.view, sort=query.sort or "due", views=worklist.VIEWS,
                               transitions=sorted({t for ts in service.TRANSITIONS.values() for t in ts}),
                               bulk_results=site.take(request, "bulk_results"),
                               pages=pages, page_link=lambda n: "?" + urlencode({**params, "page": n}))

    def assign_many(request: Request, db, user: StaffUser, form: BulkAssignForm) -> Outcome:
        results = worklist.assign_within(db, site.scope(db, user), form.ids, form.assignee, user.username)
        return Outcome("/", summary(results, "Đã giao"), state={"bulk_results": [asdict(r) for r in results if not r.ok]})

    def status_many(request: Request, db, user: StaffUser, form: BulkStatusForm) -> Outcome:
        results = worklist.bulk_status(db, site.scope(db, user), form.ids, form.to, form.note, user.username)
        return Outcome("/", summary(results, "Đã đổi trạng thái"),
                       state={"bulk_results": [asdict(r) for r in results if not r.ok]})

    return [Route("/", inbox, methods=["GET"]),
            Route("/bulk-assign", site.action(assign_many, BulkAssignForm), methods=["POST"]),
            Route("/bulk-status", site.action(status_many, BulkStatusForm), methods=["POST"])]
