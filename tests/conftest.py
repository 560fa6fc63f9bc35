"""Shared fixtures: a five-procedure catalogue, a deterministic embedder, paths to ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.embed import HashingEmbedder
from indexer.search import Index
from knowledge.loaders import load_catalogue

TESTS = Path(__file__).parent
SHARED = (TESTS.parent.parent / "shared").resolve()


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared not present ({path})")
    return path


@pytest.fixture(scope="session")
def mini_catalogue():
    result = load_catalogue(TESTS / "data" / "mini.yaml")
    assert not result.problems, result.problems
    return result.catalogue


@pytest.fixture(scope="session")
def hashing_embedder():
    return HashingEmbedder(256)


@pytest.fixture(scope="session")
def mini_index(tmp_path_factory, mini_catalogue, hashing_embedder) -> Index:
    root = tmp_path_factory.mktemp("mini-index")
    build_index(mini_catalogue, hashing_embedder, root, cache_dir=root / "cache")
    return Index.load(root, hashing_embedder)


@pytest.fixture(scope="session")
def mini_engine(mini_index):
    from bot.engine.turn import Engine

    return Engine.create(mini_index, cache_dir=mini_index.path.parent.parent / "cache")


import os  # noqa: E402

from feedback.db import init_db, make_engine, session_factory  # noqa: E402

POSTGRES_URL = os.environ.get("TTHC_TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=DATABASES)
def sessions(request, tmp_path):
    """A fresh database per test: SQLite always, PostgreSQL when TTHC_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        import sqlalchemy as sa

        schema = f"t{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(POSTGRES_URL)

        @sa.event.listens_for(engine, "connect")
        def _search_path(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute(f'SET search_path TO "{schema}"')
            cursor.close()
            dbapi_connection.commit()  # else the first rollback on this connection undoes the SET

    init_db(engine)
    yield session_factory(engine)
    engine.dispose()
    if request.param == "postgresql":
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- privacy: no log line of the whole suite may carry a phone, ID number, e-mail or token ---------
import logging as _logging  # noqa: E402
import re as _re  # noqa: E402

_PERSONAL = _re.compile(
    r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d)|(?<![\d.])\d{12}(?![\d.])|[\w.+-]+@[\w-]+\.[a-z]{2,}|bot\d{6,12}:[A-Za-z0-9_-]{20,}"
)


class _LogScanner(_logging.Handler):
    def __init__(self):
        super().__init__(level=_logging.DEBUG)
        self.records = 0
        self.leaks: list[str] = []

    def emit(self, record: _logging.LogRecord) -> None:
        self.records += 1
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a badly formatted record is not a leak
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + str(record.exc_info[1])
        if _PERSONAL.search(text):
            self.leaks.append(f"{record.name}: {text[:200]}")


_SCANNER = _LogScanner()


def pytest_sessionstart(session):
    root = _logging.getLogger()
    root.addHandler(_SCANNER)
    root.setLevel(min(root.level or _logging.WARNING, _logging.INFO))


def pytest_sessionfinish(session, exitstatus):
    _logging.getLogger().removeHandler(_SCANNER)
    if _SCANNER.leaks:
        print(f"\nPRIVACY: {len(_SCANNER.leaks)} log records carry personal data or secrets:")
        for leak in _SCANNER.leaks[:20]:
            print("  ", leak)
        session.exitstatus = 1
    else:
        print(f"\nprivacy log scan: {_SCANNER.records} log records, none with phone/ID numbers, e-mail or tokens")
