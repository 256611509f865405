"""Fixtures of the CLI tests: two simulated accounts in one PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from korsync.db.engine import make_engine
from korsync.fake_api import Simulator
from korsync.fake_api.server import serve
from tests.support.accounts import AccountsFile, drop_accounts, write_accounts
from tests.support.sync import make_sim


@pytest.fixture
def accounts_sim() -> Simulator:
    """Two organizations sharing one catalogue (same ids) at different prices."""
    return make_sim(orders=60, organizations=2, shared_catalogue=True)


@pytest.fixture
def two_accounts(
    accounts_sim: Simulator, tmp_path: Path, postgres_url: str
) -> Iterator[AccountsFile]:
    """Two accounts of the served simulator; their schemas and roles dropped afterwards."""
    with serve(accounts_sim) as base_url:
        accounts = write_accounts(tmp_path, accounts_sim, base_url, postgres_url, 2)
        yield accounts
    admin = make_engine(postgres_url)
    drop_accounts(admin, accounts)
    admin.dispose()
