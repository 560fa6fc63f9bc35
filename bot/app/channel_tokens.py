"""A channel's rotating API tokens in the database: shared by every worker, kept across restarts.

Zalo refresh tokens are single-use: after a refresh only the new pair works. Held in one process's
memory, the pair was lost at the next restart (which then reused the spent original from the
settings) and two workers raced each other. Here the pair lives in one row per channel, sealed with
the deployment's state key (never in clear, never logged). A refresh takes the row's lock first
(SELECT … FOR UPDATE on PostgreSQL; on SQLite a write to the row takes the database's write lock),
and a worker that finds the stored access token already changed adopts it instead of refreshing
again. The settings' tokens only seed the row the first time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from bot.app.conversations import ConversationBase
from bot.app.statecrypt import StateCipher
from feedback.db import utcnow


class ChannelToken(ConversationBase):
    __tablename__ = "channel_tokens"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)  # sealed
    refresh_token: Mapped[str] = mapped_column(Text)  # sealed
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class TokenStore:
    """Implements bot.channels.zalo.TokenKeeper for one channel."""

    def __init__(self, sessions: sessionmaker, cipher: StateCipher, channel: str = "zalo"):
        self.sessions = sessions
        self.cipher = cipher
        self.channel = channel

    def seed(self, access: str, refresh: str) -> None:
        """Store the configured pair unless a (possibly rotated) pair is stored already."""
        try:
            with self.sessions() as session, session.begin():
                if session.get(ChannelToken, self.channel) is None:
                    session.add(ChannelToken(channel=self.channel, access_token=self.cipher.seal(access),
                                             refresh_token=self.cipher.seal(refresh)))
        except IntegrityError:
            pass  # another worker seeded it first

    def current(self) -> tuple[str, str] | None:
        with self.sessions() as session:
            row = session.get(ChannelToken, self.channel)
            return self._pair(row) if row is not None else None

    def refresh(self, seen_access: str, do_refresh: Callable[[str], tuple[str, str]]) -> tuple[str, str]:
        """The pair to use after `seen_access` expired: refreshed under the row lock, or the pair
        another worker stored meanwhile. `do_refresh(refresh_token)` calls the OAuth endpoint."""
        with self.sessions() as session, session.begin():
            # take the lock before reading: the row on PostgreSQL, the write lock on SQLite
            session.execute(update(ChannelToken).where(ChannelToken.channel == self.channel)
                            .values(version=ChannelToken.version))
            row = session.execute(select(ChannelToken).where(ChannelToken.channel == self.channel)
                                  .with_for_update()).scalar_one()
            access, refresh = self._pair(row)
            if access != seen_access:
                return access, refresh  # rotated by another worker while we waited
            access, refresh = do_refresh(refresh)
            row.access_token, row.refresh_token = self.cipher.seal(access), self.cipher.seal(refresh)
            row.version += 1
            row.updated_at = utcnow()
            return access, refresh

    def _pair(self, row: ChannelToken) -> tuple[str, str]:
        return self.cipher.open(row.access_token) or "", self.cipher.open(row.refresh_token) or ""
