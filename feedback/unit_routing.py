"""Which unit a new record goes to, and moving a record to another unit with a reason the citizen hears.

Suggestion at intake is a mechanism over the `units` table, never a rule per record:

1. the agency the conversation found (`FeedbackRecord.agency`: named in the text or the procedure's
   agency) against every unit's name and keywords;
2. the citizen's own text against the same names (a xã named in passing: "cán bộ xã Phú Lâm …");
3. the procedure's history: when staff have kept the records of this procedure in one unit (a
   clear majority of the recent ones outside the coordinator queue), a new one goes there too;
4. otherwise the coordinator queue ("chưa phân loại"), whose staff transfer it by hand.

Names are compared on folded text (no diacritics, "Ủy ban nhân dân" = "UBND") with rapidfuzz over
word windows of the alias' length, so "xa phu lam" in a text typed without accents matches "xã
Phú Lâm", one typo in a long name still matches, and "xã An" does not match inside "xã An Phú"
(the longer, more specific name wins a tie; a tie between different units suggests nothing).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from feedback import outbox
from feedback.db import utcnow
from feedback.deadlines import Deadlines, default_deadlines
from feedback.errors import ConcurrentEdit, InvalidInput
from feedback.models import COORDINATOR, AuditEntry, FeedbackRecord, StatusChange, Unit
from feedback.units import Scope, coordinator, require_distribute, visible
from feedback.workdays import WorkCalendar
from knowledge.text import fold

CUTOFF = 92.0  # rapidfuzz ratio (0–100): one edit in a name of ~13 letters, none in a short one
MIN_ALIAS = 5  # folded characters: shorter aliases ("xa") would match everywhere
HISTORY = 200  # recent records of the same procedure looked at
MAJORITY = 0.6  # share of them one unit must hold (and at least two records)
_SPLIT = re.compile(r"[,;\n]+")
_NON_WORD = re.compile(r"[^\w]+")
_LONG_FORMS = ((re.compile(r"\buy ban nhan dan\b"), "ubnd"), (re.compile(r"\bhoi dong nhan dan\b"), "hdnd"))

TRANSFER_MESSAGE = ("Phản ánh, kiến nghị {reference} của anh/chị đã được chuyển đến {unit} để xem xét, giải quyết "
                    "theo thẩm quyền.\nLý do: {reason}\nAnh/chị vẫn tra cứu tiến độ bằng mã {reference} như trước. "
                    "Xin cảm ơn anh/chị.")


def normalise(text: str) -> str:
    """Folded, punctuation as spaces, the long forms of administrative names shortened."""
    text = _NON_WORD.sub(" ", fold(text or "")).replace("_", " ")
    for pattern, short in _LONG_FORMS:
        text = pattern.sub(short, text)
    return " ".join(text.split())


def aliases(unit: Unit) -> tuple[str, ...]:
    """The unit's name and keywords, normalised, without the "ubnd" every commune shares."""
    return _aliases(unit.name, unit.keywords or "")


@functools.lru_cache(maxsize=4096)
def _aliases(name_: str, keywords: str) -> tuple[str, ...]:
    names = [name_, *_SPLIT.split(keywords)]
    out: list[str] = []
    for name in names:
        words = normalise(name).split()
        while words and words[0] in ("ubnd", "hdnd"):
            words = words[1:]
        alias = " ".join(words)
        if len(alias) >= MIN_ALIAS and alias not in out:
            out.append(alias)
    return tuple(out)


@dataclass(frozen=True)
class Suggestion:
    unit_id: int
    why: str  # for the record's history: which signal chose the unit


def match_units(text: str, units: list[Unit]) -> Unit | None:
    """The unit whose name or keyword best matches a window of `text` (None if none, or a tie)."""
    words = normalise(text).split()
    if not words:
        return None
    best: dict[int, tuple[float, int]] = {}
    by_length: dict[int, list[tuple[str, Unit]]] = {}
    for unit in units:
        for alias in aliases(unit):
            by_length.setdefault(len(alias.split()), []).append((alias, unit))
    for k, group in by_length.items():
        windows = [" ".join(words[i:i + k]) for i in range(max(0, len(words) - k + 1))]
        if not windows:
            continue
        scores = process.cdist([a for a, _ in group], windows, scorer=fuzz.ratio, score_cutoff=CUTOFF, workers=1)
        for (alias, unit), row in zip(group, scores):
            score = float(row.max())
            if score >= CUTOFF:
                best[unit.id] = max(best.get(unit.id, (0.0, 0)), (score, len(alias)))
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return next(u for u in units if u.id == ranked[0][0])


def by_history(session: Session, procedure_code: str | None, coordinator_id: int) -> int | None:
    """The unit that holds a clear majority of this procedure's recent records outside the queue."""
    if not procedure_code:
        return None
    recent = session.scalars(select(FeedbackRecord.unit_id).where(
        FeedbackRecord.procedure_code == procedure_code, FeedbackRecord.unit_id != coordinator_id)
        .order_by(FeedbackRecord.id.desc()).limit(HISTORY)).all()
    if len(recent) < 2:
        return None
    unit_id, n = Counter(recent).most_common(1)[0]
    return unit_id if n >= 2 and n / len(recent) >= MAJORITY else None


def suggest_unit(session: Session, agency: str = "", procedure_code: str | None = None, text: str = "") -> Suggestion:
    """The unit a new record should start in (see the module's docstring for the order of signals)."""
    queue = coordinator(session)
    units = list(session.scalars(select(Unit).where(Unit.active, Unit.code != COORDINATOR).order_by(Unit.id)))
    if units:
        for source, why in ((agency, "cơ quan nêu trong phản ánh"), (text, "nội dung phản ánh")):
            found = match_units(source, units) if source else None
            if found is not None:
                return Suggestion(found.id, f"{found.name} (theo {why})")
        unit_id = by_history(session, procedure_code, queue.id)
        if unit_id is not None:
            name = next((u.name for u in units if u.id == unit_id), "")
            if name:
                return Suggestion(unit_id, f"{name} (theo các hồ sơ trước của cùng thủ tục)")
    return Suggestion(queue.id, f"{queue.name} (chưa xác định được đơn vị)")


def transfer(session: Session, scope: Scope, record_id: int, to_unit_id: int, reason: str, actor: str,
             expected_version: int | None = None, deadlines: Deadlines | None = None,
             calendar: WorkCalendar | None = None, now: dt.datetime | None = None) -> FeedbackRecord:
    """Move a record to another unit: a reason is required; the history and the citizen (through the
    outbox) get it, the audit log the move without it (a reason may quote the citizen). The assignee is cleared (they belong to the old unit)
    and, since the citizen has just heard from us, the next progress update is due a full period later."""
    record = visible(session, scope, record_id)
    require_distribute(scope, record)
    if expected_version is not None and record.version != expected_version:
        raise ConcurrentEdit("hồ sơ vừa được người khác cập nhật; vui lòng tải lại trang")
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise InvalidInput("chuyển đơn vị cần ghi lý do (ít nhất 5 ký tự)")
    target = session.get(Unit, to_unit_id)
    if target is None or not target.active:
        raise InvalidInput("đơn vị nhận không tồn tại hoặc đã ngừng hoạt động")
    if target.id == record.unit_id:
        raise InvalidInput("hồ sơ đã ở đơn vị này")
    source = session.get(Unit, record.unit_id)
    now = now or utcnow()
    note = f"chuyển đơn vị: {source.name if source else '?'} → {target.name}. Lý do: {reason}"[:1000]
    session.add(StatusChange(record_id=record.id, actor=actor, at=now, from_status=record.status,
                             to_status=record.status, note=note))
    session.add(AuditEntry(actor=actor, action="transfer_unit", record_id=record.id, at=now,
                           detail=f"{source.code if source else '?'} → {target.code}"))  # the reason is in the history
    record.unit_id, record.assignee_id, record.updated_at = target.id, None, now
    if record.status in ("new", "accepted", "in_progress"):
        record.next_update_due_at = (deadlines or default_deadlines()).due("update", now, calendar)
    outbox.enqueue(session, record.channel, record.chat_id,
                   TRANSFER_MESSAGE.format(reference=record.reference, unit=target.name, reason=reason))
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentEdit("hồ sơ vừa được người khác cập nhật; vui lòng tải lại trang") from exc
    return record
