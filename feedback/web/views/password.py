"""Changing one's own password, open to every staff member, and the only page (with logout) open to
someone whose password is temporary (set by an administrator; feedback/web/session.py redirects).

A change ends every session of the account, like an administrator's reset; the device that made the
change gets a fresh session at once, so the person is not sent back to the login page.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import accounts, service
from feedback.web.forms import ChangePasswordForm, FormError, parse
from feedback.web.session import CHANGE_PASSWORD, token_hash
from feedback.web.site import Site


def routes(site: Site) -> list[Route]:
    async def page(request: Request) -> Response:
        with site.sessions() as db:
            user = site.user(request, db)
            return site.render(request, "password.html", user=user, forced=site.current(request).must_change)

    async def change(request: Request) -> Response:
        data = await request.form()

        def run() -> str:  # argon2 twice: off the event loop
            with site.sessions() as db, db.begin():
                form = parse(ChangePasswordForm, data)
                user = accounts.change_own_password(db, site.user(request, db), form.current, form.new, form.repeat)
                token = site.store.create(db, user.id)
                site.store.update(token_hash(token), {"flash": {"kind": "message", "text": "Đã đổi mật khẩu. Các phiên "
                                                      "đăng nhập khác của anh/chị đã kết thúc."}}, db)
                return token

        try:
            token = await run_in_threadpool(run)
        except (FormError, service.FeedbackError, ValueError) as exc:
            await run_in_threadpool(site.flash, request, str(exc), "error")
            return site.redirect(CHANGE_PASSWORD)
        response = site.redirect("/")
        site.start_session(response, token)
        return response

    return [Route(CHANGE_PASSWORD, page, methods=["GET"]), Route(CHANGE_PASSWORD, change, methods=["POST"])]
