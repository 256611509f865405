"""The backfill: concurrent slices, idempotence, resume from checkpoints, and the watermark."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.errors import ApiError
from korsync.db.engine import make_engine, make_session_factory
from korsync.db.migrate import upgrade_to_head
from korsync.models import SyncState
from korsync.sync import state
from korsync.sync.backfill import sync_backfill
from korsync.sync.backfill.walker import plan_slices
from korsync.sync.orders import OrdersOptions
from tests.support.sync import CountingTransport, assert_orders_mirrored, make_client, make_sim

OPTIONS = OrdersOptions()


def test_slices_cover_the_range_without_gaps() -> None:
    """Slices are contiguous, ordered, and together exactly the requested range."""
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=10, seconds=7)
    slices = plan_slices(start, end, 7)
    assert slices[0].start == start and slices[-1].end == end
    assert all(a.end == b.start for a, b in itertools.pairwise(slices))
    assert len(plan_slices(start, start + dt.timedelta(seconds=3), 10)) == 3


def test_backfill_is_complete_idempotent_and_never_rewinds_the_watermark(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """A backfill mirrors every order; a second one changes nothing; an incremental watermark
    ahead of the backfill's range is left where it is."""
    sim = make_sim(orders=400)
    with make_client(sim) as client:
        first = sync_backfill(client, sessions, OPTIONS, workers=3, slices=5)
    assert_orders_mirrored(engine, sim)
    assert first.totals.rows.inserted > 400
    ahead = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with sessions.begin() as session:
        state.save(session, "orders", watermark=ahead)
    with make_client(sim) as client:
        again = sync_backfill(client, sessions, OPTIONS, workers=3)
    assert (again.totals.rows.inserted, again.totals.rows.updated) == (0, 0)
    with Session(engine) as session:
        assert state.watermark(session, "orders") == ahead


def test_interrupted_backfill_resumes_from_its_checkpoints(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """After a failure part-way, re-running continues each slice from its checkpoint instead
    of starting over, and the result is the exact source."""
    sim = make_sim(orders=600)
    full = CountingTransport(sim)
    with make_client(sim, transport=full) as client:
        sync_backfill(client, _scratch_mirror(tmp_path), OPTIONS, workers=1, slices=3)
    broken = CountingTransport(sim)
    for n in range(8, 200):
        broken.before[n] = _outage
    with make_client(sim, transport=broken, max_attempts=1) as client, pytest.raises(ApiError):
        sync_backfill(client, sessions, OPTIONS, workers=1, slices=3)
    with Session(engine) as session:
        checkpoints = session.scalars(select(SyncState).where(SyncState.stream == "backfill")).all()
    assert any(s.watermark for s in checkpoints)
    resumed = CountingTransport(sim)
    with make_client(sim, transport=resumed) as client:
        sync_backfill(client, sessions, OPTIONS, workers=1)
    assert_orders_mirrored(engine, sim)
    assert len(resumed.requests) < len(full.requests)


def _outage() -> None:
    raise httpx.ConnectError("connection refused (simulated outage)")


def _scratch_mirror(tmp_path: Path) -> sessionmaker[Session]:
    """A throwaway SQLite mirror, to count a full backfill's requests."""
    engine = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    upgrade_to_head(engine)
    return make_session_factory(engine)
