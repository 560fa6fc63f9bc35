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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, false, func, select, true
from sqlalchemy.orm import Session

from feedback.errors import FeedbackError, FeedbackNotFound, InvalidInput
from feedback.models import (
    ACCEPTED, COORDINATOR, IN_PROGRESS, NEW, UNIT_KINDS, UNIT_ROLES, WAITING, FeedbackRecord, StaffUser, Unit, UnitMember)
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


def add_unit(session: Session, name: str, kind: str = "co_quan", code: str | None = None, keywords: str = "") -> Unit:
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise InvalidInput("tên đơn vị trống hoặc quá dài")
    if kind not in UNIT_KINDS or kind == "dieu_phoi":
        raise InvalidInput(f"loại đơn vị phải là co_quan hoặc xa (không phải {kind!r})")
    code = slugify(code or name, 40)
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise InvalidInput(f"mã đơn vị '{code}' đã có")
    unit = Unit(code=code, name=name, kind=kind, keywords=(keywords or "")[:1000], active=True)
    session.add(unit)
    session.flush()
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


def grant(session: Session, username: str, unit_code: str, role: str) -> UnitMember:
    """Make a user a member of a unit with `role` (changing the role if already a member)."""
    if role not in UNIT_ROLES:
        raise InvalidInput(f"vai trò trong đơn vị phải là một trong {', '.join(UNIT_ROLES)}")
    user, unit = _user(session, username), unit_by_code(session, unit_code)
    member = session.scalar(select(UnitMember).where(UnitMember.unit_id == unit.id, UnitMember.user_id == user.id))
    if member is None:
        member = UnitMember(unit_id=unit.id, user_id=user.id, role=role)
        session.add(member)
    member.role = role
    session.flush()
    return member


def revoke(session: Session, username: str, unit_code: str) -> bool:
    """Remove a user from a unit; False when they were not a member. Records they hold stay assigned
    (their history is theirs) but they no longer see them: the unit's leader reassigns."""
    user, unit = _user(session, username), unit_by_code(session, unit_code)
    member = session.scalar(select(UnitMember).where(UnitMember.unit_id == unit.id, UnitMember.user_id == user.id))
    if member is None:
        return False
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
