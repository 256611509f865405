"""A catalogue row the database refuses at write time (a value no mapping check foresaw) is
rejected alone: the rest of the refresh commits, and the refresh succeeds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import Product, RejectedRecord
from korsync.sync.catalogue import sync_catalogue


@pytest.fixture
def refused_product(engine: Engine, sim: Simulator) -> Iterator[str]:
    """The id of a product whose row the database refuses (a trigger standing in for a value
    its column cannot hold)."""
    product_id = sim.catalogue_truth()["products"][0]["id"]
    postgres = engine.dialect.name == "postgresql"
    refuse = (
        [
            f"""CREATE FUNCTION refuse_product() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.id = '{product_id}' AND NEW.raw IS NOT NULL THEN
                    RAISE EXCEPTION 'value out of range' USING ERRCODE = '22003';
                END IF;
                RETURN NEW;
            END $$""",
            """CREATE TRIGGER refuse_product BEFORE INSERT OR UPDATE ON products
            FOR EACH ROW EXECUTE FUNCTION refuse_product()""",
        ]
        if postgres
        else [
            f"""CREATE TRIGGER refuse_product BEFORE INSERT ON products
            WHEN NEW.id = '{product_id.replace("-", "")}' AND NEW.raw IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'value out of range'); END""",
            f"""CREATE TRIGGER refuse_product_update BEFORE UPDATE ON products
            WHEN NEW.id = '{product_id.replace("-", "")}' AND NEW.raw IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'value out of range'); END""",
        ]
    )
    allow = (
        ["DROP TRIGGER refuse_product ON products", "DROP FUNCTION refuse_product()"]
        if postgres
        else ["DROP TRIGGER refuse_product", "DROP TRIGGER refuse_product_update"]
    )
    with engine.begin() as conn:
        for statement in refuse:
            conn.execute(text(statement))
    yield product_id
    with engine.begin() as conn:
        for statement in allow:
            conn.execute(text(statement))


def test_a_refused_catalogue_row_is_rejected_and_the_refresh_succeeds(
    client: ApiClient, sessions: sessionmaker[Session], sim: Simulator, refused_product: str
) -> None:
    """Every other product is mirrored with its data; the refused one is a rejected record
    saying the database refused it, and the run succeeded."""
    run = sync_catalogue(client, sessions)
    products = sim.catalogue_truth()["products"]
    with sessions() as session:
        filled = session.scalar(
            select(func.count()).select_from(Product).where(Product.raw.is_not(None))
        )
        [reject] = session.scalars(select(RejectedRecord)).all()
    assert filled == len(products) - 1
    assert reject.record_key == refused_product and reject.stream == "catalogue"
    assert reject.reason.startswith("refused by the database")
    assert run.totals.rejects == 1
