"""Server-side staff sessions and the middleware that requires one.

The session cookie holds a random token and nothing else; the row it names (`StaffSession`, keyed by
the token's SHA-256) holds the user, the CSRF token and short-lived page state (flash message,
upload plan, which record's contact was just revealed). So logging out, locking or disabling an
account or changing its password ends the session everywhere, even for a copied cookie, and no
personal data ever sits in a cookie. Before login, the login form's CSRF token lives in a separate
random cookie (double submit), so anonymous visitors create no rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from feedback.auth import is_locked
from feedback.db import utcnow
from feedback.models import StaffSession, StaffUser

COOKIE = "tthc_staff"
LOGIN_CSRF_COOKIE = "tthc_staff_login"
MAX_AGE_HOURS = 8  # a session ends after a working day however active it is
TOUCH_SECONDS = 60  # last_seen is written at most this often: one write per minute, not per request
PUBLIC = ("/login",)
CHANGE_PASSWORD = "/account/password"  # the one page (with logout) open to someone whose password is temporary


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Current:
    """The session a request carries (set as request.state.staff by the middleware)."""

    key: str  # token hash: the row's primary key
    user_id: int
    csrf: str
    data: dict = field(default_factory=dict)
    must_change: bool = False  # the password is temporary (set by an administrator): replace it first


class SessionStore:
    def __init__(self, sessions: sessionmaker, idle_minutes: int) -> None:
        self.sessions = sessions
        self.idle = dt.timedelta(minutes=idle_minutes)

    def create(self, db: Session, user_id: int) -> str:
        """A new session for a user who just logged in; returns the cookie's token (never stored)."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        # sessions nobody came back to are cleared here, so the table holds live sessions only
        db.execute(delete(StaffSession).where((StaffSession.last_seen < now - self.idle)
                                              | (StaffSession.created_at < now - dt.timedelta(hours=MAX_AGE_HOURS))))
        db.add(StaffSession(token_hash=token_hash(token), user_id=user_id, csrf=secrets.token_urlsafe(32),
                            created_at=now, last_seen=now, data={}))
        return token

    def load(self, token: str | None) -> Current | None:
        """The live session for a cookie, or None (unknown, idle too long, too old, user locked or
        disabled: such a row is deleted on the way)."""
        if not token or len(token) > 100:
            return None
        now = utcnow()
        with self.sessions() as db, db.begin():
            row = db.get(StaffSession, token_hash(token))
            if row is None:
                return None
            user = db.get(StaffUser, row.user_id)
            expired = (now - row.last_seen > self.idle or now - row.created_at > dt.timedelta(hours=MAX_AGE_HOURS))
            if expired or user is None or not user.active or is_locked(user, now):
                db.delete(row)
                return None
            if (now - row.last_seen).total_seconds() > TOUCH_SECONDS:
                row.last_seen = now
            return Current(row.token_hash, row.user_id, row.csrf, dict(row.data or {}), bool(user.must_change_password))

    def end(self, key: str) -> None:
        with self.sessions() as db, db.begin():
            row = db.get(StaffSession, key)
            if row is not None:
                db.delete(row)

    def update(self, key: str, changes: dict, db: Session | None = None) -> None:
        """Set (value) or remove (None) keys of the page state; in the caller's transaction when given
        (SQLite allows one writer: a second connection would wait for the first)."""
        def apply(session: Session) -> None:
            row = session.get(StaffSession, key)
            if row is None:
                return
            data = dict(row.data or {})
            for name, value in changes.items():
                if value is None:
                    data.pop(name, None)
                else:
                    data[name] = value
            row.data = data

        if db is not None:
            apply(db)
            return
        with self.sessions() as session, session.begin():
            apply(session)


def route_path(scope: Scope) -> str:
    """The path inside this app (a Mount at /staff leaves '/staff' in root_path)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] or "/" if root and path.startswith(root) else path


class SessionMiddleware:
    """Loads the session; anything but the login page without one gets a redirect to the login page
    (also POSTs: nothing of an anonymous request reaches a view). With a temporary password, anything
    but the change-password page and logout redirects there."""

    def __init__(self, app: ASGIApp, store: SessionStore, login_url: Callable[[], str]) -> None:
        self.app, self.store, self.login_url = app, store, login_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        current = self.store.load(request.cookies.get(COOKIE))
        scope.setdefault("state", {})["staff"] = current
        path = route_path(scope)
        if current is None and path not in PUBLIC:
            response: Response = RedirectResponse(self.login_url(), status_code=303)
            await response(scope, receive, send)
            return
        if current is not None and current.must_change and path not in (*PUBLIC, CHANGE_PASSWORD, "/logout"):
            target = self.login_url().removesuffix(PUBLIC[0]) + CHANGE_PASSWORD
            await RedirectResponse(target, status_code=303)(scope, receive, send)
            return
        await self.app(scope, receive, send)
