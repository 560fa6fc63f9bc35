"""Commands (/start, /help, /phananh, /tracuu, /huy), stale buttons and group-chat privacy, in the engine.

Why here and not in the channels: Telegram sends "/phananh" as a command, Zalo as the same text,
a deep link as "/start phananh"; all of them must start the same capture flow, and "/tracuu CODE"
must look the code up rather than be reworded into a sentence for the classifier to guess at. The
channels only translate (`Incoming.command`, its argument in `Incoming.text`); what a command does
is decided once, here.

Groups: a group chat is public. Nothing personal is collected there (no report is captured) and no
feedback record is shown; the reply offers a private chat instead (`private:<payload>` option: the
channel renders it as its own link, e.g. a Telegram deep link whose /start payload continues here).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.engine import replies
from bot.engine.intents import reference_code
from bot.engine.types import ConversationState, Incoming, Option, Reply

if TYPE_CHECKING:
    from bot.engine.turn import Engine

# name → description for the channel's command menu (Telegram's setMyCommands); wording in replies
COMMANDS: dict[str, str] = {name: replies.t("vi", f"cmd_{name}") for name in ("start", "help", "phananh", "tracuu", "huy")}
PRIVATE_ONLY = frozenset({"phananh", "tracuu"})  # they collect or show personal data
_DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what a Telegram /start payload may hold


def private_payload(command: str, argument: str = "") -> str:
    """The /start payload that continues `command` in a private chat: "phananh", "tracuu_PA-2026-ABC123"."""
    code = reference_code(argument) if command == "tracuu" else None
    payload = f"{command}_{code}" if code else command
    return payload if _DEEP_LINK.match(payload) else command


def from_start_payload(payload: str) -> tuple[str, str] | None:
    """(command, argument) a /start payload asks for, or None for a plain /start."""
    name, _, argument = payload.strip().partition("_")
    return (name, argument) if name in PRIVATE_ONLY else None


def private_redirect(engine: Engine, payload: str, state: ConversationState, language: str, intent: str) -> Reply:
    """In a group: no capture, no record; a button to continue in a private chat."""
    state = state.evolve(flow=None, step=None, draft={}, last_flow_turn=None, options=())
    return Reply(text=replies.t(language, "group_private"), intent=intent, state=state, language=language,
                 options=(Option(replies.t(language, "button_private"), f"private:{payload}"),))


def guard_group(engine: Engine, incoming: Incoming, reply: Reply, text: str) -> Reply:
    """A group turn that would capture a report or show a status becomes a private-chat offer."""
    if not incoming.group or any(o.payload.startswith("private:") for o in reply.options):
        return reply
    if reply.state.flow or reply.intent in ("feedback", "status"):
        payload = private_payload("tracuu", text) if reply.intent == "status" else "phananh"
        return private_redirect(engine, payload, reply.state, reply.language, reply.intent)
    return reply


def run(engine: Engine, incoming: Incoming, state: ConversationState, now: float) -> Reply:
    """The reply to a command; `incoming.text` is its argument (a /start payload, a code, a story)."""
    if state.expired(now):
        state = ConversationState()
    name, argument = (incoming.command or "").lower(), (incoming.text or "").strip()
    language = state.language
    state = state.evolve(turns=state.turns + 1, updated_at=now, last_flow_turn=None)
    if name == "start":
        target = from_start_payload(argument)
        if target is None:  # a new conversation: what the bot can do
            fresh = ConversationState(language=language, turns=1, updated_at=now)
            return Reply(text=replies.t(language, "greeting"), intent="chitchat", state=fresh, language=language)
        name, argument = target
    if incoming.group and name in PRIVATE_ONLY:
        return private_redirect(engine, private_payload(name, argument), state, language,
                                "feedback" if name == "phananh" else "status")
    if name == "phananh":  # the real capture flow: the next message is the story (or this argument is)
        message, changes = engine.dialog.start(argument, None, None, language, replies.t)
        return Reply(text=message, intent="feedback", state=state.evolve(options=(), **changes), language=language)
    if name == "tracuu":
        return _lookup(engine, incoming, argument, state, language)
    if name == "huy":
        key = "fb_cancelled" if state.flow else "nothing_to_cancel"
        return Reply(text=replies.t(language, key), intent="chitchat", language=language,
                     state=state.evolve(flow=None, step=None, draft={}, options=()))
    return Reply(text=replies.t(language, "help"), intent="chitchat", state=state, language=language)


def _lookup(engine: Engine, incoming: Incoming, argument: str, state: ConversationState, language: str) -> Reply:
    """/tracuu CODE: that record (or application code); without a code, the citizen's own records."""
    code = reference_code(argument)
    if code is not None:
        return engine.status_reply(code, state, language, incoming)
    port = engine.dialog.port
    if port is not None and port.mine(incoming.channel, incoming.user_id):
        return engine.status_reply("", state, language, incoming)
    return Reply(text=replies.t(language, "lookup_prompt"), intent="status", state=state, language=language)


# --- buttons pressed on an older message ------------------------------------------------------------

def is_stale(engine: Engine, incoming: Incoming, state: ConversationState, now: float) -> bool:
    """A pressed button that no longer fits: it names an older answer than the latest, or its
    choice is not among the current ones (outside a capture flow, whose steps read their own buttons)."""
    if incoming.choice is None or incoming.command:
        return False
    if state.expired(now):
        state = ConversationState()
    if incoming.answer_id is not None and incoming.answer_id != state.answered_question:
        return True
    if not incoming.choice.strip():
        return True
    return not state.flow and engine.chosen_option(incoming.choice, state) is None


def stale_reply(engine: Engine, state: ConversationState, now: float) -> Reply:
    """"This choice has expired", then the choices that are current (the latest message's)."""
    if state.expired(now):
        state = ConversationState()
    language = state.language
    text = replies.t(language, "stale_choice")
    if state.flow:  # a report is being written: its own question stands, no choices of an answer
        return Reply(text=text, intent="chitchat", state=state.evolve(updated_at=now), language=language)
    groups = [g for g in state.options if not g.startswith("aspect:")]
    options: list[Option] = []
    if groups:
        titles = []
        for group in groups:
            try:
                titles.append(engine.group_title(group, language))
            except (KeyError, IndexError):  # the index was swapped since: that choice is gone
                return Reply(text=text, intent="chitchat", state=state.evolve(options=()), language=language)
        text += "\n" + replies.clarify_question(language, titles)
        options = [Option(f"{i}. {title}", str(i)) for i, title in enumerate(titles, start=1)]
    else:
        for payload in state.options:
            try:
                options.append(Option(replies.t(language, f"choice_{payload[7:]}"), payload))
            except KeyError:
                continue
    return Reply(text=text, intent="chitchat", state=state.evolve(updated_at=now), options=tuple(options),
                 language=language)
