"""Workers that turn inbox rows (bot/app/inbox.py) into answers, one transaction per row.

For each row: run the turn (`ConversationService.respond_in`) and put every reply in the outbox,
in the transaction that marks the row done; after the commit the replies are delivered at once
(the outbox worker retries what fails). Several workers run side by side; the rows of one chat go
one at a time, and in this process a chat's replies are delivered before its next row is taken,
so a citizen reads answers in the order of the questions. A row that keeps failing is retried a
few times with backoff, then answered with an apology so the chat is never stuck behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.app import inbox
from bot.app.service import ConversationService
from bot.channels.base import incoming_of
from bot.channels.media import DEFAULT_MAX_BYTES
from bot.engine import replies
from bot.engine.types import ConversationState, Reply
from feedback import outbox

log = logging.getLogger(__name__)
Deliver = Callable[[list[int]], Awaitable[None]]
After = Callable[[str, dict[str, Any]], Awaitable[None]]


class _LostClaim(Exception):
    """Another worker finished this row first: roll this attempt's effects back."""


def _notice(key: str) -> Reply:
    return Reply(text=replies.t("vi", key), intent="chitchat", state=ConversationState())


def replies_for(service: ConversationService, session: Session, channel: str, event: dict[str, Any],
                received: float, max_file_bytes: int = DEFAULT_MAX_BYTES) -> list[Reply]:
    """What one event asks of the bot, as replies (effects go through `session`). Every message,
    command, button and photo/document (its caption as text) goes to the engine as an `Incoming`
    (bot.channels.base.incoming_of)."""
    kind, user = event.get("kind"), str(event.get("user", ""))
    if kind == "rating":
        answer = event.get("answer")
        outcome = service.rate_answer(channel, bool(event.get("helpful")), user, session=session,
                                      answer_id=int(answer) if answer is not None else None)
        if outcome == "unknown":  # a button of an answer no longer on record
            return [service.stale_in(session, channel, user)]
        return [_notice("rating_changed" if outcome == "changed" else "rated")]
    if kind == "edited":  # an edit of a message already answered (or being answered): a note, not a second answer
        return [_notice("edit_answered")]
    if (incoming := incoming_of(channel, event, max_file_bytes)) is not None:
        reply = service.respond_in(session, incoming, now=received)
        return [reply] if reply is not None else []
    if kind == "non_text":
        return [_notice("non_text")]
    if kind == "follow":
        return [_notice("greeting")]
    if kind == "unfollow":
        service.store.forget(channel, user, session=session)
    return []


def _options(reply: Reply) -> str | None:
    return json.dumps([[o.label, o.payload] for o in reply.options], ensure_ascii=False) if reply.options else None


class InboxWorker:
    def __init__(self, service: ConversationService, sessions: sessionmaker, deliver: Deliver,
                 workers: int | None = None, lease_seconds: float = 60.0, poll_seconds: float = 0.5,
                 after: After | None = None, max_file_bytes: int = DEFAULT_MAX_BYTES):
        self.service = service
        self.max_file_bytes = max_file_bytes
        self.sessions = sessions
        self.deliver = deliver
        self.workers = workers or max(4, 2 * service.concurrency)
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.after = after
        self._wake: asyncio.Event | None = None
        self._chat_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._waiting: dict[tuple[str, str], int] = {}

    def wake(self) -> None:
        """A new row was accepted: let an idle worker take it now rather than at the next poll."""
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Release claims a killed process left, then run the workers (cancel to stop)."""
        self._wake = asyncio.Event()
        released = await asyncio.to_thread(self._release)
        if released:
            log.warning("inbox: %d unfinished messages from before the restart are processed first", released)
        tasks = [asyncio.create_task(self._loop()) for _ in range(self.workers)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _release(self) -> int:
        with self.sessions() as session, session.begin():
            return inbox.release_claims(session)

    def _claim(self) -> list[inbox.Claimed]:
        with self.sessions() as session, session.begin():
            return inbox.claim(session, 1, self.lease_seconds)

    async def _loop(self) -> None:
        assert self._wake is not None
        while True:
            try:
                claimed = await asyncio.to_thread(self._claim)
            except Exception:  # noqa: BLE001 - database away: try again shortly
                log.exception("inbox claim failed")
                claimed = []
            if not claimed:
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                continue
            for row in claimed:
                await self.handle(row)

    async def handle(self, row: inbox.Claimed) -> None:
        key = (row.channel, row.chat_key)
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                loop = asyncio.get_running_loop()
                done = await loop.run_in_executor(self.service._pool, self.process, row)
                if done is not None:
                    ids, event = done
                    if self.after is not None:  # e.g. close a pressed button's spinner before the answer arrives
                        await self.after(row.channel, event)
                    if ids:
                        await self.deliver(ids)
        except Exception:  # noqa: BLE001 - delivery is retried by the outbox worker
            log.exception("inbox delivery step failed (channel=%s)", row.channel)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle chats so the table does not grow
                del self._waiting[key], self._chat_locks[key]

    def process(self, row: inbox.Claimed) -> tuple[list[int], dict[str, Any]] | None:
        """Run in a worker thread: the row's effects and its done mark, committed together."""
        opened = self.service.store.cipher.open(row.payload)
        event: dict[str, Any] = json.loads(opened) if opened else {}
        try:
            with self.sessions() as session, session.begin():
                found = (replies_for(self.service, session, row.channel, event, row.received_at.timestamp(),
                                     self.max_file_bytes) if event else [])
                ids = [self._enqueue(session, row, event, i, reply) for i, reply in enumerate(found)]
                if not inbox.finish(session, row):
                    raise _LostClaim()
            return ids, event
        except _LostClaim:
            return None
        except Exception:  # noqa: BLE001 - retried with backoff; logged without content
            log.exception("inbox message failed (channel=%s, attempt %d)", row.channel, row.attempts + 1)
        with self.sessions() as session, session.begin():
            if row.attempts + 1 < inbox.MAX_ATTEMPTS:
                inbox.retry_later(session, row)
                return None
            ids = [self._enqueue(session, row, event, 0, _notice("error"))] if event.get("chat") else []
            if not inbox.finish(session, row, status=inbox.FAILED):
                return None
        return ids, event

    @staticmethod
    def _enqueue(session: Session, row: inbox.Claimed, event: dict[str, Any], i: int, reply: Reply) -> int:
        message = outbox.enqueue(session, row.channel, str(event["chat"]), reply.text,
                                 key=f"inbox:{row.channel}:{row.id}:{i}", options=_options(reply))
        return message.id
