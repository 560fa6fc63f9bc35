"""The engine's side of the capture flow: which turn the dialog takes, and what the engine itself
answers in between (a procedure question typed mid-flow, files sent with a message).

Why here and not in feedback_dialog: telling a question from a step's answer needs the engine's
search and intent model, and the dialog stays free of them; turn.py stays one turn's pipeline.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.engine import replies
from bot.engine.feedback_dialog import ASK, is_cancel
from bot.engine.intents import asks_question
from bot.engine.types import ConversationState, Incoming, Reply

if TYPE_CHECKING:
    from bot.engine.turn import Engine

LEFT = {"flow": None, "step": None, "draft": {}}


def story_of(incoming: Incoming) -> str:
    """The whole message: a story is kept in full, not only the part the engine searches."""
    return (incoming.choice or incoming.text or "").strip()


def flow_reply(engine: Engine, message: str, state: ConversationState) -> Reply:
    return Reply(text=message, intent="feedback", state=state, language=state.language,
                 options=engine.dialog.options(state, replies.t))


def interruption(engine: Engine, text: str) -> str | None:
    """"question" for a procedure question, "moves_on" for chitchat or a status request, else None."""
    result = engine.index.search(text)
    guess = engine.classify(result.query_vector, text)
    if guess.intent == "info" and asks_question(text):
        return "question"
    return "moves_on" if guess.intent in ("chitchat", "status") else None


def flow_turn(engine: Engine, incoming: Incoming, text: str, state: ConversationState,
              now: float) -> tuple[Reply | None, ConversationState]:
    """A turn inside the capture flow: the reply, or None with the state to carry on from when the
    citizen left the flow (a chitchat or status message that answers no step)."""
    dialog, story = engine.dialog, story_of(incoming)
    note = ""
    if incoming.attachments:
        note, draft = dialog.take_attachments(incoming.attachments, state.draft, state.language, replies.t)
        state = state.evolve(draft=draft)
    if not re.search(r"\w", text):  # a file without a caption: say what was received, ask the step again
        return flow_reply(engine, _join(note, dialog.prompt(state, replies.t)), state), state
    if state.step == "ask_or_continue" and dialog.ask_choice(text) == ASK:
        question = str(state.draft.get("pending_question", ""))
        left = state.evolve(**LEFT)
        answer = engine._respond(replace(incoming, text=question, choice=None, attachments=()), question[:1500], left, now)
        return replace(answer, text=answer.text + "\n\n" + replies.t(state.language, "fb_left_for_question")), left
    answers = dialog.answers_step(story, state.step)
    if dialog.may_be_question(story, state.step) or (not answers and not is_cancel(story)):
        found = interruption(engine, text)
        if found == "question" and dialog.may_be_question(story, state.step):
            message, changes = dialog.ask_or_continue(story, state, replies.t)
            new = state.evolve(**changes)
            return flow_reply(engine, _join(note, message), new), new
        if found is not None and not answers:
            return None, state.evolve(**LEFT)  # the citizen left the report unfinished
    message, changes = dialog.step(story, state, incoming.channel, incoming.user_id,
                                   suggest=engine._suggest_procedure, t=replies.t)
    new = state.evolve(**changes)
    return flow_reply(engine, _join(note, message), new), new


def with_new_flow_files(engine: Engine, reply: Reply, incoming: Incoming, before: ConversationState) -> Reply:
    """Files sent with the message that opened the flow join it; outside the flow a file without a
    caption gets the "text only" notice (a caption is answered as any text)."""
    if not incoming.attachments or before.flow == "feedback":
        return reply
    if reply.state.flow == "feedback":
        note, draft = engine.dialog.take_attachments(incoming.attachments, reply.state.draft, reply.language, replies.t)
        state = reply.state.evolve(draft=draft)
        return replace(reply, text=_join(note, reply.text), state=state)
    if not re.search(r"\w", story_of(incoming)):
        return replace(reply, text=replies.t(reply.language, "non_text"))
    return reply


def _join(note: str, message: str) -> str:
    return f"{note}\n{message}" if note else message
