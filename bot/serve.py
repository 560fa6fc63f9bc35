"""Wiring for `tthc serve`: settings → database, runtime, channels → the ASGI app (or PTB polling)."""

from __future__ import annotations

import gc
from pathlib import Path

from starlette.applications import Starlette

from bot.channels.telegram import build_application
from bot.channels.zalo import ZaloClient
from bot.runtime import Runtime, create_runtime, open_database
from bot.server import ServerParts, ZaloConfig, create_app
from bot.service import ConversationService
from bot.settings import Settings
from bot.store import ConversationStore
from bot.admin import CatalogueAdmin
from bot.hotswap import EngineHolder
from feedback.web.app import AdminHooks, WebConfig


def secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def build_parts(settings: Settings, runtime: Runtime | None = None, channels: set[str] | None = None,
                polling: bool = False, sessions=None) -> ServerParts:
    sessions = sessions or open_database(settings)
    runtime = runtime or create_runtime(settings, sessions=sessions)
    service = ConversationService(runtime.engine, ConversationStore(sessions), concurrency=settings.serve_concurrency)
    channels = channels or {"telegram", "zalo"}
    holder = EngineHolder(service, runtime.index_root, runtime.embedder,
                          lambda index: runtime.make_engine(index, settings.cache_dir / "embeddings"))
    parts = ServerParts(service=service, sessions=sessions, holder=holder, index_poll_seconds=settings.index_poll_seconds,
                        outbox_claim_seconds=settings.outbox_claim_seconds)
    if "telegram" in channels and settings.telegram_enabled():
        parts.telegram = build_application(secret(settings.telegram_token), service, base_url=settings.telegram_api_base,
                                           with_updater=polling, max_rate=settings.telegram_max_rate)
        parts.telegram_secret = secret(settings.telegram_webhook_secret) or None
    if "zalo" in channels and settings.zalo_enabled():
        client = ZaloClient(secret(settings.zalo_access_token), secret(settings.zalo_refresh_token),
                            settings.zalo_app_id or "", secret(settings.zalo_app_secret),
                            api_base=settings.zalo_api_base, oauth_base=settings.zalo_oauth_base)
        parts.zalo = ZaloConfig(client=client, app_id=settings.zalo_app_id or "",
                                oa_secret_key=secret(settings.zalo_oa_secret_key))
    return parts


def staff_config(settings: Settings, parts: ServerParts | None = None, runtime: Runtime | None = None) -> WebConfig | None:
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
                     embed=embed)


def build_app(settings: Settings, catalogue: list[Path] | None = None, channels: set[str] | None = None) -> Starlette:
    sessions = open_database(settings)
    runtime = create_runtime(settings, catalogue, sessions=sessions)
    parts = build_parts(settings, runtime, channels, sessions=sessions)
    return create_app(parts, webhook_url=settings.telegram_webhook_url, staff=staff_config(settings, parts, runtime))


def freeze_startup_heap() -> None:
    """Move everything loaded at start-up (catalogue, index, model tables) out of the garbage
    collector's reach: it never becomes garbage, and scanning it on every full collection showed
    up in a profile of a worker under load."""
    gc.collect()
    gc.freeze()
