"""Killing a real korsync process (kill -9) at any moment loses and duplicates nothing."""

from __future__ import annotations

import random
import signal
import subprocess
import time

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from korsync.fake_api import serve
from korsync.models import Order, SyncRun
from tests.support.sync import assert_orders_mirrored, korsync_process, make_sim


def _wait_for_progress(engine: Engine, process: subprocess.Popen[bytes]) -> None:
    """Until the process's own backfill run (not one a killed process left running) has
    committed at least one page (within 3 minutes: a start-up on a loaded CI machine)."""
    deadline = time.monotonic() + 180
    with Session(engine) as session:
        before = set(session.scalars(select(SyncRun.id)))
    while time.monotonic() < deadline and process.poll() is None:
        with Session(engine) as session:
            query = select(SyncRun.id).where(SyncRun.status == "running", SyncRun.pages > 0)
            if set(session.scalars(query)) - before:
                return
        time.sleep(0.05)
    stderr = ""
    if process.poll() is not None and process.stderr is not None:
        stderr = process.stderr.read().decode()[-2000:]
    raise AssertionError(f"the backfill made no progress to interrupt {stderr}")


@pytest.mark.slow
def test_kill_9_mid_backfill_then_resume_yields_exactly_the_source(
    engine: Engine, database_url: str
) -> None:
    """A backfill killed with SIGKILL three times at random moments, then re-run to the end,
    leaves the mirror equal to the simulator's ground truth; killed runs are recorded failed
    by the process after them, never successes."""
    sim = make_sim(orders=2500, latency_ms=4)
    rng = random.Random(20261127)
    with serve(sim) as base_url:
        for _ in range(3):
            process = korsync_process(
                database_url, base_url, sim.token, "backfill", "--workers", "3"
            )
            _wait_for_progress(engine, process)
            time.sleep(rng.uniform(0.0, 0.4))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        final = korsync_process(database_url, base_url, sim.token, "backfill", "--workers", "3")
        _, stderr = final.communicate(timeout=300)
        assert final.returncode == 0, stderr.decode()[-2000:]
        incremental = korsync_process(
            database_url, base_url, sim.token, "sync", "--stream", "orders"
        )
        _, stderr = incremental.communicate(timeout=120)
        assert incremental.returncode == 0, stderr.decode()[-2000:]
    assert_orders_mirrored(engine, sim)
    with Session(engine) as session:
        statuses = dict(
            session.execute(select(SyncRun.status, func.count()).group_by(SyncRun.status)).all()
        )
    assert statuses.get("succeeded") == 2
    assert statuses.get("failed") == 3  # each killed run, closed by the next process


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["1", "2"])
def test_ctrl_c_stops_the_backfill_after_the_pages_in_hand(
    engine: Engine, database_url: str, processes: str
) -> None:
    """Ctrl-C mid-backfill stops every walker after its current page instead of walking the
    remaining slices, records the run as interrupted, and a re-run completes the mirror."""
    sim = make_sim(orders=4000, latency_ms=10)
    args = ("backfill", "--workers", "4", "--processes", processes)
    with serve(sim) as base_url:
        process = korsync_process(database_url, base_url, sim.token, *args)
        _wait_for_progress(engine, process)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        with Session(engine) as session:
            mirrored = session.scalar(select(func.count()).select_from(Order))
            statuses = list(session.scalars(select(SyncRun.status)))
        final = korsync_process(database_url, base_url, sim.token, *args)
        _, stderr = final.communicate(timeout=300)
    assert process.returncode != 0
    assert mirrored is not None and 0 < mirrored < 4000
    assert statuses == ["interrupted"]
    assert final.returncode == 0, stderr.decode()[-2000:]
    assert_orders_mirrored(engine, sim)
