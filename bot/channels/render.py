"""Rendering helpers shared by channels: splitting long text, numbered options as plain lines.

Channels without buttons (Zalo, the terminal) show a reply's choices as numbered lines; the
engine reads a number back against the same choices, so the order here is the order it holds.
"""

from __future__ import annotations

from bot.engine import replies
from bot.engine.types import Reply


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



def with_numbered_choices(reply: Reply) -> str:
    """The reply text, then its choices as "1. …" lines unless the text already lists them (a
    clarifying question numbers its candidates itself)."""
    choices = choice_options(reply)
    if not choices or all(label in reply.text for label, _ in choices):
        return reply.text
    lines = [reply.text, replies.t(reply.language, "choices_intro")]
    lines.extend(f"{i}. {label}" for i, (label, _) in enumerate(choices, start=1))
    return "\n".join(lines)
