"""Security headers on every staff response, error pages included.

The pages need no third-party content: the policy allows this origin's images and forms, inline
styles (the one stylesheet lives in base.html) and scripts only with the per-response nonce; no
framing (clickjacking), and no Referer with record ids leaving the site.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def policy(nonce: str) -> str:
    return ("default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"script-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def nonce_of(scope: Scope) -> str:
    """The nonce of this response (templates put it on their <script> tags)."""
    state = scope.setdefault("state", {})
    if "csp_nonce" not in state:
        state["csp_nonce"] = secrets.token_urlsafe(16)
    return state["csp_nonce"]


def apply(headers: MutableHeaders, nonce: str) -> None:
    headers["Content-Security-Policy"] = policy(nonce)
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Cache-Control", "no-store")  # staff pages hold personal data: not kept by proxies or the browser


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = nonce_of(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                apply(MutableHeaders(scope=message), nonce)
            await send(message)

        await self.app(scope, receive, send_with_headers)
