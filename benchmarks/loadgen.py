"""Load generator for `tthc serve`: Telegram-style webhook updates in, replies caught by a fake Bot API.

Each chat has at most one message in flight, like a person who waits for the answer; latency is
webhook POST → the `sendMessage` for that chat arriving at the fake Bot API (the whole path:
HTTP, secret check, de-duplication, PTB dispatch, state load, engine, state save, question log,
the outbound HTTP call). Two ways to drive it:

- closed loop (`saturate`): N chats in flight at all times; measures the sustained maximum.
- open loop (`offered`): messages arrive as a Poisson process at a fixed rate whatever the
  server does, so latency shows queueing honestly (a closed loop would slow down with the server).

Several webhook URLs are used round-robin per message (a load balancer in front of stateless
workers): a chat's next message may land on another worker, which must find its state in the DB.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# one sequence for every driver of a run: the server de-duplicates update ids, as Telegram expects
# Millisecond bases: a run sends far fewer than 1,000 messages a second, so runs against a kept
# database (a PostgreSQL URL) never reuse an update id (it would be skipped as a redelivery) nor a
# chat id (it would continue an old conversation).
UPDATE_IDS = itertools.count(int(time.time() * 1000))
CHAT_IDS = itertools.count(int(time.time() * 1000))


@dataclass
class Step:
    kind: str  # popular | distinct | follow_up | button | feedback
    text: str = ""
    callback: str = ""  # "helpful" or "choice": resolved against the last reply's buttons


@dataclass
class Chat:
    chat_id: int
    steps: deque[Step]
    last_buttons: list[str] = field(default_factory=list)


@dataclass
class Sample:
    kind: str
    latency_ms: float
    ok: bool


class FakeBotApi:
    """Answers Bot API calls like Telegram and hands each sendMessage to the driver."""

    def __init__(self) -> None:
        self.on_message: Callable[[int, dict], None] = lambda chat_id, params: None
        self.message_id = itertools.count(1000)
        self.calls: Counter[str] = Counter()
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self.handle, methods=["POST", "GET"])])

    async def handle(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        self.calls[method] += 1
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            params = json.loads(body or b"{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if method == "getMe":
            return JSONResponse({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "TTHC", "username": "tthc_bot"}})
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            self.on_message(chat_id, params)
            return JSONResponse({"ok": True, "result": {"message_id": next(self.message_id), "date": int(time.time()),
                                                        "chat": {"id": chat_id, "type": "private"}, "text": params.get("text", "")}})
        return JSONResponse({"ok": True, "result": True})


def buttons_of(params: dict) -> list[str]:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not markup:
        return []
    return [button.get("callback_data", "") for row in markup.get("inline_keyboard", []) for button in row]


class Driver:
    def __init__(self, webhook_urls: list[str], secret: str, api: FakeBotApi, new_session: Callable[[int], deque[Step]],
                 follow_ups: list[str], timeout: float = 30.0):
        self.urls = itertools.cycle(webhook_urls)
        self.secret = secret
        self.new_session = new_session
        self.follow_ups = follow_ups
        self.timeout = timeout
        self.update_id = UPDATE_IDS
        self.chat_ids = CHAT_IDS
        self.idle: deque[Chat] = deque()
        self.waiting: dict[int, tuple[asyncio.Future, dict]] = {}
        self.samples: list[Sample] = []
        self.unsolicited = 0
        self.client = httpx.AsyncClient(limits=httpx.Limits(max_connections=256, max_keepalive_connections=256),
                                        timeout=timeout)
        api.on_message = self._on_message

    def _on_message(self, chat_id: int, params: dict) -> None:
        entry = self.waiting.pop(chat_id, None)
        if entry is None or entry[0].done():
            self.unsolicited += 1  # e.g. the second part of a split answer
            return
        entry[0].set_result(params)

    def _chat(self) -> Chat:
        if self.idle:
            return self.idle.popleft()
        chat_id = next(self.chat_ids)
        return Chat(chat_id, self.new_session(chat_id))

    def _update(self, chat: Chat, step: Step) -> tuple[dict, str]:
        user = {"id": chat.chat_id, "is_bot": False, "first_name": "Dân"}
        now = int(time.time())
        message = {"message_id": next(self.update_id), "date": now, "chat": {"id": chat.chat_id, "type": "private"}, "from": user}
        if step.callback:
            wanted = [b for b in chat.last_buttons if b.startswith(f"{step.callback}:")]
            if wanted:
                data = random.choice(wanted) if step.callback == "helpful" else wanted[0]
                return {"update_id": next(self.update_id), "callback_query": {
                    "id": str(next(self.update_id)), "from": user, "chat_instance": str(chat.chat_id), "data": data,
                    "message": {**message, "text": "…"}}}, "button"
            step = Step("follow_up", random.choice(self.follow_ups))  # no such button on the last answer
        return {"update_id": next(self.update_id), "message": {**message, "text": step.text}}, step.kind

    async def turn(self, chat: Chat) -> None:
        step = chat.steps.popleft()
        update, kind = self._update(chat, step)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.waiting[chat.chat_id] = (future, update)
        started = time.perf_counter()
        ok = False
        try:
            response = await self.client.post(next(self.urls), json=update, headers={SECRET_HEADER: self.secret})
            if response.status_code == 200:
                params = await asyncio.wait_for(future, self.timeout)
                chat.last_buttons = buttons_of(params)
                ok = True
        except (TimeoutError, httpx.HTTPError):
            pass
        finally:
            self.waiting.pop(chat.chat_id, None)
        self.samples.append(Sample(kind, 1000 * (time.perf_counter() - started), ok))
        if chat.steps and ok:
            self.idle.append(chat)

    async def saturate(self, in_flight: int, seconds: float) -> float:
        """Closed loop; returns the wall time used."""
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def worker() -> None:
            while time.perf_counter() < deadline:
                await self.turn(self._chat())

        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return time.perf_counter() - started

    async def offered(self, rate: float, seconds: float) -> float:
        """Open loop at `rate` messages/s (Poisson arrivals); waits for the last replies."""
        started = time.perf_counter()
        tasks: set[asyncio.Task] = set()
        next_at = started
        while next_at < started + seconds:
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.turn(self._chat()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            next_at += random.expovariate(rate)
        if tasks:
            await asyncio.wait(tasks, timeout=self.timeout + 5)
        return time.perf_counter() - started

    async def aclose(self) -> None:
        await self.client.aclose()


async def serve_fake_api(api: FakeBotApi, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(api.app, host="127.0.0.1", port=port, log_level="error", access_log=False,
                                           lifespan="off"))
    asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    return server
