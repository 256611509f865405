"""Content sampling: each audit re-reads a rotating share of the history's days, so a change to
an order older than the reconcile window (which leaves every count equal) reaches the mirror;
the day where it is found, and its neighbours, are recorded ``changed``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import AuditWindow
from korsync.sync.audit import audit_orders
from korsync.sync.audit.sample import days_of, neighbours, sample
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.sync import assert_orders_mirrored

OPTIONS = OrdersOptions()


def _utc(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, tzinfo=dt.UTC)


def test_the_sample_rotates_through_the_days_and_wraps() -> None:
    """Ten days at 20 %: two days from after the last one sampled, wrapping to the first; at
    least one day when the share rounds to less; none at 0 %, all at 100 %."""
    days = days_of(_utc(1, 6), _utc(11))
    assert len(days) == 10 and days[0].start == _utc(1, 6) and days[1].start == _utc(2)
    assert [d.start.day for d in sample(days, 20, None)] == [1, 2]
    assert [d.start.day for d in sample(days, 20, _utc(2))] == [3, 4]
    assert [d.start.day for d in sample(days, 20, _utc(10))] == [1, 2]
    assert [d.start.day for d in sample(days, 20, _utc(9))] == [10, 1]
    assert len(sample(days, 0.01, None)) == 1
    assert sample(days, 0, None) == [] and len(sample(days, 100, None)) == 10
    assert [d.start.day for d in neighbours(days, days[0])] == [2]
    assert [d.start.day for d in neighbours(days, days[4])] == [4, 6]


def _statuses(engine: Engine) -> dict[str, list[AuditWindow]]:
    found: dict[str, list[AuditWindow]] = {}
    with Session(engine) as session:
        for row in session.scalars(select(AuditWindow).order_by(AuditWindow.checked_at)):
            found.setdefault(row.status, []).append(row)
    return found


def test_a_change_to_an_old_order_is_found_by_the_sample(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An order months older than the reconcile window is cancelled upstream: every count
    still matches, and the re-read of every day (100 %) brings the cancellation into the
    mirror; its day is recorded ``changed`` and the mirror equals the ground truth."""
    sync_orders(client, sessions, OPTIONS)
    old = next(iter(sim.orders_truth()))
    sim.cancel_order(old["id"])
    outcome = audit_orders(client, sessions, OPTIONS, sample_percent=100)
    assert outcome.clean and not outcome.healed
    assert_orders_mirrored(engine, sim)
    (changed,) = _statuses(engine)["changed"]
    created = dt.datetime.fromisoformat(old["createdAt"])
    assert changed.window_start <= created < changed.window_end


def test_each_audit_samples_the_next_days_and_a_changed_day_its_neighbours(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Audits at 1 % re-read the history's days in turn, each starting after the last one's
    sample; a change found on a day makes the day before it be re-read too (the day after is
    in the sample anyway), and the change reaches the mirror."""
    sync_orders(client, sessions, OPTIONS)
    created = sorted(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
    days = days_of(created[0], created[-1])
    per_audit = len(sample(days, 1, None))
    target = days[2 * per_audit]  # the first day of the third audit's sample
    (order,) = sim.add_orders(1, created_at=target.start + dt.timedelta(hours=1))
    first = audit_orders(client, sessions, OPTIONS, sample_percent=1)
    second = audit_orders(client, sessions, OPTIONS, sample_percent=1)
    assert first.sampled == second.sampled == per_audit and first.healed and not second.healed
    sampled = [w for w in _statuses(engine)["sampled"] if w.run_id == second.run.run_id]
    assert [w.window_start for w in sampled] == [d.start for d in days[per_audit : 2 * per_audit]]
    sim.cancel_order(order["id"])
    third = audit_orders(client, sessions, OPTIONS, sample_percent=1)
    assert [w.start for w in third.changed] == [target.start]
    assert third.sampled == per_audit + 1
    assert_orders_mirrored(engine, sim)
