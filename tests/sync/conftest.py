"""Fixtures for sync tests: a simulator, a client talking to it in-process, and a session
factory on the test's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.db.engine import make_session_factory
from korsync.fake_api import Simulator
from tests.support.sync import CountingTransport, make_client, make_sim


@pytest.fixture
def sim() -> Simulator:
    """A simulator of 180 orders whose clock stands still two hours ago."""
    return make_sim()


@pytest.fixture
def transport(sim: Simulator) -> CountingTransport:
    """The in-process transport to ``sim``, counting the requests it carries."""
    return CountingTransport(sim)


@pytest.fixture
def client(sim: Simulator, transport: CountingTransport) -> Iterator[ApiClient]:
    """An ``ApiClient`` on ``sim`` through ``transport``."""
    with make_client(sim, transport) as api:
        yield api


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test's database, as the sync functions take them."""
    return make_session_factory(engine)
