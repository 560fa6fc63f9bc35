"""CSRF check for every POST, as a middleware: no view can forget it.

The form's hidden `csrf` field must equal the session's token (after login) or the login cookie's
token (the login form itself, double submit). The body is read once into a spooled temporary file
(memory up to 1 MiB, disk beyond, at most `max_body` bytes: larger gets 413), its form parsed for the
token, and then replayed unchanged to the view, which parses it again with its own limits.
(starlette-csrf, the kept library, reads the token from a request header only, which plain HTML
forms without JavaScript cannot send: hence this small middleware.)
"""

from __future__ import annotations

import hmac
import tempfile
from collections.abc import Awaitable, Callable

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feedback.web.session import LOGIN_CSRF_COOKIE

SAFE = ("GET", "HEAD", "OPTIONS")
CHUNK = 64 * 1024

ErrorPage = Callable[[Request, int, str], Awaitable[Response]]


def expected_token(request: Request) -> str:
    current = request.scope.get("state", {}).get("staff")
    return current.csrf if current is not None else request.cookies.get(LOGIN_CSRF_COOKIE, "")


class TooLarge(Exception):
    pass


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, error_page: ErrorPage, max_body: int) -> None:
        self.app, self.error_page, self.max_body = app, error_page, max_body

    async def _spool(self, receive: Receive) -> tempfile.SpooledTemporaryFile:
        spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                spool.close()
                raise TooLarge
            spool.write(chunk)
            if not message.get("more_body", False):
                break
        spool.seek(0)
        return spool

    @staticmethod
    def _replay(spool: tempfile.SpooledTemporaryFile, then: Receive) -> Receive:
        """The spooled body again, then the real channel (a view waiting for a disconnect gets it)."""
        spool.seek(0)
        done = False

        async def receive() -> Message:
            nonlocal done
            if done:
                return await then()
            chunk = spool.read(CHUNK)
            done = len(chunk) < CHUNK
            return {"type": "http.request", "body": chunk, "more_body": not done}

        return receive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            spool = await self._spool(receive)
        except TooLarge:
            await (await self.error_page(request, 413, ""))(scope, receive, send)
            return
        try:
            probe = Request(scope, self._replay(spool, receive))
            try:
                form = await probe.form()
            except HTTPException as exc:  # malformed multipart, a part over Starlette's limits
                await (await self.error_page(request, 400, str(exc.detail)))(scope, receive, send)
                return
            sent = form.get("csrf", "")
            for value in form.values():
                if isinstance(value, UploadFile):
                    await value.close()
            token = expected_token(request)
            if not token or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), token.encode()):
                await (await self.error_page(request, 403, "Phiên làm việc không hợp lệ hoặc đã hết hạn, "
                                                          "vui lòng tải lại trang và thử lại."))(scope, receive, send)
                return
            await self.app(scope, self._replay(spool, receive), send)
        finally:
            spool.close()
