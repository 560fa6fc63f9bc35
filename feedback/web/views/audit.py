"""The audit log page (administrators only): who did what to which record, newest first, paged,
filtered by actor, act and record. What is shown and masked is decided in feedback.audit."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import audit
from feedback.web.forms import AuditQuery, bad_request
from feedback.web.site import Site
from feedback.web.views.accounts import admin_only


def routes(site: Site) -> list[Route]:
    async def audit_page(request: Request) -> Response:
        with site.sessions() as db:
            user = admin_only(site, request, db)  # 403 before anything else, a bad query string included
            query = bad_request(AuditQuery, dict(request.query_params))
            flt = audit.AuditFilter(actor=query.actor or None, action=query.action or None,
                                    record=query.record or None, page=query.page)
            rows, total = audit.entries(db, flt)
            params = {k: v for k, v in (("actor", query.actor), ("action", query.action), ("record", query.record)) if v}
            return site.render(request, "audit.html", user=user, rows=rows, total=total, query=query,
                               actors=audit.known_actors(db), actions=audit.known_actions(db), label=audit.action_label,
                               page=flt.page, pages=max(1, -(-total // flt.per_page)),
                               page_link=lambda n: "?" + urlencode({**params, "page": n}))

    return [Route("/audit", audit_page, methods=["GET"])]
