"""Staff accounts: argon2 password hashes, login throttling, and the acts that end sessions.

Throttling is per (username as typed, client address), not per account: after `MAX_FAILURES`
wrong passwords from one address that address waits `backoff_minutes` (doubling with every
further failure, at most `LOCK_MINUTES`), while the same person logging in from their own desk is
not affected: nobody can lock a colleague out from outside. During the wait even a right password
is refused (the wait is the point). Every refusal (wrong password, unknown user, throttled, locked
or disabled account) gives the same message and costs the same hash work, so neither the message
nor the timing reveals which usernames exist.

An administrator's lock (`lock_user`), disabling (`disable_user`) and a password change
(`set_password`) delete the user's server-side sessions in the same transaction: a copied cookie
stops working at once, not when it expires.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from feedback.db import utcnow
from feedback.models import ROLES, LoginThrottle, StaffSession, StaffUser
from feedback.service import InvalidInput
from feedback.units import join_coordinator

MAX_FAILURES = 5
LOCK_MINUTES = 15  # the longest wait one address is given between tries once throttled
FORGET_HOURS = 24  # failures older than this start the count afresh
MIN_PASSWORD = 10
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")

WRONG = "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang tạm khóa. Vui lòng thử lại sau ít phút."
LOCKED = WRONG  # kept as a name for callers; the same words, so a lock does not confirm an account exists


@dataclass(frozen=True)
class LoginResult:
    """Returned, not raised: the failure counter must be committed with the caller's transaction.
    `locked` is for logs and tests only; staff see `error`, the same text in every failure."""

    user: StaffUser | None
    error: str = ""
    locked: bool = False


def _normal(username: str) -> str:
    return (username or "").strip().lower()[:60]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")


def add_user(session: Session, username: str, password: str, role: str = "staff", display_name: str = "",
             coordinator_desk: bool = True) -> StaffUser:
    """`coordinator_desk`: start as tiếp nhận of the coordinator queue, as every account did before
    units (feedback/units.py); `tthc staff grant/revoke` then sets the account's own units."""
    username = username.strip().lower()
    if not username or len(username) > 60:
        raise InvalidInput("tên đăng nhập không hợp lệ")
    if role not in ROLES:
        raise InvalidInput(f"vai trò phải là một trong {ROLES}")
    _check_password(password)
    if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise InvalidInput("tên đăng nhập đã tồn tại")
    user = StaffUser(username=username, password_hash=_hasher.hash(password), role=role, display_name=display_name or username)
    session.add(user)
    session.flush()
    if coordinator_desk:
        join_coordinator(session, user)
    return user


def backoff_minutes(failures: int) -> float:
    """The wait after `failures` consecutive failures from one address: none below MAX_FAILURES,
    then 1, 2, 4, 8 … minutes, at most LOCK_MINUTES."""
    if failures < MAX_FAILURES:
        return 0
    return min(LOCK_MINUTES, 2 ** (failures - MAX_FAILURES))


def _throttle(session: Session, username: str, address: str, now: dt.datetime) -> LoginThrottle:
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.username == username, LoginThrottle.address == address))
    if row is None:
        # forgotten counts are removed as new ones come, so sprayed usernames do not pile up
        session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < now - dt.timedelta(hours=FORGET_HOURS)))
        row = LoginThrottle(username=username, address=address, failures=0, updated_at=now)
        session.add(row)
    elif row.updated_at < now - dt.timedelta(hours=FORGET_HOURS):
        row.failures, row.locked_until = 0, None
    return row


def _burn_hash_time(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        pass


def is_locked(user: StaffUser, now: dt.datetime | None = None) -> bool:
    """An administrator's lock (`lock_user`) in force."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def authenticate(session: Session, username: str, password: str, now: dt.datetime | None = None,
                 address: str = "unknown") -> LoginResult:
    now = now or utcnow()
    name = _normal(username)
    throttle = _throttle(session, name, (address or "unknown")[:64], now)
    if throttle.locked_until and throttle.locked_until > now:
        _burn_hash_time(password)
        return LoginResult(None, WRONG, locked=True)
    user = session.scalar(select(StaffUser).where(StaffUser.username == name))
    if user is None or not user.active or is_locked(user, now):
        _burn_hash_time(password)
        ok = False
    else:
        try:
            ok = _hasher.verify(user.password_hash, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok:
        throttle.failures += 1
        throttle.updated_at = now
        wait = backoff_minutes(throttle.failures)
        throttle.locked_until = now + dt.timedelta(minutes=wait) if wait else None
        return LoginResult(None, WRONG, locked=bool(wait))
    session.delete(throttle)
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(user)


def password_matches(user: StaffUser, password: str) -> bool:
    """Whether `password` is the user's current one (asked again before they change it)."""
    try:
        return _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def revoke_sessions(session: Session, user_id: int) -> int:
    """End every session of a user (all devices); returns how many there were."""
    return session.execute(delete(StaffSession).where(StaffSession.user_id == user_id)).rowcount or 0


def _user(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == _normal(username)))
    if user is None:
        raise InvalidInput("không có tài khoản này")
    return user


def set_password(session: Session, username: str, password: str) -> StaffUser:
    """A new password ends the sessions opened with the old one (a leaked cookie included)."""
    _check_password(password)
    user = _user(session, username)
    user.password_hash = _hasher.hash(password)
    revoke_sessions(session, user.id)
    return user


def lock_user(session: Session, username: str, until: dt.datetime | None = None) -> StaffUser:
    """Lock an account (until a moment, default: far ahead) and end its sessions now."""
    user = _user(session, username)
    user.locked_until = until or dt.datetime(9999, 1, 1)
    revoke_sessions(session, user.id)
    return user


def unlock_user(session: Session, username: str) -> StaffUser:
    user = _user(session, username)
    user.locked_until = None
    return user


def disable_user(session: Session, username: str) -> StaffUser:
    """Disable an account (it stays in the history of the records it handled) and end its sessions."""
    user = _user(session, username)
    user.active = False
    revoke_sessions(session, user.id)
    return user
