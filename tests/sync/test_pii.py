"""The personal-data policy: hash keeps equality without the value, drop stores nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.config import SettingsError, load_settings
from korsync.fake_api import Simulator
from korsync.models import Order, OrderItemTicket
from korsync.pii import PiiPolicy
from korsync.sync.orders import OrdersOptions, sync_orders


def _personal_values(sim: Simulator) -> set[str]:
    values = set()
    for order in sim.orders_truth():
        values |= {
            order["customer"][k] for k in ("email", "lastname", "phone") if order["customer"].get(k)
        }
        for item in order["items"]:
            for ticket in item["tickets"]:
                beneficiary = ticket.get("beneficiary") or {}
                values |= {beneficiary[k] for k in ("lastname", "email") if beneficiary.get(k)}
    return values


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list | tuple):
        for inner in value.values() if isinstance(value, dict) else value:
            yield from _strings(inner)


def _stored(engine: Engine) -> set[str]:
    """Every text value stored in orders and tickets, columns and raw JSON."""
    with Session(engine) as session:
        orders = session.scalars(select(Order)).all()
        tickets = session.scalars(select(OrderItemTicket)).all()
    columns: list[tuple[str | None, ...]] = [
        (o.customer_email, o.customer_lastname, o.customer_phone) for o in orders
    ]
    columns += [(t.beneficiary_lastname, t.beneficiary_email) for t in tickets]
    return set(_strings([o.raw for o in orders] + columns))


def test_hash_policy_hides_values_but_keeps_equality(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Under ``hash`` no personal value is stored in columns or raw JSON, and the same email
    always gives the same hash."""
    policy = PiiPolicy("hash", key=b"k" * 32)
    sync_orders(client, sessions, OrdersOptions(pii=policy))
    leaked = _personal_values(sim) & _stored(engine)
    assert not leaked, f"personal values stored in clear: {sorted(leaked)[:3]}"
    truth = next(iter(sim.orders_truth()))
    with Session(engine) as session:
        order = session.get(Order, uuid.UUID(truth["id"]))
    assert order is not None
    assert order.customer_email == policy.value(truth["customer"]["email"])
    assert order.raw is not None and order.raw["customer"]["email"] == order.customer_email
    assert policy.value(" Ann@Example.com") == policy.value("ann@example.com")


def test_drop_policy_stores_null(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Under ``drop`` personal columns and their raw JSON fields are NULL."""
    sync_orders(client, sessions, OrdersOptions(pii=PiiPolicy("drop")))
    with Session(engine) as session:
        orders = session.scalars(select(Order)).all()
        births = session.scalars(select(OrderItemTicket.beneficiary_date_of_birth)).all()
    assert orders and all(o.customer_email is None and o.customer_lastname is None for o in orders)
    assert all(o.raw is not None and o.raw["customer"]["email"] is None for o in orders)
    assert all(birth is None for birth in births)
    assert not _personal_values(sim) & _stored(engine)


def test_hash_policy_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """KORSYNC_PII=hash without KORSYNC_PII_KEY is a settings error naming the key."""
    monkeypatch.setenv("KORSYNC_PII", "hash")
    monkeypatch.delenv("KORSYNC_PII_KEY", raising=False)
    with pytest.raises(SettingsError, match="KORSYNC_PII_KEY is required"):
        load_settings()
