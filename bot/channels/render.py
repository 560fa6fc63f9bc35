"""Rendering helpers shared by channels: splitting long text, numbered options as plain lines."""

from __future__ import annotations

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
    """(label, payload) of the clarifying choices (not the 👍/👎 rating buttons)."""
    return [(o.label, o.payload) for o in reply.options if not o.payload.startswith("helpful:")]

