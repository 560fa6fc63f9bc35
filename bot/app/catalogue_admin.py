"""Catalogue administration for a running server: plan an import, apply it, rebuild, swap.

The staff admin page calls these through `feedback.web.app.AdminHooks` (plain callables), so the
web layer does not depend on the bot. A rebuild runs in a background thread with progress, writes a
new index version (embeddings cached by content hash, so a few changed procedures cost seconds),
flips `current`, and asks the holder to swap engines.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.app.hotswap import EngineHolder
from indexer.build import build_index
from indexer.embed import Embedder
from knowledge.importers.run import apply_plan, plan_import
from knowledge.loaders import load_catalogue


@dataclass
class BuildStatus:
    state: str = "idle"  # idle | building | done | failed
    done: int = 0
    total: int = 0
    message: str = ""
    started: float = 0.0
    seconds: float = 0.0


@dataclass
class CatalogueAdmin:
    catalogue_dir: Path
    index_root: Path
    embedder: Embedder
    holder: EngineHolder
    cache_dir: Path
    build: BuildStatus = field(default_factory=BuildStatus)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self) -> dict:
        index = self.holder.service.engine.index
        return {"version": index.version, "manifest": index.manifest, "build": self.build.__dict__.copy(),
                "last_error": self.holder.last_error, "catalogue_dir": str(self.catalogue_dir)}

    def plan(self, upload: Path) -> dict:
        plan = plan_import(upload, self.catalogue_dir)
        return {"valid": plan.valid, "problems": [str(p) for p in plan.report.problems[:200]],
                "problem_count": len(plan.report.problems), "complete": plan.report.complete,
                "partial": plan.report.partial, "added": plan.diff.added, "changed": plan.diff.changed,
                "removed": plan.diff.removed, "procedures": len(plan.procedures)}

    def apply(self, upload: Path, skip_bad: bool) -> str:
        plan = plan_import(upload, self.catalogue_dir)
        if not plan.valid and not skip_bad:
            raise ValueError("tệp có dòng lỗi; chọn “bỏ qua dòng lỗi” nếu vẫn muốn áp dụng")
        apply_plan(plan, self.catalogue_dir)
        self.rebuild()
        return f"Đã áp dụng {len(plan.procedures)} thủ tục; đang xây lại chỉ mục."

    def rebuild(self) -> str:
        with self._lock:
            if self.build.state == "building":
                return "Đang xây chỉ mục, vui lòng đợi."
            self.build = BuildStatus(state="building", started=time.time())
        threading.Thread(target=self._rebuild, name="index-rebuild", daemon=True).start()
        return "Đã bắt đầu xây lại chỉ mục."

    def _rebuild(self) -> None:
        status = self.build
        try:
            catalogue = load_catalogue(self.catalogue_dir).catalogue

            def progress(done: int, total: int) -> None:
                status.done, status.total = done, total

            build_index(catalogue, self.embedder, self.index_root, cache_dir=self.cache_dir, progress=progress)
            result = self.holder.reload()
            if result.error:
                raise RuntimeError(result.error)
            status.state, status.message = "done", f"đang phục vụ phiên bản {result.version}"
        except Exception as exc:  # noqa: BLE001 - reported on the admin page; the old index keeps serving
            status.state, status.message = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            status.seconds = round(time.time() - status.started, 1)

    def reload(self) -> str:
        result = self.holder.reload()
        if result.error:
            return f"Không tải được phiên bản mới: {result.error}"
        return f"Đang phục vụ phiên bản {result.version}" + (" (vừa chuyển)" if result.changed else " (không có phiên bản mới)")
