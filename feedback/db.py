"""Database plumbing shared by everything that stores rows: one declarative base, the clock, one engine factory.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, so the web server,
the bot and CLI commands can share one file; PostgreSQL is used by giving its URL. Callers own
their sessions (`with session_factory() as session, session.begin(): ...`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, sessionmaker


class Base(DeclarativeBase):
    """Every table of the feedback side (records, staff, outbox, question log, ratings)."""


def utcnow() -> dt.datetime:
    """Now as naive UTC: how every timestamp is stored (SQLite keeps no zone; local time is applied
    only where dates are shown or periods are cut)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine whose errors never quote their bound parameters (`hide_parameters`): a failed
    insert of a report would otherwise put the citizen's words, name and phone into the exception
    text, and from there into logs and tracebacks."""
    if url.startswith("sqlite"):
        # a pool as large as the threads that use it (answer pool, to_thread workers, staff web):
        # with the default 5 + overflow, connections are opened and closed under load, each time
        # paying for the pragmas below
        engine = create_engine(url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=20)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True)


MIGRATIONS = Path(__file__).resolve().parents[1] / "alembic"


def init_db(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (idempotent; SQLite and PostgreSQL)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
