"""``backfill``, ``audit`` and ``check`` with an accounts file (PostgreSQL): each account in turn
(or the one ``--account`` names) into its own schema, one account's failure one line naming it
that does not stop the others; and ``demo``, which keeps to a database of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from korsync.cli import main
from korsync.fake_api import Simulator
from tests.support.accounts import AccountsFile
from tests.support.sync import assert_orders_mirrored

pytestmark = pytest.mark.postgres


def korsync(accounts: AccountsFile, *args: str) -> Result:
    """``korsync *args`` in-process with the accounts file's settings."""
    return CliRunner().invoke(main, list(args), env=accounts.env())


def _orders(accounts: AccountsFile, k: int) -> int:
    engine = accounts.engine(k)
    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM orders").scalar_one()
    engine.dispose()
    return int(count)


def test_backfill_mirrors_each_account(accounts_sim: Simulator, two_accounts: AccountsFile) -> None:
    """``backfill`` (two processes) fills each account's schema with exactly its organization's
    orders, one summary line per account."""
    assert korsync(two_accounts, "db", "upgrade").exit_code == 0
    result = korsync(two_accounts, "backfill", "--processes", "2")
    assert result.exit_code == 0, result.output
    for k, name in enumerate(two_accounts.names):
        assert f"account {name}: backfill: " in result.output
        engine = two_accounts.engine(k)
        assert_orders_mirrored(engine, accounts_sim, org=k)
        engine.dispose()


def test_backfill_of_one_account(two_accounts: AccountsFile) -> None:
    """``--account`` backfills that account only."""
    korsync(two_accounts, "db", "upgrade")
    second = two_accounts.names[1]
    result = korsync(two_accounts, "backfill", "--account", second, "--processes", "1")
    assert result.exit_code == 0, result.output
    assert _orders(two_accounts, 0) == 0 and _orders(two_accounts, 1) > 0
    assert two_accounts.names[0] not in result.output


@pytest.mark.parametrize(("command", "line"), [("backfill", "backfill"), ("audit", "audit"),
                                              ("sync", "orders")])  # fmt: skip
def test_one_accounts_failure_does_not_stop_the_next(
    two_accounts: AccountsFile, command: str, line: str
) -> None:
    """The first account's schema is not migrated: one line naming it, the second account is
    still worked on, and the command exits non-zero."""
    first, second = two_accounts.names
    korsync(two_accounts, "db", "upgrade", "--account", second)
    korsync(two_accounts, "sync", "--account", second, "--stream", "orders")
    result = korsync(two_accounts, command)
    assert result.exit_code == 2, result.output
    failures = [line for line in result.output.splitlines() if line.startswith("korsync:")]
    assert failures == [
        f"korsync: account {first}: database holds no korsync schema yet: run 'korsync db upgrade'"
    ]
    assert f"account {second}: {line}: " in result.output
    assert _orders(two_accounts, 1) > 0


def test_audit_reports_each_account(two_accounts: AccountsFile) -> None:
    """After a sync, ``audit`` counts each account against its own API: both match."""
    korsync(two_accounts, "db", "upgrade")
    assert korsync(two_accounts, "sync", "--stream", "orders").exit_code == 0
    result = korsync(two_accounts, "audit")
    assert result.exit_code == 0, result.output
    for name in two_accounts.names:
        (line,) = [x for x in result.output.splitlines() if x.startswith(f"account {name}: ")]
        assert "healed" in line and ", 0 still differing;" in line


def test_check_checks_each_account(accounts_sim: Simulator, two_accounts: AccountsFile) -> None:
    """``check`` makes the database and API checks of each account, each line naming it; the
    account whose schema is not migrated fails its database line only; no token is shown."""
    first, second = two_accounts.names
    korsync(two_accounts, "db", "upgrade", "--account", second)
    result = korsync(two_accounts, "check")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["settings", "ok"] and "2 account(s)" in lines[0]
    words = [line.split() for line in lines[1:-1]]
    assert all(word[0] == "account" for word in words)
    statuses = {(who.rstrip(":"), check): status for _, who, check, status, *_ in words}
    assert len(statuses) == 12  # six checks for each account
    assert statuses[(first, "database")] == "FAIL"
    assert {status for (who, _), status in statuses.items() if who == second} == {"ok"}
    for k in (0, 1):
        assert accounts_sim.organization(k)["token"] not in result.output
    only = korsync(two_accounts, "check", "--account", second)
    assert only.exit_code == 0, only.output
    assert first not in only.output


def test_check_refuses_an_unknown_account(two_accounts: AccountsFile) -> None:
    """``check --account nosuch``: the settings line fails naming the known accounts, the other
    checks are skipped."""
    result = korsync(two_accounts, "check", "--account", "nosuch")
    assert result.exit_code == 1
    settings = result.output.splitlines()[0]
    assert settings.startswith("settings     FAIL  --account 'nosuch': no such account")
    assert "database     skip" in result.output


def test_demo_keeps_to_a_database_of_its_own(two_accounts: AccountsFile) -> None:
    """``demo`` never writes made-up orders into the accounts' database: one line, exit 2."""
    result = korsync(two_accounts, "demo")
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("korsync: korsync demo fills its own database")


def test_check_account_needs_an_accounts_file(tmp_path: Path) -> None:
    """``check --account`` without an accounts file: the settings line fails saying so, and
    the database and API checks are skipped."""
    env = {"KORSYNC_ACCOUNTS_FILE": None, "KORSYNC_API_TOKEN": "t"}
    url = f"sqlite:///{tmp_path / 'k.db'}"
    result = CliRunner().invoke(main, ["--database-url", url, "check", "--account", "x"], env=env)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("settings     FAIL  --account needs KORSYNC_ACCOUNTS_FILE")
    assert lines[1].startswith("database     skip")
