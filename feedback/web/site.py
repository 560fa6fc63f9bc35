"""What every staff view shares: templates, the current user, page rendering, flash messages, redirects.

Views stay thin: validate the form (feedback/web/forms.py), call feedback.service in one
transaction, then render or redirect. A message for the next page is kept in the server-side
session (`flash`), never in the URL, so a link cannot make the site show words of its choosing.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources

from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from feedback import labels
from feedback.deadlines import STEPS
from feedback.models import FeedbackRecord, StaffUser
from feedback.units import Scope, scope_of, visible
from feedback.errors import FeedbackNotFound
from feedback.web.forms import FormError, path_id
from feedback.worklist import counters
from feedback.web.headers import nonce_of
from feedback.web.session import COOKIE, LOGIN_CSRF_COOKIE, Current, SessionStore
from feedback.workdays import format_local_date, format_local_datetime


def make_templates() -> Jinja2Templates:
    directory = str(resources.files("feedback") / "web" / "templates")
    templates = Jinja2Templates(directory=directory)
    templates.env.globals.update(STATUS=labels.STATUS, KIND=labels.KIND, CHANNEL=labels.CHANNEL, ROLE=labels.ROLE)
    templates.env.globals["ACTOR"] = {"citizen": "Người dân", "system": "Hệ thống"}
    templates.env.globals["STEP_LABEL"] = {step: label for step, _, label in STEPS}
    # stored as naive UTC; shown in Vietnam time by the same functions the bot uses for citizens
    templates.env.filters["vn_date"] = format_local_date
    templates.env.filters["vn_datetime"] = format_local_datetime
    return templates


@dataclass
class Outcome:
    """What a POST handler did: where to go next, a message for that page, page state to keep."""

    target: str
    message: str | None = None
    state: dict | None = None


class Site:
    def __init__(self, sessions: sessionmaker, config, store: SessionStore) -> None:
        self.sessions, self.config, self.store = sessions, config, store
        self.prefix = config.prefix
        self.templates = make_templates()

    # --- session -------------------------------------------------------------------------------
    @staticmethod
    def current(request: Request) -> Current | None:
        return request.scope.get("state", {}).get("staff")

    def user(self, request: Request, db: Session) -> StaffUser:
        """The logged-in user (the session middleware let only such requests through)."""
        current = self.current(request)
        user = db.get(StaffUser, current.user_id) if current is not None else None
        if user is None:
            raise HTTPException(403)
        return user

    @staticmethod
    def scope(db: Session, user: StaffUser) -> Scope:
        """The units the user works in (feedback/units.py): every query of every view goes through it."""
        return scope_of(db, user)

    def record(self, db: Session, user: StaffUser, record_id: int) -> FeedbackRecord:
        """A record the user may see, else 404: one outside their units is as absent as a wrong number."""
        try:
            return visible(db, self.scope(db, user), record_id)
        except FeedbackNotFound:
            raise HTTPException(404, "không có hồ sơ này") from None

    def take(self, request: Request, name: str, db: Session | None = None):
        """Read page state once (a flash message, an upload plan, a revealed record id)."""
        current = self.current(request)
        if current is None or name not in current.data:
            return None
        self.store.update(current.key, {name: None}, db)
        return current.data.pop(name)

    def flash(self, request: Request, text: str, kind: str = "message", db: Session | None = None) -> None:
        current = self.current(request)
        if current is not None:
            self.store.update(current.key, {"flash": {"kind": kind, "text": text[:1000]}}, db)

    def cookie_args(self) -> dict:
        return {"httponly": True, "samesite": "lax", "secure": self.config.https_only, "path": self.prefix or "/"}

    # --- responses -----------------------------------------------------------------------------
    def render(self, request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        current = self.current(request)
        login_token = None
        if current is not None:
            csrf = current.csrf
        else:
            csrf = login_token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
        flash = self.take(request, "flash") if name != "error.html" else None
        if context.get("user") is not None and "counters" not in context:  # the navigation's work counters
            with self.sessions() as db:
                context["counters"] = counters(db, self.scope(db, context["user"]))
        if flash and not context.get("message") and not context.get("error"):
            context["error" if flash["kind"] == "error" else "message"] = flash["text"]
        response = self.templates.TemplateResponse(
            request, name, {"csrf": csrf, "prefix": self.prefix, "nonce": nonce_of(request.scope), **context},
            status_code=status_code)
        if login_token is not None:
            response.set_cookie(LOGIN_CSRF_COOKIE, login_token, max_age=3600, **self.cookie_args())
        return response

    def redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(f"{self.prefix}{path}", status_code=303)

    def login_url(self) -> str:
        return f"{self.prefix}/login"

    def start_session(self, response: Response, token: str) -> None:
        response.set_cookie(COOKIE, token, max_age=8 * 3600, **self.cookie_args())
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=self.prefix or "/")

    def end_session(self, request: Request, response: Response) -> None:
        current = self.current(request)
        if current is not None:
            self.store.end(current.key)
        response.delete_cookie(COOKIE, path=self.prefix or "/")

    def action(self, handler: Callable[[Request, Session, StaffUser, object], Outcome], schema=None,
               back: Callable[[Request], str] | None = None,
               keep: Callable[[Request, object], dict | None] | None = None) -> Callable[[Request], Awaitable[Response]]:
        """POST endpoint: validated form + one transaction; a form or service error is rolled back
        and comes back as a message on the page the form was on (`back`, default the inbox).
        `keep`: page state to save when the work is refused (a reply's text), so nothing typed is lost."""
        from feedback import service
        from feedback.web.forms import parse

        async def endpoint(request: Request) -> Response:
            where = back(request) if back else "/"
            def run(form) -> Outcome:  # database work (and any hashing) off the event loop
                with self.sessions() as db, db.begin():
                    user = self.user(request, db)
                    if "record_id" in request.path_params:  # an act on one record: only within the user's units
                        self.record(db, user, path_id(request.path_params["record_id"]))
                    outcome = handler(request, db, user, form)
                    if outcome.state:
                        self.store.update(self.current(request).key, outcome.state, db)
                    if outcome.message:
                        self.flash(request, outcome.message, db=db)
                    return outcome

            form = None
            try:
                form = parse(schema, await request.form()) if schema is not None else None
                outcome = await run_in_threadpool(run, form)
            except (FormError, service.FeedbackError, ValueError) as exc:  # rolled back: nothing half-written
                kept = keep(request, form) if keep is not None and form is not None else None
                if kept and self.current(request) is not None:
                    await run_in_threadpool(self.store.update, self.current(request).key, kept)
                await run_in_threadpool(self.flash, request, str(exc), "error")
                return self.redirect(where)
            return self.redirect(outcome.target)

        return endpoint
