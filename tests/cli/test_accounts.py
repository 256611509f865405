"""Several accounts in one PostgreSQL database: each in its own schema, migrated on its own,
synced from its own organization of the simulator, listed, chosen with ``--account``; and the
single account's commands unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from korsync.cli import main
from korsync.db.engine import make_engine
from korsync.fake_api import Simulator
from tests.support.accounts import AccountsFile
from tests.support.sync import assert_orders_mirrored

pytestmark = pytest.mark.postgres


def korsync(accounts: AccountsFile, *args: str) -> Result:
    """``korsync *args`` in-process with the accounts file's settings."""
    return CliRunner().invoke(main, list(args), env=accounts.env())


def _offer_prices(accounts: AccountsFile, k: int) -> dict[str, str]:
    engine = accounts.engine(k)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, price_amount_incl_tax FROM offers")).all()
    engine.dispose()
    return {str(offer_id): f"{price:.2f}" for offer_id, price in rows if price is not None}


def test_each_schema_equals_its_accounts_truth(
    accounts_sim: Simulator, two_accounts: AccountsFile
) -> None:
    """``db upgrade`` then ``sync`` mirror each account into its own schema: the orders are
    its organization's, and the catalogue both share has the same ids at each one's prices."""
    upgraded = korsync(two_accounts, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output.count("is at the newest schema revision") == 2
    synced = korsync(two_accounts, "sync")
    assert synced.exit_code == 0, synced.output
    assert f"{two_accounts.names[1]}: " in synced.output  # lines say whose they are
    for k in (0, 1):
        engine = two_accounts.engine(k)
        assert_orders_mirrored(engine, accounts_sim, org=k)
        engine.dispose()
    prices = [_offer_prices(two_accounts, k) for k in (0, 1)]
    catalogues = [accounts_sim.catalogue_truth(k)["offers"] for k in (0, 1)]
    truth = [{o["id"]: o["price"]["amountInclTax"] for o in offers} for offers in catalogues]
    assert prices == truth
    assert prices[0].keys() == prices[1].keys() and prices[0] != prices[1]


def test_each_account_keeps_its_own_history(
    accounts_sim: Simulator, two_accounts: AccountsFile
) -> None:
    """Change history is written in each account's schema: one current version per order of
    that account, none of the other's."""
    for args in (("db", "upgrade"), ("sync", "--stream", "orders")):
        done = korsync(two_accounts, *args)
        assert done.exit_code == 0, done.output
    for k in (0, 1):
        engine = two_accounts.engine(k)
        with engine.connect() as conn:
            current = conn.execute(
                text("SELECT id FROM orders_history WHERE valid_to IS NULL")
            ).scalars()
            kept = {str(key) for key in current}
        engine.dispose()
        assert kept == {order["id"] for order in accounts_sim.orders_truth(k)}


def test_each_schema_keeps_its_own_revision(two_accounts: AccountsFile) -> None:
    """Each account's schema has its own alembic_version; ``--account`` migrates only one."""
    result = korsync(two_accounts, "db", "upgrade", "--account", two_accounts.names[1])
    assert result.exit_code == 0, result.output
    engine = make_engine(two_accounts.database_url)
    with engine.connect() as conn:
        found = conn.scalars(
            text("SELECT table_schema FROM information_schema.tables"
                 " WHERE table_name = 'alembic_version' AND table_schema IN (:a, :b)"),
            {"a": two_accounts.schema(0), "b": two_accounts.schema(1)},
        ).all()  # fmt: skip
    engine.dispose()
    assert found == [two_accounts.schema(1)]
    status = korsync(two_accounts, "status", "--account", two_accounts.names[0])
    assert status.exit_code == 2
    assert status.output.strip().splitlines() == [
        f"korsync: account {two_accounts.names[0]}: database holds no korsync schema yet:"
        " run 'korsync db upgrade'"
    ]


def test_status_reports_each_account(two_accounts: AccountsFile) -> None:
    """``status --json`` has one report per account; only the synced one has runs."""
    korsync(two_accounts, "db", "upgrade")
    first, second = two_accounts.names
    assert korsync(two_accounts, "sync", "--account", first).exit_code == 0
    result = korsync(two_accounts, "status", "--json")
    assert result.exit_code == 1  # the second account never synced
    reports = json.loads(result.output)["accounts"]
    assert list(reports) == [first, second]
    assert reports[first]["never_synced"] is False
    assert reports[second]["never_synced"] is True
    assert reports[first]["row_counts"] != reports[second]["row_counts"]
    text_status = korsync(two_accounts, "status")
    assert f"account {first}:" in text_status.output
    assert f"account {second}:" in text_status.output


def test_accounts_list_shows_no_secret(accounts_sim: Simulator, two_accounts: AccountsFile) -> None:
    """``accounts list`` names each account and its schema, never its token."""
    result = korsync(two_accounts, "accounts", "list")
    assert result.exit_code == 0, result.output
    for k, name in enumerate(two_accounts.names):
        assert name in result.output and two_accounts.schema(k) in result.output
        assert accounts_sim.organization(k)["token"] not in result.output


def test_unknown_account_is_one_line(two_accounts: AccountsFile) -> None:
    """``--account`` naming no account of the file: one line listing the known ones."""
    result = korsync(two_accounts, "sync", "--account", "nosuch")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"korsync: --account 'nosuch': no such account (known: {', '.join(two_accounts.names)})"
    ]


def test_sqlite_refuses_an_accounts_file(two_accounts: AccountsFile, tmp_path: Path) -> None:
    """Several accounts need PostgreSQL's schemas: on SQLite, one line."""
    env = two_accounts.env(KORSYNC_DATABASE_URL=f"sqlite:///{tmp_path / 'k.db'}")
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 2
    assert (
        result.output.strip()
        .splitlines()[0]
        .startswith("korsync: multiple accounts need PostgreSQL")
    )


def test_account_option_needs_an_accounts_file(tmp_path: Path) -> None:
    """Without an accounts file there is one account: ``--account`` is refused in one line."""
    url = f"sqlite:///{tmp_path / 'k.db'}"
    result = CliRunner().invoke(
        main, ["--database-url", url, "db", "upgrade", "--account", "x"],
        env={"KORSYNC_ACCOUNTS_FILE": None},
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--account needs KORSYNC_ACCOUNTS_FILE" in result.output


def test_db_check_and_current_per_account(two_accounts: AccountsFile) -> None:
    """``db check`` names each account's pending migrations and exits 1 while one is behind;
    ``db current`` shows each account's revision."""
    first, second = two_accounts.names
    korsync(two_accounts, "db", "upgrade", "--account", first)
    check = korsync(two_accounts, "db", "check")
    assert check.exit_code == 1
    assert f"account {first}: schema is up to date" in check.output
    assert f"account {second}: " in check.output and "migration(s) pending" in check.output
    current = korsync(two_accounts, "db", "current", "--account", second)
    assert current.output.startswith(f"account {second}: no korsync schema yet")
    korsync(two_accounts, "db", "upgrade")
    assert korsync(two_accounts, "db", "check").exit_code == 0
