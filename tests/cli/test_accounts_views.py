"""The cross-account views, the reader roles and purging one account (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

from korsync.accounts import reader_role
from korsync.db.engine import make_engine
from korsync.fake_api import Simulator
from korsync.fake_api.server import serve
from tests.cli.test_accounts import korsync
from tests.support.accounts import AccountsFile, drop_accounts, write_accounts
from tests.support.sync import make_sim

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[AccountsFile]:
    """Two accounts (colliding catalogue ids), migrated and synced once for the module."""
    sim: Simulator = make_sim(orders=40, organizations=2, shared_catalogue=True)
    with serve(sim) as base_url:
        folder = tmp_path_factory.mktemp("accounts")
        accounts = write_accounts(folder, sim, base_url, postgres_url, 2)
        assert korsync(accounts, "db", "upgrade").exit_code == 0
        assert korsync(accounts, "sync").exit_code == 0
        yield accounts
    admin = make_engine(postgres_url)
    drop_accounts(admin, accounts)
    admin.dispose()


@pytest.fixture
def admin(synced: AccountsFile) -> Iterator[Engine]:
    engine = make_engine(synced.database_url)
    yield engine
    engine.dispose()


def _count(engine: Engine, relation: str, role: str | None = None) -> int:
    with engine.connect() as conn:
        if role:
            conn.execute(text(f'SET ROLE "{role}"'))
        return int(conn.scalar(text(f"SELECT count(*) FROM {relation}")) or 0)


def _relations(engine: Engine, schema: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"
                 " AND table_name <> 'alembic_version' ORDER BY table_name"), {"s": schema}
        ))  # fmt: skip


def test_views_count_the_sum_of_every_account(admin: Engine, synced: AccountsFile) -> None:
    """Every table and view of an account has a cross-account view whose rows are the sum of
    the accounts' rows, each labelled with its account."""
    views = _relations(admin, synced.views_schema)
    assert views == _relations(admin, synced.schema(0))
    assert {"orders", "offers", "sync_runs"} <= set(views)
    for relation in views:
        total = sum(_count(admin, f'"{synced.schema(k)}"."{relation}"') for k in (0, 1))
        assert _count(admin, f'"{synced.views_schema}"."{relation}"') == total, relation
    with admin.connect() as conn:
        per_account: dict[str, int] = dict(conn.execute(text(
            f'SELECT account, count(*) FROM "{synced.views_schema}".orders GROUP BY account'
        )).all())  # fmt: skip
    assert per_account == {
        name: _count(admin, f'"{synced.schema(k)}".orders') for k, name in enumerate(synced.names)
    }
    offers = f'"{synced.views_schema}".offers'
    assert _count(admin, f"(SELECT DISTINCT id FROM {offers}) AS ids") * 2 == _count(admin, offers)


def test_readers_see_only_their_schema(admin: Engine, synced: AccountsFile) -> None:
    """An account's reader reads its schema and nothing else; the all-accounts reader reads
    the cross-account views and no account's schema directly."""
    result = korsync(synced, "accounts", "grant-readers")
    assert result.exit_code == 0, result.output
    mine = reader_role(synced.schema(0))
    assert _count(admin, f'"{synced.schema(0)}".orders', role=mine) > 0
    for elsewhere in (f'"{synced.schema(1)}".orders', f'"{synced.views_schema}".orders'):
        with pytest.raises(ProgrammingError, match="permission denied"):
            _count(admin, elsewhere, role=mine)
    everyone = reader_role(synced.views_schema)
    assert _count(admin, f'"{synced.views_schema}".orders', role=everyone) > 0
    with pytest.raises(ProgrammingError, match="permission denied"):
        _count(admin, f'"{synced.schema(1)}".orders', role=everyone)
    # A rebuild (db upgrade) keeps the all-accounts reader's access to the new views.
    assert korsync(synced, "db", "upgrade").exit_code == 0
    assert _count(admin, f'"{synced.views_schema}".orders', role=everyone) > 0


def test_purge_removes_one_account_only(admin: Engine, synced: AccountsFile) -> None:
    """``accounts purge`` needs --yes; then drops one schema and role, leaves the other
    account whole, and the views hold only what remains."""
    gone, kept = synced.names
    refused = korsync(synced, "accounts", "purge", gone)
    assert refused.exit_code == 2 and "add --yes" in refused.output
    before = {
        r: _count(admin, f'"{synced.schema(1)}"."{r}"') for r in _relations(admin, synced.schema(1))
    }
    result = korsync(synced, "accounts", "purge", gone, "--yes")
    assert result.exit_code == 0, result.output
    assert _relations(admin, synced.schema(0)) == []
    with admin.connect() as conn:
        roles = conn.scalars(text("SELECT rolname FROM pg_roles WHERE rolname = :r"),
                             {"r": reader_role(synced.schema(0))}).all()  # fmt: skip
        accounts = conn.scalars(
            text(f'SELECT DISTINCT account FROM "{synced.views_schema}".orders')
        ).all()
    assert roles == [] and accounts == [kept]
    after = {r: _count(admin, f'"{synced.schema(1)}"."{r}"') for r in before}
    assert after == before
    assert _count(admin, f'"{synced.views_schema}".orders') == before["orders"]
    assert "still in the accounts file" in result.output


def test_purge_refuses_a_bad_name(synced: AccountsFile) -> None:
    """A name that cannot be an account's is refused before anything is dropped."""
    result = korsync(synced, "accounts", "purge", "public; drop", "--yes")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["korsync: 'public; drop' is not an account name"]


def test_purge_needs_an_accounts_file(tmp_path: Path) -> None:
    """Without an accounts file there is nothing to purge: one line."""
    from click.testing import CliRunner

    from korsync.cli import main

    url = f"sqlite:///{tmp_path / 'k.db'}"
    result = CliRunner().invoke(main, ["--database-url", url, "accounts", "purge", "x", "--yes"],
                                env={"KORSYNC_ACCOUNTS_FILE": None})  # fmt: skip
    assert result.exit_code == 2
    assert "needs KORSYNC_ACCOUNTS_FILE" in result.output
