"""``korsync backfill --processes N``: slices walked by worker processes over a loopback port."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from korsync.cli import main
from korsync.db.engine import make_engine, make_session_factory
from korsync.db.migrate import upgrade_to_head
from korsync.fake_api import Simulator, serve
from korsync.models import Order, SyncRun
from korsync.sync.backfill import sync_backfill
from korsync.sync.orders import OrdersOptions
from tests.support.sync import NOW, assert_orders_mirrored, make_client, make_sim

UNTIL = (NOW + dt.timedelta(seconds=1)).isoformat()


def _backfill(database_url: str, base_url: str, sim: Simulator, **env: str) -> Result:
    """``korsync backfill --processes 2`` against the simulator served at ``base_url``."""
    command = ["--database-url", database_url, "backfill", "--processes", "2", "--workers", "4"]
    env = {"KORSYNC_API_URL": base_url, "KORSYNC_API_TOKEN": sim.token, **env}
    return CliRunner().invoke(main, [*command, "--until", UNTIL], env=env)


def _runs(engine: Engine) -> list[SyncRun]:
    with Session(engine) as session:
        query = select(SyncRun).where(SyncRun.stream == "backfill").order_by(SyncRun.started_at)
        return list(session.scalars(query))


def _one_process_totals(sim: Simulator, tmp_path: Path) -> tuple[int, int]:
    """Pages and rows inserted by the same backfill walked in one process into a fresh mirror."""
    engine = make_engine(f"sqlite:///{tmp_path / 'single.db'}")
    upgrade_to_head(engine)
    with make_client(sim) as client:
        until = dt.datetime.fromisoformat(UNTIL)
        run = sync_backfill(client, make_session_factory(engine), OrdersOptions(), until=until)
    engine.dispose()
    return run.totals.pages, run.totals.rows.inserted


def test_worker_processes_mirror_every_order_and_sum_their_counters(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Worker processes together mirror the source exactly, and the run records the pages and
    rows of every worker (the same totals as one process walking the same slices)."""
    sim = make_sim(orders=500)
    with serve(sim) as base_url:
        result = _backfill(database_url, base_url, sim)
    assert result.exit_code == 0, result.output
    assert_orders_mirrored(engine, sim)
    [run] = _runs(engine)
    assert run.status == "succeeded"
    assert (run.pages, run.rows_inserted) == _one_process_totals(sim, tmp_path)


def test_failing_requests_end_the_backfill_with_the_failure_and_a_rerun_completes(
    engine: Engine, database_url: str
) -> None:
    """Page requests failing in whichever process stop the whole backfill with an error naming
    the failure; re-running resumes and leaves the exact source."""
    sim = make_sim(orders=500)
    sim.faults.slow_seconds = 0
    sim.inject("slow", 1)  # a no-op over a real socket: lets the plan's request through
    sim.inject("500", 1000)
    with serve(sim) as base_url:
        failed = _backfill(database_url, base_url, sim, KORSYNC_MAX_ATTEMPTS="1")
        sim.wsgi.picker.clear()
        again = _backfill(database_url, base_url, sim)
    assert failed.exit_code == 1
    assert "backfill failed (re-run to resume)" in failed.output and "500" in failed.output
    assert again.exit_code == 0, again.output
    assert_orders_mirrored(engine, sim)
    assert [run.status for run in _runs(engine)] == ["failed", "succeeded"]


@pytest.mark.parametrize(
    "engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_killed_worker_ends_the_backfill_and_a_rerun_completes(
    engine: Engine, database_url: str
) -> None:
    """A worker killed mid-walk (its open page rolled back) ends the backfill with an error
    saying which worker ended how; re-running leaves the exact source."""
    sim = make_sim(orders=500, latency_ms=20)  # slow enough to be killed mid-walk
    killed: list[int] = []

    def kill_first_worker() -> None:
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            for worker in multiprocessing.active_children():
                if worker.name == "backfill-1" and worker.pid and _orders(engine) > 0:
                    os.kill(worker.pid, signal.SIGKILL)
                    killed.append(worker.pid)
            time.sleep(0.05)

    with serve(sim) as base_url:
        killer = threading.Thread(target=kill_first_worker)
        killer.start()
        failed = _backfill(database_url, base_url, sim)
        killer.join()
        again = _backfill(database_url, base_url, sim)
    assert killed and failed.exit_code == 1
    assert "backfill worker backfill-1 ended (exit status -9)" in failed.output
    assert again.exit_code == 0, again.output
    assert_orders_mirrored(engine, sim)


def _orders(engine: Engine) -> int:
    """Orders the workers have committed so far."""
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Order)) or 0
