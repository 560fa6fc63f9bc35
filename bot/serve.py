"""Wiring for `tthc serve`: settings → database, runtime, channels → the ASGI app (or PTB polling)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from bot.channels.telegram import build_application
from bot.channels.zalo import ZaloClient
from bot.runtime import Runtime, create_runtime
from bot.server import ServerParts, ZaloConfig, create_app
from bot.service import ConversationService
from bot.settings import Settings
from bot.store import ConversationStore
from feedback.db import init_db, make_engine, session_factory


def secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def build_parts(settings: Settings, runtime: Runtime | None = None, channels: set[str] | None = None,
                polling: bool = False) -> ServerParts:
    runtime = runtime or create_runtime(settings)
    engine = make_engine(settings.database_url)
    init_db(engine)
    sessions = session_factory(engine)
    service = ConversationService(runtime.engine, ConversationStore(sessions))
    channels = channels or {"telegram", "zalo"}
    parts = ServerParts(service=service, sessions=sessions)
    if "telegram" in channels and settings.telegram_enabled():
        parts.telegram = build_application(secret(settings.telegram_token), service, base_url=settings.telegram_api_base,
                                           with_updater=polling)
        parts.telegram_secret = secret(settings.telegram_webhook_secret) or None
    if "zalo" in channels and settings.zalo_enabled():
        client = ZaloClient(secret(settings.zalo_access_token), secret(settings.zalo_refresh_token),
                            settings.zalo_app_id or "", secret(settings.zalo_app_secret),
                            api_base=settings.zalo_api_base, oauth_base=settings.zalo_oauth_base)
        parts.zalo = ZaloConfig(client=client, app_id=settings.zalo_app_id or "",
                                oa_secret_key=secret(settings.zalo_oa_secret_key))
    return parts


def build_app(settings: Settings, catalogue: list[Path] | None = None, channels: set[str] | None = None) -> Starlette:
    runtime = create_runtime(settings, catalogue)
    return create_app(build_parts(settings, runtime, channels), webhook_url=settings.telegram_webhook_url)
