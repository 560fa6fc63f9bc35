"""Catalogue administration for a running server: plan an import, apply it, rebuild, swap.

The staff admin page calls these through `feedback.web.app.AdminHooks` (plain callables), so the
web layer does not depend on the bot. A rebuild runs in a background thread with progress, writes a
new index version (embeddings cached by content hash, so a few changed procedures cost seconds),
flips `current`, and asks the holder to swap engines.

What the page shows is for the administrator, in Vietnamese: problems by the uploaded file's own name,
row and field (bot/app/catalogue_messages.py), build states as words (đang chờ, đang xây dựng, xong,
lỗi), and no server path in any message. An apply that would add nothing (no usable row) is refused
instead of rewriting the catalogue with what it already holds and rebuilding for nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.app.catalogue_messages import describe, strip_paths
from bot.app.hotswap import EngineHolder
from indexer.build import build_index
from indexer.embed import Embedder
from knowledge.importers.run import apply_plan, plan_import
from knowledge.loaders import load_catalogue


MAX_REPORTED = 10_000  # problems kept in one report (the page pages them); the count says how many in all
STATE_LABELS = {"idle": "đang chờ", "building": "đang xây dựng", "done": "xong", "failed": "lỗi"}
NO_VALID_ROW = ("tệp {name} không có dòng hợp lệ nào nên không có gì để áp dụng; anh/chị vui lòng sửa các lỗi "
                "trong báo cáo kiểm tra rồi tải tệp lên lại")


@dataclass
class BuildStatus:
    state: str = "idle"  # idle | building | done | failed (shown through STATE_LABELS)
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

    def _names(self) -> dict[str, str]:
        """Server paths a message may carry, and what the page says instead."""
        return {str(self.catalogue_dir.resolve()): "danh mục", str(self.catalogue_dir): "danh mục",
                str(self.index_root): "chỉ mục", str(self.cache_dir): "bộ đệm"}

    def status(self) -> dict:
        index = self.holder.service.engine.index
        build = self.build.__dict__.copy()
        build["label"] = STATE_LABELS.get(build["state"], build["state"])
        build["message"] = strip_paths(build["message"], self._names())
        last_error = strip_paths(self.holder.last_error, self._names()) if self.holder.last_error else self.holder.last_error
        return {"version": index.version, "manifest": index.manifest, "build": build, "last_error": last_error}

    def plan(self, upload: Path, display_name: str | None = None) -> dict:
        """The validation report of an upload, JSON-ready: every line in Vietnamese, named by
        `display_name` (the name it was uploaded under), never by where it was staged."""
        plan = plan_import(upload, self.catalogue_dir)
        names = {**self._names(), str(upload): display_name or upload.name, str(upload.resolve()): display_name or upload.name}
        report = plan.report
        return {"valid": plan.valid, "problems": [describe(p, names) for p in report.problems[:MAX_REPORTED]],
                "warnings": [describe(p, names) for p in report.warnings[:MAX_REPORTED]],
                "problem_count": len(report.problems), "complete": report.complete, "partial": report.partial,
                "usable": len(report.procedures) + len(report.faq), "added": plan.diff.added,
                "changed": plan.diff.changed, "removed": plan.diff.removed, "procedures": len(plan.procedures)}

    def apply(self, upload: Path, skip_bad: bool, display_name: str | None = None) -> str:
        plan = plan_import(upload, self.catalogue_dir)
        if not plan.report.procedures and not plan.report.faq:
            raise ValueError(NO_VALID_ROW.format(name=f"«{display_name or upload.name}»"))
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
        except Exception as exc:  # noqa: BLE001 - reported on the admin page (paths cut there); the old index keeps serving
            status.state, status.message = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            status.seconds = round(time.time() - status.started, 1)

    def reload(self) -> str:
        result = self.holder.reload()
        if result.error:
            return f"Không tải được phiên bản mới: {strip_paths(result.error, self._names())}"
        return f"Đang phục vụ phiên bản {result.version}" + (" (vừa chuyển)" if result.changed else " (không có phiên bản mới)")
