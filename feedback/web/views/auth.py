"""Login and logout.

A login creates a fresh server-side session (a new token every time: no session fixation) and
logout deletes it, so a copied cookie is worth nothing afterwards. Failures are throttled per
(username, client address) in feedback.auth; every failure shows the same message.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback.auth import authenticate
from starlette.concurrency import run_in_threadpool
from feedback.web.forms import FormError, LoginForm, parse
from feedback.web.site import Site


def routes(site: Site) -> list[Route]:
    async def login(request: Request) -> Response:
        if request.method == "GET":
            if site.current(request) is not None:
                return site.redirect("/")
            return site.render(request, "login.html")
        try:
            form = parse(LoginForm, await request.form())  # lengths only: a browser's form always passes
        except FormError as exc:
            return site.render(request, "login.html", status_code=400, error=str(exc))
        address = request.client.host if request.client else "unknown"

        def check():  # argon2 costs ~50 ms of CPU on purpose: never on the event loop (webhooks share it)
            with site.sessions() as db, db.begin():
                result = authenticate(db, form.username, form.password, address=address)
                return result, site.store.create(db, result.user.id) if result.user is not None else None

        result, token = await run_in_threadpool(check)
        if token is None:
            return site.render(request, "login.html", status_code=401, error=result.error)
        response = site.redirect("/")
        if site.current(request) is not None:  # logging in again over a session: the old one ends
            site.store.end(site.current(request).key)
        site.start_session(response, token)
        return response

    async def logout(request: Request) -> Response:
        response = site.redirect("/login")
        site.end_session(request, response)
        return response

    return [Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout, methods=["POST"])]
