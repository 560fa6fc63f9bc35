"""Staff web: inbox, record page, actions, reports, catalogue administration. Server-rendered
(Starlette + Jinja2, autoescaped).

This module only assembles: the views live in feedback/web/views/ (auth, inbox, records, admin,
reports), what they share in site.py, form and query schemas in forms.py. Around the routes, from
the outside in: security headers (CSP, X-Frame-Options, Referrer-Policy), server-side sessions that
send anyone without one to the login page, and the CSRF check of every POST; one set of exception
handlers turns every error into the same Vietnamese page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware

from knowledge.limits import MAX_UPLOAD_BYTES, MiB
from feedback.report_views import ReportCache
from feedback.web.csrf import CSRFMiddleware
from feedback.web.errors import error_pages
from feedback.web.headers import SecurityHeadersMiddleware
from feedback.web.session import SessionMiddleware, SessionStore
from feedback.web.site import Site
from feedback.web.views import accounts, admin, attachments, audit, auth, inbox, password, records, reports, units
from feedback.workdays import default_calendar


@dataclass
class AdminHooks:
    """Catalogue administration offered by the server (bot.app.catalogue_admin.CatalogueAdmin), as plain callables."""

    status: Callable[[], dict]
    plan: Callable[[Path, str], dict]  # (staged upload, the name it was uploaded under) → JSON-ready report
    apply: Callable[[Path, bool], str]
    rebuild: Callable[[], str]
    reload: Callable[[], str]
    upload_dir: Path


@dataclass
class WebConfig:
    secret_key: str  # kept for configuration compatibility; sessions are server-side random tokens now
    # cookies are Secure unless told otherwise: only a development server on plain http sets False
    # (STAFF_HTTPS_ONLY=false), since a browser does not send Secure cookies over http
    https_only: bool = True
    idle_minutes: int = 30
    prefix: str = "/staff"
    admin: AdminHooks | None = None
    embed: Callable | None = None  # unused by reports since they count unanswered questions instead of clustering them
    learning: object | None = None  # feedback.web.learning.LearningHooks: the 'Câu hỏi cần xử lý' page's index access
    attachment_dir: Path | None = None  # where citizens' attachments are stored (TTHC_ATTACHMENT_DIR)


def create_staff_app(sessions: sessionmaker, config: WebConfig) -> Starlette:
    default_calendar()  # a wrong holiday file (TTHC_HOLIDAYS_FILE) stops start-up, not the first record
    store = SessionStore(sessions, config.idle_minutes)
    site = Site(sessions, config, store)
    page, handlers = error_pages(site)
    report_cache = ReportCache(sessions)
    routes = [*auth.routes(site), *inbox.routes(site), *records.routes(site), *attachments.routes(site), *admin.routes(site),
              *reports.routes(site, report_cache), *accounts.routes(site), *units.routes(site), *audit.routes(site),
              *password.routes(site)]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(SessionMiddleware, store=store, login_url=site.login_url),
        Middleware(CSRFMiddleware, error_page=page, max_body=MAX_UPLOAD_BYTES + MiB),
    ]
    from feedback.web.learning import LearningContext, learning_routes  # the staff-teaching page (own module)

    routes += learning_routes(LearningContext(site, config.learning))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.report_cache = report_cache
    return app
