"""Staff accounts (administrators only): list, create, disable/enable, lock/unlock, reset a password,
change the global role, and each account's units with its role there (grant, revoke). The acts
themselves, their checks and audit rows are in feedback.accounts and feedback.units (the latter the
same `grant` / `revoke` as `tthc staff grant/revoke`). A change of units holds from the account's
next request: every page computes the user's scope afresh (feedback.units.scope_of).

A generated password is shown once, in the response to the POST that made it: it is never put in the
session, a cookie or a URL, so it is not at rest anywhere but in the argon2 hash. Every other act
redirects back to the list with its message (kept server-side, as elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import accounts, service, units
from feedback.models import ROLES, StaffUser
from feedback.web.forms import AccountForm, FormError, GrantForm, PasswordForm, RevokeForm, RoleForm, parse, path_id
from feedback.web.site import Site

ADMIN_ONLY = "chỉ quản trị viên được vào trang này"


def admin_only(site: Site, request: Request, db) -> StaffUser:
    """The logged-in administrator, or 403 for anyone else (checked before any form is read)."""
    user = site.user(request, db)
    if user.role != accounts.ADMIN:
        raise HTTPException(403, ADMIN_ONLY)
    return user


def _create(db, actor: str, _target: int | None, form: AccountForm) -> tuple[str, str | None, str]:
    user, generated = accounts.create(db, actor, form.username, form.role, form.display_name, form.password or None)
    return f"Đã tạo tài khoản {user.username}.", generated, user.username


def _password(db, actor: str, target: int, form: PasswordForm) -> tuple[str, str | None, str]:
    user, generated = accounts.reset_password(db, actor, target, form.password or None)
    return (f"Đã đặt mật khẩu tạm cho {user.username}; mọi phiên đăng nhập của tài khoản này đã kết thúc.",
            generated, user.username)


def _simple(act: Callable, done: str) -> Callable:
    def run(db, actor: str, target: int, _form) -> tuple[str, None, str]:
        user = act(db, actor, target)
        return done.format(user=user.username), None, user.username
    return run


def _role(db, actor: str, target: int, form: RoleForm) -> tuple[str, None, str]:
    user = accounts.set_role(db, actor, target, form.role)
    return f"Tài khoản {user.username} nay có vai trò mới.", None, user.username


def _account(db, target: int) -> StaffUser:
    user = db.get(StaffUser, target)
    if user is None:
        raise service.InvalidInput("không có tài khoản này")
    return user


def _grant(db, actor: str, target: int, form: GrantForm) -> tuple[str, None, str]:
    user = _account(db, target)
    member = units.grant(db, user.username, form.unit, form.role, actor=actor)
    return (f"{user.username}: {units.ROLE_LABELS[member.role].lower()} tại {member.unit.name}; "
            "có hiệu lực từ lần mở trang tiếp theo.", None, user.username)


def _revoke(db, actor: str, target: int, form: RevokeForm) -> tuple[str, None, str]:
    user = _account(db, target)
    unit = units.unit_by_code(db, form.unit)
    if not units.revoke(db, user.username, unit.code, actor=actor):
        raise service.InvalidInput(f"{user.username} không thuộc đơn vị {unit.name}")
    return f"Đã rút {user.username} khỏi đơn vị {unit.name}.", None, user.username


# act → (form schema or None, what it does)
ACTS: dict[str, tuple[type | None, Callable]] = {
    "disable": (None, _simple(accounts.disable, "Đã vô hiệu hóa {user}; mọi phiên đăng nhập đã kết thúc.")),
    "enable": (None, _simple(accounts.enable, "Đã kích hoạt lại {user}.")),
    "lock": (None, _simple(accounts.lock, "Đã khóa {user}; mọi phiên đăng nhập đã kết thúc.")),
    "unlock": (None, _simple(accounts.unlock, "Đã mở khóa {user} và xóa bộ đếm đăng nhập sai.")),
    "password": (PasswordForm, _password),
    "role": (RoleForm, _role),
    "grant": (GrantForm, _grant),
    "revoke": (RevokeForm, _revoke),
}


def routes(site: Site) -> list[Route]:
    def context(db) -> dict:
        return {"rows": accounts.list_accounts(db), "roles": ROLES, "memberships": units.memberships_by_user(db),
                "units": units.active_units(db), "unit_roles": units.ROLE_LABELS}

    async def accounts_page(request: Request) -> Response:
        with site.sessions() as db:
            user = admin_only(site, request, db)
            return site.render(request, "accounts.html", user=user, **context(db))

    async def perform(request: Request, schema, handler: Callable, target: int | None) -> Response:
        data = await request.form()

        def run() -> tuple[str, str | None, str]:
            with site.sessions() as db, db.begin():
                actor = admin_only(site, request, db)  # 403 before the form is even parsed
                form = parse(schema, data) if schema is not None else None
                return handler(db, actor.username, target, form)

        try:
            message, generated, username = await run_in_threadpool(run)
        except (FormError, service.FeedbackError, ValueError) as exc:  # rolled back: nothing half-done
            await run_in_threadpool(site.flash, request, str(exc), "error")
            return site.redirect("/accounts")
        if generated is None:
            await run_in_threadpool(site.flash, request, message)
            return site.redirect("/accounts")
        with site.sessions() as db:  # shown once, here; the page is no-store like every staff page
            user = admin_only(site, request, db)
            return site.render(request, "accounts.html", user=user, message=message,
                               shown={"username": username, "password": generated}, **context(db))

    async def create(request: Request) -> Response:
        return await perform(request, AccountForm, _create, None)

    async def act(request: Request) -> Response:
        name = request.path_params["act"]
        if name not in ACTS:
            raise HTTPException(404, "không có thao tác này")
        schema, handler = ACTS[name]
        return await perform(request, schema, handler, path_id(request.path_params["user_id"]))

    return [Route("/accounts", accounts_page, methods=["GET"]),
            Route("/accounts", create, methods=["POST"]),
            Route("/accounts/{user_id:int}/{act}", act, methods=["POST"])]
