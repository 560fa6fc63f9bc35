"""Logging that never carries secrets or personal data.

One formatter on every handler (ours, uvicorn's, whatever a library added): it formats the whole
record first (message, arguments *and* traceback; a filter runs before the traceback is rendered,
so it never sees it) and then redacts the text: bot tokens, phone numbers, e-mail addresses,
9/12-digit ID numbers (CMND/CCCD) and the bound parameters of failed SQL statements (which carry
the citizen's words and name). The text is bounded first and every pattern is linear, so a huge
message cannot make logging expensive.
"""

from __future__ import annotations

import logging
import re

MAX_LOG_CHARS = 16_000
_PATTERNS = (
    (re.compile(r"bot\d{6,12}:[A-Za-z0-9_-]{20,}"), "bot<token>"),
    # bound parameters of a failed statement, and PostgreSQL's "Key (col)=(value)" details
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: <hidden>]"),
    (re.compile(r"DETAIL: [^\n]*"), "DETAIL: <hidden>"),
    # python-telegram-bot's debug log of a Bot API call carries the message sent to the citizen
    (re.compile(r"(with parameters|with return value) `[^\n]*"), r"\1 <hidden>"),
    (re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"), "<email>"),
    (re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d)"), "<phone>"),
    (re.compile(r"(?<!\d)\d{12}(?!\d)|(?<!\d)\d{9}(?!\d)"), "<id-number>"),
    (re.compile(r"(access_token|secret_key|refresh_token)=[^&\s]{1,400}"), r"\1=<secret>"),
)


def redact(text: str, limit: int = MAX_LOG_CHARS) -> str:
    """`text` bounded to `limit` characters with secrets and personal numbers replaced."""
    if len(text) > limit:
        text = text[:limit] + f" …[{len(text) - limit} characters cut]"
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter: its output, traceback included, is redacted."""

    def __init__(self, inner: logging.Formatter | None = None):
        super().__init__()
        self.inner = inner or logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


class RedactingFilter(logging.Filter):
    """For handlers we do not own the formatter of: cleans message and arguments (no traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def protect(handler: logging.Handler) -> None:
    """Make `handler` redact everything it writes (idempotent)."""
    if not isinstance(handler.formatter, RedactingFormatter):
        handler.setFormatter(RedactingFormatter(handler.formatter))
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())


def protect_all() -> None:
    """Every handler of every logger known now: call after uvicorn configured its own loggers."""
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            protect(handler)


def install(level: str = "WARNING") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    protect_all()
