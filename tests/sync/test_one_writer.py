"""One writer per stream, whoever starts it: a run takes the stream's lock (advisory on
PostgreSQL, a file lock on SQLite), skips when another process holds it, never touches that
process's live run, and records runs left ``running`` by a process that is gone as failed."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.cli import main
from korsync.cli.commands import print_outcomes
from korsync.db.engine import make_engine
from korsync.db.locks import stream_lock
from korsync.models import SyncRun
from korsync.sync.runner import ABANDONED, close_abandoned_runs
from korsync.sync.streams import SyncOptions, run_streams

LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _left_running(sessions: sessionmaker[Session], stream: str) -> None:
    with sessions.begin() as session:
        session.add(SyncRun(stream=stream, mode="test", status="running", started_at=LONG_AGO))


def _statuses(sessions: sessionmaker[Session], stream: str) -> list[tuple[str, str | None]]:
    with sessions() as session:
        runs = session.scalars(
            select(SyncRun).where(SyncRun.stream == stream).order_by(SyncRun.started_at)
        )
        return [(run.status, run.error) for run in runs]


def test_a_stream_another_process_runs_is_skipped_and_its_live_run_untouched(
    engine: Engine,
    client: ApiClient,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """While another process holds ``orders`` (its run recorded ``running``), a manual pass
    skips orders, says so, leaves that run alone, and still runs the other streams asked for."""
    _left_running(sessions, "orders")
    other = make_engine(engine.url)
    try:
        with stream_lock(other, "orders") as held:
            assert held
            outcomes = run_streams(client, sessions, SyncOptions(), ["orders", "reservations"])
    finally:
        other.dispose()
    by_name = {o.name: o for o in outcomes}
    assert by_name["orders"].skipped and by_name["orders"].ok and by_name["orders"].run is None
    assert by_name["reservations"].run is not None
    assert _statuses(sessions, "orders") == [("running", None)]
    print_outcomes(outcomes)
    assert "orders: skipped: another korsync process is running it" in capsys.readouterr().out


def test_a_run_left_running_by_a_dead_process_is_recorded_failed_by_the_next_run(
    client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """No lock held means its process is gone: the next run of the stream closes it as failed,
    with why, then runs."""
    _left_running(sessions, "orders")
    [outcome] = run_streams(client, sessions, SyncOptions(), ["orders"])
    assert outcome.run is not None
    assert _statuses(sessions, "orders") == [("failed", ABANDONED), ("succeeded", None)]


def test_start_up_closes_abandoned_runs_of_every_stream_but_live_ones(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """At the daemon's start every stream's abandoned run is closed (the catalogue's would
    otherwise stay ``running`` for a day); a stream locked by a live process keeps its run."""
    for stream in ("catalogue", "reservations"):
        _left_running(sessions, stream)
    other = make_engine(engine.url)
    try:
        with stream_lock(other, "reservations"):
            assert close_abandoned_runs(sessions) == ["catalogue"]
    finally:
        other.dispose()
    assert _statuses(sessions, "catalogue") == [("failed", ABANDONED)]
    assert _statuses(sessions, "reservations") == [("running", None)]


def test_a_second_backfill_is_refused_before_it_plans_anything(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``korsync backfill`` while another process backfills: exit 1 with one line, and no
    request, plan or run of its own."""
    monkeypatch.setenv("KORSYNC_API_TOKEN", "token-never-sent-0123")
    monkeypatch.setenv("KORSYNC_API_URL", "http://127.0.0.1:9")  # nothing listens: no request
    other = make_engine(engine.url)
    try:
        with stream_lock(other, "backfill"):
            result = CliRunner().invoke(main, ["--database-url", database_url, "backfill"])
    finally:
        other.dispose()
    assert result.exit_code == 1
    assert result.output.strip() == (
        "korsync: another korsync process is running a backfill on this database"
    )
    with Session(engine) as session:
        assert session.scalars(select(SyncRun)).all() == []
