"""Changing one's own password, open to every staff member, and the only page (with logout) open to
someone whose password is temporary (set by an administrator; feedback/web/session.py redirects).

A change ends every session of the account, like an administrator's reset; the device that made the
change gets a fresh session at once, so the person is not sent back to the login page. The current
password is checked through the login throttle first (its own transaction, so a failure counts): a
borrowed session cannot be used to guess the password at full speed.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import accounts, auth, service
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
        address = request.client.host if request.client else "unknown"

        def run() -> str:  # argon2 several times: off the event loop
            form = parse(ChangePasswordForm, data)
            with site.sessions() as db, db.begin():  # committed whatever the outcome: a wrong guess is counted
                username = site.user(request, db).username
                known = auth.authenticate(db, username, form.current, address=address).user is not None
            if not known:
                raise service.InvalidInput("mật khẩu hiện tại không đúng (hoặc đã nhập sai nhiều lần, vui lòng thử lại sau ít phút)")
            with site.sessions() as db, db.begin():
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
