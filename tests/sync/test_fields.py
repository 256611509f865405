"""The declared API field names (``korsync.sync.fields``): every typed column of a mirror table
is declared once, marked documented or inferred, and the catalogue mappers read through it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from korsync.models import metadata
from korsync.sync import catalogue_rows as cr
from korsync.sync import fields
from korsync.sync.values import MappingError

NOW = dt.datetime(2025, 6, 2, 12, tzinfo=dt.UTC)
# Columns korsync fills itself, not from a field of the item: keys, order, bookkeeping.
OWN = {"id", "raw", "synced_at", "deleted_at", "position"}


def _typed_columns(table: str) -> set[str]:
    return {
        c.name
        for c in metadata.tables[table].columns
        if c.name not in OWN and not c.name.endswith(("_id", "_read_at"))
    }


def test_every_typed_column_of_every_mirror_table_is_declared() -> None:
    """Each mirror table (``raw`` and ``synced_at``) has its typed columns declared, no more."""
    tables = metadata.tables.items()
    mirrors = {name for name, table in tables if "raw" in table.c and "synced_at" in table.c}
    assert set(fields.FIELDS) == mirrors
    for table in mirrors:
        assert set(fields.FIELDS[table]) == _typed_columns(table), table


def test_the_guessed_names_are_marked_inferred() -> None:
    """The names the docs do not show are inferred; the seed page's order fields documented."""
    inferred = {
        f"{table}.{column}"
        for table, declared in fields.FIELDS.items()
        for column, field in declared.items()
        if field.evidence == "inferred"
    }
    expected = {
        "offer_ticket_sessions.starts_at",
        "form_fields.name",
        "form_fields.label",
        "form_field_choices.value",
        "product_bases.venue_city",
        "orders.notes",
    }
    assert expected <= inferred
    assert fields.FIELDS["orders"]["reference"].evidence == "documented"
    assert all(field.seen for declared in fields.FIELDS.values() for field in declared.values())


def test_mappers_read_the_declared_names() -> None:
    """A ticket session's start comes from the declared ``startsAt``; a venue field from inside
    the embedded ``venue``; an absent embedded object reads as empty."""
    ids = [uuid.uuid4() for _ in range(4)]
    session = {"id": str(ids[3]), "startsAt": "2025-06-03T08:00:00+00:00"}
    rows = cr.offer_ticket_session_rows(*ids[:3])(session, NOW).rows["offer_ticket_sessions"]
    assert rows[0]["starts_at"] == dt.datetime(2025, 6, 3, 8, tzinfo=dt.UTC)
    base = {"id": str(ids[0]), "venue": {"postalCode": "85590"}}
    row = cr.product_base_rows(ids[1])(base, NOW).rows["product_bases"][0]
    assert row["venue_postal_code"] == "85590" and row["venue_city"] is None
    assert fields.read("offers", {"price": None})["price_amount_incl_tax"] is None


def test_an_unreadable_declared_field_names_itself() -> None:
    """A present but unreadable value raises a ``MappingError`` naming the field."""
    with pytest.raises(MappingError, match="startsAt"):
        fields.read("offer_ticket_sessions", {"startsAt": "tomorrow"})
