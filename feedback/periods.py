"""Reporting periods in Vietnam time.

Records are stored with naive UTC datetimes, but a month, a quarter and a report's "Thời điểm lập"
are Vietnamese calendar notions: a record received at 06:30 on 1 October in Hà Nội belongs to
October even though it is 23:30 on 30 September in UTC. A `Period` therefore holds its bounds as
naive *local* datetimes (what people read) and converts them to naive UTC (what the database
holds) through zoneinfo, never a hand-written offset.

Besides calendar periods there is the named *kỳ báo cáo* of Nghị định 09/2019/NĐ-CP (Điều 12):
figures are cut off from the 15th of the month before the period to the 14th of its last month
("ky:2026-10" = 15/09–14/10/2026, "ky:2026-Q3" = 15/06–14/09, "ky:2026-H1" = 15/12/2025–14/06/2026,
"ky:2026" = 15/12/2025–14/12/2026).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CUTOFF_DAY = 15  # NĐ 09/2019: the period runs from the 15th of the month before to the 14th

EXAMPLES = "2026-10, 2026-Q3, 2026-H1, 2026, 2026-01-01..2026-01-31, ky:2026-10, ky:2026-Q3"


def to_utc(local: dt.datetime) -> dt.datetime:
    """A naive Vietnam-time moment as the naive UTC the database stores."""
    return local.replace(tzinfo=VN).astimezone(dt.UTC).replace(tzinfo=None)


def to_local(utc: dt.datetime) -> dt.datetime:
    """A naive UTC moment from the database as naive Vietnam time (for display and bucketing)."""
    return utc.replace(tzinfo=dt.UTC).astimezone(VN).replace(tzinfo=None)


def local_now() -> dt.datetime:
    return dt.datetime.now(VN).replace(tzinfo=None)


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1)


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.datetime  # inclusive, naive Vietnam time
    end: dt.datetime  # exclusive, naive Vietnam time
    anchor_day: int = 1  # the day months are cut at: 1 for calendar periods, 15 for a kỳ báo cáo

    @property
    def start_utc(self) -> dt.datetime:
        return to_utc(self.start)

    @property
    def end_utc(self) -> dt.datetime:
        return to_utc(self.end)

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()

    @property
    def span(self) -> str:
        """'từ ngày 15/09/2026 đến ngày 14/10/2026', as official forms state a period."""
        return f"từ ngày {self.first_day:%d/%m/%Y} đến ngày {self.last_day:%d/%m/%Y}"

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2026-10', '2026-Q3', '2026-H1', '2026', '2026-01-15..2026-02-14' (inclusive days), or any of the
        first four prefixed 'ky:' for the NĐ 09/2019 cut-off (15th of the month before to the 14th)."""
        text = text.strip().upper()
        if text.startswith("KY:"):
            calendar = cls.parse(text[3:])
            if ".." in text:
                raise ValueError("kỳ báo cáo 'ky:' dùng với tháng, quý, 6 tháng hoặc năm")
            start = _add_months(calendar.start, -1).replace(day=CUTOFF_DAY)
            end = _add_months(calendar.end, -1).replace(day=CUTOFF_DAY)
            last = end - dt.timedelta(days=1)
            days = f"{start:%d/%m}–{last:%d/%m}" if start.year == last.year else f"{start:%d/%m/%Y}–{last:%d/%m/%Y}"
            return cls(f"{calendar.label} (kỳ {days})", start, end, anchor_day=CUTOFF_DAY)
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2})", text):
            try:
                start = dt.datetime(int(m[1]), int(m[2]), int(m[3]))
                end = dt.datetime(int(m[4]), int(m[5]), int(m[6])) + dt.timedelta(days=1)
            except ValueError as exc:
                raise ValueError(f"ngày không hợp lệ: {text!r}") from exc
            if end <= start:
                raise ValueError("kỳ báo cáo: ngày kết thúc phải sau ngày bắt đầu")
            return cls(f"{start:%d/%m/%Y}–{end - dt.timedelta(days=1):%d/%m/%Y}", start, end)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise ValueError("tháng không hợp lệ")
            start = dt.datetime(year, month, 1)
            return cls(f"Tháng {month:02d}/{year}", start, _add_months(start, 1))
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            start = dt.datetime(year, 3 * quarter - 2, 1)
            return cls(f"Quý {quarter}/{year}", start, _add_months(start, 3))
        if m := re.fullmatch(r"(\d{4})-H([12])", text):
            year, half = int(m[1]), int(m[2])
            start = dt.datetime(year, 1 if half == 1 else 7, 1)
            return cls(f"6 tháng {'đầu' if half == 1 else 'cuối'} năm {year}", start, _add_months(start, 6))
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m[1])
            return cls(f"Năm {year}", dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1))
        raise ValueError(f"kỳ báo cáo không hợp lệ: {text!r} (ví dụ {EXAMPLES})")

    def months(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """The period cut at `anchor_day` of each month (calendar months, or 15th-to-14th months)."""
        cursor = dt.datetime(self.start.year, self.start.month, self.anchor_day)
        if cursor > self.start:
            cursor = _add_months(cursor, -1)
        out = []
        while cursor < self.end:
            nxt = _add_months(cursor, 1)
            out.append((max(cursor, self.start), min(nxt, self.end)))
            cursor = nxt
        return out

    @property
    def granularity(self) -> str:
        """'ngày' up to 45 days (a month read as one point says nothing), 'tháng' up to three years, else 'năm'."""
        days = (self.end - self.start).days
        return "ngày" if days <= 45 else ("tháng" if days <= 3 * 366 else "năm")

    def buckets(self) -> list[tuple[str, dt.datetime, dt.datetime]]:
        """Sub-periods for the trend table and chart, at `granularity`."""
        days = (self.end - self.start).days
        if self.granularity == "ngày":
            return [(f"{d:%d/%m}", d, min(d + dt.timedelta(days=1), self.end))
                    for d in (self.start + dt.timedelta(days=i) for i in range(days or 1))]
        if self.granularity == "tháng":
            # a kỳ báo cáo month (15/09–14/10) is named by its last month, as the period itself is
            return [(f"{(e - dt.timedelta(days=1)):%m/%Y}", s, e) for s, e in self.months()]
        out, year = [], self.start.year
        while dt.datetime(year, 1, 1) < self.end:
            out.append((str(year), max(dt.datetime(year, 1, 1), self.start), min(dt.datetime(year + 1, 1, 1), self.end)))
            year += 1
        return out
