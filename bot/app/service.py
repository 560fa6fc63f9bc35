"""The conversation service every channel calls: load state, run the engine, save state.

The engine is synchronous and CPU-bound (one embedding per message), so async channels call
`respond_async`, which runs it on the service's own thread pool: as many threads as messages
worth answering at once (default: one per core; the embedder releases the GIL, so answers run
in parallel without oversubscribing the CPU). A per-user lock keeps two quick messages from the
same person from racing on their state. Flood protection lives here too, so every channel gets it.

`respond_in` is the same turn inside a caller's transaction: the inbox worker passes the session
in which it also marks the message done and queues the reply (bot/app/inbox_worker.py). Text is
cleaned at the edge here too (NUL, lone surrogates), for channels that do not clean it themselves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from bot.engine import commands, replies
from bot.engine.turn import Engine, handle_safely
from bot.app.conversations import ConversationStore
from bot.engine.types import ConversationState, Incoming, Reply, stamp_payload
from bot.app.feedback_port import bound_session
from bot.app.logsafe import redact
from bot.channels.edge import clean_text
from feedback import outbox, usage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FloodPolicy:
    messages: int = 8  # at most this many messages …
    seconds: float = 10.0  # … per this many seconds per user


class FloodGuard:
    """Sliding-window limit per (channel, user); the first refused message gets one polite notice."""

    def __init__(self, policy: FloodPolicy = FloodPolicy()):
        self.policy = policy
        self._times: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def check(self, key: tuple[str, str], now: float | None = None) -> str:
        """"ok", "warn" (refuse and tell once) or "drop" (refuse silently)."""
        now = now if now is not None else time.monotonic()
        with self._lock:
            times = self._times[key]
            while times and now - times[0] > self.policy.seconds:
                times.popleft()
            if len(times) < self.policy.messages:
                times.append(now)
                self._warned.discard(key)
                return "ok"
            if key in self._warned:
                return "drop"
            self._warned.add(key)
            return "warn"


class ConversationService:
    def __init__(self, engine: Engine, store: ConversationStore, flood: FloodGuard | None = None,
                 concurrency: int | None = None):
        self.engine = engine
        self.concurrency = concurrency or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="answer")
        self.store = store
        self.flood = flood or FloodGuard()
        self._locks: dict[tuple[str, str], threading.Lock] = defaultdict(threading.Lock)

    def respond_in(self, session: Session, incoming: Incoming, now: float | None = None) -> Reply | None:
        """One turn within `session`'s transaction: state, question log and any feedback record are
        written there and committed (or rolled back) by the caller. `now` is when the message was
        received (epoch seconds), so a backlog processed after a restart is not taken for a flood."""
        incoming = _cleaned(incoming)
        key = (incoming.channel, incoming.user_id)
        verdict = self.flood.check(key, now)
        if verdict != "ok":
            if verdict == "drop":
                return None
            state = self.store.load_in(session, *key)
            return Reply(text=replies.t(state.language, "flood"), intent="chitchat", state=state)
        with self._locks[key]:
            state = self.store.load_in(session, *key)
            with bound_session(session):
                reply = handle_safely(self.engine, incoming, state)
            logged: list[int | None] = []
            self.store.save_in(session, *key, reply.state, also=lambda s: self._log_question(s, incoming, reply, logged))
            return stamped(reply, logged[0] if logged else None)

    def respond(self, incoming: Incoming) -> Reply | None:
        """The reply to send, or None when flood protection drops the message silently."""
        incoming = _cleaned(incoming)
        key = (incoming.channel, incoming.user_id)
        verdict = self.flood.check(key)
        if verdict != "ok":
            if verdict == "drop":
                return None
            state = self.store.load(*key)
            return Reply(text=replies.t(state.language, "flood"), intent="chitchat", state=state)
        engine = self.engine  # one engine for the whole request, even if a hot swap happens meanwhile
        with self._locks[key]:
            state = self.store.load(*key)
            reply = handle_safely(engine, incoming, state)
            logged: list[int | None] = []
            try:
                self.store.save(*key, reply.state, also=lambda session: self._log_question(session, incoming, reply, logged))
            except Exception:  # noqa: BLE001 - a storage hiccup must not cost the citizen the answer
                log.exception("could not save conversation state (channel=%s)", incoming.channel)
            return stamped(reply, logged[0] if logged else None)

    @staticmethod
    def _log_question(session: Session, incoming: Incoming, reply: Reply, logged: list[int | None]) -> ConversationState:
        """Usage statistics: text only for information requests, redacted; no user id. Returns the
        state to store, pointing at the new row (for a later 👍/👎); the row id goes into `logged`.

        "Không phải" to what was offered asks nothing new: logged as a question, its own words sat in
        the staff's learning queue as a declined question ("không phải") while the question it
        turned down looked handled. That question is marked unanswered instead, and no row is added."""
        if reply.rejects_offer:
            usage.mark_unanswered(session, reply.state.answered_question)
            logged.append(None)
            return reply.state
        informative = reply.intent in ("procedure", "faq", "out_of_scope") and not reply.state.flow
        row_id = usage.log_question(
            session, channel=incoming.channel, text=redact(incoming.text[:2000]) if informative else "",
            intent=reply.intent, decision=reply.decision, confidence=reply.confidence,
            procedure_code=reply.procedures[0] if reply.procedures and reply.intent == "procedure" else None)
        logged.append(row_id)
        return reply.state.evolve(answered_question=row_id)

    async def respond_async(self, incoming: Incoming) -> Reply | None:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.respond, incoming)

    def rate_answer(self, channel: str, helpful: bool, user_id: str | None = None, session: Session | None = None,
                    answer_id: int | None = None) -> str:
        """👍/👎 on an answer: a satisfaction rating (5 or 1) and a mark on the question it answered
        (unhelpful answers show up in the catalogue-gap report). The button names the answer
        (`answer_id`; an old button without one rates the latest answer); one rating per answer and
        person, changeable. Returns "new", "changed", "same", or "unknown" for a stale button."""
        if session is None:
            with self.store.sessions() as own, own.begin():
                return self.rate_answer(channel, helpful, user_id, own, answer_id)
        if answer_id is None:
            answer_id = self.store.load_in(session, channel, user_id).answered_question if user_id else None
        rater = self.store.cipher.tag(f"{channel}:{user_id}") if user_id else None
        return usage.rate_answer(session, channel=channel, helpful=helpful, question_id=answer_id, rater=rater)

    async def rate_answer_async(self, channel: str, helpful: bool, user_id: str | None = None,
                                answer_id: int | None = None) -> str:
        return await asyncio.to_thread(self.rate_answer, channel, helpful, user_id, None, answer_id)

    def stale_in(self, session: Session | None, channel: str, user_id: str) -> Reply:
        """"This choice has expired" with the current choices, for a button that names no answer."""
        state = self.store.load_in(session, channel, user_id) if session is not None else self.store.load(channel, user_id)
        reply = commands.stale_reply(self.engine, state, time.time())
        return stamped(reply, state.answered_question)

    def queue(self, channel: str, chat_id: str, text: str, key: str) -> None:
        """Put an unsent reply in the outbox (delivered with retries by the server's worker)."""
        with self.store.sessions() as session, session.begin():
            outbox.enqueue(session, channel, chat_id, text, key=key)

    def reset(self, channel: str, user_id: str) -> None:
        self.store.forget(channel, user_id)

    @staticmethod
    def error_reply(language: str = "vi") -> Reply:
        return Reply(text=replies.t(language, "error"), intent="error", state=ConversationState(language=language))


def _cleaned(incoming: Incoming) -> Incoming:
    text, choice = clean_text(incoming.text or ""), clean_text(incoming.choice) if incoming.choice else incoming.choice
    if text == incoming.text and choice == incoming.choice:
        return incoming
    return replace(incoming, text=text, choice=choice)


def stamped(reply: Reply, answer_id: int | None) -> Reply:
    """The reply with its buttons naming the answer they belong to (see bot.engine.types.stamp_payload)."""
    if answer_id is None or not reply.options:
        return reply
    return replace(reply, options=tuple(replace(o, payload=stamp_payload(o.payload, answer_id)) for o in reply.options))
