"""Working days of Vietnamese state agencies, and legal deadlines counted in them.

WHY: the rules for complaints and suggestions count working days (QĐ 852/QĐ-BNV: answer within 20,
progress every 7; NĐ 20/2008 Điều 9: transfer within 5), so a deadline must skip weekends, public
holidays and their compensatory days, and count make-up Saturdays. Which days those are changes every
year by government decision, so they live in a data file (feedback/data/holidays_vn.yaml) that an
administrator can replace (`TTHC_HOLIDAYS_FILE`), not in code.

Rules used here:
- a working day is Monday–Friday not listed in `days_off`, or a day listed in `working_days`;
- n working days from an instant: the day of the instant does not count (Bộ luật Dân sự 2015 Điều
  147.1: "ngày đầu tiên của thời hạn không được tính"), and the deadline ends at the end of the n-th
  working day after it (Điều 148: 24 giờ của ngày cuối cùng);
- a paused interval (waiting for the citizen's additional information) from instant a to instant b
  takes out the working days after a's day up to and including b's day: the day the request goes out
  still counts, the day the information arrives does not, and counting resumes the day after;
- every day is a day in Asia/Ho_Chi_Minh. Instants are stored as naive UTC (feedback.outbox.utcnow);
  a naive datetime given here is read as UTC, an aware one is converted.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the tzdata dependency supplies it where the system has no zone files
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")

HOLIDAYS_ENV = "TTHC_HOLIDAYS_FILE"
MAX_SPAN_DAYS = 366 * 20  # a loop guard: no legal deadline reaches 20 years
Pause = tuple[dt.datetime, dt.datetime]


class _DatesAsText(yaml.SafeLoader):
    """YAML without its own date parsing: PyYAML raises a bare ValueError for 2031-02-30, with no
    line or entry; as text the date reaches the validator below, which says where it is."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class HolidayDataError(ValueError):
    """The holiday file is unreadable or wrong; the message names the file, the entry and the field."""


class DayEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    estimated: bool = False  # dự kiến: computed from the law before the year's decision

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> dt.date:
        # the loader leaves dates as text (_DatesAsText); a date object comes from Python callers. A number
        # is refused: pydantic would read 20250101 as seconds since 1970
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError(f"not a date in the form YYYY-MM-DD: {value!r}")  # pydantic reports a ValueError with its location


class YearEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days_off: list[DayEntry] = []
    working_days: list[DayEntry] = []


class HolidayFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    years: dict[int, YearEntry]


def to_local(moment: dt.datetime) -> dt.datetime:
    """An instant in Vietnam time (naive means UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VN_TZ)


def local_date(moment: dt.datetime | dt.date) -> dt.date:
    """The day in Vietnam on which an instant falls (a date is returned as it is)."""
    return to_local(moment).date() if isinstance(moment, dt.datetime) else moment


def to_utc_naive(moment: dt.datetime) -> dt.datetime:
    """The stored form: naive UTC."""
    return to_local(moment).astimezone(dt.UTC).replace(tzinfo=None)


def end_of_local_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=VN_TZ)


def local_day_bounds_utc(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first and last stored (naive UTC) instants of a day in Vietnam, for date filters."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=VN_TZ)
    end = dt.datetime.combine(day, dt.time.max, tzinfo=VN_TZ)
    return to_utc_naive(start), to_utc_naive(end)


def format_local_date(moment: dt.datetime | None) -> str:
    """dd/mm/yyyy in Vietnam time: the one formatting of a due date for citizens and staff alike."""
    return local_date(moment).strftime("%d/%m/%Y") if moment else ""


def format_local_datetime(moment: dt.datetime | None) -> str:
    return to_local(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days; deadlines in working days (see the module docstring)."""

    days_off: Mapping[dt.date, DayEntry]
    working_days: Mapping[dt.date, DayEntry]
    years: frozenset[int]
    source: str = ""
    _warned: set[int] = field(default_factory=set, compare=False, repr=False)

    def covers(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: dt.date | dt.datetime) -> bool:
        day = local_date(day)
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        if not self.covers(day) and day.year not in self._warned:
            self._warned.add(day.year)
            log.warning("the holiday file %s has no data for %d: counting Monday–Friday only", self.source, day.year)
        return day.weekday() < 5

    def day_off_name(self, day: dt.date) -> str | None:
        entry = self.days_off.get(day)
        return entry.name if entry else None

    def add_working_days(self, start: dt.datetime | dt.date, n: int, paused: Iterable[Pause] = ()) -> dt.datetime:
        """The end (23:59:59 Vietnam time, aware) of the n-th working day after `start`'s day,
        not counting working days inside `paused` intervals."""
        if n < 0:
            raise ValueError("a deadline counts forward: n must be ≥ 0")
        skip = _paused_days(paused)
        day = local_date(start)
        left = n
        for _ in range(MAX_SPAN_DAYS):
            if left == 0:
                return end_of_local_day(day)
            day += dt.timedelta(days=1)
            if self.is_working_day(day) and not _in(skip, day):
                left -= 1
        raise ValueError(f"{n} working days do not fit in {MAX_SPAN_DAYS} days")

    def working_days_between(self, a: dt.datetime | dt.date, b: dt.datetime | dt.date,
                             paused: Iterable[Pause] = ()) -> int:
        """Working days after a's day up to and including b's day (negative when b is before a)."""
        first, last = local_date(a), local_date(b)
        if last < first:
            return -self.working_days_between(b, a, paused)
        if (last - first).days > MAX_SPAN_DAYS:
            raise ValueError("span longer than the loop guard")
        skip = _paused_days(paused)
        count = 0
        day = first
        while day < last:
            day += dt.timedelta(days=1)
            if self.is_working_day(day) and not _in(skip, day):
                count += 1
        return count


def _paused_days(paused: Iterable[Pause]) -> list[tuple[dt.date, dt.date]]:
    """Each pause as the (exclusive, inclusive] range of Vietnam days it takes out of the count."""
    ranges = []
    for begin, end in paused:
        if end < begin:
            raise ValueError(f"a pause ends before it begins: {begin} → {end}")
        ranges.append((local_date(begin), local_date(end)))
    return ranges


def _in(ranges: list[tuple[dt.date, dt.date]], day: dt.date) -> bool:
    return any(first < day <= last for first, last in ranges)


def _where(loc: tuple) -> str:
    """A pydantic error location as a path a person can find in the file: years.2025.days_off[3].date."""
    text = ""
    for i, part in enumerate(loc):
        if isinstance(part, int) and i > 0 and loc[i - 1] != "years":
            text += f"[{part}]"  # a position in a list
        else:
            text += f".{part}" if text else str(part)  # a key (a year is a key of `years`)
    return text


def parse_calendar(data: object, source: str) -> WorkCalendar:
    """Validate the loaded YAML; every problem found is reported together, each with where it is."""
    try:
        parsed = HolidayFile.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        raise HolidayDataError(f"{source}: " + "; ".join(problems)) from None
    problems: list[str] = []
    days_off: dict[dt.date, DayEntry] = {}
    working: dict[dt.date, DayEntry] = {}
    for year, entry in sorted(parsed.years.items()):
        for kind, entries, target in (("days_off", entry.days_off, days_off), ("working_days", entry.working_days, working)):
            for i, day in enumerate(entries):
                where = f"years.{year}.{kind}[{i}] ({day.date.isoformat()})"
                if day.date.year != year:
                    problems.append(f"{where}.date: the date is not in {year}")
                if day.date in days_off or day.date in working:
                    problems.append(f"{where}.date: the date is listed twice")
                if kind == "working_days" and day.date.weekday() < 5:
                    problems.append(f"{where}.date: a make-up working day must be a Saturday or Sunday "
                                    f"(this is a {WEEKDAYS[day.date.weekday()]})")
                target[day.date] = day
    if problems:
        raise HolidayDataError(f"{source}: " + "; ".join(problems))
    return WorkCalendar(days_off=days_off, working_days=working, years=frozenset(parsed.years), source=source)


def load_calendar(path: Path | str | None = None) -> WorkCalendar:
    """The calendar from `path`, else from TTHC_HOLIDAYS_FILE, else the bundled file."""
    path = path or os.environ.get(HOLIDAYS_ENV) or None
    if path is None:
        resource = resources.files("feedback") / "data" / "holidays_vn.yaml"
        return parse_calendar(yaml.load(resource.read_text(encoding="utf-8"), _DatesAsText),
                              "feedback/data/holidays_vn.yaml")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HolidayDataError(f"{path}: cannot read the holiday file ({exc.strerror})") from None
    try:
        data = yaml.load(text, _DatesAsText)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise HolidayDataError(f"{path}: not valid YAML: {exc}") from None
    return parse_calendar(data, str(path))


@functools.lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """The calendar every deadline uses unless one is passed; read once per process."""
    return load_calendar()
