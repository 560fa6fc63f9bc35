"""Messages in and out of the engine, and the conversation state it threads through turns.

Channels translate their wire formats to `Incoming` and render `Reply`; the state is a plain
serialisable value (`to_dict`/`from_dict`) so any store (memory, SQLite, PostgreSQL) can keep it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

STATE_TTL_SECONDS = 6 * 3600  # a conversation idle longer than this starts afresh


@dataclass(frozen=True)
class Incoming:
    channel: str  # "terminal", "telegram", "zalo", "eval"
    user_id: str
    text: str
    choice: str | None = None  # payload of a pressed button, when the channel has buttons
    # photos and documents sent with the message (the text is their caption): the channel's file id,
    # kind, name, type and size, and "refused" ("type"/"size") when the channel's metadata rules them out
    attachments: tuple[dict[str, Any], ...] = ()
    # a command ("start", "help", "phananh", "tracuu", "huy"): `text` then holds its argument only,
    # so "/tracuu PA-2026-ABC123" is a lookup of that code, not a sentence to classify
    command: str | None = None
    # the answer (question-log row) whose button was pressed: a button of an older message is stale
    answer_id: int | None = None
    # written in a group chat: nothing personal is collected or shown there (a private chat is offered)
    group: bool = False


@dataclass(frozen=True)
class Option:
    label: str
    payload: str


@dataclass(frozen=True)
class ConversationState:
    group: str | None = None  # the procedure group (or faq id) being talked about
    codes: tuple[str, ...] = ()
    aspect: str | None = None
    context: tuple[str, ...] = ()  # recent user messages about the current topic
    options: tuple[str, ...] = ()  # groups offered in a pending clarifying question
    language: str = "vi"
    turns: int = 0
    updated_at: float = 0.0
    flow: str | None = None  # "feedback" while a report is being captured
    step: str | None = None  # the capture step waiting for an answer
    draft: dict[str, Any] = field(default_factory=dict)  # what the capture has collected so far
    # the usage-log row of the last answer, so 👍/👎 marks it whichever worker receives the button
    answered_question: int | None = None
    # the last capture-flow turn: a hash of the folded message, when, and the reply given, so an
    # identical message sent again (the reply was lost, or a double tap) gets the same reply
    # instead of moving the flow on (a resent "không" must not cancel, a resent "1" must not
    # become a new question after filing)
    last_flow_turn: dict[str, Any] | None = None

    def expired(self, now: float | None = None) -> bool:
        return bool(self.updated_at) and (now or time.time()) - self.updated_at > STATE_TTL_SECONDS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ConversationState:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("codes", "context", "options"):
            if key in known:
                known[key] = tuple(known[key] or ())
        return cls(**known)

    def evolve(self, **changes: Any) -> ConversationState:
        return replace(self, **changes)


@dataclass(frozen=True)
class Reply:
    text: str
    intent: str
    state: ConversationState
    options: tuple[Option, ...] = ()
    procedures: tuple[str, ...] = ()  # cited national codes, best first
    faq: tuple[str, ...] = ()  # FAQ topic slugs, best first
    aspect: str = "general"
    confident: bool = False
    confidence: float = 0.0
    feedback_kind: str | None = None
    language: str = "vi"
    decision: str = "answer"  # "answer" | "clarify" | "decline"
    # the citizen said none of what was just offered is what they asked ("không phải"): no new
    # question was asked, and the one those choices answered is logged as unanswered (bot.app.service)
    rejects_offer: bool = False
    debug: dict[str, Any] = field(default_factory=dict, compare=False)


# A button's payload carries the answer it belongs to ("aspect:steps#42", "helpful:yes#42"): the
# service stamps the question-log row id on the way out, the channel reads it back from the press.
# A press on an older message then names an older answer, and the engine can tell it is stale.
STAMP = "#"


def stamp_payload(payload: str, answer_id: int | None) -> str:
    return payload if answer_id is None or payload.startswith("private:") else f"{payload}{STAMP}{answer_id}"


def split_payload(payload: str) -> tuple[str, int | None]:
    """(payload, answer id) of a stamped payload; an unstamped one has no answer id."""
    base, sep, tail = payload.rpartition(STAMP)
    if sep and tail.isdigit() and len(tail) <= 12:
        return base, int(tail)
    return payload, None
