"""Database plumbing shared by everything that stores rows: one declarative base, one engine factory.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, so the web server,
the bot and CLI commands can share one file; PostgreSQL is used by giving its URL. Callers own
their sessions (`with session_factory() as session, session.begin(): ...`).
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, sessionmaker


class Base(DeclarativeBase):
    pass


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def init_db(engine: Engine) -> None:
    """Create missing tables (every model module must be imported first)."""
    import bot.store  # noqa: F401 - registers conversation tables
    import feedback.models  # noqa: F401 - registers feedback tables
    import feedback.outbox  # noqa: F401 - registers the outbox

    Base.metadata.create_all(engine)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
