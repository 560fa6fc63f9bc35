"""Catalogue administration (admin role only): upload a catalogue file to validate and diff it,
apply it, rebuild the index, reload the newest version. Every act is audited, refusals too.

An upload is read at most `upload_limit + 1` bytes (a huge file is refused, not held) and staged under
a random name. Its validation report is a file on the server (feedback/web/catalogue_reports.py); the
server-side session holds only the report's id, and the page shows the report a page at a time. The
apply form names the report it was shown with: a report replaced in another tab is not applied, and
neither is one with no usable row (refused with the reason, and audited like every refusal).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from knowledge.limits import MiB, upload_limit
from feedback.models import AuditEntry
from feedback.web.catalogue_reports import ReportStore, page_of
from feedback.web.forms import AdminQuery, ApplyForm, FormError, bad_request, parse
from feedback.web.site import Site

SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".xlsx")
ACTS = ("upload", "apply", "rebuild", "reload")
REPORT = "admin_report"  # session key: the id of the current validation report
GONE = "báo cáo kiểm tra không còn (đã áp dụng, đã quá một ngày, hoặc đã có tệp mới hơn); vui lòng tải tệp lên lại"


async def stage_upload(hooks, form) -> tuple[Path, str]:
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise ValueError("chưa chọn tệp")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError("chỉ nhận tệp .yaml, .json, .jsonl, .xlsx")
    limit = upload_limit(suffix)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"tệp quá lớn: tối đa {limit // MiB} MB cho tệp {suffix}")
    hooks.upload_dir.mkdir(parents=True, exist_ok=True)
    staged = hooks.upload_dir / f"{secrets.token_hex(8)}{suffix}"
    staged.write_bytes(data)
    return staged, Path(upload.filename.replace("\\", "/")).name[:120]  # a browser may send the client's path


def routes(site: Site) -> list[Route]:
    def admin_user(request: Request, db):
        user = site.user(request, db)
        if user.role != "admin" or site.config.admin is None:
            raise HTTPException(403, "chỉ quản trị viên được vào trang này")
        return user

    def store() -> ReportStore:
        return ReportStore(site.config.admin.upload_dir)

    async def admin_page(request: Request) -> Response:
        with site.sessions() as db:
            user = admin_user(request, db)
            query = bad_request(AdminQuery, dict(request.query_params))
        report_id = site.current(request).data.get(REPORT)
        report = await run_in_threadpool(store().load, report_id)
        view = None
        if report is not None:
            problems, page, pages = page_of(report["problems"], query.page)
            changed, cpage, cpages = page_of(sorted(report["changed"].items()), query.changes)
            view = {"id": report_id, "report": report, "problems": problems, "page": page, "pages": pages,
                    "changed": changed, "cpage": cpage, "cpages": cpages}
        return site.render(request, "admin.html", user=user, status=site.config.admin.status(), view=view)

    def upload(request: Request, db, staged: Path, original: str) -> str:
        plan = site.config.admin.plan(staged, original)
        reports = store()
        current = site.current(request)
        reports.discard(current.data.get(REPORT))  # the previous report and its upload: replaced
        report_id = reports.save({**plan, "file": staged.name, "original": original})
        site.store.update(current.key, {REPORT: report_id}, db)
        return f"Đã kiểm tra tệp «{original}»; xem báo cáo bên dưới."

    def apply(request: Request, db, form) -> str:
        choice = parse(ApplyForm, form)
        current = site.current(request)
        reports = store()
        report = reports.load(choice.report) if choice.report == current.data.get(REPORT) else None
        staged = reports.staged(report) if report is not None else None
        if staged is None:
            raise ValueError(GONE)
        if not report.get("usable"):
            raise ValueError(f"tệp «{report['original']}» không có dòng hợp lệ nào nên không có gì để áp dụng; "
                             "anh/chị vui lòng sửa các lỗi trong báo cáo kiểm tra rồi tải tệp lên lại")
        message = site.config.admin.apply(staged, choice.skip_bad)
        reports.discard(choice.report)
        site.store.update(current.key, {REPORT: None}, db)
        return message

    async def admin_action(request: Request) -> Response:
        what = request.path_params["what"]
        if what not in ACTS:
            raise HTTPException(404, "không có thao tác này")

        def check() -> None:
            with site.sessions() as db:
                admin_user(request, db)

        await run_in_threadpool(check)  # 403 before a byte of an upload is staged
        form = await request.form()
        hooks = site.config.admin
        try:  # the upload is read here (async); a refused one is reported like any failed action below
            staged_upload = await stage_upload(hooks, form) if what == "upload" else None
        except (FormError, ValueError) as exc:
            staged_upload = exc

        def act() -> None:  # parsing, planning and rebuilding block: a worker thread, not the event loop
            with site.sessions() as db, db.begin():
                user = admin_user(request, db)
                try:
                    if isinstance(staged_upload, Exception):
                        raise staged_upload
                    if what == "upload":
                        message = upload(request, db, *staged_upload)
                    elif what == "apply":
                        message = apply(request, db, form)
                    elif what == "rebuild":
                        message = hooks.rebuild()
                    else:
                        message = hooks.reload()
                    db.add(AuditEntry(actor=user.username, action=f"catalogue_{what}", detail=message[:1000]))
                    site.flash(request, message, db=db)
                except (FormError, ValueError) as exc:
                    db.add(AuditEntry(actor=user.username, action=f"catalogue_{what}_refused", detail=str(exc)[:1000]))
                    site.flash(request, str(exc), kind="error", db=db)

        await run_in_threadpool(act)
        return site.redirect("/admin")

    return [Route("/admin", admin_page, methods=["GET"]), Route("/admin/{what}", admin_action, methods=["POST"])]
