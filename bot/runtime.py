"""Wire a catalogue, an embedder, an index and an engine together (used by every CLI command).

The index for a catalogue is cached under `<cache>/index/<catalogue hash>-<embedder>/` and reused
while the catalogue and embedder are unchanged; embeddings are cached by content hash, so a changed
catalogue re-embeds only what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from bot.engine import Engine
from bot.feedback_store import DatabaseFeedbackPort
from bot.settings import Settings
from indexer.build import active_version, build_index
from indexer.embed import Embedder, make_embedder
from indexer.query_cache import QueryCache
from indexer.search import Index, IndexMismatch
from knowledge.errors import CatalogueError, LoadProblem
from knowledge.loaders import bundled_sample_path, catalogue_fingerprint, load_catalogue
from knowledge.schema import Catalogue
from feedback.db import init_db, make_engine, session_factory
from feedback.service import Deadlines
from knowledge.text import slugify


@dataclass
class Runtime:
    problems: list[LoadProblem]
    embedder: Embedder
    index: Index
    engine: Engine
    index_root: Path
    sessions: sessionmaker | None = None
    deadlines: Deadlines = Deadlines()

    @property
    def catalogue(self) -> Catalogue:
        """The served catalogue, parsed on demand (not kept: see knowledge/store.py)."""
        return self.index.catalogue

    def make_engine(self, index: Index, cache_dir: Path) -> Engine:
        """An engine for another index version, wired like this one (used by hot swap)."""
        port = feedback_port(index, self.sessions, self.deadlines) if self.sessions is not None else None
        return Engine.create(index, cache_dir=cache_dir, feedback=port)


def load_catalogue_or_fail(paths: list[Path] | None) -> tuple[Catalogue, list[LoadProblem]]:
    roots = paths or [bundled_sample_path()]
    result = load_catalogue(*roots)
    if not result.catalogue.procedures and not result.catalogue.faq:
        raise CatalogueError(f"no valid procedure or FAQ records in {', '.join(map(str, roots))}")
    return result.catalogue, result.problems


def index_root_for(settings: Settings, catalogue: Catalogue, embedder: Embedder) -> Path:
    """A deployment's fixed index directory (TTHC_INDEX_DIR), else a cache entry per catalogue."""
    if settings.index_dir is not None:
        return settings.index_dir
    return settings.cache_dir / "index" / f"{catalogue_fingerprint(catalogue)}-{slugify(embedder.name, 40)}"


def ensure_index(
    settings: Settings,
    catalogue: Catalogue,
    embedder: Embedder,
    progress: Callable[[int, int], None] | None = None,
    rebuild: bool = False,
) -> Index:
    root = index_root_for(settings, catalogue, embedder)
    if not rebuild and active_version(root) is not None and settings.index_dir is not None:
        return Index.load(root, embedder, settings.query_cache_size)  # a deployment serves what its administrator built
    if not rebuild and active_version(root) is not None:
        try:
            return Index.load(root, embedder, settings.query_cache_size)
        except (IndexMismatch, OSError, ValueError, KeyError):
            pass  # an old or damaged build: build again below
    build_index(catalogue, embedder, root, cache_dir=settings.cache_dir / "embeddings", progress=progress)
    return Index.load(root, embedder, settings.query_cache_size)


def feedback_port(index: Index, sessions: sessionmaker, deadlines: Deadlines = Deadlines()) -> DatabaseFeedbackPort:
    def describe(code: str | None) -> tuple[str, str]:
        proc = index.procedures.get(code or "")
        return (proc.name, proc.field) if proc else ("", "")

    return DatabaseFeedbackPort(sessions, embed=lambda text: index.embed_query(index.normalizer.query(text)),
                                describe=describe, deadlines=deadlines)


def create_runtime(settings: Settings, catalogue_paths: list[Path] | None = None,
                   progress: Callable[[int, int], None] | None = None, sessions: sessionmaker | None = None) -> Runtime:
    """Everything that answers; with `sessions`, captured feedback is stored (else capture ends politely)."""
    paths = catalogue_paths or ([settings.catalogue] if settings.catalogue else None)
    catalogue, problems = load_catalogue_or_fail(paths)
    embedder: Embedder = make_embedder(settings.embedder, settings.embed_threads)
    if settings.query_cache_size > 0:
        embedder = QueryCache(embedder, settings.query_cache_size)  # shared by every index version served
    index = ensure_index(settings, catalogue, embedder, progress)
    index_root = index_root_for(settings, catalogue, embedder)
    del catalogue  # the index reads its own copy on demand; holding this one costs ~80 MB nationally
    deadlines = Deadlines(answer_days=settings.feedback_answer_days, update_days=settings.feedback_update_days)
    port = feedback_port(index, sessions, deadlines) if sessions is not None else None
    engine = Engine.create(index, cache_dir=settings.cache_dir / "embeddings", feedback=port)
    return Runtime(problems, embedder, index, engine,
                   index_root=index_root, sessions=sessions, deadlines=deadlines)


def open_database(settings: Settings) -> sessionmaker:
    engine = make_engine(settings.database_url)
    init_db(engine)
    return session_factory(engine)
