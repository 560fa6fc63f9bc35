"""Zalo Official Account channel: webhook verification, event parsing, and the OA send API.

Webhook: `X-ZEvent-Signature: mac=<hex>` where hex = sha256(app_id + raw body + timestamp +
OA secret key); the timestamp is the body's own field (milliseconds). Forged, unsigned or stale
calls (older than `max_age_seconds`) are refused. Zalo wants a 200 within 2 seconds and retries for
hours otherwise, so the server answers first and handles the event afterwards, deduplicated by
message id. Big integers in the JSON are read as strings, so user ids stay exact.

Sending: `POST /v3.0/oa/message/cs` with the OA access token; an expired token (-216) is refreshed
with the refresh token and the call retried once. A reply's choices (clarifying candidates, the
other aspects of an answer, the report's "Gửi / Sửa / Hủy", 👍/👎) go as template buttons
(`oa.query.hide`, see bot.channels.zalo_buttons for the documented shape and limits) with the
numbered lines kept in the text; a pressed button comes back as a `user_send_text` whose text is
its payload and is read as the same choice. When the OA API refuses the template (any error but
an expired token, a closed window or a rate limit), the message is sent again as plain numbered
text, and templates rest for an hour so a refusing OA does not pay two calls per message.
Consultation messages are allowed for 48 hours after the citizen's last message; outside that
window a message is held in the outbox with the reason instead of being sent or dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.base import ConversationPort, Undeliverable
from bot.channels.edge import clean_text, split_command
from bot.channels import zalo_buttons
from bot.channels.media import zalo_files
from bot.channels.render import split_text, with_numbered_choices
from bot.engine import replies
from bot.engine.types import Reply

log = logging.getLogger(__name__)
CHANNEL = "zalo"
TEXT_LIMIT = 2000
WINDOW_SECONDS = 48 * 3600
# OA API error codes (JSON "error" in an HTTP 200 body): an invalid or expired access token is
# refreshed and the call retried once; outside the consultation window (no interaction from the
# citizen lately) a message cannot be sent at all, so it is held, not retried.
TOKEN_EXPIRED_CODES = {-216, -220, -124}
WINDOW_CLOSED_CODES = {-213, -230, -232}
RATE_LIMITED_CODES = {-32}  # too many calls: the outbox retries later; not a refused template
TEMPLATE_REST_SECONDS = 3600  # after a refused template, plain text only for this long


class ZaloError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"Zalo API error {code}: {message}")
        self.code = code


@dataclass(frozen=True)
class ZaloEvent:
    name: str  # "user_send_text", "follow", "unfollow", …
    user_id: str
    event_id: str
    text: str | None
    timestamp_ms: int
    files: tuple[dict[str, Any], ...] = ()  # images and files of user_send_image / user_send_file


def expected_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def parse_body(body: bytes) -> dict:
    """JSON with every integer kept as its exact digits (Zalo ids exceed float precision)."""
    data = json.loads(body, parse_int=str)
    if not isinstance(data, dict):
        raise ValueError("event body must be a JSON object")
    return data


def verify(headers: dict[str, str], body: bytes, app_id: str, oa_secret_key: str, max_age_seconds: int = 900,
           now_ms: int | None = None) -> dict:
    """Return the parsed event if the signature and age check out; raise PermissionError otherwise."""
    header = headers.get("x-zevent-signature", "")
    mac = header.split("=", 1)[1] if header.startswith("mac=") else header
    data = parse_body(body)
    timestamp = str(data.get("timestamp", ""))
    if not mac or not timestamp.isdigit():
        raise PermissionError("unsigned or untimed event")
    if not hmac.compare_digest(mac, expected_signature(app_id, body, timestamp, oa_secret_key)):
        raise PermissionError("bad signature")
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    if abs(now_ms - int(timestamp)) > max_age_seconds * 1000:
        raise PermissionError("stale event")
    return data


def to_event(data: dict) -> ZaloEvent | None:
    name = str(data.get("event_name", ""))
    sender = data.get("sender") or data.get("follower") or {}
    user_id = str(sender.get("id", "")) if isinstance(sender, dict) else ""
    if not name or not user_id:
        return None
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    event_id = str(message.get("msg_id") or f"{name}:{user_id}:{data.get('timestamp', '')}")
    files = tuple(zalo_files(message, event_id)) if name in ("user_send_image", "user_send_file") else ()
    text = message.get("text") if name == "user_send_text" or files else None  # an image's caption is text too
    return ZaloEvent(name=name, user_id=user_id, event_id=event_id, files=files,
                     text=str(text) if text is not None else None, timestamp_ms=int(str(data.get("timestamp", "0")) or 0))


class TokenKeeper(Protocol):
    """Where the rotating token pair lives when several workers or restarts share it (bot.app.channel_tokens)."""

    def seed(self, access: str, refresh: str) -> None: ...

    def current(self) -> tuple[str, str] | None: ...

    def refresh(self, seen_access: str, do_refresh: Callable[[str], tuple[str, str]]) -> tuple[str, str]: ...


class ZaloClient:
    """OA API client; `api_base` and `oauth_base` point at a fake server in tests. With `tokens`, the
    access/refresh pair is read from and rotated in that shared store (refresh tokens are single-use)."""

    def __init__(self, access_token: str, refresh_token: str, app_id: str, app_secret: str,
                 api_base: str = "https://openapi.zalo.me", oauth_base: str = "https://oauth.zaloapp.com",
                 timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None,
                 tokens: TokenKeeper | None = None, sync_transport: httpx.BaseTransport | None = None):
        self.tokens = tokens
        if tokens is not None:
            tokens.seed(access_token, refresh_token)
            access_token, refresh_token = tokens.current() or (access_token, refresh_token)
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.timeout = timeout
        self.sync_transport = sync_transport
        self.app_id = app_id
        self.app_secret = app_secret
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._refresh_lock = asyncio.Lock()
        self._template_refused_at: float | None = None  # monotonic time of the last refused template

    async def aclose(self) -> None:
        await self._http.aclose()

    async def refresh(self) -> None:
        async with self._refresh_lock:
            if self.tokens is not None:
                seen = self.access_token
                self.access_token, self.refresh_token = await asyncio.to_thread(self.tokens.refresh, seen,
                                                                                self._exchange_blocking)
                log.info("zalo access token %s", "refreshed" if self.access_token != seen else "unchanged")
                return
            response = await self._http.post(
                f"{self.oauth_base}/v4/oa/access_token",
                headers={"secret_key": self.app_secret},
                data={"refresh_token": self.refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"},
            )
            response.raise_for_status()
            data = response.json()
            if "access_token" not in data:
                raise ZaloError(int(data.get("error", -1)), str(data.get("message", "token refresh failed")))
            self.access_token = data["access_token"]
            self.refresh_token = data.get("refresh_token", self.refresh_token)
            log.info("zalo access token refreshed")

    def _exchange_blocking(self, refresh_token: str) -> tuple[str, str]:
        """One call to the OAuth endpoint (runs in the token store's locked transaction, in a thread)."""
        with httpx.Client(timeout=self.timeout, transport=self.sync_transport) as http:
            response = http.post(f"{self.oauth_base}/v4/oa/access_token", headers={"secret_key": self.app_secret},
                                 data={"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"})
        response.raise_for_status()
        data = response.json()
        if "access_token" not in data:
            raise ZaloError(int(data.get("error", -1)), str(data.get("message", "token refresh failed")))
        return data["access_token"], data.get("refresh_token", refresh_token)

    async def _send_once(self, user_id: str, text: str, buttons: list[dict[str, str]] | None = None) -> dict:
        message: dict[str, Any] = {"text": text}
        if buttons:
            message["attachment"] = zalo_buttons.attachment(buttons)
        response = await self._http.post(
            f"{self.api_base}/v3.0/oa/message/cs",
            headers={"access_token": self.access_token, "Content-Type": "application/json"},
            content=json.dumps({"recipient": {"user_id": user_id}, "message": message}, ensure_ascii=False).encode(),
        )
        if buttons and 400 <= response.status_code < 500:  # the template itself refused at the HTTP level
            return {"error": -response.status_code, "message": "template refused"}
        response.raise_for_status()
        return json.loads(response.content, parse_int=str)

    async def _deliver(self, user_id: str, text: str, buttons: list[dict[str, str]] | None = None) -> tuple[int, str]:
        """(error code, message) of one send, after refreshing an expired token once; a closed
        consultation window raises Undeliverable (the outbox holds the message)."""
        data = await self._send_once(user_id, text, buttons)
        code = int(data.get("error", 0))
        if code in TOKEN_EXPIRED_CODES:
            await self.refresh()
            data = await self._send_once(user_id, text, buttons)
            code = int(data.get("error", 0))
        if code in WINDOW_CLOSED_CODES:
            raise Undeliverable(replies.t("vi", "window_closed"))
        return code, str(data.get("message", ""))

    def _templates_resting(self) -> bool:
        return self._template_refused_at is not None and time.monotonic() - self._template_refused_at < TEMPLATE_REST_SECONDS

    async def send_text(self, user_id: str, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        """Send `text` (split under Zalo's limit), its last part with `buttons` when given. A refused
        template is sent again as the plain text, which already numbers the choices."""
        parts = split_text(text, TEXT_LIMIT)
        for i, part in enumerate(parts):
            attached = buttons if buttons and i == len(parts) - 1 and not self._templates_resting() else None
            code, message = await self._deliver(user_id, part, attached)
            if attached and code not in (0, *RATE_LIMITED_CODES):
                log.warning("zalo refused the button template (error %s): sent as numbered text", code)
                self._template_refused_at = time.monotonic()
                code, message = await self._deliver(user_id, part)
            if code != 0:
                raise ZaloError(code, message)


def window_open(last_user_message_ms: float | None, now: float | None = None) -> bool:
    if last_user_message_ms is None:
        return False
    return (now if now is not None else time.time()) - last_user_message_ms / 1000 <= WINDOW_SECONDS


@dataclass
class ZaloConfig:
    client: ZaloClient
    app_id: str
    oa_secret_key: str
    max_age_seconds: int = 900


class ZaloChannel:
    """Sends through the OA API; holds messages outside the 48-hour consultation window."""

    name = CHANNEL

    def __init__(self, client: ZaloClient, last_seen: Callable[[str], dt.datetime | None]):
        self.client = client
        self.last_seen = last_seen  # when the citizen last wrote (naive UTC), from conversation state

    async def send(self, chat_id: str, reply: Reply) -> None:
        await self.client.send_text(chat_id, with_numbered_choices(reply), zalo_buttons.buttons(reply))

    async def hold_reason(self, chat_id: str) -> str | None:
        last = await asyncio.to_thread(self.last_seen, chat_id)
        last_ms = last.replace(tzinfo=dt.UTC).timestamp() * 1000 if last else None  # stored as naive UTC
        return None if window_open(last_ms, now=time.time()) else replies.t("vi", "window_closed")


def handle_event(event: ZaloEvent) -> dict[str, Any] | None:
    """What the inbox keeps of an event (None: nothing to do); the inbox workers answer it."""
    base = {"user": event.user_id, "chat": event.user_id}
    if event.name in ("follow", "unfollow"):
        return {**base, "kind": event.name}
    if event.files:
        return {**base, "kind": "attachment", "files": list(event.files), "text": clean_text(event.text or "")}
    if event.name == "user_send_text" and event.text is not None:
        text = clean_text(event.text)
        if (press := zalo_buttons.pressed(text)) is not None:  # a tapped button: its payload as text
            return {**base, **press}
        if (command := split_command(text)) is not None:  # Zalo has no command menu: "/tracuu PA-…" typed
            return {**base, "kind": "command", "name": command[0], "args": command[2][:200]}
        return {**base, "kind": "text", "text": text}
    if event.name.startswith("user_send_"):
        return {**base, "kind": "non_text"}
    return None


def webhook_route(config: Callable[[], ZaloConfig | None], service: Callable[[], ConversationPort],
                  accept: Callable[[str, str, str, dict[str, Any]], Awaitable[bool]],
                  read_body: Callable[[Request], Awaitable[bytes | None]]) -> Route:
    """POST /zalo/webhook: verify the signature, store the event in the durable inbox (its message
    id is the duplicate check) and answer 200 at once (Zalo retries when it waits over 2 s); the
    inbox workers answer it. The body is counted while it streams in, before any verification."""

    async def webhook(request: Request) -> Response:
        zalo = config()
        if zalo is None:
            return PlainTextResponse("zalo channel not configured", status_code=404)
        body = await read_body(request)
        if body is None:
            return PlainTextResponse("payload too large", status_code=413)
        try:
            data = verify({k.lower(): v for k, v in request.headers.items()}, body,
                          zalo.app_id, zalo.oa_secret_key, zalo.max_age_seconds)
            event = to_event(data)
        except PermissionError as exc:
            log.warning("zalo webhook refused: %s", exc)
            return PlainTextResponse("forbidden", status_code=403)
        except (ValueError, TypeError, AttributeError, RecursionError):
            return PlainTextResponse("bad request", status_code=400)
        stored = handle_event(event) if event is not None else None
        if event is not None and stored is not None:
            await accept(CHANNEL, event.event_id, event.user_id, stored)
        return Response(status_code=200)

    return Route("/zalo/webhook", webhook, methods=["POST"])
