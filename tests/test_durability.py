"""A small run of benchmarks/durability.py: citizens file reports over the Telegram webhook while
`tthc serve` is killed with SIGKILL; updates are redelivered only as Telegram does (same update_id,
only without a 2xx). Every acknowledged message is answered; every report is filed exactly once,
with its history. SQLite, and PostgreSQL when TTHC_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import pytest

from benchmarks.durability import HEADER, Run, fresh_database

from .conftest import POSTGRES_URL

CITIZENS, KILLS = 24, 2


@pytest.mark.parametrize("database", ["sqlite"] + ([POSTGRES_URL] if POSTGRES_URL else []))
def test_acknowledged_messages_are_answered_across_sigkills(tmp_path, database):
    url = fresh_database(database, tmp_path, name="durability_test")
    result = Run(url, CITIZENS, KILLS, tmp_path, seed=11, deadline=150).execute(
        "sqlite" if database == "sqlite" else "postgresql")
    print(f"\n{HEADER}\n{result.row()}")
    assert result.finished == CITIZENS and result.acknowledged == CITIZENS * 4
    assert result.unanswered == 0
    assert result.lost == 0 and result.duplicated == 0 and result.half_written == 0
    # a reply whose send was in flight at a kill may go out twice (at-least-once delivery)
    assert result.duplicate_replies <= KILLS * 4
    assert not [line for line in result.log_lines if "Traceback" in line]
