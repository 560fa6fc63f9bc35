"""What every `tthc` command shares: the settings at the edge, the error console, the progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.app import logsafe
from bot.app.settings import Settings

console = Console(stderr=True)
CatalogueOption = Annotated[list[Path] | None, typer.Option("--catalogue", "-c", help="catalogue file or directory (repeatable; later ones override)")]


def settings() -> Settings:
    settings = Settings()
    logsafe.install(settings.log_level)
    return settings


def progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, transient=False)
