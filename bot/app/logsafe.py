"""Logging that never carries secrets or personal numbers.

A filter on the root handlers rewrites each record's message: bot tokens in URLs, phone numbers,
and 9/12-digit ID numbers (CMND/CCCD) become placeholders. Message text from citizens is never
logged by our code in the first place; this is the net under that rule (PTB and httpx log URLs).
"""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    (re.compile(r"bot\d{6,12}:[A-Za-z0-9_-]{20,}"), "bot<token>"),
    (re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d)"), "<phone>"),
    (re.compile(r"(?<!\d)\d{12}(?!\d)|(?<!\d)\d{9}(?!\d)"), "<id-number>"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>"),
    (re.compile(r"(access_token|secret_key|refresh_token)=[^&\s]+"), r"\1=<secret>"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(level: str = "WARNING") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
