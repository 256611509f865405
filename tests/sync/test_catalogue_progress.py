"""A catalogue refresh says how far it got: a first one is a minute of requests."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.models import Catalog
from korsync.sync.catalogue import sync_catalogue


def test_each_catalog_read_is_logged_with_how_many_remain(
    client: ApiClient, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """One INFO line per catalog, counting up to the number of catalogs."""
    with caplog.at_level(logging.INFO, logger="korsync.sync"):
        sync_catalogue(client, sessions)
    with sessions() as session:
        catalogs = session.scalar(select(func.count()).select_from(Catalog)) or 0
    lines = [r.getMessage() for r in caplog.records if "catalogs read" in r.getMessage()]
    assert catalogs >= 2
    assert lines == [f"catalogue: {n} of {catalogs} catalogs read" for n in range(1, catalogs + 1)]
