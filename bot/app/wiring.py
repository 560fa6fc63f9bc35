"""The composition root: settings → catalogue, embedder, index, engine, database, channels, app.

Every command (`chat`, `ask`, `answer`, `serve`, tools) gets its objects from here, so there is one
place that knows how the pieces fit; the CLI only parses options and prints.

The index for a catalogue is cached under `<cache>/index/<catalogue hash>-<embedder>/` and reused
while the catalogue and embedder are unchanged; embeddings are cached by content hash, so a changed
catalogue re-embeds only what changed.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app.settings import Settings
from bot.app.shipped_index import shipped_for, shipped_for_bundled_sample
from bot.engine.turn import Engine
from indexer.build import active_version, build_index, built_by_current_code
from indexer.embed import Embedder, make_embedder
from indexer.query_cache import QueryCache
from indexer.search import Index, IndexMismatch
from knowledge.errors import CatalogueError, LoadProblem
from knowledge.loaders import bundled_sample_path, catalogue_fingerprint, load_catalogue
from knowledge.schema import Catalogue
from knowledge.text import slugify

if TYPE_CHECKING:  # serving and database libraries stay out of `ask` start-up (imported where used)
    from sqlalchemy.orm import sessionmaker

    from bot.app.feedback_port import DatabaseFeedbackPort
    from bot.app.server import ServerParts
    from feedback.deadlines import Deadlines
    from feedback.web.app import WebConfig

@dataclass
class Runtime:
    problems: list[LoadProblem]
    embedder: Embedder
    index: Index
    engine: Engine
    index_root: Path
    sessions: sessionmaker | None = None
    deadlines: Deadlines | None = None

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
    progress: Callable[..., None] | None = None,
    rebuild: bool = False,
) -> Index:
    if not rebuild and settings.index_dir is None and (
            shipped := shipped_for(catalogue_fingerprint(catalogue), embedder.name)) is not None:
        return Index.load(shipped, embedder, settings.query_cache_size)  # the bundled sample, built and shipped
    root = index_root_for(settings, catalogue, embedder)
    if not rebuild and active_version(root) is not None and settings.index_dir is not None:
        return Index.load(root, embedder, settings.query_cache_size)  # a deployment serves what its administrator built
    if not rebuild and (active := active_version(root)) is not None and built_by_current_code(active):
        try:
            return Index.load(root, embedder, settings.query_cache_size)
        except (IndexMismatch, OSError, ValueError, KeyError):
            pass  # a damaged build: build again below
    # none yet, or built by another version of the code: build (embeddings come from the cache)
    build_index(catalogue, embedder, root, cache_dir=settings.cache_dir / "embeddings", progress=progress)
    return Index.load(root, embedder, settings.query_cache_size)


def feedback_port(index: Index, sessions: sessionmaker, deadlines: Deadlines | None = None) -> DatabaseFeedbackPort:
    from bot.app.feedback_port import DatabaseFeedbackPort

    def describe(code: str | None) -> tuple[str, str]:
        proc = index.procedures.get(code or "")
        return (proc.name, proc.field) if proc else ("", "")

    return DatabaseFeedbackPort(sessions, embed=lambda text: index.embed_query(index.normalizer.query(text)),
                                describe=describe, deadlines=deadlines)


def create_runtime(settings: Settings, catalogue_paths: list[Path] | None = None,
                   progress: Callable[..., None] | None = None, sessions: sessionmaker | None = None) -> Runtime:
    """Everything that answers; with `sessions`, captured feedback is stored (else capture ends politely)."""
    paths = catalogue_paths or ([settings.catalogue] if settings.catalogue else None)
    embedder: Embedder = make_embedder(settings.embedder, settings.embed_threads)
    if settings.query_cache_size > 0:
        embedder = QueryCache(embedder, settings.query_cache_size)  # shared by every index version served
    shipped = shipped_for_bundled_sample(embedder.name) if paths is None and settings.index_dir is None else None
    if shipped is not None:  # a fresh install on the bundled sample: nothing to parse, embed or fit
        index, problems, index_root = Index.load(shipped, embedder, settings.query_cache_size), [], shipped
    else:
        catalogue, problems = load_catalogue_or_fail(paths)
        index = ensure_index(settings, catalogue, embedder, progress)
        index_root = index_root_for(settings, catalogue, embedder)
        del catalogue  # the index reads its own copy on demand; holding this one costs ~80 MB nationally
    deadlines = None
    if sessions is not None:
        from feedback.deadlines import default_deadlines

        deadlines = default_deadlines()  # TTHC_FEEDBACK_*_DAYS, in working days
    port = feedback_port(index, sessions, deadlines) if sessions is not None else None
    engine = Engine.create(index, cache_dir=settings.cache_dir / "embeddings", feedback=port, progress=progress)
    return Runtime(problems, embedder, index, engine,
                   index_root=index_root, sessions=sessions, deadlines=deadlines)


def open_database(settings: Settings) -> sessionmaker:
    from feedback.db import init_db, make_engine, session_factory

    engine = make_engine(settings.database_url)
    init_db(engine)
    return session_factory(engine)

def secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def state_cipher(settings: Settings):
    """The deployment's state key: TTHC_STATE_KEY, else a key file kept in the cache directory."""
    from bot.app.statecrypt import StateCipher, key_file

    return StateCipher(secret(settings.state_key) or key_file(settings.cache_dir / "state.key"))


def build_parts(settings: Settings, runtime: Runtime | None = None, channels: set[str] | None = None,
                polling: bool = False, sessions=None) -> ServerParts:
    """The serving objects: conversation service, hot swap holder and the configured channels."""
    from bot.app.conversations import ConversationStore
    from bot.app.hotswap import EngineHolder
    from bot.app.server import ServerParts, ZaloConfig
    from bot.app.stale_index import rebuild_in_background
    from bot.app.service import ConversationService
    from bot.channels.telegram import build_application
    from bot.channels.zalo import ZaloClient

    sessions = sessions or open_database(settings)
    runtime = runtime or create_runtime(settings, sessions=sessions)
    store = ConversationStore(sessions, cipher=state_cipher(settings))
    service = ConversationService(runtime.engine, store, concurrency=settings.serve_concurrency)
    channels = channels or {"telegram", "zalo"}
    holder = EngineHolder(service, runtime.index_root, runtime.embedder,
                          lambda index: runtime.make_engine(index, settings.cache_dir / "embeddings"))
    if settings.index_dir is not None:  # an administrator's index built by older code: rebuilt while serving
        rebuild_in_background(runtime.index, runtime.index_root, runtime.embedder, settings.cache_dir / "embeddings")
    parts = ServerParts(service=service, sessions=sessions, holder=holder, index_poll_seconds=settings.index_poll_seconds,
                        outbox_claim_seconds=settings.outbox_claim_seconds, inbox_workers=settings.inbox_workers,
                        attachment_dir=settings.attachment_dir, attachment_max_bytes=settings.attachment_max_bytes)
    if "telegram" in channels and settings.telegram_enabled():
        parts.telegram = build_application(secret(settings.telegram_token), service, base_url=settings.telegram_api_base,
                                           with_updater=polling, max_rate=settings.telegram_max_rate,
                                           max_file_bytes=settings.attachment_max_bytes)
        parts.telegram_secret = secret(settings.telegram_webhook_secret) or None
    if "zalo" in channels and settings.zalo_enabled():
        from bot.app.channel_tokens import TokenStore

        client = ZaloClient(secret(settings.zalo_access_token), secret(settings.zalo_refresh_token),
                            settings.zalo_app_id or "", secret(settings.zalo_app_secret),
                            api_base=settings.zalo_api_base, oauth_base=settings.zalo_oauth_base,
                            tokens=TokenStore(sessions, state_cipher(settings), "zalo"))
        parts.zalo = ZaloConfig(client=client, app_id=settings.zalo_app_id or "",
                                oa_secret_key=secret(settings.zalo_oa_secret_key))
    return parts


def staff_config(settings: Settings, parts: ServerParts | None = None, runtime: Runtime | None = None) -> WebConfig | None:
    """The staff web's configuration, with catalogue administration when a catalogue directory is served."""
    from bot.app.catalogue_admin import CatalogueAdmin
    from feedback.web.app import AdminHooks, WebConfig

    if settings.staff_secret_key is None:
        return None
    hooks = None
    if parts is not None and runtime is not None and parts.holder is not None and settings.catalogue and settings.catalogue.is_dir():
        admin = CatalogueAdmin(catalogue_dir=settings.catalogue, index_root=runtime.index_root, embedder=runtime.embedder,
                               holder=parts.holder, cache_dir=settings.cache_dir / "embeddings")
        hooks = AdminHooks(status=admin.status, plan=admin.plan, apply=admin.apply, rebuild=admin.rebuild,
                           reload=admin.reload, upload_dir=settings.cache_dir / "uploads")
    embed = (lambda texts: runtime.embedder.encode(list(texts), is_query=True)) if runtime is not None else None
    return WebConfig(secret_key=secret(settings.staff_secret_key), https_only=settings.staff_https_only, admin=hooks,
                     embed=embed, learning=learning_hooks(admin) if hooks is not None else None,
                     attachment_dir=settings.attachment_dir)


def learning_hooks(admin):
    """The 'Câu hỏi cần xử lý' page's access to the served index and catalogue directory."""
    from bot.app.learning_admin import LearningAdmin
    from feedback.web.learning import LearningHooks

    taught = LearningAdmin(admin)
    return LearningHooks(suggest=taught.suggest, find=taught.find, known=taught.known, apply=taught.apply,
                         status=taught.status)


def freeze_startup_heap() -> None:
    """Move everything loaded at start-up (catalogue, index, model tables) out of the garbage
    collector's reach: it never becomes garbage, and scanning it on every full collection showed
    up in a profile of a worker under load."""
    gc.collect()
    gc.freeze()
