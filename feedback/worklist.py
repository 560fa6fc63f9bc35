"""The inbox as a list of work: what is late comes first, the counters staff steer by, bulk acts.

Everything here is narrowed by the user's `Scope` (feedback/units.py). The default order is by due
date with overdue records first, then open ones by due date, records waiting for the citizen after
them and finished ones last. The navigation's four counters (quá hạn, sắp đến hạn, chưa giao, của
tôi) and the progress-update one come from one aggregate query. "Cần cập nhật tiến độ" means the
citizen is owed news: a progress update is due every `update_days` (7) working days while a record
is open (`next_update_due_at`, feedback/deadlines.py) and that day has passed.

A bulk act runs each record in its own savepoint: one refused record (wrong state, missing, not
in the user's units) is reported by itself and does not undo the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from feedback import service
from feedback.db import utcnow
from feedback.deadlines import Deadlines, default_deadlines
from feedback.errors import FeedbackError, InvalidInput
from feedback.models import WAITING, AuditEntry, FeedbackRecord, StaffUser
from feedback.units import Scope, is_member, require_distribute, scoped, visible
from feedback.workdays import WorkCalendar

VIEWS = {"overdue": "Quá hạn", "due_soon": "Sắp đến hạn", "unassigned": "Chưa giao", "mine": "Của tôi",
         "update_due": "Cần cập nhật tiến độ"}
SORTS = ("due", "received")
R = FeedbackRecord


def conditions(user_id: int, now: dt.datetime, soon: dt.datetime) -> dict:
    """Each view as a SQL condition: the filters and the counters are the same expressions."""
    running, open_ = R.status.in_(service.CLOCK_RUNNING), R.status.in_(service.OPEN)
    return {
        "overdue": and_(running, R.due_at < now),
        "due_soon": and_(running, R.due_at >= now, R.due_at <= soon),
        "unassigned": and_(open_, R.assignee_id.is_(None)),
        "mine": and_(open_, R.assignee_id == user_id),
        "update_due": and_(running, R.next_update_due_at < now),
    }


def _soon(now: dt.datetime, deadlines: Deadlines | None, calendar: WorkCalendar | None) -> dt.datetime:
    return (deadlines or default_deadlines()).due("due_soon", now, calendar)


def counters(session: Session, scope: Scope, now: dt.datetime | None = None, deadlines: Deadlines | None = None,
             calendar: WorkCalendar | None = None) -> dict[str, int]:
    """Records per view within the scope, in one query (conditional sums)."""
    now = now or utcnow()
    views = conditions(scope.user_id, now, _soon(now, deadlines, calendar))
    columns = [func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(name) for name, cond in views.items()]
    row = session.execute(scoped(select(*columns).select_from(R), scope)).one()
    return {name: int(value) for name, value in zip(views, row)}


def worklist(session: Session, scope: Scope, flt: service.InboxFilter, view: str = "", sort: str = "due",
             now: dt.datetime | None = None, deadlines: Deadlines | None = None,
             calendar: WorkCalendar | None = None) -> tuple[list[FeedbackRecord], int]:
    """One page of the inbox: the filters, the view, the scope; sorted by due date unless asked otherwise."""
    now = now or utcnow()
    query = scoped(service.inbox_query(flt, now), scope)
    if view:
        if view not in VIEWS:
            raise InvalidInput(f"không có bộ lọc '{view}'")
        query = query.where(conditions(scope.user_id, now, _soon(now, deadlines, calendar))[view])
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if sort == "received":
        order = (R.received_at.desc(), R.id.desc())
    else:
        rank = case((and_(R.status.in_(service.CLOCK_RUNNING), R.due_at < now), 0),
                    (R.status.in_(service.CLOCK_RUNNING), 1), (R.status == WAITING, 2), else_=3)
        order = (rank, R.due_at, R.id)
    page = max(1, flt.page)
    rows = session.scalars(query.order_by(*order).offset((page - 1) * flt.per_page).limit(flt.per_page))
    return list(rows), total


@dataclass(frozen=True)
class Outcome:
    """One record's result in a bulk act: shown per record on the inbox."""

    record_id: int
    reference: str
    ok: bool
    error: str = ""


def bulk(session: Session, scope: Scope, record_ids: Sequence[int], act: Callable[[FeedbackRecord], None]) -> list[Outcome]:
    """Apply `act` to each record the scope sees, each in a savepoint; errors are kept per record."""
    results = []
    for record_id in dict.fromkeys(record_ids):
        reference = f"#{record_id}"
        try:
            with session.begin_nested():
                record = visible(session, scope, record_id)
                reference = record.reference
                act(record)
            results.append(Outcome(record_id, reference, True))
        except service.FeedbackNotFound:
            results.append(Outcome(record_id, reference, False, "không tìm thấy hồ sơ trong đơn vị của anh/chị"))
        except FeedbackError as exc:
            results.append(Outcome(record_id, reference, False, str(exc)))
    return results


def bulk_status(session: Session, scope: Scope, record_ids: Sequence[int], to_status: str, reason: str,
                actor: str) -> list[Outcome]:
    """Change the status of many records at once; a reason is required (it goes into every history)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("đổi trạng thái hàng loạt cần ghi lý do")
    results = bulk(session, scope, record_ids,
                   lambda r: service.transition(session, r.id, to_status, actor, reason))
    done = [str(o.record_id) for o in results if o.ok]
    session.add(AuditEntry(actor=actor, action="bulk_status", detail=f"{to_status}: {','.join(done)}"[:1000]))
    return results


def check_assignee(session: Session, record: FeedbackRecord, assignee_id: int) -> StaffUser:
    """A record is given only to an active member of its own unit (who can then open it)."""
    assignee = session.get(StaffUser, assignee_id)
    if assignee is None or not assignee.active:
        raise InvalidInput("cán bộ không tồn tại hoặc đã bị khóa")
    if not is_member(session, assignee.id, record.unit_id):
        raise InvalidInput(f"{assignee.display_name or assignee.username} không thuộc đơn vị của hồ sơ")
    return assignee


def assign_within(session: Session, scope: Scope, record_ids: Sequence[int], assignee_id: int,
                  actor: str) -> list[Outcome]:
    """Assign records the scope sees and may distribute, each to a member of the record's unit; each
    assignment is audited by service.assign, the bulk act once more with the records it reached."""
    def act(record: FeedbackRecord) -> None:
        require_distribute(scope, record)
        check_assignee(session, record, assignee_id)
        service.assign(session, [record.id], assignee_id, actor)

    results = bulk(session, scope, record_ids, act)
    done = [str(o.record_id) for o in results if o.ok]
    session.add(AuditEntry(actor=actor, action="bulk_assign", detail=",".join(done)[:1000]))
    return results
