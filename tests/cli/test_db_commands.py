"""``korsync db current``, ``db check`` and ``db upgrade --sql``: where a database stands, a check
that fails while a migration is pending, and the migration SQL for review without a database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result

from korsync.cli import main
from korsync.db.engine import make_engine
from korsync.db.migrate import alembic_config, head_revision, pending_revisions

FIRST = "109c976561ff"  # the first revision: everything after it is pending on such a database


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", url, "db", *args])


@pytest.fixture
def behind(tmp_path: Path) -> str:
    """A SQLite database migrated only to the first revision."""
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), FIRST)
    engine.dispose()
    return url


def test_current_and_check_on_a_database_behind(behind: str) -> None:
    """A database behind the code: ``current`` names both revisions, ``check`` exits 1 listing
    each pending migration; after ``upgrade`` both say it is the newest and ``check`` exits 0."""
    head = head_revision()
    current = invoke(behind, "current")
    assert current.exit_code == 0 and f"{FIRST}; the newest revision is {head}" in current.output
    check = invoke(behind, "check")
    assert check.exit_code == 1
    pending = pending_revisions(FIRST)
    assert len(pending) >= 1 and pending[-1][0] == head
    assert f"{len(pending)} migration(s) pending" in check.output
    for revision, _message in pending:
        assert revision in check.output
    assert invoke(behind, "upgrade").exit_code == 0
    assert invoke(behind, "current").output.strip() == f"{head} (newest)"
    check = invoke(behind, "check")
    assert check.exit_code == 0 and "up to date" in check.output


def test_check_on_an_empty_database_lists_every_migration(tmp_path: Path) -> None:
    """Before any upgrade every revision is pending (an existing, empty SQLite file)."""
    path = tmp_path / "empty.db"
    make_engine(f"sqlite:///{path}").connect().close()
    check = invoke(f"sqlite:///{path}", "check")
    assert check.exit_code == 1
    assert f"{len(pending_revisions(None))} migration(s) pending" in check.output
    assert FIRST in check.output


@pytest.mark.parametrize("url", ["sqlite:///{dir}/never.db", "postgresql://nobody@127.0.0.1:1/x"])
def test_upgrade_sql_connects_to_no_database(url: str, tmp_path: Path) -> None:
    """``--sql`` prints the dialect's DDL for every revision and touches no database (neither
    a SQLite file is created nor an unreachable server asked)."""
    result = invoke(url.format(dir=tmp_path), "upgrade", "--sql")
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE orders" in result.output
    assert f"Running upgrade  -> {FIRST}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_upgrade_sql_from_a_revision_writes_only_what_follows(tmp_path: Path) -> None:
    """``--from REV`` starts after that revision; an unknown revision is one line, exit 2;
    ``--from`` without ``--sql`` is refused."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = invoke(url, "upgrade", "--sql", "--from", FIRST)
    assert result.exit_code == 0
    assert "CREATE TABLE orders (" not in result.output  # orders_history is new, orders not
    assert f"Running upgrade {FIRST} -> " in result.output
    unknown = invoke(url, "upgrade", "--sql", "--from", "nope")
    assert unknown.exit_code == 2 and unknown.output.startswith("korsync: --from nope")
    assert invoke(url, "upgrade", "--from", FIRST).exit_code == 2


def test_upgrade_prints_one_line_without_alembic_chatter(tmp_path: Path) -> None:
    """A real ``korsync db upgrade``: one line on stdout, nothing on stderr (Alembic's INFO
    lines per step only with KORSYNC_LOG_LEVEL=DEBUG)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORSYNC_")}
    env["KORSYNC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'quiet.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "korsync", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert done.stdout.count("\n") == 1 and "newest schema revision" in done.stdout
    assert done.stderr == ""
    env["KORSYNC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'loud.db'}"
    env["KORSYNC_LOG_LEVEL"] = "DEBUG"
    loud = subprocess.run(
        [sys.executable, "-m", "korsync", "db", "upgrade"], capture_output=True, text=True, env=env
    )
    assert "Running upgrade" in loud.stderr


def test_upgrade_writes_the_history_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``db upgrade`` with KORSYNC_HISTORY=offers leaves only the offers group recording."""
    from korsync.db.history import stored_groups

    url = f"sqlite:///{tmp_path / 'h.db'}"
    monkeypatch.setenv("KORSYNC_HISTORY", "offers")
    assert invoke(url, "upgrade").exit_code == 0
    engine = make_engine(url)
    with engine.connect() as connection:
        recording = {table for table, on in stored_groups(connection).items() if on}
    engine.dispose()
    assert recording == {"offers", "offer_tickets", "offer_ticket_sessions"}
