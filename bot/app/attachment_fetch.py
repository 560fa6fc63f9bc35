"""The worker that brings attachments home: download, check, strip, store (feedback/attachments.py).

Telegram gives a file id: `getFile` names the file's path and the file is downloaded from the Bot
API's file URL; Zalo gives a URL. Downloads are streamed and cut off past the size limit. A
transient failure (network, 5xx) is retried with backoff; a file that can never be accepted
(type, size, undecodable) or that keeps failing is marked failed with the reason, and the citizen
is told through the outbox. The record itself was filed before any of this, so nothing here can
lose it. URLs carry the bot token: only exception class names are logged, never a URL or file id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.orm import sessionmaker
from telegram.ext import Application

from bot.engine import replies
from feedback import attachments, outbox
from feedback.attachment_files import DEFAULT_MAX_BYTES, Refused, sanitize, size_refusal, store
from feedback.models import FeedbackRecord

log = logging.getLogger(__name__)


class TransientError(Exception):
    """The channel did not give the file this time (retried later)."""


@dataclass(frozen=True)
class Job:
    id: int
    channel: str
    file_id: str
    url: str
    name: str
    reference: str
    chat_id: str


class AttachmentFetcher:
    def __init__(self, sessions: sessionmaker, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                 telegram: Callable[[], Application | None] = lambda: None, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.sessions = sessions
        self.directory = directory
        self.max_bytes = max_bytes
        self.telegram = telegram
        self.timeout = timeout
        self.transport = transport

    async def run(self, every_seconds: float = 5.0) -> None:
        """Fetch what is due, every `every_seconds` (cancel to stop)."""
        while True:
            try:
                await self.fetch_due()
            except Exception:  # noqa: BLE001 - the worker must outlive one bad round
                log.exception("attachment round failed")
            await asyncio.sleep(every_seconds)

    def _due(self) -> list[Job]:
        with self.sessions() as session:
            jobs = []
            for row in attachments.due(session):
                record = session.get(FeedbackRecord, row.record_id)
                jobs.append(Job(row.id, row.channel, row.file_id, row.source_url, row.name,
                                record.reference if record else "", record.chat_id if record else ""))
            return jobs

    async def fetch_due(self) -> int:
        """One round; returns how many files were stored."""
        stored = 0
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport, follow_redirects=True) as http:
            for job in await asyncio.to_thread(self._due):
                try:
                    data = await self._download(http, job)
                    clean, mime = await asyncio.to_thread(sanitize, data, self.max_bytes)
                    name = await asyncio.to_thread(store, self.directory, clean, mime)
                except Refused as refused:
                    await asyncio.to_thread(self._failed, job, refused.reason, True)
                except (httpx.HTTPError, TransientError, OSError, ValueError) as exc:
                    log.warning("attachment download failed (%s); retried later", type(exc).__name__)
                    await asyncio.to_thread(self._failed, job, type(exc).__name__, False)
                else:
                    await asyncio.to_thread(self._stored, job, name, mime, len(clean))
                    stored += 1
        return stored

    async def _download(self, http: httpx.AsyncClient, job: Job) -> bytes:
        url = job.url
        if job.channel == "telegram":
            app = self.telegram()
            if app is None:
                raise TransientError("telegram channel not configured")
            answer = (await http.get(f"{app.bot.base_url}/getFile", params={"file_id": job.file_id})).json()
            path = (answer.get("result") or {}).get("file_path") if answer.get("ok") else None
            if not path:
                raise TransientError("getFile gave no path")
            url = f"{app.bot.base_file_url}/{path}"
        if not url:
            raise Refused("damaged", replies.t("vi", "fb_attachment_no_url"))
        async with http.stream("GET", url) as response:
            if response.status_code >= 400:
                raise TransientError(f"HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise size_refusal(self.max_bytes)
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise size_refusal(self.max_bytes)
                chunks.append(chunk)
        return b"".join(chunks)

    def _stored(self, job: Job, name: str, mime: str, size: int) -> None:
        with self.sessions() as session, session.begin():
            attachments.mark_stored(session, job.id, name, mime, size)

    def _failed(self, job: Job, reason: str, permanent: bool) -> None:
        """Record the failure; when the file is given up, tell the citizen in the same transaction."""
        with self.sessions() as session, session.begin():
            if attachments.mark_failed(session, job.id, reason, permanent) and job.chat_id:
                why = reason if permanent else replies.t("vi", "fb_attachment_unreachable")
                name = job.name or replies.t("vi", "fb_attachment_default_name")
                text = replies.t("vi", "fb_attachment_failed", name=name, reference=job.reference, why=why)
                outbox.enqueue(session, job.channel, job.chat_id, text, key=f"attachment-failed:{job.id}")
