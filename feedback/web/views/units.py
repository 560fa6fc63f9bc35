"""The units page (administrators only): every unit with the names intake matches it by, its members and
open records; create a unit, rename it or change its keywords, deactivate or reactivate it.

The acts, their checks (no deactivation while the unit holds open records, never the coordinator
queue) and their audit rows are feedback.units', the same functions `tthc unit …` calls. A POST is
refused with 403 before its form is read when the user is not an administrator, as on the accounts page.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import service, units
from feedback.web.forms import FormError, UnitEditForm, UnitForm, parse, path_id
from feedback.web.site import Site
from feedback.web.views.accounts import admin_only

KINDS = ("co_quan", "xa")  # what an administrator may create (the coordinator queue exists once)


def _create(db, actor: str, _unit_id: int | None, form: UnitForm) -> str:
    unit = units.add_unit(db, form.name, kind=form.kind, code=form.code or None, keywords=form.keywords, actor=actor)
    return f"Đã tạo đơn vị {unit.name} (mã {unit.code})."


def _edit(db, actor: str, unit_id: int, form: UnitEditForm) -> str:
    unit = units.update_unit(db, unit_id, form.name, form.keywords, actor)
    return f"Đã lưu đơn vị {unit.name}."


def _deactivate(db, actor: str, unit_id: int, _form) -> str:
    unit = units.set_active(db, unit_id, False, actor)
    return f"Đã ngừng hoạt động đơn vị {unit.name}: hồ sơ mới không còn được chuyển đến đơn vị này."


def _activate(db, actor: str, unit_id: int, _form) -> str:
    unit = units.set_active(db, unit_id, True, actor)
    return f"Đơn vị {unit.name} hoạt động trở lại."


# act → (form schema or None, what it does)
ACTS: dict[str, tuple[type | None, Callable]] = {
    "edit": (UnitEditForm, _edit),
    "deactivate": (None, _deactivate),
    "activate": (None, _activate),
}


def routes(site: Site) -> list[Route]:
    async def units_page(request: Request) -> Response:
        with site.sessions() as db:
            user = admin_only(site, request, db)
            return site.render(request, "units.html", user=user, rows=units.list_units(db), kinds=KINDS,
                               KIND_LABEL=units.KIND_LABELS, coordinator=units.COORDINATOR)

    async def perform(request: Request, schema, handler: Callable, unit_id: int | None) -> Response:
        data = await request.form()

        def run() -> str:
            with site.sessions() as db, db.begin():
                actor = admin_only(site, request, db)  # 403 before the form is even parsed
                form = parse(schema, data) if schema is not None else None
                return handler(db, actor.username, unit_id, form)

        try:
            message, kind = await run_in_threadpool(run), "message"
        except (FormError, service.FeedbackError, ValueError) as exc:  # rolled back: nothing half-done
            message, kind = str(exc), "error"
        await run_in_threadpool(site.flash, request, message, kind)
        return site.redirect("/units")

    async def create(request: Request) -> Response:
        return await perform(request, UnitForm, _create, None)

    async def act(request: Request) -> Response:
        name = request.path_params["act"]
        if name not in ACTS:
            raise HTTPException(404, "không có thao tác này")
        schema, handler = ACTS[name]
        return await perform(request, schema, handler, path_id(request.path_params["unit_id"]))

    return [Route("/units", units_page, methods=["GET"]),
            Route("/units", create, methods=["POST"]),
            Route("/units/{unit_id:int}/{act}", act, methods=["POST"])]
