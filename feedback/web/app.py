"""Staff web: inbox, record page, actions. Server-rendered (Starlette + Jinja2, autoescaped).

Every page needs a logged-in staff member (else: the login page); every POST carries the session's
CSRF token; sessions are signed cookies (HttpOnly, SameSite=Lax, Secure behind TLS) that expire
after `idle_minutes` without activity. Views stay thin: parse the form, call feedback.service in one
transaction, render or redirect; service errors become a message on the page.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from importlib import resources
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from feedback import labels, service
from knowledge.limits import MiB, upload_limit
from feedback.auth import authenticate
from feedback.models import AuditEntry, FeedbackRecord, ReplyTemplate, StaffUser
from feedback.db import utcnow
from feedback.deadlines import STEPS, step_deadlines
from feedback.report_views import ReportCache, chart_names
from feedback.workdays import default_calendar, format_local_date, format_local_datetime


@dataclass
class AdminHooks:
    """Catalogue administration offered by the server (bot.app.catalogue_admin.CatalogueAdmin), as plain callables."""

    status: Callable[[], dict]
    plan: Callable[[Path], dict]
    apply: Callable[[Path, bool], str]
    rebuild: Callable[[], str]
    reload: Callable[[], str]
    upload_dir: Path


@dataclass
class WebConfig:
    secret_key: str
    https_only: bool = False
    idle_minutes: int = 30
    prefix: str = "/staff"
    admin: AdminHooks | None = None
    embed: Callable | None = None  # unused by reports since they count unanswered questions instead of clustering them
    learning: object | None = None  # feedback.web.learning.LearningHooks: the 'Câu hỏi cần xử lý' page's index access


def _templates() -> Jinja2Templates:
    directory = str(resources.files("feedback") / "web" / "templates")
    templates = Jinja2Templates(directory=directory)
    templates.env.globals.update(STATUS=labels.STATUS, KIND=labels.KIND, CHANNEL=labels.CHANNEL, ROLE=labels.ROLE)
    templates.env.globals["ACTOR"] = {"citizen": "Người dân", "system": "Hệ thống"}
    templates.env.globals["STEP_LABEL"] = {step: label for step, _, label in STEPS}
    # stored as naive UTC; shown in Vietnam time by the same functions the bot uses for citizens
    templates.env.filters["vn_date"] = format_local_date
    templates.env.filters["vn_datetime"] = format_local_datetime
    return templates


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    return "•" * max(0, len(digits) - 3) + "".join(digits[-3:])


def create_staff_app(sessions: sessionmaker, config: WebConfig) -> Starlette:
    default_calendar()  # a wrong holiday file (TTHC_HOLIDAYS_FILE) stops start-up, not the first record
    templates = _templates()
    p = config.prefix

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"csrf": csrf_token(request), "prefix": p, **context},
                                          status_code=status_code)

    def current_user(request: Request, db) -> StaffUser | None:
        user_id = request.session.get("user_id")
        last_seen = request.session.get("last_seen", 0)
        if not user_id or time.time() - last_seen > config.idle_minutes * 60:
            request.session.pop("user_id", None)
            return None
        user = db.get(StaffUser, user_id)
        if user is None or not user.active:
            return None
        request.session["last_seen"] = int(time.time())
        return user

    async def form_with_csrf(request: Request):
        form = await request.form()
        token = request.session.get("csrf", "")
        if not token or not hmac.compare_digest(str(form.get("csrf", "")), token):
            return None
        return form

    def to_login() -> RedirectResponse:
        return RedirectResponse(f"{p}/login", status_code=303)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return render(request, "login.html")
        form = await form_with_csrf(request)
        if form is None:
            return render(request, "login.html", status_code=403, error="Phiên làm việc không hợp lệ, vui lòng thử lại.")
        with sessions() as db, db.begin():
            result = authenticate(db, str(form.get("username", "")), str(form.get("password", "")))
            if result.user is not None:
                request.session.clear()
                request.session.update({"user_id": result.user.id, "last_seen": int(time.time()),
                                        "csrf": secrets.token_urlsafe(32)})
                return RedirectResponse(f"{p}/", status_code=303)
        return render(request, "login.html", status_code=401, error=result.error)

    async def logout(request: Request) -> Response:
        await form_with_csrf(request)
        request.session.clear()
        return to_login()

    def parse_filter(request: Request) -> service.InboxFilter:
        q = request.query_params

        def date(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(q.get(name, ""))
            except ValueError:
                return None

        def integer(name: str, default: int | None = None) -> int | None:
            try:
                return int(q.get(name, ""))
            except ValueError:
                return default

        return service.InboxFilter(
            status=q.get("status") or None, kind=q.get("kind") or None, agency=q.get("agency") or None,
            procedure=q.get("procedure") or None, channel=q.get("channel") or None, assignee_id=integer("assignee"),
            date_from=date("from"), date_to=date("to"), overdue=q.get("overdue") == "1", q=(q.get("q") or "")[:200] or None,
            page=max(1, integer("page", 1) or 1),
        )

    async def inbox(request: Request) -> Response:
        with sessions() as db:
            user = current_user(request, db)
            if user is None:
                return to_login()
            flt = parse_filter(request)
            records, total = service.inbox(db, flt)
            staff = list(db.scalars(select(StaffUser).where(StaffUser.active).order_by(StaffUser.username)))
            now = utcnow()
            rows = [{"r": r, "overdue": service.is_overdue(r, now), "due_soon": service.is_due_soon(r, now)} for r in records]
            params = {k: v for k, v in request.query_params.items() if k != "page"}
            pages = max(1, -(-total // flt.per_page))
            return render(request, "inbox.html", user=user, rows=rows, total=total, flt=flt, staff=staff, pages=pages,
                          page_link=lambda n: "?" + urlencode({**params, "page": n}), message=request.query_params.get("msg"))

    async def record_page(request: Request) -> Response:
        with sessions() as db:
            user = current_user(request, db)
            if user is None:
                return to_login()
            record = db.get(FeedbackRecord, int(request.path_params["record_id"]))
            if record is None:
                return render(request, "error.html", status_code=404, user=user, error="Không tìm thấy hồ sơ.")
            staff = list(db.scalars(select(StaffUser).where(StaffUser.active).order_by(StaffUser.username)))
            duplicates = list(db.scalars(select(FeedbackRecord).where(
                (FeedbackRecord.duplicate_of_id == record.id) | (FeedbackRecord.id == (record.duplicate_of_id or -1)))))
            templates_ = list(db.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)))
            revealed = request.session.pop(f"revealed:{record.id}", None)
            return render(request, "record.html", user=user, r=record, staff=staff, duplicates=duplicates,
                          transitions=service.TRANSITIONS.get(record.status, ()), templates=templates_,
                          masked_phone=mask_phone(record.contact_phone), revealed=revealed,
                          overdue=service.is_overdue(record), error=request.query_params.get("error"),
                          steps=step_deadlines(record) if record.status in ("new", "accepted") else {},
                          message=request.query_params.get("msg"))

    def action(handler):
        """POST wrapper: session + CSRF + one transaction; service errors come back as a message."""

        async def endpoint(request: Request) -> Response:
            form = await form_with_csrf(request)
            try:
                with sessions() as db, db.begin():
                    user = current_user(request, db)
                    if user is None:
                        return to_login()
                    if form is None:
                        return HTMLResponse("Yêu cầu không hợp lệ (CSRF).", status_code=403)
                    target = handler(request, db, user, form)
            except (service.FeedbackError, ValueError) as exc:  # rolled back: nothing half-written
                record_id = request.path_params.get("record_id")
                where = f"{p}/records/{record_id}" if record_id else f"{p}/"
                return RedirectResponse(f"{where}?{urlencode({'error': str(exc)})}", status_code=303)
            return RedirectResponse(target or f"{p}/", status_code=303)

        return endpoint

    def _version(form) -> int | None:
        try:
            return int(form.get("version", ""))
        except ValueError:
            return None

    def change_status(request, db, user, form):
        record_id = int(request.path_params["record_id"])
        service.transition(db, record_id, str(form.get("to", "")), user.username, str(form.get("note", "")), _version(form))
        return f"{p}/records/{record_id}?msg=" + "Đã cập nhật trạng thái"

    def assign_one(request, db, user, form):
        record_id = int(request.path_params["record_id"])
        service.assign(db, [record_id], int(form.get("assignee", "0")), user.username)
        return f"{p}/records/{record_id}?msg=" + "Đã giao xử lý"

    def assign_many(request, db, user, form):
        ids = [int(i) for i in form.getlist("ids") if str(i).isdigit()]
        if not ids:
            raise service.InvalidInput("chưa chọn hồ sơ nào")
        service.assign(db, ids, int(form.get("assignee", "0")), user.username)
        db.add(AuditEntry(actor=user.username, action="bulk_assign", detail=",".join(map(str, ids))[:1000]))
        return f"{p}/?msg=" + f"Đã giao {len(ids)} hồ sơ"

    def send_reply(request, db, user, form):
        record_id = int(request.path_params["record_id"])
        service.reply(db, record_id, user.username, str(form.get("text", "")), _version(form))
        return f"{p}/records/{record_id}?msg=" + "Đã gửi trả lời (đang chuyển đến người dân)"

    def reveal(request, db, user, form):
        record_id = int(request.path_params["record_id"])
        name, phone = service.reveal_contact(db, record_id, user.username)
        request.session[f"revealed:{record_id}"] = {"name": name, "phone": phone}
        return f"{p}/records/{record_id}"

    async def templates_page(request: Request) -> Response:
        with sessions() as db:
            user = current_user(request, db)
            if user is None:
                return to_login()
            items = list(db.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)))
            return render(request, "templates.html", user=user, items=items, error=request.query_params.get("error"))

    def save_template(request, db, user, form):
        if user.role != "admin":
            raise service.InvalidInput("chỉ quản trị viên được sửa mẫu trả lời")
        title, body = str(form.get("title", "")).strip()[:120], str(form.get("body", "")).strip()
        if not title or not body:
            raise service.InvalidInput("mẫu cần tiêu đề và nội dung")
        existing = db.scalar(select(ReplyTemplate).where(ReplyTemplate.title == title))
        if existing:
            existing.body = body
        else:
            db.add(ReplyTemplate(title=title, body=body))
        db.add(AuditEntry(actor=user.username, action="save_template", detail=title))
        return f"{p}/templates"

    async def admin_page(request: Request) -> Response:
        with sessions() as db:
            user = current_user(request, db)
            if user is None:
                return to_login()
            if user.role != "admin" or config.admin is None:
                return render(request, "error.html", status_code=403, user=user, error="Chỉ quản trị viên được vào trang này.")
            plan = request.session.pop("admin_plan", None)
            return render(request, "admin.html", user=user, status=config.admin.status(), plan=plan,
                          message=request.query_params.get("msg"), error=request.query_params.get("error"))

    async def admin_action(request: Request) -> Response:
        """Upload (validate + diff), apply, rebuild, reload: admin only, CSRF-checked, audited."""
        form = await form_with_csrf(request)
        with sessions() as db, db.begin():
            user = current_user(request, db)
            if user is None:
                return to_login()
            if form is None or user.role != "admin" or config.admin is None:
                return HTMLResponse("Không được phép.", status_code=403)
            what = request.path_params["what"]
            hooks = config.admin
            try:
                if what == "upload":
                    upload = form.get("file")
                    if upload is None or not getattr(upload, "filename", ""):
                        raise ValueError("chưa chọn tệp")
                    suffix = Path(upload.filename).suffix.lower()
                    if suffix not in (".yaml", ".yml", ".json", ".jsonl", ".xlsx"):
                        raise ValueError("chỉ nhận tệp .yaml, .json, .jsonl, .xlsx")
                    limit = upload_limit(suffix)  # read at most limit+1 bytes: a huge upload is refused, not held
                    data = await upload.read(limit + 1)
                    if len(data) > limit:
                        raise ValueError(f"tệp quá lớn: tối đa {limit // MiB} MB cho tệp {suffix}")
                    hooks.upload_dir.mkdir(parents=True, exist_ok=True)
                    staged = hooks.upload_dir / f"{secrets.token_hex(8)}{suffix}"
                    staged.write_bytes(data)
                    plan = hooks.plan(staged)
                    request.session["admin_plan"] = {**{k: v for k, v in plan.items() if k != "changed"},
                                                     "changed": dict(list(plan["changed"].items())[:50]),
                                                     "file": staged.name, "original": upload.filename[:120]}
                    message = "Đã kiểm tra tệp; xem báo cáo bên dưới."
                elif what == "apply":
                    staged = hooks.upload_dir / Path(str(form.get("file", ""))).name
                    if not staged.exists():
                        raise ValueError("tệp tải lên không còn; vui lòng tải lại")
                    message = hooks.apply(staged, form.get("skip_bad") == "1")
                elif what == "rebuild":
                    message = hooks.rebuild()
                elif what == "reload":
                    message = hooks.reload()
                else:
                    return HTMLResponse("Không có thao tác này.", status_code=404)
                db.add(AuditEntry(actor=user.username, action=f"catalogue_{what}", detail=message[:1000]))
            except ValueError as exc:
                db.add(AuditEntry(actor=user.username, action=f"catalogue_{what}_refused", detail=str(exc)[:1000]))
                return RedirectResponse(f"{p}/admin?{urlencode({'error': str(exc)})}", status_code=303)
        return RedirectResponse(f"{p}/admin?{urlencode({'msg': message})}", status_code=303)

    report_cache = ReportCache(sessions)

    def report_params(request: Request) -> tuple[str | None, str | None]:
        return request.query_params.get("period"), request.query_params.get("agency")

    async def reports_page(request: Request) -> Response:
        with sessions() as db:
            user = current_user(request, db)
        if user is None:
            return to_login()
        data = await run_in_threadpool(report_cache.page, *report_params(request))
        query = urlencode({k: v for k, v in request.query_params.items() if k in ("period", "agency")})
        computed = data.computed
        return render(request, "reports.html", user=user, error=data.error, units=data.units, query=query,
                      report=computed.report if computed else None, tables=computed.tables if computed else [],
                      charts=chart_names(computed.report) if computed else [],
                      period=request.query_params.get("period", ""), agency=request.query_params.get("agency", ""))

    async def report_file(request: Request) -> Response:
        what = request.path_params["what"]
        with sessions() as db:
            user = current_user(request, db)
            if user is None:
                return to_login()
            if not what.endswith(".png"):
                detail = " ".join([what, *(v or "" for v in report_params(request))])
                db.add(AuditEntry(actor=user.username, action="report_download", detail=detail[:1000]))
                db.commit()
        try:
            found = await run_in_threadpool(report_cache.file, *report_params(request), what)
        except ValueError as exc:
            return HTMLResponse(str(exc), status_code=400)
        if found is None:
            return HTMLResponse("Không có tệp này.", status_code=404)
        data, media = found
        headers = {} if what.endswith(".png") else {"Content-Disposition": f'attachment; filename="{what}"'}
        return Response(data, media_type=media, headers=headers)

    routes = [
        Route("/reports", reports_page, methods=["GET"]),
        Route("/reports/{what}", report_file, methods=["GET"]),
        Route("/admin", admin_page, methods=["GET"]),
        Route("/admin/{what}", admin_action, methods=["POST"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", inbox, methods=["GET"]),
        Route("/records/{record_id:int}", record_page, methods=["GET"]),
        Route("/records/{record_id:int}/status", action(change_status), methods=["POST"]),
        Route("/records/{record_id:int}/assign", action(assign_one), methods=["POST"]),
        Route("/records/{record_id:int}/reply", action(send_reply), methods=["POST"]),
        Route("/records/{record_id:int}/reveal", action(reveal), methods=["POST"]),
        Route("/bulk-assign", action(assign_many), methods=["POST"]),
        Route("/templates", templates_page, methods=["GET"]),
        Route("/templates", action(save_template), methods=["POST"]),
    ]
    from feedback.web.learning import LearningContext, learning_routes  # the staff-teaching page (own module)
    routes += learning_routes(LearningContext(sessions, render, current_user, form_with_csrf, to_login, p, config.learning))
    middleware = [Middleware(SessionMiddleware, secret_key=config.secret_key, session_cookie="tthc_staff",
                             max_age=8 * 3600, same_site="lax", https_only=config.https_only)]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.report_cache = report_cache
    return app
