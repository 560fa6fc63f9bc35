"""Alembic environment: migrations for the feedback tables and the bot's conversation tables (SQLite and PostgreSQL).

`feedback.db.init_db` runs these programmatically with its own connection
(`config.attributes["connection"]`); `alembic upgrade head` from the shell uses TTHC_DATABASE_URL.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import engine_from_config, pool

import feedback.models  # noqa: F401 - registers feedback tables
import feedback.outbox  # noqa: F401 - registers the outbox
import bot.app.channel_tokens  # noqa: F401 - registers the channel token table
import feedback.learning  # noqa: F401 - registers staff teaching decisions
import feedback.attachments  # noqa: F401 - registers the files citizens attach to reports
from bot.app.conversations import ConversationBase
from feedback.db import Base

config = context.config
target_metadata = [Base.metadata, ConversationBase.metadata]


def run_with(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    url = os.environ.get("TTHC_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        run_with(conn)


if context.is_offline_mode():
    context.configure(url=os.environ.get("TTHC_DATABASE_URL") or config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
