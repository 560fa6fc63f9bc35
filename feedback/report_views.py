"""What the staff web's report page and downloads need, computed once and cached.

A report page is one HTML view plus five chart images, each a separate request: computing the
report per request meant building it six times per view. Here a report is computed once per
(period, unit, data version) and its charts rendered once on first demand; the data version
changes with any new status change, rating, question or record edit, so a cached report is never
stale. The functions are blocking (SQL, matplotlib) and meant to run in a worker thread
(`starlette.concurrency.run_in_threadpool`), never on the event loop.
"""

from __future__ import annotations

import io
import tempfile
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from feedback.db import utcnow
from feedback.periods import Period, local_now
from feedback.report_files import Table, charts, tables, write_csv, write_xlsx
from feedback.models import Unit
from feedback.reports import Report, build_report, data_version, known_units, resolve_unit
from feedback.units import Scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Computed:
    report: Report
    tables: list[Table]
    images: dict[str, bytes] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def charts(self) -> dict[str, bytes]:
        with self.lock:  # five image requests arriving together render the charts once
            if self.images is None:
                self.images = charts(self.report)
            return self.images


@dataclass
class PageData:
    computed: Computed | None
    units: list[str]
    error: str | None = None


class ReportCache:
    def __init__(self, sessions: sessionmaker, size: int = 8) -> None:
        self.sessions = sessions
        self.size = size
        self._items: OrderedDict[tuple, Computed] = OrderedDict()
        self._lock = threading.Lock()
        self.computations = 0  # how many reports were actually built (tests and /health read it)

    def get(self, period_text: str | None, unit_text: str | None, names: dict[str, str] | None = None,
            within: Scope | None = None) -> Computed:
        """The report for the query parameters; ValueError (a message for staff) for a bad period or unit.
        An empty or missing unit means every unit (a form left blank). `within`: the reader's units
        (feedback/units.py); a reader limited to some units never gets a report cached for others."""
        period = Period.parse(period_text or f"{local_now():%Y-%m}")
        within = None if within is None or within.everywhere else within
        with self.sessions() as db:
            unit = resolve_unit(db, unit_text if (unit_text or "").strip() else None, within)
            now = utcnow()
            # a period still running is judged "now": cache it per minute, a finished one for good
            as_of = min(period.end_utc, now.replace(second=0, microsecond=0))
            reader = None if within is None else within.unit_ids
            key = (period, unit, reader, as_of, data_version(db))
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            label = "" if within is None else ", ".join(
                db.scalars(select(Unit.name).where(Unit.id.in_(sorted(within.unit_ids))).order_by(Unit.name))
            ) or "(chưa thuộc đơn vị nào)"
            report = build_report(db, period, unit=unit, names=names, now=now, within=within, within_label=label)
        computed = Computed(report, tables(report))
        with self._lock:
            self.computations += 1
            self._items[key] = computed
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return computed

    def page(self, period_text: str | None, unit_text: str | None, within: Scope | None = None) -> PageData:
        with self.sessions() as db:
            units = known_units(db, None if within is None or within.everywhere else within)
        try:
            return PageData(self.get(period_text, unit_text, within=within), units)
        except ValueError as exc:
            return PageData(None, units, str(exc))

    def file(self, period_text: str | None, unit_text: str | None, what: str,
             within: Scope | None = None) -> tuple[bytes, str] | None:
        """(content, media type) of a download or chart, None if there is no such file."""
        computed = self.get(period_text, unit_text, within=within)
        if what.endswith(".png"):
            image = computed.charts().get(what.removesuffix(".png"))
            return (image, "image/png") if image is not None else None
        with tempfile.TemporaryDirectory() as tmp:
            if what == "bao-cao.xlsx":
                return write_xlsx(computed.report, Path(tmp) / what).read_bytes(), XLSX
            if what == "bao-cao-csv.zip":
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w") as archive:
                    for path in write_csv(computed.report, Path(tmp)):
                        archive.write(path, path.name)
                return buffer.getvalue(), "application/zip"
        return None


def chart_names(report: Report) -> list[str]:
    names = ["xu-huong-theo-thang", "theo-loai", "dung-han-qua-han", "hai-long"]
    return names + (["danh-gia-tro-ly"] if report.answer_ratings is not None else [])
