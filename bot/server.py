"""`tthc serve`: one Starlette application for the Telegram and Zalo webhooks and the health check.

PTB and Starlette share one event loop (PTB's custom-webhook pattern): the Telegram route checks
the secret token, claims the update id (a redelivery is acknowledged and skipped) and puts the
update on PTB's queue. The Zalo route verifies the signature, answers 200 at once and handles the
event in a background task. An outbox worker delivers queued messages (retries with backoff; Zalo
messages outside the 48-hour window are held, not dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy.orm import sessionmaker
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from telegram import Update
from telegram.ext import Application

from bot import replies
from bot.channels import zalo as zalo_channel
from bot.channels.telegram import render_html
from bot.hotswap import EngineHolder
from bot.service import ConversationService
from bot.store import EventLog
from bot.types import ConversationState, Incoming, Reply
from feedback import outbox
from feedback.web.app import WebConfig, create_staff_app

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000
TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token"


@dataclass
class ZaloConfig:
    client: zalo_channel.ZaloClient
    app_id: str
    oa_secret_key: str
    max_age_seconds: int = 900


@dataclass
class ServerParts:
    service: ConversationService
    sessions: sessionmaker
    telegram: Application | None = None
    telegram_secret: str | None = None
    zalo: ZaloConfig | None = None
    outbox_interval: float = 2.0
    holder: EngineHolder | None = None  # hot swap of the index (SIGHUP, file watch, admin page)
    outbox_claim_seconds: float = 120.0
    index_poll_seconds: float = 5.0
    background: set[asyncio.Task] = field(default_factory=set)


async def _body(request: Request) -> bytes | None:
    body = await request.body()
    return None if len(body) > MAX_BODY_BYTES else body


def telegram_route(parts: ServerParts):
    events = EventLog(parts.sessions)

    async def webhook(request: Request) -> Response:
        if parts.telegram is None or not parts.telegram_secret:
            return PlainTextResponse("telegram channel not configured", status_code=404)
        given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), parts.telegram_secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        body = await _body(request)
        if body is None:
            return PlainTextResponse("payload too large", status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, parts.telegram.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("malformed telegram update rejected")
            return PlainTextResponse("bad request", status_code=400)
        if update is None or not isinstance(data.get("update_id"), int):
            return PlainTextResponse("bad request", status_code=400)
        if not await asyncio.to_thread(events.claim, "telegram", str(update.update_id)):
            return Response(status_code=200)  # redelivery: already handled
        await parts.telegram.update_queue.put(update)
        return Response(status_code=200)

    return Route("/telegram/webhook", webhook, methods=["POST"])


async def handle_zalo_event(parts: ServerParts, event: zalo_channel.ZaloEvent) -> None:
    """After the 200: run the engine and reply; a failed send goes to the outbox for retry."""
    assert parts.zalo is not None
    if event.name == "unfollow":
        await asyncio.to_thread(parts.service.reset, "zalo", event.user_id)
        return
    if event.name == "follow":
        reply = Reply(text=replies.t("vi", "greeting"), intent="chitchat", state=ConversationState())
    elif event.name == "user_send_text" and event.text is not None:
        reply = await parts.service.respond_async(Incoming("zalo", event.user_id, event.text))
    elif event.name.startswith("user_send_"):
        reply = Reply(text=replies.t("vi", "non_text"), intent="chitchat", state=ConversationState())
    else:
        return
    if reply is None:
        return
    try:
        await parts.zalo.client.send_text(event.user_id, reply.text)
    except Exception as exc:  # noqa: BLE001 - network or API failure: keep the message for the worker
        log.warning("zalo send failed (%s); queued for retry", type(exc).__name__)
        with parts.sessions() as session, session.begin():
            outbox.enqueue(session, "zalo", event.user_id, reply.text, key=f"zalo-reply:{event.event_id}")


def zalo_route(parts: ServerParts):
    events = EventLog(parts.sessions)

    async def webhook(request: Request) -> Response:
        if parts.zalo is None:
            return PlainTextResponse("zalo channel not configured", status_code=404)
        body = await _body(request)
        if body is None:
            return PlainTextResponse("payload too large", status_code=413)
        try:
            data = zalo_channel.verify({k.lower(): v for k, v in request.headers.items()}, body,
                                       parts.zalo.app_id, parts.zalo.oa_secret_key, parts.zalo.max_age_seconds)
        except PermissionError as exc:
            log.warning("zalo webhook refused: %s", exc)
            return PlainTextResponse("forbidden", status_code=403)
        except ValueError:
            return PlainTextResponse("bad request", status_code=400)
        event = zalo_channel.to_event(data)
        if event is None:
            return Response(status_code=200)  # an event we do not act on
        if not await asyncio.to_thread(events.claim, "zalo", event.event_id):
            return Response(status_code=200)
        return Response(status_code=200, background=BackgroundTask(handle_zalo_event, parts, event))

    return Route("/zalo/webhook", webhook, methods=["POST"])


def health_route(parts: ServerParts):
    async def health(_: Request) -> Response:
        index = parts.service.engine.index
        return JSONResponse({
            "status": "ok",
            "index": {"version": index.version, "catalogue_hash": index.manifest["catalogue_hash"],
                      "procedures": index.manifest["procedures"], "embedder": index.manifest["embedder"]},
            "channels": [name for name, on in (("telegram", parts.telegram), ("zalo", parts.zalo)) if on],
            "result_cache": index.results.stats().as_dict() if index.results is not None else None,
            "embedding_cache": index.embedder.stats().as_dict() if hasattr(index.embedder, "stats") else None,
        })

    return Route("/health", health, methods=["GET"])


async def deliver_outbox_once(parts: ServerParts) -> int:
    """Deliver due outbox messages; returns how many were sent."""
    sent = 0
    for channel in ("telegram", "zalo"):
        if (channel == "telegram" and parts.telegram is None) or (channel == "zalo" and parts.zalo is None):
            continue
        with parts.sessions() as session, session.begin():
            outbox.release_stale_claims(session, parts.outbox_claim_seconds)
            batch = [(m.id, m.chat_id, m.text) for m in outbox.due(session, channel)]
        for message_id, chat_id, text in batch:
            with parts.sessions() as session, session.begin():
                if not outbox.claim(session, message_id):
                    continue  # another worker has it
            if channel == "zalo":
                last = await asyncio.to_thread(parts.service.store.last_user_message_at, "zalo", chat_id)
                last_ms = last.replace(tzinfo=dt.UTC).timestamp() * 1000 if last else None  # stored as naive UTC
                if not zalo_channel.window_open(last_ms, now=time.time()):
                    with parts.sessions() as session, session.begin():
                        outbox.hold(session, message_id, replies.t("vi", "window_closed"))
                    continue
            try:
                if channel == "telegram":
                    for part in render_html(Reply(text=text, intent="reply", state=None)):  # type: ignore[arg-type]
                        await parts.telegram.bot.send_message(chat_id=chat_id, text=part, parse_mode="HTML")
                else:
                    await parts.zalo.client.send_text(chat_id, text)
            except Exception as exc:  # noqa: BLE001 - retried with backoff, never dropped
                with parts.sessions() as session, session.begin():
                    outbox.mark_retry(session, message_id, type(exc).__name__)
                continue
            with parts.sessions() as session, session.begin():
                if outbox.mark_sent(session, message_id):
                    sent += 1
    return sent


async def _housekeeping(parts: ServerParts, every_seconds: float = 3600.0) -> None:
    """Delete expired conversation state: its context holds recent message text (privacy)."""
    while True:
        try:
            await asyncio.to_thread(parts.service.store.purge_expired)
        except Exception:  # noqa: BLE001 - retried next round
            log.exception("conversation purge failed")
        await asyncio.sleep(every_seconds)


async def _outbox_worker(parts: ServerParts) -> None:
    while True:
        try:
            await deliver_outbox_once(parts)
        except Exception:  # noqa: BLE001 - the worker must outlive one bad round
            log.exception("outbox round failed")
        await asyncio.sleep(parts.outbox_interval)


def create_app(parts: ServerParts, webhook_url: str | None = None, staff: WebConfig | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if parts.telegram is not None:
            await parts.telegram.initialize()
            if webhook_url:
                await parts.telegram.bot.set_webhook(url=webhook_url, secret_token=parts.telegram_secret,
                                                     allowed_updates=Update.ALL_TYPES)
            await parts.telegram.start()
        tasks = [asyncio.create_task(_outbox_worker(parts)), asyncio.create_task(_housekeeping(parts))]
        if parts.holder is not None:
            tasks.append(asyncio.create_task(parts.holder.watch(parts.index_poll_seconds)))
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not in the main thread
                asyncio.get_running_loop().add_signal_handler(
                    signal.SIGHUP, lambda: parts.background.add(asyncio.create_task(parts.holder.reload_async())))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if parts.telegram is not None:
                await parts.telegram.stop()
                await parts.telegram.shutdown()
            if parts.zalo is not None:
                await parts.zalo.client.aclose()

    routes = [telegram_route(parts), zalo_route(parts), health_route(parts)]
    if staff is not None:
        routes.append(Mount(staff.prefix, create_staff_app(parts.sessions, staff)))
    return Starlette(routes=routes, lifespan=lifespan)
