"""Catalogue administration (admin role only): upload a catalogue file to validate and diff it,
apply it, rebuild the index, reload the newest version. Every act is audited, refusals too.

An upload is read at most `upload_limit + 1` bytes (a huge file is refused, not held), staged under
a random name, and only that name goes back to the browser; the plan lives in the server-side session.
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
from feedback.web.forms import ApplyForm, FormError, parse
from feedback.web.site import Site

SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".xlsx")
ACTS = ("upload", "apply", "rebuild", "reload")


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
    return staged, upload.filename[:120]


def routes(site: Site) -> list[Route]:
    def admin_user(request: Request, db):
        user = site.user(request, db)
        if user.role != "admin" or site.config.admin is None:
            raise HTTPException(403, "chỉ quản trị viên được vào trang này")
        return user

    async def admin_page(request: Request) -> Response:
        with site.sessions() as db:
            user = admin_user(request, db)
            plan = site.take(request, "admin_plan")
            return site.render(request, "admin.html", user=user, status=site.config.admin.status(), plan=plan)

    async def admin_action(request: Request) -> Response:
        what = request.path_params["what"]
        if what not in ACTS:
            raise HTTPException(404, "không có thao tác này")
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
                        staged, original = staged_upload
                        plan = hooks.plan(staged)
                        site.store.update(site.current(request).key, {"admin_plan": {
                            **{k: v for k, v in plan.items() if k != "changed"},
                            "changed": dict(list(plan["changed"].items())[:50]), "file": staged.name, "original": original}}, db)
                        message = "Đã kiểm tra tệp; xem báo cáo bên dưới."
                    elif what == "apply":
                        choice = parse(ApplyForm, form)
                        staged = hooks.upload_dir / Path(choice.file).name
                        if not staged.exists():
                            raise ValueError("tệp tải lên không còn; vui lòng tải lại")
                        message = hooks.apply(staged, choice.skip_bad)
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
