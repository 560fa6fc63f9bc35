"""Zalo OA buttons: a reply's choices as template buttons, and a pressed button read back.

Why buttons at all: on a phone, tapping "Xem phí, lệ phí" beats reading a numbered list and typing
"3". The numbered lines stay in the message text (bot.channels.render.with_numbered_choices): a
Zalo client that shows no buttons, or an OA whose send of the template is refused, still leaves
the citizen a way to choose, and a typed number picks the same option as the button.

Wire format, as documented for the consultation message with buttons ("tin tư vấn đính kèm
button", POST https://openapi.zalo.me/v3.0/oa/message/cs)::

    {"recipient": {"user_id": "…"},
     "message": {"text": "…",
                 "attachment": {"type": "template",
                                "payload": {"buttons": [{"title": "…", "type": "oa.query.hide",
                                                         "payload": "…"}]}}}}

Sources read (search tool, docs/pages corpora): the eSMS guide to the Zalo consulting-button
message (developers.esms.vn …/send-zalo-message-consulting-button: "text" up to 2,000 characters,
a button "title" up to 100; for `oa.query.hide` / `oa.query.show` the payload is a string that,
when the follower taps, "the system will send … as a message … to the Official Account",
`oa.query.show` also displaying it in the follower's chat), and the @warriorteam/redai-zalo-sdk
button guide (title ≤ 100 characters, query payload ≤ 1,000 characters). The documented example
carries five buttons, the most any source showed; more are not sent (the numbered text has them).

`oa.query.hide` is used: the payload is machine text ("tthc:choice:aspect:fee#42") that the
citizen should not see echoed as if they had typed it. Zalo delivers it as a `user_send_text`
event; `pressed` turns that text into the same "choice" / "rating" event a Telegram button gives
(bot.channels.render.press_event), stamp included, so a press on an older message is seen as stale.
"""

from __future__ import annotations

from typing import Any

from bot.channels.render import choice_options, press_event, rating_options
from bot.engine import replies
from bot.engine.display_name import BUTTON_LIMIT, button_label
from bot.engine.types import Reply

MAX_BUTTONS = 5
TITLE_LIMIT = 100  # documented maximum of a button title
PAYLOAD_LIMIT = 1000  # documented maximum of a query payload
BUTTON_TYPE = "oa.query.hide"
# What marks a pressed button's payload among the texts a citizen sends. Not "#…": an OA's own
# auto-reply queries ("truy vấn tự động") are "#" words, and a payload must not trigger one.
PREFIX = "tthc:"


def buttons(reply: Reply) -> list[dict[str, str]]:
    """The reply's choices as OA buttons (labels cut at a word to fit a phone and the documented
    title limit), then 👍/👎 when they fit within MAX_BUTTONS; empty when there is nothing to choose."""
    found = [(label, f"choice:{payload}") for label, payload in choice_options(reply)]
    ratings = rating_options(reply)
    if ratings and len(found) + 2 <= MAX_BUTTONS:
        found += [(replies.t(reply.language, "button_helpful"), ratings.get("helpful:yes", "helpful:yes")),
                  (replies.t(reply.language, "button_not_helpful"), ratings.get("helpful:no", "helpful:no"))]
    made = []
    for label, data in found[:MAX_BUTTONS]:
        title = button_label(label, min(BUTTON_LIMIT, TITLE_LIMIT))
        payload = PREFIX + data
        if title and len(payload) <= PAYLOAD_LIMIT:
            made.append({"title": title, "type": BUTTON_TYPE, "payload": payload})
    return made


def attachment(made: list[dict[str, str]]) -> dict[str, Any]:
    """The message's "attachment" for these buttons."""
    return {"type": "template", "payload": {"buttons": made}}


def pressed(text: str) -> dict[str, Any] | None:
    """The inbox event of a pressed button's text (its payload), or None for any other text."""
    if not text.startswith(PREFIX):
        return None
    return press_event(text[len(PREFIX):].strip())
