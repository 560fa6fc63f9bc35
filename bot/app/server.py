"""The server assembly for `tthc serve`: one Starlette app for the channels' webhooks, the health
check, the staff pages and the background workers.

PTB and Starlette share one event loop (PTB's custom-webhook pattern). Each channel brings its own
webhook route (bot/channels/); this module gives them the event log that makes redeliveries
harmless, runs the outbox worker that delivers queued messages through the `Channel` Protocol
(retries with backoff; messages a channel cannot deliver now are held, not dropped), the hot-swap
watcher and the hourly purge of expired conversation state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy.orm import sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from telegram import Update
from telegram.ext import Application

from bot.app.conversations import EventLog
from bot.app.hotswap import EngineHolder
from bot.app.service import ConversationService
from bot.channels import telegram as telegram_channel
from bot.channels import zalo as zalo_channel
from bot.channels.base import Channel
from bot.channels.zalo import ZaloConfig
from bot.engine.types import Reply
from feedback import outbox
from feedback.web.app import WebConfig, create_staff_app

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000
__all__ = ["ServerParts", "ZaloConfig", "create_app", "deliver_outbox_once"]


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

    def channels(self) -> list[Channel]:
        """The configured channels, as the outbox worker sees them."""
        found: list[Channel] = []
        if self.telegram is not None:
            found.append(telegram_channel.TelegramChannel(self.telegram))
        if self.zalo is not None:
            found.append(zalo_channel.ZaloChannel(self.zalo.client, lambda chat_id: self.service.store.last_user_message_at(
                zalo_channel.CHANNEL, chat_id)))
        return found


async def _body(request: Request) -> bytes | None:
    body = await request.body()
    return None if len(body) > MAX_BODY_BYTES else body


def channel_routes(parts: ServerParts) -> list[Route]:
    events = EventLog(parts.sessions)
    return [
        telegram_channel.webhook_route(lambda: parts.telegram, lambda: parts.telegram_secret, events.claim, _body),
        zalo_channel.webhook_route(lambda: parts.zalo, lambda: parts.service, events.claim, _body),
    ]


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
    """Deliver due outbox messages through their channels; returns how many were sent."""
    sent = 0
    for channel in parts.channels():
        with parts.sessions() as session, session.begin():
            outbox.release_stale_claims(session, parts.outbox_claim_seconds)
            batch = [(m.id, m.chat_id, m.text) for m in outbox.due(session, channel.name)]
        for message_id, chat_id, text in batch:
            with parts.sessions() as session, session.begin():
                if not outbox.claim(session, message_id):
                    continue  # another worker has it
            reason = await channel.hold_reason(chat_id)
            if reason is not None:
                with parts.sessions() as session, session.begin():
                    outbox.hold(session, message_id, reason)
                continue
            try:
                await channel.send(chat_id, Reply(text=text, intent="reply", state=None))  # type: ignore[arg-type]
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

    routes = [*channel_routes(parts), health_route(parts)]
    if staff is not None:
        routes.append(Mount(staff.prefix, create_staff_app(parts.sessions, staff)))
    return Starlette(routes=routes, lifespan=lifespan)
