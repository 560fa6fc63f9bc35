"""The server assembly for `tthc serve`: one Starlette app for the channels' webhooks, the health
check, the staff pages and the background workers.

Each channel brings its own webhook route (bot/channels/); this module gives them the durable
inbox (a webhook's event is stored, with its id as the duplicate check, before the 200), runs the
inbox workers that answer stored events, the outbox worker that delivers queued messages through
the `Channel` Protocol (retries with backoff; messages a channel cannot deliver now are held, not
dropped), the hot-swap watcher and the hourly purge of expired state and old event ids. Request
bodies are counted while they stream in. The Telegram Bot API is reached in the background: the
server starts and takes webhooks even while Telegram is unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from telegram import Update
from telegram.ext import Application

from bot.app import inbox, logsafe
from bot.app.attachment_fetch import AttachmentFetcher
from bot.app.hotswap import EngineHolder
from bot.app.inbox_worker import InboxWorker
from bot.app.service import ConversationService
from bot.channels import telegram as telegram_channel
from bot.channels import zalo as zalo_channel
from bot.channels.base import Channel, Undeliverable
from bot.channels.zalo import ZaloConfig
from bot.engine.types import Option, Reply
from feedback import outbox
from feedback.attachment_files import DEFAULT_MAX_BYTES
from feedback.db import utcnow
from feedback.web.app import WebConfig, create_staff_app

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000
FRESH_SECONDS = 5.0  # a new outbox row is the inbox worker's to deliver; the outbox worker takes it after this
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
    inbox_workers: int | None = None  # default: twice the answering threads
    telegram_ready: bool = False  # set once getMe (and setWebhook) succeeded
    background: set[asyncio.Task] = field(default_factory=set)
    worker: InboxWorker | None = None
    # files citizens attach to reports: where they are stored (None: not fetched), the size limit
    attachment_dir: Path | None = None
    attachment_max_bytes: int = DEFAULT_MAX_BYTES
    attachment_poll_seconds: float = 5.0

    def channels(self) -> list[Channel]:
        """The configured channels, as the outbox worker sees them."""
        found: list[Channel] = []
        if self.telegram is not None:
            found.append(telegram_channel.TelegramChannel(self.telegram))
        if self.zalo is not None:
            found.append(zalo_channel.ZaloChannel(self.zalo.client, lambda chat_id: self.service.store.last_user_message_at(
                zalo_channel.CHANNEL, chat_id)))
        return found

    def inbox_worker(self) -> InboxWorker:
        if self.worker is None:
            self.worker = InboxWorker(self.service, self.sessions, lambda ids: deliver_messages(self, ids),
                                      workers=self.inbox_workers, after=self._after,
                                      max_file_bytes=self.attachment_max_bytes)
        return self.worker

    async def _after(self, channel: str, event: dict[str, Any]) -> None:
        """Close the spinner of a pressed Telegram button (best effort: it is only a UI hint)."""
        if channel == telegram_channel.CHANNEL and event.get("callback_id") and self.telegram is not None and self.telegram_ready:
            with contextlib.suppress(Exception):
                await self.telegram.bot.answer_callback_query(event["callback_id"])


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The body, or None as soon as it is known to exceed `limit` (declared or counted while
    streamed): nothing beyond the limit is read into memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def channel_routes(parts: ServerParts) -> list[Route]:
    async def accept(channel: str, event_id: str, chat_key: str, event: dict[str, Any]) -> bool:
        seal = parts.service.store.cipher.seal
        original = event.pop("replaces", None)  # an edited message (bot.channels.telegram_wire)
        payload = seal(json.dumps(event, ensure_ascii=False))

        def write() -> bool:
            with parts.sessions() as session, session.begin():
                if original is None:
                    return inbox.accept(session, channel, event_id, chat_key, payload)
                outcome = inbox.replace_pending(session, channel, original, payload)
                if outcome == "replaced":  # the edit is answered in the original's place
                    return False
                if outcome == "answered":  # at most one short note per edited message
                    note = seal(json.dumps({"user": event["user"], "chat": event["chat"], "kind": "edited"}))
                    return inbox.accept(session, channel, event_id, chat_key, note)
                return inbox.accept(session, channel, original, chat_key, payload)  # never seen: a new message

        new = await asyncio.to_thread(write)
        if new:
            parts.inbox_worker().wake()
        return new

    return [
        telegram_channel.webhook_route(lambda: parts.telegram, lambda: parts.telegram_secret, accept, read_limited),
        zalo_channel.webhook_route(lambda: parts.zalo, lambda: parts.service, accept, read_limited),
    ]


def health_route(parts: ServerParts):
    async def health(_: Request) -> Response:
        index = parts.service.engine.index
        return JSONResponse({
            "status": "ok",
            "index": {"version": index.version, "catalogue_hash": index.manifest["catalogue_hash"],
                      "procedures": index.manifest["procedures"], "embedder": index.manifest["embedder"]},
            "channels": [name for name, on in (("telegram", parts.telegram), ("zalo", parts.zalo)) if on],
            "telegram_ready": parts.telegram_ready if parts.telegram is not None else None,
            "result_cache": index.results.stats().as_dict() if index.results is not None else None,
            "embedding_cache": index.embedder.stats().as_dict() if hasattr(index.embedder, "stats") else None,
        })

    return Route("/health", health, methods=["GET"])


def _ready(parts: ServerParts, channel: Channel) -> bool:
    return channel.name != telegram_channel.CHANNEL or parts.telegram_ready


def _write(parts: ServerParts, work) -> Any:
    with parts.sessions() as session, session.begin():
        return work(session)


async def _deliver_one(parts: ServerParts, channel: Channel, message_id: int, chat_id: str, text: str,
                       options: str | None) -> bool:
    if not await asyncio.to_thread(_write, parts, lambda s: outbox.claim(s, message_id)):
        return False  # another worker has it
    reason = await channel.hold_reason(chat_id)
    if reason is not None:
        await asyncio.to_thread(_write, parts, lambda s: outbox.hold(s, message_id, reason))
        return False
    buttons = tuple(Option(label=label, payload=payload) for label, payload in json.loads(options)) if options else ()
    try:
        await channel.send(chat_id, Reply(text=text, intent="reply", state=None, options=buttons))  # type: ignore[arg-type]
    except Undeliverable as refused:  # the platform says it cannot be sent now: held with the reason
        why = refused.reason
        await asyncio.to_thread(_write, parts, lambda s: outbox.hold(s, message_id, why))
        return False
    except Exception as exc:  # noqa: BLE001 - retried with backoff, never dropped
        failure = type(exc).__name__
        await asyncio.to_thread(_write, parts, lambda s: outbox.mark_retry(s, message_id, failure))
        return False
    return await asyncio.to_thread(_write, parts, lambda s: outbox.mark_sent(s, message_id))


async def deliver_messages(parts: ServerParts, ids: list[int]) -> None:
    """Deliver these outbox rows now, in order (the inbox worker's replies, right after their commit)."""
    channels = {c.name: c for c in parts.channels() if _ready(parts, c)}

    def load(session) -> list[tuple]:
        rows = session.query(outbox.OutboxMessage).filter(outbox.OutboxMessage.id.in_(ids)).order_by(outbox.OutboxMessage.id)
        return [(m.id, m.channel, m.chat_id, m.text, m.options) for m in rows]

    for message_id, name, chat_id, text, options in await asyncio.to_thread(_write, parts, load):
        if name in channels:
            await _deliver_one(parts, channels[name], message_id, chat_id, text, options)


async def deliver_outbox_once(parts: ServerParts) -> int:
    """Deliver due outbox messages through their channels; returns how many were sent."""
    sent = 0
    fresh = utcnow() - dt.timedelta(seconds=FRESH_SECONDS)
    for channel in parts.channels():
        if not _ready(parts, channel):
            continue

        def due(session, name=channel.name) -> list[tuple]:
            outbox.release_stale_claims(session, parts.outbox_claim_seconds)
            return [(m.id, m.chat_id, m.text, m.options) for m in outbox.due(session, name)
                    if m.attempts or m.created_at < fresh or not m.idempotency_key.startswith("inbox:")]

        for message_id, chat_id, text, options in await asyncio.to_thread(_write, parts, due):
            sent += await _deliver_one(parts, channel, message_id, chat_id, text, options)
    return sent


def _purge(parts: ServerParts) -> None:
    parts.service.store.purge_expired()  # expired state and old processed-event ids
    with parts.sessions() as session, session.begin():
        inbox.purge(session)


async def _housekeeping(parts: ServerParts, every_seconds: float = 3600.0) -> None:
    """Delete expired conversation state (it holds recent message text), processed event ids and
    finished inbox rows past their retention."""
    while True:
        try:
            await asyncio.to_thread(_purge, parts)
        except Exception:  # noqa: BLE001 - retried next round
            log.exception("housekeeping purge failed")
        await asyncio.sleep(every_seconds)


async def _outbox_worker(parts: ServerParts) -> None:
    """Deliver what is due, every `outbox_interval`. At start-up, claims left by a killed process
    are released at once (one server per database): a message whose send was in flight may go
    out twice, rather than wait `outbox_claim_seconds` for the citizen to see it."""
    try:
        await asyncio.to_thread(_write, parts, lambda s: outbox.release_stale_claims(s, 0))
    except Exception:  # noqa: BLE001 - the periodic release takes over
        log.exception("outbox start-up release failed")
    while True:
        try:
            await deliver_outbox_once(parts)
        except Exception:  # noqa: BLE001 - the worker must outlive one bad round
            log.exception("outbox round failed")
        await asyncio.sleep(parts.outbox_interval)


async def _telegram_connect(parts: ServerParts, webhook_url: str | None, max_wait: float = 60.0) -> None:
    """getMe, setMyCommands and setWebhook, retried with backoff while the Bot API is unreachable."""
    assert parts.telegram is not None
    wait = 1.0
    while True:
        try:
            await parts.telegram.initialize()
            await telegram_channel.register_commands(parts.telegram.bot)
            if webhook_url:
                await parts.telegram.bot.set_webhook(url=webhook_url, secret_token=parts.telegram_secret,
                                                     allowed_updates=Update.ALL_TYPES)
            parts.telegram_ready = True
            return
        except Exception as exc:  # noqa: BLE001 - keep serving webhooks; replies wait in the outbox
            log.warning("Telegram Bot API unreachable (%s); retrying in %.0f s", type(exc).__name__, wait)
            await asyncio.sleep(wait)
            wait = min(max_wait, wait * 2)


def create_app(parts: ServerParts, webhook_url: str | None = None, staff: WebConfig | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        logsafe.protect_all()  # uvicorn has configured its handlers by now
        tasks = [asyncio.create_task(parts.inbox_worker().run()), asyncio.create_task(_outbox_worker(parts)),
                 asyncio.create_task(_housekeeping(parts))]
        if parts.telegram is not None:
            tasks.append(asyncio.create_task(_telegram_connect(parts, webhook_url)))
        if parts.attachment_dir is not None:
            fetcher = AttachmentFetcher(parts.sessions, parts.attachment_dir, parts.attachment_max_bytes,
                                        telegram=lambda: parts.telegram)
            tasks.append(asyncio.create_task(fetcher.run(parts.attachment_poll_seconds)))
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
            if parts.telegram is not None and parts.telegram_ready:
                with contextlib.suppress(Exception):
                    await parts.telegram.shutdown()
            if parts.zalo is not None:
                await parts.zalo.client.aclose()

    routes = [*channel_routes(parts), health_route(parts)]
    if staff is not None:
        routes.append(Mount(staff.prefix, create_staff_app(parts.sessions, staff)))
    return Starlette(routes=routes, lifespan=lifespan)
