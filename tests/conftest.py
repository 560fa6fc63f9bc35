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
    from bot.engine import Engine

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

    init_db(engine)
    yield session_factory(engine)
    engine.dispose()
    if request.param == "postgresql":
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
