"""Zero-downtime index swap for a running server.

Builds publish a complete version directory and then flip the `current` symlink (indexer.build),
so a reader never sees half an index. The holder notices a new active version (SIGHUP, a poll of
the symlink, or the admin page), loads it and trains its engine *beside* the serving one, and
only then replaces the service's engine reference in one assignment. Requests already running
keep the engine they started with; a version that fails to load (wrong embedder, damaged files)
is reported and the old engine keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.engine.turn import Engine
from bot.app.service import ConversationService
from indexer.build import active_version
from indexer.embed import Embedder
from indexer.search import Index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadResult:
    changed: bool
    version: str
    error: str = ""
    seconds: float = 0.0


class EngineHolder:
    def __init__(self, service: ConversationService, root: Path, embedder: Embedder,
                 make_engine: Callable[[Index], Engine]):
        self.service = service
        self.root = root
        self.embedder = embedder
        self.make_engine = make_engine
        self._lock = threading.Lock()  # one reload at a time
        self.last_error = ""

    @property
    def version(self) -> str:
        return self.service.engine.index.version

    def reload(self) -> ReloadResult:
        """Swap to the active version if it is newer than the serving one (thread-safe, idempotent)."""
        with self._lock:
            started = time.perf_counter()
            target = active_version(self.root)
            if target is None or target.name == self.version:
                return ReloadResult(False, self.version)
            try:
                engine = self.make_engine(Index(target, self.embedder, self.service.engine.index.cache_size))
            except Exception as exc:  # noqa: BLE001 - any failure keeps the old engine serving
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("index %s not loaded, still serving %s: %s", target.name, self.version, self.last_error)
                return ReloadResult(False, self.version, error=self.last_error)
            self.service.engine = engine  # the swap: one reference assignment
            self.last_error = ""
            seconds = time.perf_counter() - started
            log.warning("now serving index %s (loaded in %.1f s)", target.name, seconds)
            return ReloadResult(True, target.name, seconds=seconds)

    async def reload_async(self) -> ReloadResult:
        return await asyncio.to_thread(self.reload)

    async def watch(self, interval: float = 5.0) -> None:
        """Poll the `current` link; reload when it points elsewhere."""
        while True:
            await asyncio.sleep(interval)
            target = active_version(self.root)
            if target is not None and target.name != self.version:
                await self.reload_async()
