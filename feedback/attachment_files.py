"""Checking and storing the bytes of an attachment: type from the content (never from the name or
what the channel claimed), size bound, photos re-encoded without EXIF.

Why re-encode: a phone photo carries EXIF with the GPS position where it was taken (often the
citizen's home) and the device; staff need the picture, not that. Pillow writes a JPEG or PNG from
pixels only, so nothing of the original metadata survives (the orientation is applied first, so
the picture still stands upright). PDFs are kept as sent after the type check.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_BYTES = 10 * 2**20
EXTENSION = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
MAX_PIXELS = 50_000_000  # a decompression bomb is refused, not decoded
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|pdf)$")


class Refused(Exception):
    """The file cannot be accepted (the citizen is told `reason`): retrying would not help."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind  # "type" | "size" | "damaged"
        self.reason = reason


def sniff(data: bytes) -> str | None:
    """The type by its first bytes: JPEG, PNG or PDF, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def size_refusal(max_bytes: int) -> Refused:
    return Refused("size", f"tệp lớn hơn {max_bytes / 2**20:g} MB".replace(".", ","))


def sanitize(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, str]:
    """(bytes to store, type) or `Refused`: too large, not JPEG/PNG/PDF, or an image that does not decode."""
    if len(data) > max_bytes:
        raise size_refusal(max_bytes)
    mime = sniff(data)
    if mime is None:
        raise Refused("type", "chỉ nhận ảnh JPEG, PNG hoặc tệp PDF")
    if mime == "application/pdf":
        return data, mime
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise Refused("damaged", "ảnh có kích thước quá lớn")
            upright = ImageOps.exif_transpose(image)
            upright.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise Refused("damaged", "ảnh bị lỗi, không mở được") from exc
    transparency = upright.info.get("transparency")
    upright.info = {"transparency": transparency} if transparency is not None and mime == "image/png" else {}
    out = io.BytesIO()
    if mime == "image/jpeg":
        upright.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    else:
        upright.save(out, "PNG", optimize=True)
    cleaned = out.getvalue()
    if len(cleaned) > max_bytes:
        raise size_refusal(max_bytes)
    return cleaned, mime


def store(directory: Path, data: bytes, mime: str) -> str:
    """Write under a random name (nothing of the citizen's file name reaches the disk); the name."""
    directory.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex + EXTENSION[mime]
    temporary = directory / f".{name}.part"
    temporary.write_bytes(data)
    os.replace(temporary, directory / name)
    return name


def stored_path(directory: Path, stored_name: str | None) -> Path | None:
    """The file of a stored name, only for names this module made (no path from the database is trusted)."""
    if not stored_name or not _STORED_NAME.match(stored_name):
        return None
    path = directory / stored_name
    return path if path.is_file() else None
