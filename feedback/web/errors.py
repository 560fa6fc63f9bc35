"""One error page for the staff web: every 400/403/404/405/413/500 is the same Vietnamese page.

Handlers are registered on the app (`handlers`), and the middlewares that answer before routing
(CSRF, body size) call `page` directly, so no path shows Starlette's English plain text or a traceback.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from feedback.web.headers import apply, nonce_of

log = logging.getLogger(__name__)

TITLES = {
    400: "Yêu cầu không hợp lệ",
    403: "Anh/chị không có quyền thực hiện thao tác này",
    404: "Không tìm thấy trang hoặc hồ sơ",
    405: "Thao tác này không được hỗ trợ",
    413: "Tệp hoặc nội dung gửi lên quá lớn",
    500: "Hệ thống gặp lỗi, vui lòng thử lại sau",
}


def error_pages(site) -> tuple[callable, dict]:
    """(page, handlers): `page(request, status, detail)` renders; handlers go to Starlette(exception_handlers=)."""

    async def page(request: Request, status: int, detail: str = "") -> Response:
        title = TITLES.get(status, TITLES[400] if status < 500 else TITLES[500])
        # Starlette's own details are English phrases ("Not Found"): shown only when they are ours
        said = detail if detail and not detail.isascii() else ""
        response = site.render(request, "error.html", status_code=status, title=title,
                               error=f"{title}: {said}." if said else f"{title}.")
        if status == 500:  # ServerErrorMiddleware sits outside the header middleware
            apply(response.headers, nonce_of(request.scope))
        return response

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return await page(request, exc.status_code, str(exc.detail or ""))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("staff web error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return await page(request, 500)

    return page, {HTTPException: http_error, 500: server_error}
