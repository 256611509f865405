"""The command line: help, ``db upgrade``, ``status`` and setting errors."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from korsync.cli import main
from korsync.models import SyncRun, SyncState

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_help_lists_every_command() -> None:
    """``korsync --help`` names the commands of every stage of the product."""
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("db", "sync", "backfill", "run", "status", "fake-api", "demo"):
        assert f"  {name}" in result.output


def test_python_dash_m_runs_the_cli() -> None:
    """``python -m korsync`` is the same program as the console script."""
    done = subprocess.run(
        [sys.executable, "-m", "korsync", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "version" in done.stdout


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    """``db upgrade`` migrates a new SQLite database, and ``status`` then reads it."""
    url = f"sqlite:///{tmp_path / 'k.db'}"
    result = CliRunner().invoke(main, ["--database-url", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    status = CliRunner().invoke(main, ["--database-url", url, "status"])
    assert status.exit_code == 1  # a mirror that never synced must not pass a health check
    assert "no sync has run yet" in status.output
    assert "orders" in status.output


def test_bad_setting_is_one_line_exit_2() -> None:
    """A bad database URL ends with exit status 2 and one line naming the setting."""
    result = CliRunner().invoke(main, ["--database-url", "nosuch://x", "status"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "korsync: invalid setting KORSYNC_DATABASE_URL:"
        " korsync mirrors into PostgreSQL or SQLite, not nosuch"
    ]


def test_unreachable_database_is_one_line() -> None:
    """A database that cannot be reached is named (without password) in one line, exit 1."""
    url = "postgresql://korsync:hunter2@127.0.0.1:1/nowhere"
    result = CliRunner().invoke(main, ["--database-url", url, "db", "upgrade"])
    assert result.exit_code == 1
    assert "127.0.0.1:1/nowhere" in result.output and "hunter2" not in result.output


def _record(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(SyncState(stream="orders", watermark=T0))
        session.add(SyncRun(stream="orders", status="succeeded", started_at=T0, finished_at=T0))
        later = T0 + dt.timedelta(minutes=5)
        session.add(
            SyncRun(stream="catalogue", status="failed", started_at=later, finished_at=later,
                    error="GET /v1/ticketing/catalogs: 503 after 6 attempts")
        )  # fmt: skip
        session.commit()


def test_status_reports_streams_and_fails_on_failure(engine: Engine, database_url: str) -> None:
    """``status`` shows watermark, last success and last error, and exits 1 on a failed stream."""
    _record(engine)
    result = CliRunner().invoke(main, ["--database-url", database_url, "status", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    streams = {s["stream"]: s for s in report["streams"]}
    assert streams["orders"]["watermark"].startswith("2026-03-01T12:00:00")
    assert streams["orders"]["last_status"] == "succeeded"
    assert streams["catalogue"]["last_error"].startswith("GET /v1/ticketing/catalogs: 503")
    assert report["failing"] == ["catalogue"]
    assert report["row_counts"]["orders"] == 0
    text = CliRunner().invoke(main, ["--database-url", database_url, "status"])
    assert "catalogue" in text.output and "503 after 6 attempts" in text.output


@pytest.mark.parametrize("command", ["sync", "backfill"])
def test_api_commands_name_missing_credentials(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands that call the API exit 2 naming the credential settings when none are set."""
    for name in ("KORSYNC_API_TOKEN", "KORSYNC_CLIENT_ID", "KORSYNC_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'k.db'}"
    result = CliRunner().invoke(main, ["--database-url", url, command])
    assert result.exit_code == 2
    assert "no API credentials: set KORSYNC_API_TOKEN" in result.output


def test_sync_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    """``sync`` on a database that was never migrated says to run ``db upgrade``."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(
        main, ["--database-url", url, "sync"], env={"KORSYNC_API_TOKEN": "t"}
    )
    assert result.exit_code == 2
    assert "run 'korsync db upgrade'" in result.output


def test_demo_mirrors_the_simulator_end_to_end(tmp_path: Path) -> None:
    """The quick start's ``korsync demo`` migrates, syncs every stream over HTTP and reports."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(main, ["--database-url", url, "demo", "--orders", "300"])
    assert result.exit_code == 0, result.output
    counts = dict(
        line.split() for line in result.output.splitlines() if line.startswith("  orders ")
    )
    assert counts == {"orders": "300"}
    for stream in ("catalogue", "orders", "reconcile", "documents", "reservations"):
        assert f"  {stream}: " in result.output and "FAILED" not in result.output
    assert "revenue by catalog" in result.output
