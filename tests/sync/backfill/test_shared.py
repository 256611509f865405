"""One backfill shared by two ``korsync backfill`` processes on one PostgreSQL (as on two
hosts): they split the slices (no page read twice), the mirror equals the simulator's, a kill -9
of one leaves its slices to the other, and a backfill of another range is refused in one line."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from korsync.db.engine import make_engine, make_session_factory
from korsync.db.migrate import upgrade_to_head
from korsync.fake_api import Simulator, serve
from korsync.models import SyncRun, SyncState
from korsync.sync.backfill import sync_backfill
from korsync.sync.orders import OrdersOptions
from tests.support.daemon import wait_for
from tests.support.sync import NOW, assert_orders_mirrored, korsync_process, make_client, make_sim

pytestmark = pytest.mark.postgres
UNTIL = NOW + dt.timedelta(seconds=1)
# One walker a process, 4 slices of about 20 pages, a page every 0.3 s: a process alone takes
# 24 s or more, time enough for the second to start and join even on a loaded machine.
ORDERS = 4000
ARGS = ("backfill", "--processes", "1", "--workers", "1", "--until", UNTIL.isoformat())


def _slow_sim() -> Simulator:
    return make_sim(orders=ORDERS, latency_ms=300)


def _runs(engine: Engine) -> list[SyncRun]:
    with Session(engine) as session:
        query = select(SyncRun).where(SyncRun.stream == "backfill").order_by(SyncRun.started_at)
        return list(session.scalars(query))


def _walking(engine: Engine) -> bool:
    """Whether the first backfill has committed a page (so its plan is made)."""
    return any(run.status == "running" and run.pages >= 1 for run in _runs(engine))


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


def _one_process_pages(tmp_path: Path) -> int:
    """Pages one process reads for the same plan (same orders, range and slices)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'single.db'}")
    upgrade_to_head(engine)
    with make_client(make_sim(orders=ORDERS)) as client:
        run = sync_backfill(
            client, make_session_factory(engine), OrdersOptions(), until=UNTIL, workers=1
        )
    engine.dispose()
    return run.totals.pages


def test_two_processes_split_one_backfill(pg_engine: Engine, tmp_path: Path) -> None:
    """The second process joins the first's plan: both read pages, together exactly the pages
    one process reads (no slice walked twice), both succeed, and the mirror is exact."""
    sim = _slow_sim()
    with serve(sim) as base_url:
        first = korsync_process(_url(pg_engine), base_url, sim.token, *ARGS)
        wait_for(lambda: _walking(pg_engine), "the first backfill walking", 60)
        second = korsync_process(_url(pg_engine), base_url, sim.token, *ARGS)
        results = [_finish(first), _finish(second)]
    assert [code for code, _ in results] == [0, 0], results
    assert_orders_mirrored(pg_engine, sim)
    runs = _runs(pg_engine)
    assert [run.status for run in runs] == ["succeeded", "succeeded"]
    assert all(run.pages > 0 for run in runs)
    assert sum(run.pages for run in runs) == _one_process_pages(tmp_path)
    with Session(pg_engine) as session:
        cursor = session.scalars(
            select(SyncState.cursor).where(SyncState.stream == "backfill", SyncState.scope == "")
        ).one()
    assert cursor is not None and "finished" in cursor


def test_a_killed_process_leaves_its_slices_to_the_other(pg_engine: Engine) -> None:
    """kill -9 of the first process mid-slice: the second takes its slice over from the
    checkpoint (the server freed the lock with the connection) and finishes the backfill."""
    sim = _slow_sim()
    with serve(sim) as base_url:
        first = korsync_process(_url(pg_engine), base_url, sim.token, *ARGS)
        wait_for(lambda: _walking(pg_engine), "the first backfill walking", 60)
        second = korsync_process(_url(pg_engine), base_url, sim.token, *ARGS)
        wait_for(lambda: sum(run.status == "running" for run in _runs(pg_engine)) == 2,
                 "the second backfill joining", 60)  # fmt: skip
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        code, err = _finish(second)
    assert code == 0, err
    assert_orders_mirrored(pg_engine, sim)
    assert [run.status for run in _runs(pg_engine)] == ["running", "succeeded"]  # the killed


def test_a_backfill_of_another_range_is_refused_while_one_runs(pg_engine: Engine) -> None:
    """A second backfill asking another range: exit 1 with one line naming the range being
    walked; the first goes on and finishes."""
    sim = _slow_sim()
    with serve(sim) as base_url:
        first = korsync_process(_url(pg_engine), base_url, sim.token, *ARGS)
        wait_for(lambda: _walking(pg_engine), "the first backfill walking", 60)
        other = korsync_process(
            _url(pg_engine), base_url, sim.token, *ARGS, "--since", "2026-01-01"
        )
        code, err = _finish(other)
        first_code, first_err = _finish(first)
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("korsync: another korsync process is running a backfill of ")
    assert line.endswith("give the same --since and --until (or none) to share it, or wait for"
                         " it to finish")  # fmt: skip
    assert first_code == 0, first_err
    assert_orders_mirrored(pg_engine, sim)
