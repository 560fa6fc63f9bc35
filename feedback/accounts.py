"""Staff account administration: the acts an administrator performs on accounts, each audited.

The web accounts page and `tthc staff …` both call these, so the two cannot drift apart: the same
checks (an administrator cannot disable, lock or demote themselves, and the last active
administrator cannot be removed: nobody would be left to undo it), the same audit rows, and the
same session revocation (disable, lock and a password change end the account's sessions through
feedback.auth, in the caller's transaction).

Audit rows name the account and the act, never a password, generated or typed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from feedback import auth
from feedback.db import utcnow
from feedback.models import ROLES, AuditEntry, LoginThrottle, StaffSession, StaffUser
from feedback.service import InvalidInput

ADMIN = "admin"
GENERATED_LENGTH = 16  # characters of a generated temporary password (about 95 bits)
_ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I to misread


@dataclass(frozen=True)
class AccountRow:
    """One line of the accounts list."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    locked: bool  # an administrator's lock in force
    throttled: bool  # too many wrong passwords from some address: waiting
    last_login_at: dt.datetime | None
    sessions: int
    must_change: bool = False  # still on a temporary password


def generate_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_LENGTH))


def _audit(db: Session, actor: str, action: str, detail: str) -> None:
    db.add(AuditEntry(actor=actor[:80], action=action, detail=detail[:1000]))


def _get(db: Session, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise InvalidInput("không có tài khoản này")
    return user


def find(db: Session, username: str) -> StaffUser:
    user = db.scalar(select(StaffUser).where(StaffUser.username == (username or "").strip().lower()))
    if user is None:
        raise InvalidInput(f"không có tài khoản {username!r}")
    return user


def list_accounts(db: Session, now: dt.datetime | None = None) -> list[AccountRow]:
    now = now or utcnow()
    throttled = set(db.scalars(select(LoginThrottle.username).where(LoginThrottle.locked_until > now)))
    live = dict(db.execute(select(StaffSession.user_id, func.count()).group_by(StaffSession.user_id)).all())
    return [AccountRow(u.id, u.username, u.display_name, u.role, u.active, auth.is_locked(u, now), u.username in throttled,
                       u.last_login_at, live.get(u.id, 0), bool(u.must_change_password))
            for u in db.scalars(select(StaffUser).order_by(StaffUser.username))]


def _other_active_admins(db: Session, user: StaffUser) -> int:
    return db.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == ADMIN, StaffUser.active, StaffUser.id != user.id)) or 0


def _guard_removal(db: Session, actor: str, user: StaffUser, what: str) -> None:
    """Refuse an act that would take away the actor's own access or the last administrator."""
    if user.username == actor:
        raise InvalidInput(f"không thể {what} tài khoản anh/chị đang dùng")
    if user.role == ADMIN and user.active and _other_active_admins(db, user) == 0:
        raise InvalidInput(f"không thể {what} quản trị viên cuối cùng còn hoạt động")


def create(db: Session, actor: str, username: str, role: str, display_name: str = "",
           password: str | None = None, temporary: bool = True) -> tuple[StaffUser, str | None]:
    """A new account; without a password one is generated and returned (to be shown once). A
    `temporary` password must be replaced at the first login (the administrator knows it)."""
    generated = None if password else generate_password()
    user = auth.add_user(db, username, password or generated, role=role, display_name=display_name.strip())
    user.must_change_password = temporary
    _audit(db, actor, "account_create", f"tài khoản {user.username}, vai trò {role}")
    return user, generated


def disable(db: Session, actor: str, user_id: int) -> StaffUser:
    user = _get(db, user_id)
    _guard_removal(db, actor, user, "vô hiệu hóa")
    auth.disable_user(db, user.username)
    _audit(db, actor, "account_disable", f"tài khoản {user.username}")
    return user


def enable(db: Session, actor: str, user_id: int) -> StaffUser:
    user = _get(db, user_id)
    user.active = True
    _audit(db, actor, "account_enable", f"tài khoản {user.username}")
    return user


def lock(db: Session, actor: str, user_id: int) -> StaffUser:
    user = _get(db, user_id)
    _guard_removal(db, actor, user, "khóa")
    auth.lock_user(db, user.username)
    _audit(db, actor, "account_lock", f"tài khoản {user.username}")
    return user


def unlock(db: Session, actor: str, user_id: int) -> StaffUser:
    """Lift an administrator's lock and clear the login throttle of this username from every address
    (the person called the administrator: they should be able to try again at once)."""
    user = _get(db, user_id)
    auth.unlock_user(db, user.username)
    cleared = db.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username)).rowcount or 0
    _audit(db, actor, "account_unlock", f"tài khoản {user.username}; xóa {cleared} bộ đếm đăng nhập sai")
    return user


def reset_password(db: Session, actor: str, user_id: int, password: str | None = None,
                   temporary: bool = True) -> tuple[StaffUser, str | None]:
    """Set a temporary password (typed by the administrator, or generated and returned to show once);
    every session of the account ends, and the next login asks for a new password."""
    user = _get(db, user_id)
    generated = None if password else generate_password()
    auth.set_password(db, user.username, password or generated)
    user.must_change_password = temporary
    _audit(db, actor, "account_password_reset",
           f"tài khoản {user.username}; mật khẩu tạm {'do hệ thống tạo' if generated else 'do quản trị viên đặt'}")
    return user, generated


def set_role(db: Session, actor: str, user_id: int, role: str) -> StaffUser:
    """Change the global role; it takes effect on the next request (pages read the role each time)."""
    if role not in ROLES:
        raise InvalidInput("vai trò không hợp lệ")
    user = _get(db, user_id)
    if user.role == role:
        raise InvalidInput(f"tài khoản {user.username} đã có vai trò này")
    if user.role == ADMIN:
        _guard_removal(db, actor, user, "bỏ quyền quản trị của")
    before, user.role = user.role, role
    _audit(db, actor, "account_role", f"tài khoản {user.username}: {before} → {role}")
    return user


def change_own_password(db: Session, user: StaffUser, current: str, new: str, repeat: str) -> StaffUser:
    """A staff member replaces their password (the temporary one included): the current one is asked
    again, and every session ends (the caller opens a fresh one for the device that asked)."""
    if not auth.password_matches(user, current):
        raise InvalidInput("mật khẩu hiện tại không đúng")
    if new != repeat:
        raise InvalidInput("hai lần nhập mật khẩu mới không khớp nhau")
    if new == current:
        raise InvalidInput("mật khẩu mới cần khác mật khẩu hiện tại")
    auth.set_password(db, user.username, new)
    user.must_change_password = False
    _audit(db, user.username, "account_password_change", f"tài khoản {user.username} tự đổi mật khẩu")
    return user
