"""Rendering helpers shared by channels: splitting long text, numbered options as plain lines,
and what a pressed button's data means.

Every channel shows a reply's choices as numbered lines where it has no buttons (the terminal,
and Zalo's text, kept under its buttons as the fallback); the engine reads a number back against
the same choices, so the order here is the order it holds. Buttons (Telegram's callback data,
Zalo's hidden query payload) carry "choice:<payload>" or "helpful:yes|no", stamped with the
answer they belong to; `press_event` reads both the same way, so a press means one thing on
every channel.
"""

from __future__ import annotations

from typing import Any

from bot.engine import replies
from bot.engine.types import Reply, split_payload


def split_text(text: str, limit: int) -> list[str]:
    """Split at line breaks (then spaces) so every part is at most `limit` characters."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()] or [text[:limit]]


def choice_options(reply: Reply) -> list[tuple[str, str]]:
    """(label, payload) of the clarifying choices (not the 👍/👎 rating buttons, nor a private-chat link)."""
    return [(o.label, o.payload) for o in reply.options if not o.payload.startswith(("helpful:", "private:"))]


def rating_options(reply: Reply) -> dict[str, str]:
    """The 👍/👎 payloads of a reply ("helpful:yes" → its stamped payload), empty when it has none."""
    return {split_payload(o.payload)[0]: o.payload for o in reply.options if o.payload.startswith("helpful:")}


def press_event(data: str) -> dict[str, Any]:
    """The inbox event of a pressed button's data: a rating, or a choice with its payload (an
    unknown data gives an empty choice, which the engine answers as a stale button)."""
    payload, answer = split_payload(data)
    if payload in ("helpful:yes", "helpful:no"):
        return {"kind": "rating", "helpful": payload == "helpful:yes", "answer": answer}
    choice = payload.split(":", 1)[1] if payload.startswith("choice:") else ""
    return {"kind": "choice", "text": choice, "answer": answer}


def with_numbered_choices(reply: Reply) -> str:
    """The reply text, then its choices as "1. …" lines unless the text already lists them (a
    clarifying question numbers its candidates itself)."""
    choices = choice_options(reply)
    if not choices or all(label in reply.text for label, _ in choices):
        return reply.text
    lines = [reply.text, replies.t(reply.language, "choices_intro")]
    lines.extend(f"{i}. {label}" for i, (label, _) in enumerate(choices, start=1))
    return "\n".join(lines)
