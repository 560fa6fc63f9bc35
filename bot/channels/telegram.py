"""Telegram channel (python-telegram-bot v22): translates updates to `Incoming`, renders `Reply`.

Dialogue state lives in our engine and store, not in PTB's ConversationHandler, so Telegram, Zalo
and the terminal behave alike. Commands, groups, edits and buttons are translated once, in
bot.channels.telegram_wire, for the webhook and for polling alike; the command menu is registered
with setMyCommands at start-up. Outgoing calls go through PTB's
AIORateLimiter (Telegram's global and per-chat limits); per-user flood protection is in the service.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)
from telegram.request import BaseRequest

from bot.channels.base import ConversationPort, incoming_of
from bot.channels.media import DEFAULT_MAX_BYTES
from bot.channels.render import choice_options, split_text
from bot.channels.telegram_wire import BotIdentity, update_event
from bot.engine import replies
from bot.engine.commands import COMMANDS
from bot.engine.types import Reply, split_payload
from bot.engine.display_name import button_label

log = logging.getLogger(__name__)
CHANNEL = "telegram"
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
SECRET_HEADER = "x-telegram-bot-api-secret-token"


def render_html(reply: Reply) -> list[str]:
    """Escape everything the engine wrote, bold the title line, split under Telegram's limit."""
    lines = reply.text.split("\n")
    first, rest = lines[0], lines[1:]
    body = "\n".join([f"<b>{html.escape(first)}</b>" if first.startswith(("📄", "ℹ️")) else html.escape(first)]
                     + [html.escape(line) for line in rest])
    return split_text(body, TEXT_LIMIT - 96)  # room for tags that a split could otherwise break


def _callback(data: str) -> str:
    """Callback data within Telegram's 64 bytes: a stamp that would not fit is left off."""
    return data if len(data.encode()) <= 64 else split_payload(data)[0][:64]


def keyboard(reply: Reply, username: str | None = None) -> InlineKeyboardMarkup | None:
    """One row per choice (labels cut at a word to fit a button), a private-chat link (deep link to
    this bot, its /start payload continuing the flow there), then the 👍/👎 row. Every payload
    carries the answer it belongs to (stamped by the service), so a press on an old message is seen."""
    rows = [[InlineKeyboardButton(button_label(label), callback_data=_callback(f"choice:{payload}"))]
            for label, payload in choice_options(reply)]
    for option in reply.options:
        if option.payload.startswith("private:") and username:
            link = f"https://t.me/{username}?start={option.payload.removeprefix('private:')}"
            rows.append([InlineKeyboardButton(button_label(option.label), url=link)])
    ratings = {split_payload(o.payload)[0]: o.payload for o in reply.options if o.payload.startswith("helpful:")}
    if ratings:
        rows.append([InlineKeyboardButton(replies.t(reply.language, "button_helpful"),
                                          callback_data=_callback(ratings.get("helpful:yes", "helpful:yes"))),
                     InlineKeyboardButton(replies.t(reply.language, "button_not_helpful"),
                                          callback_data=_callback(ratings.get("helpful:no", "helpful:no")))])
    return InlineKeyboardMarkup(rows) if rows else None


async def register_commands(bot: Any) -> None:
    """The command menu (setMyCommands), in Vietnamese, from the engine's list of commands."""
    await bot.set_my_commands([BotCommand(name, description[:256]) for name, description in COMMANDS.items()])


def identity(bot: Any) -> BotIdentity:
    """This bot's id (from the token, known before getMe) and username (once getMe has answered)."""
    try:
        return BotIdentity(bot.id, bot.username)
    except RuntimeError:  # not initialised yet (the Bot API unreachable so far): the token names the id
        head = str(bot.token).split(":", 1)[0]
        return BotIdentity(int(head) if head.isdigit() else None, None)


def _username(bot: Any) -> str | None:
    return identity(bot).username


async def send_reply(context: ContextTypes.DEFAULT_TYPE, chat_id: int | str, reply: Reply,
                     fallback: Callable[[str, str], None] | None = None) -> None:
    """Send; if Telegram fails (5xx, network, repeated 429 after the rate limiter's retries), hand
    the unsent text to `fallback` (the outbox), which retries with backoff: nothing is dropped."""
    parts = render_html(reply)
    markup = keyboard(reply, _username(context.bot))
    for i, part in enumerate(parts):
        try:
            await context.bot.send_message(chat_id=chat_id, text=part, parse_mode=ParseMode.HTML,
                                           disable_web_page_preview=True,
                                           reply_markup=markup if i == len(parts) - 1 else None)
        except (NetworkError, RetryAfter, TimedOut) as exc:
            if fallback is None:
                raise
            log.warning("telegram send failed (%s); queued for retry", type(exc).__name__)
            unsent = "\n".join(html.unescape(p.replace("<b>", "").replace("</b>", "")) for p in parts[i:])
            fallback(str(chat_id), unsent)
            return


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Process many updates at once, but the updates of one chat one after another, in arrival order.

    PTB's default is one update at a time (a slow answer holds up every other citizen), and its
    `concurrent_updates=True` lets a citizen's second message overtake the first. Updates wait on a
    per-chat FIFO lock; asyncio locks wake waiters in order, so arrival order is kept.
    """

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[chat.id] -= 1
            if not self._waiting[chat.id]:  # forget idle chats so the table does not grow
                del self._waiting[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class TelegramHandlers:
    """Polling mode (development): every update goes through the webhook's translation
    (bot.channels.telegram_wire) and the same `Incoming` as the inbox workers build; answered at once."""

    def __init__(self, service: ConversationPort, max_file_bytes: int = DEFAULT_MAX_BYTES):
        self.service = service
        self.max_file_bytes = max_file_bytes

    async def update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = update_event(update.to_dict(), identity(context.bot))
        if found is None:
            return
        _, _, event = found
        if update.callback_query is not None:
            await update.callback_query.answer()
        chat, user, kind = event["chat"], event["user"], event.get("kind")
        if event.get("replaces"):  # processed in order: the original has been answered already
            await context.bot.send_message(chat, replies.t("vi", "edit_answered"))
        elif kind == "rating":
            outcome = await self.service.rate_answer_async(CHANNEL, event["helpful"], user, event.get("answer"))
            if outcome == "unknown":
                await send_reply(context, chat, await asyncio.to_thread(self.service.stale_in, None, CHANNEL, user))
            else:
                await context.bot.send_message(chat, replies.t("vi", "rating_changed" if outcome == "changed" else "rated"))
        elif (incoming := incoming_of(CHANNEL, event, self.max_file_bytes)) is not None:
            reply = await self.service.respond_async(incoming)
            if reply is not None:
                key = f"telegram-reply:{update.update_id}"
                await send_reply(context, chat, reply,
                                 fallback=lambda chat_id, body: self.service.queue(CHANNEL, chat_id, body, key))
        elif kind == "non_text":
            await context.bot.send_message(chat, replies.t("vi", "non_text"))

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log without message content; tell the citizen politely when we know the chat."""
        log.error("telegram handler failed: %s", type(context.error).__name__, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            try:
                await context.bot.send_message(update.effective_chat.id, replies.t("vi", "error"))
            except Exception:  # noqa: BLE001 - the fallback itself may fail (network); nothing more to do
                log.warning("could not send the error fallback")


def build_application(
    token: str,
    service: ConversationPort,
    base_url: str | None = None,
    request: BaseRequest | None = None,
    with_updater: bool = False,
    max_rate: float = 30.0,
    concurrent_updates: int = 256,
    max_file_bytes: int = DEFAULT_MAX_BYTES,
) -> Application:
    """`max_rate`: overall messages/s to the Bot API (0: no limiter); `concurrent_updates`: updates
    in progress at once (waiting on the engine, the database or Telegram; one chat stays ordered)."""
    builder: ApplicationBuilder = Application.builder().token(token)
    builder = builder.concurrent_updates(ChatOrderedProcessor(concurrent_updates))
    if base_url:
        builder = builder.base_url(base_url.rstrip("/") + "/bot").base_file_url(base_url.rstrip("/") + "/file/bot")
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if not with_updater:
        builder = builder.updater(None)
    if max_rate > 0:
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=max_rate, max_retries=3))
    builder = builder.post_init(lambda application: register_commands(application.bot))  # run_polling calls it
    app = builder.build()
    handlers = TelegramHandlers(service, max_file_bytes)
    app.add_handler(TypeHandler(Update, handlers.update))
    app.add_error_handler(handlers.error)
    return app


class TelegramChannel:
    """Sends through the Bot API of a PTB application (outbox deliveries, staff replies)."""

    name = CHANNEL

    def __init__(self, application: Application):
        self.application = application

    async def send(self, chat_id: str, reply: Reply) -> None:
        parts, markup = render_html(reply), keyboard(reply, _username(self.application.bot))
        for i, part in enumerate(parts):
            await self.application.bot.send_message(chat_id=chat_id, text=part, parse_mode=ParseMode.HTML,
                                                    disable_web_page_preview=True,
                                                    reply_markup=markup if i == len(parts) - 1 else None)

    async def hold_reason(self, chat_id: str) -> str | None:
        return None  # a bot may write to its chats at any time


def webhook_route(application: Callable[[], Application | None], secret: Callable[[], str | None],
                  accept: Callable[[str, str, str, dict[str, Any]], Awaitable[bool]],
                  read_body: Callable[[Request], Awaitable[bytes | None]]) -> Route:
    """POST /telegram/webhook: check the secret token, then store the update in the durable inbox
    (its update or message id is the duplicate check; an edit may replace its unanswered message)
    and only then answer 200: an acknowledged update is
    always answered, by the inbox workers. Any body that is not an update is a 400. Getters, not
    values, so a test or the wiring may attach the application after the route is built."""

    async def webhook(request: Request) -> Response:
        app, expected = application(), secret()
        if app is None or not expected:
            return PlainTextResponse("telegram channel not configured", status_code=404)
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        body = await read_body(request)
        if body is None:
            return PlainTextResponse("payload too large", status_code=413)
        try:
            found = update_event(json.loads(body), identity(app.bot))
        except (ValueError, TypeError, KeyError, RecursionError):
            log.warning("malformed telegram update rejected")
            return PlainTextResponse("bad request", status_code=400)
        if found is not None:
            await accept(CHANNEL, *found)  # a redelivery is acknowledged without a second row
        return Response(status_code=200)

    return Route("/telegram/webhook", webhook, methods=["POST"])
