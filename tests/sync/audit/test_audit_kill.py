"""Killing a real ``korsync audit`` (kill -9) mid-heal, then auditing again, ends exact: the
mirror's live orders equal the simulator's ground truth, field for field, and the killed run is
recorded failed by the audit after it."""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import time
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from korsync.fake_api import Simulator, serve
from korsync.models import AuditWindow, Order, SyncRun
from tests.support.sync import korsync_process, make_sim


def _wait_for_a_healed_window(engine: Engine, process: subprocess.Popen[bytes]) -> None:
    """Until the audit has recorded a healed window (it is mid-way through healing)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with Session(engine) as session:
            if session.scalars(
                select(AuditWindow.id).where(AuditWindow.status == "healed")
            ).first():
                return
        time.sleep(0.05)
    raise AssertionError("the audit healed no window to interrupt")


def _comparable(order: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in order.items() if k != "@context"}


def _assert_live_orders_mirrored(engine: Engine, sim: Simulator) -> None:
    """The live orders are exactly the simulator's, each as the API sends it."""
    truth = {o["id"]: o for o in sim.orders_truth()}
    with Session(engine) as session:
        live = {str(i) for i in session.scalars(select(Order.id).where(Order.deleted_at.is_(None)))}
        rebuilt = session.execute(text("SELECT raw FROM orders_as_sent")).scalars()
        sent: dict[str, Any] = {}
        for raw in rebuilt:
            order = json.loads(raw) if isinstance(raw, str) else raw
            sent[order["id"]] = order
    assert live == truth.keys()
    differing = [i for i in live if _comparable(sent[i]) != _comparable(truth[i])]
    assert not differing, differing[:3]


@pytest.mark.slow
def test_kill_9_mid_audit_then_audit_again_ends_exact(engine: Engine, database_url: str) -> None:
    """Late commits in 25 old days and 5 orders deleted upstream; the audit healing them is
    killed with SIGKILL at a random moment; the next audit exits 0 with the mirror exact."""
    sim = make_sim(orders=1500, latency_ms=3)
    rng = random.Random(20261202)
    with serve(sim) as base_url:
        synced = korsync_process(database_url, base_url, sim.token, "sync", "--stream", "orders")
        assert synced.wait(timeout=120) == 0
        truth = list(sim.orders_truth())
        first = dt.datetime.fromisoformat(truth[0]["createdAt"])
        for day in range(25):
            sim.add_orders(2, created_at=first + dt.timedelta(days=7 * day + 1, minutes=day))
        for order in rng.sample(truth[:-10], 5):
            sim.delete_order(order["id"])
        killed = korsync_process(database_url, base_url, sim.token, "audit")
        _wait_for_a_healed_window(engine, killed)
        time.sleep(rng.uniform(0.0, 0.3))
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        final = korsync_process(database_url, base_url, sim.token, "audit")
        _, stderr = final.communicate(timeout=300)
    assert final.returncode == 0, stderr.decode()[-2000:]
    _assert_live_orders_mirrored(engine, sim)
    with Session(engine) as session:
        runs = session.scalars(
            select(SyncRun.status).where(SyncRun.stream == "audit").order_by(SyncRun.started_at)
        ).all()
    assert list(runs) == ["failed", "succeeded"]
