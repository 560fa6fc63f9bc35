"""Units (cơ quan / xã) as data, who belongs to which, and the one scope every staff query goes through.

A record belongs to exactly one unit (`FeedbackRecord.unit_id`); a staff member sees a record only
if they are a member of its unit, in any role, or a province-wide administrator (`StaffUser.role ==
"admin"`). Every list, page, reveal, export, bulk action and report of the staff web narrows its
query with `scoped` and fetches single records with `visible`: the rule lives here once, so a new
page cannot forget it. A record outside the scope is *not found* (404), never "forbidden": a
member of one xã learns nothing about another's records, not even that a number exists.

Roles within a unit (the roles a Vietnamese PAKN desk has):

    tiep_nhan  tiếp nhận  reads, replies, changes status, assigns and transfers between units
    xu_ly      xử lý      reads, replies, changes status (handles what it is given)
    lanh_dao   lãnh đạo   as tiếp nhận (leaders distribute and redirect work)
    quan_tri   quản trị   as lãnh đạo (the unit's own administrator)

Creating, renaming, deactivating a unit and granting or revoking a role are written to the audit log
here, once, so the staff web's pages and `tthc unit …` / `tthc staff grant/revoke` leave the same
rows (the command line, which names no actor, is recorded as "cli").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, false, func, select, true
from sqlalchemy.orm import Session

from feedback.errors import FeedbackError, FeedbackNotFound, InvalidInput
from feedback.models import (
    ACCEPTED, COORDINATOR, IN_PROGRESS, NEW, UNIT_KINDS, UNIT_ROLES, WAITING, AuditEntry, FeedbackRecord, StaffUser, Unit,
    UnitMember)
from knowledge.text import slugify

ROLE_LABELS = {"tiep_nhan": "Tiếp nhận", "xu_ly": "Xử lý", "lanh_dao": "Lãnh đạo", "quan_tri": "Quản trị"}
KIND_LABELS = {"co_quan": "Cơ quan", "xa": "Xã/phường", "dieu_phoi": "Điều phối"}
# what each role may do beyond reading, replying and changing status
DISTRIBUTE = frozenset({"tiep_nhan", "lanh_dao", "quan_tri"})  # assign to a colleague, transfer to another unit


OPEN_STATUSES = (NEW, ACCEPTED, IN_PROGRESS, WAITING)  # as feedback.service.OPEN (which imports this module)


class NotAllowed(FeedbackError):
    """The record is visible but the user's role in its unit does not allow this act."""


@dataclass(frozen=True)
class Scope:
    """The units a staff member works in, with their role in each; `everywhere` for a province admin."""

    user_id: int
    username: str
    everywhere: bool = False
    roles: Mapping[int, str] = field(default_factory=dict)  # unit id → role

    @property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def clause(self):
        """The SQL condition on FeedbackRecord this scope allows (bound parameters only)."""
        if self.everywhere:
            return true()
        if not self.roles:
            return false()
        return FeedbackRecord.unit_id.in_(sorted(self.roles))

    def sees(self, record: FeedbackRecord) -> bool:
        return self.everywhere or record.unit_id in self.roles

    def may_distribute(self, unit_id: int) -> bool:
        return self.everywhere or self.roles.get(unit_id) in DISTRIBUTE


def scope_of(session: Session, user: StaffUser) -> Scope:
    roles = dict(session.execute(select(UnitMember.unit_id, UnitMember.role).where(UnitMember.user_id == user.id)).all())
    return Scope(user.id, user.username, everywhere=user.role == "admin", roles=roles)


def scoped(query: Select, scope: Scope) -> Select:
    """THE filter: any select over FeedbackRecord (alone or joined) narrowed to what `scope` may see."""
    return query.where(scope.clause())


def visible(session: Session, scope: Scope, record_id: int) -> FeedbackRecord:
    """One record if the scope sees it; FeedbackNotFound otherwise (the same as a number that does not exist)."""
    record = session.scalar(scoped(select(FeedbackRecord).where(FeedbackRecord.id == record_id), scope))
    if record is None:
        raise FeedbackNotFound(str(record_id))
    return record


def require_distribute(scope: Scope, record: FeedbackRecord) -> None:
    if not scope.may_distribute(record.unit_id):
        raise NotAllowed("chỉ cán bộ tiếp nhận, lãnh đạo hoặc quản trị của đơn vị được giao việc hoặc chuyển hồ sơ")


# --- units and members ------------------------------------------------------------------------------
def coordinator(session: Session) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == COORDINATOR))
    if unit is None:  # created by migration 0011_units; recreated if someone removed it by hand
        unit = Unit(code=COORDINATOR, name="Chưa phân loại (điều phối)", kind="dieu_phoi")
        session.add(unit)
        session.flush()
    return unit


def unit_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == (code or "").strip().lower()))
    if unit is None:
        raise InvalidInput(f"không có đơn vị mã '{code}'")
    return unit


def _audit(session: Session, actor: str, action: str, detail: str) -> None:
    session.add(AuditEntry(actor=actor[:80], action=action, detail=detail[:1000]))


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise InvalidInput("tên đơn vị trống hoặc quá dài (tối đa 200 ký tự)")
    return name


def _keywords(keywords: str) -> str:
    """One alias per line or comma-separated, kept as typed but without blank entries."""
    kept = [" ".join(k.split()) for k in (keywords or "").replace("\r", "").replace("\n", ",").split(",")]
    text = ", ".join(k for k in kept if k)
    if len(text) > 1000:
        raise InvalidInput("từ khóa của đơn vị dài quá 1000 ký tự")
    return text


def add_unit(session: Session, name: str, kind: str = "co_quan", code: str | None = None, keywords: str = "",
             actor: str = "cli") -> Unit:
    name = _name(name)
    if kind not in UNIT_KINDS or kind == "dieu_phoi":
        raise InvalidInput(f"loại đơn vị phải là co_quan hoặc xa (không phải {kind!r})")
    code = slugify(code or name, 40)
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise InvalidInput(f"mã đơn vị '{code}' đã có")
    unit = Unit(code=code, name=name, kind=kind, keywords=_keywords(keywords), active=True)
    session.add(unit)
    session.flush()
    _audit(session, actor, "unit_create", f"đơn vị {code}: {name}")
    return unit


def _unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise InvalidInput("không có đơn vị này")
    return unit


def update_unit(session: Session, unit_id: int, name: str, keywords: str, actor: str) -> Unit:
    """Rename a unit or change the other names intake matches it by; the code stays (commands use it)."""
    unit = _unit(session, unit_id)
    name, keywords = _name(name), _keywords(keywords)
    changed = [what for what, before, after in (("tên", unit.name, name), ("từ khóa", unit.keywords, keywords))
               if before != after]
    if not changed:
        raise InvalidInput(f"đơn vị {unit.name} không có gì thay đổi")
    before, unit.name, unit.keywords = unit.name, name, keywords
    session.flush()
    _audit(session, actor, "unit_update", f"đơn vị {unit.code}: đổi {' và '.join(changed)}"
           + (f" ({before} → {name})" if name != before else ""))
    return unit


def open_records(session: Session, unit_id: int) -> int:
    return session.scalar(select(func.count()).select_from(FeedbackRecord).where(
        FeedbackRecord.unit_id == unit_id, FeedbackRecord.status.in_(OPEN_STATUSES))) or 0


def set_active(session: Session, unit_id: int, active: bool, actor: str) -> Unit:
    """Deactivate a unit (no new record is routed or transferred to it) or bring it back. Refused while
    the unit still holds open records: they would sit where nobody routes work any more. The
    coordinator queue cannot be deactivated: it is where a record nobody recognises goes."""
    unit = _unit(session, unit_id)
    if unit.active == active:
        raise InvalidInput(f"đơn vị {unit.name} {'đang' if active else 'đã ngừng'} hoạt động")
    if not active:
        if unit.code == COORDINATOR:
            raise InvalidInput("không thể ngừng hoạt động hàng chờ điều phối: hồ sơ chưa xác định được đơn vị đi vào đây")
        waiting = open_records(session, unit.id)
        if waiting:
            raise InvalidInput(f"Không thể ngừng hoạt động đơn vị {unit.name}: đơn vị còn {waiting} hồ sơ đang mở. "
                               "Vui lòng xử lý xong hoặc chuyển các hồ sơ này sang đơn vị khác trước.")
    unit.active = active
    session.flush()
    _audit(session, actor, "unit_activate" if active else "unit_deactivate", f"đơn vị {unit.code}: {unit.name}")
    return unit


def list_units(session: Session) -> list[tuple[Unit, int, int]]:
    """(unit, members, open records) for every unit, the coordinator queue first."""
    members = dict(session.execute(select(UnitMember.unit_id, func.count()).group_by(UnitMember.unit_id)).all())
    open_ = dict(session.execute(select(FeedbackRecord.unit_id, func.count())
                                 .where(FeedbackRecord.status.in_(OPEN_STATUSES)).group_by(FeedbackRecord.unit_id)).all())
    units = session.scalars(select(Unit).order_by((Unit.code != COORDINATOR), Unit.kind, Unit.name))
    return [(u, members.get(u.id, 0), open_.get(u.id, 0)) for u in units]


def _user(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == (username or "").strip().lower()))
    if user is None:
        raise InvalidInput("không có tài khoản này")
    return user


def grant(session: Session, username: str, unit_code: str, role: str, actor: str = "cli") -> UnitMember:
    """Make a user a member of a unit with `role` (changing the role if already a member). The user's
    scope is read on each request (`scope_of`), so the change holds from their next page on."""
    if role not in UNIT_ROLES:
        raise InvalidInput(f"vai trò trong đơn vị phải là một trong {', '.join(UNIT_ROLES)}")
    user, unit = _user(session, username), unit_by_code(session, unit_code)
    if not unit.active:
        raise InvalidInput(f"đơn vị {unit.name} đã ngừng hoạt động")
    member = session.scalar(select(UnitMember).where(UnitMember.unit_id == unit.id, UnitMember.user_id == user.id))
    before = member.role if member is not None else None
    if member is None:
        member = UnitMember(unit_id=unit.id, user_id=user.id, role=role)
        session.add(member)
    member.role = role
    session.flush()
    if before != role:
        _audit(session, actor, "unit_grant", f"tài khoản {user.username}, đơn vị {unit.code}: "
               + (f"{ROLE_LABELS[before]} → " if before else "") + ROLE_LABELS[role])
    return member


def revoke(session: Session, username: str, unit_code: str, actor: str = "cli") -> bool:
    """Remove a user from a unit; False when they were not a member. Records they hold stay assigned
    (their history is theirs) but they no longer see them: the unit's leader reassigns."""
    user, unit = _user(session, username), unit_by_code(session, unit_code)
    member = session.scalar(select(UnitMember).where(UnitMember.unit_id == unit.id, UnitMember.user_id == user.id))
    if member is None:
        return False
    _audit(session, actor, "unit_revoke", f"tài khoản {user.username}, đơn vị {unit.code}: {ROLE_LABELS[member.role]}")
    session.delete(member)
    session.flush()
    return True


def join_coordinator(session: Session, user: StaffUser, role: str = "tiep_nhan") -> UnitMember:
    """A new account starts at the coordinator desk, as every account did before units existed;
    `tthc staff grant/revoke` then moves it to its own units."""
    member = UnitMember(unit_id=coordinator(session).id, user_id=user.id, role=role)
    session.add(member)
    session.flush()
    return member


def memberships(session: Session, user_id: int) -> list[tuple[Unit, str]]:
    return [(u, role) for u, role in session.execute(
        select(Unit, UnitMember.role).join(UnitMember, UnitMember.unit_id == Unit.id)
        .where(UnitMember.user_id == user_id).order_by(Unit.name))]


def memberships_by_user(session: Session) -> dict[int, list[tuple[Unit, str]]]:
    """Every account's units and role in each (one query), for the accounts page."""
    out: dict[int, list[tuple[Unit, str]]] = {}
    for user_id, unit, role in session.execute(
            select(UnitMember.user_id, Unit, UnitMember.role).join(Unit, UnitMember.unit_id == Unit.id)
            .order_by(UnitMember.user_id, Unit.name)):
        out.setdefault(user_id, []).append((unit, role))
    return out


def staff_of(session: Session, unit_ids) -> list[StaffUser]:
    """Active staff who are members of any of these units: whom a record of them can be given to."""
    ids = sorted(set(unit_ids))
    if not ids:
        return []
    members = select(UnitMember.user_id).where(UnitMember.unit_id.in_(ids))
    return list(session.scalars(select(StaffUser).where(StaffUser.active, StaffUser.id.in_(members))
                                .order_by(StaffUser.username)))


def is_member(session: Session, user_id: int, unit_id: int) -> bool:
    return session.scalar(select(UnitMember.id).where(UnitMember.user_id == user_id, UnitMember.unit_id == unit_id)) is not None


def active_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.active).order_by((Unit.code != COORDINATOR), Unit.name)))
