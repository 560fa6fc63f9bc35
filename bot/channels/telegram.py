"""Telegram channel (python-telegram-bot v22): translates updates to `Incoming`, renders `Reply`.

Dialogue state lives in our engine and store, not in PTB's ConversationHandler, so Telegram, Zalo
and the terminal behave alike. Handlers: /start, /help, /phananh, /tracuu, text, callback queries
(clarifying choices and 👍/👎), and an error handler. Outgoing calls go through PTB's
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
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.channels.base import ConversationPort
from bot.channels.edge import clean_text
from bot.channels.media import DEFAULT_MAX_BYTES, telegram_files, with_refusals
from bot.channels.render import choice_options, split_text
from bot.engine import replies
from bot.engine.types import Incoming, Reply
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


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """One row per choice (labels cut at a word to fit a button), then the 👍/👎 row."""
    rows = [[InlineKeyboardButton(button_label(label), callback_data=f"choice:{payload}")]
            for label, payload in choice_options(reply)]
    if any(o.payload.startswith("helpful:") for o in reply.options):
        rows.append([InlineKeyboardButton(replies.t(reply.language, "button_helpful"), callback_data="helpful:yes"),
                     InlineKeyboardButton(replies.t(reply.language, "button_not_helpful"), callback_data="helpful:no")])
    return InlineKeyboardMarkup(rows) if rows else None


async def send_reply(context: ContextTypes.DEFAULT_TYPE, chat_id: int | str, reply: Reply,
                     fallback: Callable[[str, str], None] | None = None) -> None:
    """Send; if Telegram fails (5xx, network, repeated 429 after the rate limiter's retries), hand
    the unsent text to `fallback` (the outbox), which retries with backoff: nothing is dropped."""
    parts = render_html(reply)
    markup = keyboard(reply)
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
    def __init__(self, service: ConversationPort, max_file_bytes: int = DEFAULT_MAX_BYTES):
        self.service = service
        self.max_file_bytes = max_file_bytes

    async def _answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, choice: str | None = None,
                      files: tuple[dict[str, Any], ...] = ()) -> None:
        chat = update.effective_chat
        user = update.effective_user
        if chat is None:
            return
        incoming = Incoming(CHANNEL, str(user.id if user else chat.id), text, choice=choice, attachments=files)
        reply = await self.service.respond_async(incoming)
        if reply is not None:
            key = f"telegram-reply:{update.update_id}"
            await send_reply(context, chat.id, reply,
                             fallback=lambda chat_id, body: self.service.queue(CHANNEL, chat_id, body, key))

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: greeting and what the bot can do."""
        if update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, replies.t("vi", "greeting"))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, replies.t("vi", "help"))

    async def feedback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/phananh: start a feedback report."""
        if update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, replies.t("vi", "feedback_start"))

    async def lookup(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/tracuu CODE: look up a feedback reference (or explain how)."""
        if not context.args:
            if update.effective_chat:
                await context.bot.send_message(update.effective_chat.id, replies.t("vi", "lookup_prompt"))
            return
        await self._answer(update, context, f"tra cứu mã {' '.join(context.args)[:40]} đến đâu rồi")

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_message.text:
            await self._answer(update, context, update.effective_message.text)

    async def non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and (files := telegram_files(message.to_dict())):
            await self._answer(update, context, clean_text(message.caption or ""),
                               files=with_refusals(files, self.max_file_bytes))
            return
        if update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, replies.t("vi", "non_text"))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        data = query.data or ""
        if data.startswith("helpful:"):
            user = update.effective_user
            await self.service.rate_answer_async(CHANNEL, data == "helpful:yes", str(user.id) if user else None)
            if update.effective_chat:
                await context.bot.send_message(update.effective_chat.id, replies.t("vi", "rated"))
        elif data.startswith("choice:"):
            await self._answer(update, context, data.split(":", 1)[1], choice=data.split(":", 1)[1])

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
    app = builder.build()
    handlers = TelegramHandlers(service, max_file_bytes)
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help))
    app.add_handler(CommandHandler("phananh", handlers.feedback))
    app.add_handler(CommandHandler("tracuu", handlers.lookup))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.text))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL, handlers.non_text))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_error_handler(handlers.error)
    return app


class TelegramChannel:
    """Sends through the Bot API of a PTB application (outbox deliveries, staff replies)."""

    name = CHANNEL

    def __init__(self, application: Application):
        self.application = application

    async def send(self, chat_id: str, reply: Reply) -> None:
        parts, markup = render_html(reply), keyboard(reply)
        for i, part in enumerate(parts):
            await self.application.bot.send_message(chat_id=chat_id, text=part, parse_mode=ParseMode.HTML,
                                                    disable_web_page_preview=True,
                                                    reply_markup=markup if i == len(parts) - 1 else None)

    async def hold_reason(self, chat_id: str) -> str | None:
        return None  # a bot may write to its chats at any time


_NON_TEXT = {"photo", "sticker", "document", "voice", "video", "audio", "animation", "location", "contact",
             "video_note", "poll", "dice", "venue", "story"}


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("an id must be an integer")
    return str(value)


def update_event(data: Any) -> tuple[str, str, dict[str, Any]] | None:
    """(update id, whose conversation, event) of a webhook update; None for an update the bot
    does not act on. Raises ValueError for a body that is not an update. Only what the bot needs
    is kept: who, which chat, the cleaned text or command, the button pressed."""
    if not isinstance(data, dict):
        raise ValueError("an update is a JSON object")
    update_id = _id(data.get("update_id"))
    query, message = data.get("callback_query"), data.get("message")
    if isinstance(query, dict):
        sender = query.get("from") if isinstance(query.get("from"), dict) else {}
        chat = ((query.get("message") or {}).get("chat") or {}) if isinstance(query.get("message"), dict) else {}
        user = _id(sender.get("id"))
        payload = clean_text(str(query.get("data") or ""), 256)
        event: dict[str, Any] = {"user": user, "chat": _id(chat["id"]) if isinstance(chat, dict) and "id" in chat else user,
                                 "callback_id": str(query.get("id", ""))[:100]}
        if payload.startswith("helpful:"):
            return update_id, user, {**event, "kind": "rating", "helpful": payload == "helpful:yes"}
        if payload.startswith("choice:"):
            return update_id, user, {**event, "kind": "choice", "text": payload.split(":", 1)[1]}
        return update_id, user, {**event, "kind": "ignored"}
    if not isinstance(message, dict):
        return None
    chat = message.get("chat")
    if not isinstance(chat, dict):
        raise ValueError("a message has a chat")
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat_id = _id(chat.get("id"))
    user = _id(sender["id"]) if "id" in sender else chat_id
    event = {"user": user, "chat": chat_id}
    text = message.get("text")
    if isinstance(text, str):
        text = clean_text(text)
        entities = message.get("entities") if isinstance(message.get("entities"), list) else []
        command = next((e for e in entities if isinstance(e, dict) and e.get("type") == "bot_command"
                        and e.get("offset") == 0 and isinstance(e.get("length"), int)), None)
        if command is not None and text.startswith("/"):
            name = text[1:command["length"]].split("@")[0].lower()
            return update_id, user, {**event, "kind": "command", "name": name, "args": text[command["length"]:].strip()[:200]}
        return update_id, user, {**event, "kind": "text", "text": text}
    if files := telegram_files(message):  # a photo or document; its caption is read as any text
        caption = message.get("caption")
        return update_id, user, {**event, "kind": "attachment", "files": files,
                                 "text": clean_text(caption) if isinstance(caption, str) else ""}
    if _NON_TEXT & message.keys():
        return update_id, user, {**event, "kind": "non_text"}
    return None


def webhook_route(application: Callable[[], Application | None], secret: Callable[[], str | None],
                  accept: Callable[[str, str, str, dict[str, Any]], Awaitable[bool]],
                  read_body: Callable[[Request], Awaitable[bytes | None]]) -> Route:
    """POST /telegram/webhook: check the secret token, then store the update in the durable inbox
    (its update id is the duplicate check) and only then answer 200: an acknowledged update is
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
            found = update_event(json.loads(body))
        except (ValueError, TypeError, KeyError, RecursionError):
            log.warning("malformed telegram update rejected")
            return PlainTextResponse("bad request", status_code=400)
        if found is not None:
            await accept(CHANNEL, *found)  # a redelivery is acknowledged without a second row
        return Response(status_code=200)

    return Route("/telegram/webhook", webhook, methods=["POST"])
