"""A follow-up asked before the citizen picked one of a clarifying question's choices.

A clarifying question keeps its first choice as the tentative topic, so a citizen who skips the
choice and asks "thế còn lệ phí?" gets an answer instead of losing the conversation. That answer
rests on a guess nobody confirmed (on the national catalogue the first choice of a clarifying
question is wrong more than a third of the time), so it says so: the other choices are listed
again under it and stay open (a number or a button still picks one), and the answer is not
counted as a confident one. Once the citizen picks,
or the conversation moves to another topic, the choices are gone as after any answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.engine import replies
from bot.engine.types import ConversationState, Option, Reply


def unconfirmed_choices(state: ConversationState) -> tuple[str, ...]:
    """The groups of a clarifying question still open in `state`, its tentative topic first;
    empty when the topic was chosen or confirmed (the options are then an answer's aspect buttons)."""
    if not state.options or any(o.startswith("aspect:") for o in state.options) or state.group != state.options[0]:
        return ()
    return state.options


def keep_choices_open(reply: Reply, before: ConversationState, language: str,
                      title_of: Callable[[str, str], str]) -> Reply:
    """`reply` answers a follow-up; when it answers the unconfirmed tentative topic of `before`,
    add the other choices to it (text and buttons) and keep them pending."""
    choices = unconfirmed_choices(before)
    if not choices or reply.intent != "procedure" or reply.state.group != choices[0]:
        return reply
    others = [(number, title_of(group, language)) for number, group in enumerate(choices, start=1)][1:]
    if not others:
        return reply
    lines = [replies.t(language, "other_choices"), *(f"{number}. {title}" for number, title in others)]
    buttons = tuple(Option(label=f"{number}. {title}", payload=str(number)) for number, title in others)
    return replace(reply, text=f"{reply.text}\n\n" + "\n".join(lines), options=buttons + reply.options,
                   state=reply.state.evolve(options=choices), confident=False)
