"""The reporting views as migrated match their descriptions in ``korsync.models.views``: the
same columns in the same order on both databases, and on PostgreSQL the same comments on each
view and each of its columns (what BI tools import as field descriptions)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text

from korsync.models.views import VIEWS


@pytest.mark.parametrize("view", list(VIEWS))
def test_view_columns_are_the_described_ones(engine: Engine, view: str) -> None:
    """Every column a view has is described, in the view's order, and nothing more."""
    with engine.connect() as connection:
        columns = list(connection.execute(text(f"SELECT * FROM {view} WHERE 1 = 0")).keys())
    assert columns == list(VIEWS[view].columns)


def test_every_view_column_carries_its_description(pg_engine: Engine) -> None:
    """On PostgreSQL each view and each view column has korsync's current text as comment, so
    a description changed without a migration writing it fails here."""
    inspector = inspect(pg_engine)
    assert set(inspector.get_view_names()) == set(VIEWS)
    for name, view in VIEWS.items():
        assert inspector.get_table_comment(name)["text"] == view.comment, name
        comments = {c["name"]: c.get("comment") for c in inspector.get_columns(name)}
        assert comments == {c: view.column_comment(c) for c in view.columns}, name
