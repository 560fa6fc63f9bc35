"""What every channel is to the rest of the bot: something that can send a `Reply` to a chat.

Channel adapters translate their wire format to `Incoming` (webhook side) and render a `Reply`
for their platform (send side). The server's outbox worker and the staff replies only ever see
this Protocol, so adding a channel means writing an adapter, not editing the worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bot.channels.media import DEFAULT_MAX_BYTES, with_refusals
from bot.engine.types import Incoming, Reply


class Undeliverable(Exception):
    """The platform refuses this message for now (e.g. Zalo: outside the consultation window): the
    outbox holds it with the reason for staff, instead of retrying a send that cannot succeed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class Channel(Protocol):
    """A place citizens write from. `send` raises on a failed delivery (the outbox retries it)."""

    name: str

    async def send(self, chat_id: str, reply: Reply) -> None: ...

    async def hold_reason(self, chat_id: str) -> str | None:
        """Why a message to this chat cannot be sent now (e.g. Zalo's 48-hour window), else None."""
        ...


class ConversationPort(Protocol):
    """The part of the conversation service that channel adapters call (implemented in bot.app)."""

    async def respond_async(self, incoming: Incoming) -> Reply | None: ...

    async def rate_answer_async(self, channel: str, helpful: bool, user_id: str | None = None,
                                answer_id: int | None = None) -> str: ...

    def stale_in(self, session: None, channel: str, user_id: str) -> Reply: ...

    def queue(self, channel: str, chat_id: str, text: str, key: str) -> None: ...

    def reset(self, channel: str, user_id: str) -> None: ...


@dataclass
class CollectingChannel:
    """A channel that keeps what it was asked to send: for tests and dry runs."""

    name: str = "collect"
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)  # chat id → reason to hold

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.sent.append((chat_id, reply))

    async def hold_reason(self, chat_id: str) -> str | None:
        return self.held.get(chat_id)


def incoming_of(channel: str, event: dict[str, Any], max_file_bytes: int = DEFAULT_MAX_BYTES) -> Incoming | None:
    """The `Incoming` of a stored event (a text, a command, a pressed choice, a photo or document
    whose caption is its text), or None for other kinds. One translation for every channel and for
    both Telegram paths (webhook and polling)."""
    kind, user = event.get("kind"), str(event.get("user", ""))
    group = bool(event.get("group"))
    if kind == "text":
        return Incoming(channel, user, str(event.get("text", "")), group=group)
    if kind == "attachment":
        files = with_refusals(list(event.get("files") or []), max_file_bytes)
        return Incoming(channel, user, str(event.get("text", "")), attachments=files, group=group)
    if kind == "command":
        return Incoming(channel, user, str(event.get("args", "")), command=str(event.get("name", "")), group=group)
    if kind == "choice":
        text, answer = str(event.get("text", "")), event.get("answer")
        return Incoming(channel, user, text, choice=text, answer_id=int(answer) if answer is not None else None,
                        group=group)
    return None
