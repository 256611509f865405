"""Mistakes a user makes on the command line end in one line naming the problem and a documented
exit status (2: korsync cannot run as configured; 1: it ran and failed), never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from korsync.cli import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def one_line(result: Result) -> str:
    """The one line the command printed, after checking it printed no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("korsync: ")
    return lines[0]


@pytest.mark.parametrize(
    "url", ["mysql://u@localhost/db", "mssql://u@host/db", "oracle://u@host/db"]
)
def test_database_other_than_postgresql_or_sqlite_is_refused(url: str) -> None:
    """Other databases are refused as a setting, before any driver is imported."""
    result = invoke("--database-url", url, "status")
    assert result.exit_code == 2
    line = one_line(result)
    assert "KORSYNC_DATABASE_URL" in line and "PostgreSQL or SQLite" in line


def test_status_on_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    """``status`` on a SQLite file that does not exist says to migrate, and leaves no file."""
    path = tmp_path / "nothere.db"
    result = invoke("--database-url", f"sqlite:///{path}", "status")
    assert result.exit_code == 2
    assert "korsync db upgrade" in one_line(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_status_on_a_never_migrated_postgresql_database(scratch_postgres: str) -> None:
    """``status`` on a PostgreSQL database without korsync's schema says to migrate."""
    result = invoke("--database-url", scratch_postgres, "status")
    assert result.exit_code == 2
    assert "no korsync schema yet: run 'korsync db upgrade'" in one_line(result)


@pytest.mark.parametrize(
    "role", ["", "x; drop table orders", "Reader", "1st", "a" * 64, "pg_reader", "tab\tname"]
)
def test_grant_reader_refuses_names_that_are_not_plain_identifiers(
    role: str, tmp_path: Path
) -> None:
    """A role name is checked before any database is touched (none exists here)."""
    result = invoke("--database-url", f"sqlite:///{tmp_path / 'no.db'}", "db", "grant-reader", role)
    assert result.exit_code == 2
    assert "refused" in one_line(result)
    assert list(tmp_path.iterdir()) == []


def test_missing_env_file_names_the_option() -> None:
    """A missing env file names both ways of giving it, and the path."""
    result = invoke("--env-file", "/nonexistent/korsync.env", "status")
    assert result.exit_code == 2
    line = one_line(result)
    assert "--env-file" in line and "/nonexistent/korsync.env" in line


def test_fake_api_on_a_busy_port_is_one_line() -> None:
    """The simulator refuses a port already taken with one line and exit status 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "korsync", "fake-api", "--port", str(port), "--orders", "5"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "KORSYNC_LOG_LEVEL": "WARNING"},
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
