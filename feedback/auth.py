"""Staff accounts: argon2 password hashes, lockout after repeated failures.

After `MAX_FAILURES` wrong passwords an account is locked for `LOCK_MINUTES`; a right password
during the lock is refused too (the lock is the point). A login for an unknown user costs the
same hash work as a real one, so timing does not reveal which usernames exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.models import ROLES, StaffUser
from feedback.db import utcnow
from feedback.service import InvalidInput

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


@dataclass(frozen=True)
class LoginResult:
    """Returned, not raised: the failure counter must be committed with the caller's transaction."""

    user: StaffUser | None
    error: str = ""
    locked: bool = False


def add_user(session: Session, username: str, password: str, role: str = "staff", display_name: str = "") -> StaffUser:
    username = username.strip().lower()
    if not username or len(username) > 60:
        raise InvalidInput("tên đăng nhập không hợp lệ")
    if role not in ROLES:
        raise InvalidInput(f"vai trò phải là một trong {ROLES}")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise InvalidInput("tên đăng nhập đã tồn tại")
    user = StaffUser(username=username, password_hash=_hasher.hash(password), role=role, display_name=display_name or username)
    session.add(user)
    session.flush()
    return user


WRONG = "Sai tên đăng nhập hoặc mật khẩu."
LOCKED = "Tài khoản tạm khóa do nhập sai nhiều lần. Vui lòng thử lại sau."


def authenticate(session: Session, username: str, password: str, now: dt.datetime | None = None) -> LoginResult:
    now = now or utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.username == (username or "").strip().lower()))
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except (VerificationError, InvalidHashError):
            pass
        return LoginResult(None, WRONG)
    if user.locked_until and user.locked_until > now:
        return LoginResult(None, LOCKED, locked=True)
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            return LoginResult(None, LOCKED, locked=True)
        return LoginResult(None, WRONG)
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(user)
