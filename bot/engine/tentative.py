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

ASPECT = "aspect:"  # an answer's own choices ("aspect:documents"), as against a clarifying question's groups


def unconfirmed_choices(state: ConversationState) -> tuple[str, ...]:
    """The groups of a clarifying question still open in `state`, its tentative topic first;
    empty when the topic was chosen or confirmed (the options are then an answer's aspect choices)."""
    groups = tuple(o for o in state.options if not o.startswith(ASPECT))
    if not groups or state.group != groups[0]:
        return ()
    return groups


def keep_choices_open(reply: Reply, before: ConversationState, language: str,
                      title_of: Callable[[str, str], str]) -> Reply:
    """`reply` answers a follow-up; when it answers the unconfirmed tentative topic of `before`,
    add the other choices to it (text and buttons) and keep them pending.

    One numbering serves every choice, in the order the state holds them, because a typed number
    is read against the state (bot.engine.turn): the other procedures keep their numbers from the
    clarifying question (2, 3), and the answer's own choices ("Xem hồ sơ cần chuẩn bị") follow
    them (4, 5 …). Numbered apart, a "3" on the terminal or Zalo meant "Xem hồ sơ" to the citizen
    and the third procedure to the engine."""
    choices = unconfirmed_choices(before)
    if not choices or reply.intent != "procedure" or reply.state.group != choices[0]:
        return reply
    others = [(number, title_of(group, language)) for number, group in enumerate(choices, start=1)][1:]
    if not others:
        return reply
    own = [o for o in reply.options if o.payload.startswith(ASPECT)]
    numbered_own = [(number, o.label) for number, o in enumerate(own, start=len(choices) + 1)]
    lines = [replies.t(language, "other_choices"), *(f"{number}. {title}" for number, title in others)]
    if numbered_own:
        lines += ["", replies.t(language, "choices_intro"), *(f"{number}. {label}" for number, label in numbered_own)]
    buttons = tuple(Option(label=f"{number}. {label}", payload=str(number)) for number, label in (*others, *numbered_own))
    rest = tuple(o for o in reply.options if not o.payload.startswith(ASPECT))  # the 👍/👎 rating
    return replace(reply, text=f"{reply.text}\n\n" + "\n".join(lines), options=buttons + rest,
                   state=reply.state.evolve(options=choices + tuple(o.payload for o in own)), confident=False)
