"""Periodic reports: the page, chart images and downloads (XLSX, CSV zip), through the shared cache.

Report work is blocking (SQL, matplotlib, openpyxl) and runs in a worker thread. The period is
checked here first: one outside 2000–2100 (year 0001, 9999) is a 400, not an overflow deep inside.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback.models import AuditEntry
from feedback.report_views import ReportCache, chart_names
from feedback.reports import known_units
from feedback.web.forms import ReportQuery, bad_request, check_period
from feedback.web.site import Site


def routes(site: Site, cache: ReportCache) -> list[Route]:
    def params(request: Request) -> ReportQuery:
        return bad_request(ReportQuery, dict(request.query_params))

    async def reports_page(request: Request) -> Response:
        query = params(request)
        with site.sessions() as db:
            user = site.user(request, db)
            scope = site.scope(db, user)  # a report covers the reader's units only
            context = dict(user=user, period=query.period, agency=query.agency, report=None, tables=[], charts=[])
            try:
                check_period(query.period)
            except HTTPException as exc:  # the page again, with the form to correct it
                return site.render(request, "reports.html", status_code=400, error=exc.detail,
                                   units=known_units(db, None if scope.everywhere else scope), query="", **context)
        data = await run_in_threadpool(cache.page, query.period or None, query.agency or None, scope)
        computed = data.computed
        if computed is not None:
            context.update(report=computed.report, tables=computed.tables, charts=chart_names(computed.report))
        link = urlencode({k: v for k, v in (("period", query.period), ("agency", query.agency)) if v})
        return site.render(request, "reports.html", error=data.error, units=data.units, query=link, **context)

    async def report_file(request: Request) -> Response:
        what = request.path_params["what"]
        query = params(request)
        check_period(query.period)
        with site.sessions() as db, db.begin():
            user = site.user(request, db)
            scope = site.scope(db, user)
            if not what.endswith(".png"):
                detail = " ".join([what, query.period, query.agency])
                db.add(AuditEntry(actor=user.username, action="report_download", detail=detail[:1000]))
        try:
            found = await run_in_threadpool(cache.file, query.period or None, query.agency or None, what, scope)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        if found is None:
            raise HTTPException(404, "không có tệp này")
        data, media = found
        headers = {} if what.endswith(".png") else {"Content-Disposition": f'attachment; filename="{what}"'}
        return Response(data, media_type=media, headers=headers)

    return [Route("/reports", reports_page, methods=["GET"]), Route("/reports/{what}", report_file, methods=["GET"])]
