"""Telegram updates (Bot API JSON) → the events the durable inbox keeps: translation only.

Which conversation an update belongs to, and whether the bot is addressed at all: in a group or
supergroup the bot answers only a command meant for it (/cmd or /cmd@this_bot), a mention of it
(a "mention" entity spelling @this_bot, or a "text_mention" of its user) or a reply to one of its
messages; everything else in a group is not stored. A group conversation is keyed by chat and
person, so a group question never lands in the person's private report. Channel posts, member
updates and other update kinds are ignored. Entity offsets count UTF-16 code units (the Bot API's
rule), so they are applied to the UTF-16 form of the text, before any cleaning.

An edited message is translated like a message and names the message it replaces; the inbox then
replaces a message not yet answered, or notes that it was answered (bot/app/server.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels.edge import clean_text, split_command
from bot.channels.media import telegram_files
from bot.channels.render import press_event

GROUPS = ("group", "supergroup")
_NON_TEXT = {"photo", "sticker", "document", "voice", "video", "audio", "animation", "location", "contact",
             "video_note", "poll", "dice", "venue", "story"}


@dataclass(frozen=True)
class BotIdentity:
    """Who "this bot" is: its user id (the token's first part) and username (getMe; None until known)."""

    id: int | None = None
    username: str | None = None


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("an id must be an integer")
    return str(value)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le", errors="surrogatepass")


def _entity_text(text: str, entity: dict) -> str:
    raw, offset, length = _utf16(text), entity.get("offset"), entity.get("length")
    if not isinstance(offset, int) or not isinstance(length, int):
        return ""
    return raw[offset * 2:(offset + length) * 2].decode("utf-16-le", errors="ignore")


def _without(text: str, entity: dict) -> str:
    raw, offset, length = _utf16(text), int(entity["offset"]), int(entity["length"])
    before = raw[:offset * 2].decode("utf-16-le", errors="ignore").rstrip()
    after = raw[(offset + length) * 2:].decode("utf-16-le", errors="ignore").lstrip()
    return f"{before} {after}".strip()


def _addressed(message: dict, text: str, me: BotIdentity) -> tuple[bool, str]:
    """Is a group message meant for the bot, and its text without the bot's @mention."""
    entities = message.get("entities") if isinstance(message.get("entities"), list) else []
    command = split_command(text) if text.startswith("/") else None
    if command is not None:
        target = command[1]
        return (target is None or (me.username is not None and target.lower() == me.username.lower())), text
    for entity in (e for e in entities if isinstance(e, dict)):
        spelled = _entity_text(text, entity)
        if entity.get("type") == "mention" and me.username and spelled.lower() == "@" + me.username.lower():
            return True, _without(text, entity)
        user = entity.get("user") if isinstance(entity.get("user"), dict) else {}
        if entity.get("type") == "text_mention" and me.id is not None and user.get("id") == me.id:
            return True, text
    replied = message.get("reply_to_message") if isinstance(message.get("reply_to_message"), dict) else {}
    author = replied.get("from") if isinstance(replied.get("from"), dict) else {}
    return (me.id is not None and author.get("id") == me.id), text


def message_key(message: dict) -> str:
    """The inbox id of a message: its chat and message id (a redelivered update has the same
    ones; an edit of it names it by them)."""
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    return f"m{_id(chat.get('id'))}:{_id(message.get('message_id'))}"


def message_event(message: dict, me: BotIdentity) -> tuple[str, dict[str, Any]] | None:
    """(conversation key, event) of a message; None when it is not for the bot."""
    chat = message.get("chat")
    if not isinstance(chat, dict):
        raise ValueError("a message has a chat")
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat_id = _id(chat.get("id"))
    if chat.get("type") == "channel":
        return None
    group = chat.get("type") in GROUPS
    person = _id(sender["id"]) if "id" in sender else chat_id
    text = message.get("text") if isinstance(message.get("text"), str) else None
    if group:
        addressed, text = _addressed(message, text or "", me)
        if not addressed:
            return None
    user = f"{chat_id}/{person}" if group else person
    event: dict[str, Any] = {"user": user, "chat": chat_id, **({"group": True} if group else {})}
    if files := telegram_files(message):  # a photo or document; its caption is read as any text
        caption = message.get("caption")
        return user, {**event, "kind": "attachment", "files": files,
                      "text": clean_text(caption) if isinstance(caption, str) else ""}
    if text is not None:
        text = clean_text(text)
        command = split_command(text) if text.startswith("/") else None
        if command is not None:
            return user, {**event, "kind": "command", "name": command[0], "args": command[2][:200]}
        return user, {**event, "kind": "text", "text": text}
    if _NON_TEXT & message.keys():
        return user, {**event, "kind": "non_text"}
    return None


def callback_event(query: dict) -> tuple[str, dict[str, Any]]:
    """A pressed button: a rating or a choice, with the answer it belongs to (its stamp)."""
    sender = query.get("from") if isinstance(query.get("from"), dict) else {}
    message = query.get("message") if isinstance(query.get("message"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    person = _id(sender.get("id"))
    chat_id = _id(chat["id"]) if "id" in chat else person
    group = chat.get("type") in GROUPS
    user = f"{chat_id}/{person}" if group else person
    event: dict[str, Any] = {"user": user, "chat": chat_id, "callback_id": str(query.get("id", ""))[:100],
                             **({"group": True} if group else {})}
    return user, {**event, **press_event(clean_text(str(query.get("data") or ""), 256))}


def update_event(data: Any, me: BotIdentity | None = None) -> tuple[str, str, dict[str, Any]] | None:
    """(event id, conversation key, event) of a webhook update; None for an update the bot does not
    act on. Raises ValueError for a body that is not an update. Only what the bot needs is kept."""
    if not isinstance(data, dict):
        raise ValueError("an update is a JSON object")
    update_id = _id(data.get("update_id"))
    me = me or BotIdentity()
    query, message, edited = data.get("callback_query"), data.get("message"), data.get("edited_message")
    if isinstance(query, dict):
        return (update_id, *callback_event(query))
    if isinstance(message, dict):
        found = message_event(message, me)
        return (message_key(message), *found) if found is not None else None
    if isinstance(edited, dict) and edited:
        found = message_event(edited, me)
        if found is None:
            return None
        original = message_key(edited)
        return "e" + original[1:], found[0], {**found[1], "replaces": original}
    return None  # channel_post, my_chat_member, chat_member, …: nothing to answer
