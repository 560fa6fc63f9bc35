"""Every setting is documented (as Datasette does): a field of `Settings` that no page names is a
knob an operator cannot find. The table in docs/settings.md is the reference."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def documented_names() -> set[str]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return {m for page in pages for m in re.findall(r"TTHC_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])", page.read_text(encoding="utf-8"))}


def all_variables() -> set[str]:
    from feedback.deadlines import Deadlines

    return ({f"TTHC_{name.upper()}" for name in Settings.model_fields}
            | {f"TTHC_FEEDBACK_{name.upper()}" for name in Deadlines.model_fields})


def test_every_setting_is_documented():
    assert sorted(all_variables() - documented_names()) == []


def test_the_settings_page_names_only_real_settings():
    """A documented variable that no field reads is a stale promise (except ones read outside Settings)."""
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    outside = {"TTHC_TEST_POSTGRES_URL", "TTHC_HOLIDAYS_FILE"}  # read by tests and by feedback.workdays
    stale = sorted(set(re.findall(r"TTHC_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])", page)) - all_variables() - outside)
    assert stale == []
