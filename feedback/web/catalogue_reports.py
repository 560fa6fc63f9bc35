"""Catalogue validation reports kept on the server, one JSON file each, named by a random id.

A report of a large upload runs to thousands of lines: it does not belong in a cookie (browsers
drop cookies over 4 KB) nor in the session row, which is read on every request. The session keeps
only the report's id; the page reads the file and shows one page of it at a time. Files live
under the deployment's data directory (the upload directory's `reports/`), are written atomically,
and are removed when applied, replaced by a newer upload, or a day old.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

KEEP_SECONDS = 24 * 3600
PER_PAGE = 50
_ID = re.compile(r"[0-9a-f]{32}")


class ReportStore:
    def __init__(self, upload_dir: Path) -> None:
        self.upload_dir = upload_dir
        self.root = upload_dir / "reports"

    def _path(self, report_id: str | None) -> Path | None:
        """The file of an id; None for anything that is not one of ours (no path tricks reach the disk)."""
        return self.root / f"{report_id}.json" if isinstance(report_id, str) and _ID.fullmatch(report_id) else None

    def save(self, report: dict) -> str:
        self.prune()
        self.root.mkdir(parents=True, exist_ok=True)
        report_id = secrets.token_hex(16)
        path = self._path(report_id)
        staging = path.with_suffix(".tmp")
        staging.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        os.replace(staging, path)
        return report_id

    def load(self, report_id: str | None) -> dict | None:
        path = self._path(report_id)
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def staged(self, report: dict) -> Path | None:
        """The uploaded file a report is about, if it is still there."""
        name = Path(str(report.get("file", ""))).name
        path = self.upload_dir / name
        return path if name and path.is_file() else None

    def discard(self, report_id: str | None) -> None:
        """Remove a report and the upload it describes."""
        report = self.load(report_id)
        if report is not None and (staged := self.staged(report)) is not None:
            staged.unlink(missing_ok=True)
        if (path := self._path(report_id)) is not None:
            path.unlink(missing_ok=True)

    def prune(self, now: float | None = None) -> None:
        """Reports and staged uploads nobody came back to for a day."""
        cutoff = (now or time.time()) - KEEP_SECONDS
        for folder in (self.root, self.upload_dir):
            if not folder.is_dir():
                continue
            for item in folder.iterdir():
                try:
                    if item.is_file() and item.stat().st_mtime < cutoff:
                        item.unlink(missing_ok=True)
                except OSError:
                    continue


def page_of(items: list, page: int, per_page: int = PER_PAGE) -> tuple[list, int, int]:
    """(the items of `page`, that page clamped to the last one, how many pages)."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(1, page), pages)
    return items[(page - 1) * per_page: page * per_page], page, pages
