"""Photos and documents in channel events, as the plain dicts the engine keeps in a report draft.

Only what is needed to fetch the file later is kept: the channel's file id (Telegram) or URL
(Zalo), its kind, name, declared type and size. A file the channel already says is of a type we do
not take, or too large, is marked `refused` so the citizen is told at once; the bytes are checked
again after download (feedback/attachment_files.py), since what a channel reports can be wrong.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from bot.channels.edge import clean_text

ACCEPTED_TYPES = {"image/jpeg", "image/png", "application/pdf"}
ACCEPTED_SUFFIXES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}
DEFAULT_MAX_BYTES = 10 * 2**20


def _size(value: Any) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if text.isdigit() else None


def _name(value: Any) -> str:
    return clean_text(str(value or ""), 120).replace("/", "_").replace("\\", "_")


def telegram_files(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The photo (its largest size) or document of a Bot API message."""
    photo, document = message.get("photo"), message.get("document")
    if isinstance(photo, list) and photo:
        sizes = [p for p in photo if isinstance(p, dict) and p.get("file_id")]
        if sizes:
            best = max(sizes, key=lambda p: ((_size(p.get("width")) or 0) * (_size(p.get("height")) or 0),
                                             _size(p.get("file_size")) or 0))
            return [{"channel": "telegram", "kind": "photo", "file_id": str(best["file_id"])[:300], "mime": "image/jpeg",
                     "size": _size(best.get("file_size"))}]
    if isinstance(document, dict) and document.get("file_id"):
        return [{"channel": "telegram", "kind": "document", "file_id": str(document["file_id"])[:300],
                 "name": _name(document.get("file_name")), "mime": str(document.get("mime_type") or "")[:80],
                 "size": _size(document.get("file_size"))}]
    return []


def zalo_files(message: dict[str, Any], msg_id: str) -> list[dict[str, Any]]:
    """The images and files of a `user_send_image` / `user_send_file` event (payload.url to fetch)."""
    found = []
    for i, item in enumerate(message.get("attachments") or []):
        payload = item.get("payload") if isinstance(item, dict) else None
        if not isinstance(payload, dict) or not str(payload.get("url") or "").startswith(("https://", "http://")):
            continue
        kind = str(item.get("type") or "")
        name = _name(payload.get("name"))
        if kind == "image":
            found.append({"channel": "zalo", "kind": "image", "file_id": f"{msg_id}:{i}", "url": str(payload["url"]),
                          "mime": "image/jpeg"})
        elif kind == "file":
            declared = ACCEPTED_SUFFIXES.get("." + str(payload.get("type") or "").lower().lstrip("."), "") or \
                ACCEPTED_SUFFIXES.get(PurePosixPath(name).suffix.lower(), "")
            found.append({"channel": "zalo", "kind": "file", "file_id": f"{msg_id}:{i}", "url": str(payload["url"]),
                          "name": name, "mime": declared or "application/octet-stream", "size": _size(payload.get("size"))})
    return found


def with_refusals(files: list[dict[str, Any]], max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[dict[str, Any], ...]:
    """Mark the files the channel's own description rules out (type first, then size)."""
    marked = []
    for file in files:
        declared = file.get("mime") or ACCEPTED_SUFFIXES.get(PurePosixPath(file.get("name") or "").suffix.lower(), "")
        if declared not in ACCEPTED_TYPES:
            file = {**file, "refused": "type"}
        elif (file.get("size") or 0) > max_bytes:
            file = {**file, "refused": "size", "limit_mb": f"{max_bytes / 2**20:g}"}
        marked.append(file)
    return tuple(marked)
