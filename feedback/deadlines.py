"""Legal deadlines of each step of handling a complaint or suggestion, in working days.

WHY a settings model: the defaults are the national rules the issue cites, but a province or ministry
may have its own regulation (shorter, never longer), so each number can be set with an environment
variable `TTHC_FEEDBACK_<FIELD>` (e.g. TTHC_FEEDBACK_ANSWER_DAYS=15) or passed explicitly. The same
variables are read by bot/settings.py for answer and update days, so both sides agree.
"""

from __future__ import annotations

import datetime as dt
import functools

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from feedback.models import FeedbackRecord
from feedback.workdays import WorkCalendar, default_calendar, to_utc_naive

# (step, field, Vietnamese label for staff pages), shortest legal window first
STEPS = (
    ("refuse", "refuse_days", "Từ chối tiếp nhận"),
    ("request_info", "request_info_days", "Đề nghị bổ sung thông tin"),
    ("transfer", "transfer_days", "Chuyển cơ quan có thẩm quyền"),
    ("accept", "accept_days", "Xem xét thụ lý"),
    ("answer", "answer_days", "Trả lời"),
)


class Deadlines(BaseSettings):
    """Working days allowed for each step, counted from receipt (progress: from the last update)."""

    model_config = SettingsConfigDict(env_prefix="TTHC_FEEDBACK_", env_file=".env", extra="ignore", frozen=True)

    accept_days: int = Field(5, ge=1, description="decide whether to accept (thụ lý) a record (NĐ 20/2008 Điều 9)")
    refuse_days: int = Field(2, ge=1, description="refuse a record that cannot be handled (national public service portal)")
    request_info_days: int = Field(5, ge=1, description="ask the citizen for missing information (national portal)")
    transfer_days: int = Field(5, ge=1, description="transfer to the competent agency (NĐ 20/2008 Điều 9)")
    answer_days: int = Field(20, ge=1, description="answer the citizen (QĐ 852/QĐ-BNV)")
    update_days: int = Field(7, ge=1, description="tell the citizen about progress while open (QĐ 852/QĐ-BNV)")
    due_soon_days: int = Field(3, ge=0, description="staff pages flag a record this many working days before its due date")

    def due(self, step: str, start: dt.datetime, calendar: WorkCalendar | None = None) -> dt.datetime:
        """The stored (naive UTC) deadline of a step started at `start`."""
        days = getattr(self, f"{step}_days")
        return to_utc_naive((calendar or default_calendar()).add_working_days(start, days))


@functools.lru_cache(maxsize=1)
def default_deadlines() -> Deadlines:
    """Read the environment once per process."""
    return Deadlines()


def resume_clock(record: FeedbackRecord, now: dt.datetime, calendar: WorkCalendar) -> None:
    """Move the due date by the working days spent waiting for the citizen."""
    if record.paused_at is None:
        return
    lost = max(0, calendar.working_days_between(record.paused_at, now))
    if lost:
        record.due_at = to_utc_naive(calendar.add_working_days(record.due_at, lost))
        record.paused_days = (record.paused_days or 0) + lost
    record.paused_at = None


def step_deadlines(record: FeedbackRecord, deadlines: Deadlines | None = None,
                   calendar: WorkCalendar | None = None) -> dict[str, dt.datetime]:
    """Each legal step's deadline counted from receipt (naive UTC), for staff deciding a new record."""
    deadlines = deadlines or default_deadlines()
    result = {step: deadlines.due(step, record.received_at, calendar) for step, _, _ in STEPS if step != "answer"}
    result["answer"] = record.due_at  # includes pauses
    return result
