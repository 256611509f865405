"""The read-only reporting role: reads every table and view, now and later; writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from korsync.cli import main
from korsync.db.engine import make_engine
from korsync.db.roles import grant_reader


@pytest.fixture
def reader(pg_engine: Engine) -> Iterator[str]:
    """A login role that is dropped afterwards."""
    role = f"korsync_reader_{uuid.uuid4().hex[:8]}"
    with pg_engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    yield role
    with pg_engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS later_table"))
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))


def test_reader_reads_everything_and_writes_nothing(pg_engine: Engine, reader: str) -> None:
    """After grant-reader the role selects every table and view, including a table created
    later by the writer, and cannot insert."""
    with pg_engine.begin() as conn:
        grant_reader(conn, reader)
    inspector = inspect(pg_engine)
    relations = inspector.get_table_names() + inspector.get_view_names()
    assert {"orders", "order_lines", "daily_sales", "session_sales"} <= set(relations)
    with pg_engine.begin() as conn:
        conn.execute(text("CREATE TABLE later_table (id int)"))  # as a later migration would
    url = make_url(pg_engine.url.render_as_string(hide_password=False)).set(username=reader)
    as_reader = make_engine(url)
    try:
        with as_reader.connect() as conn:
            for name in [*relations, "later_table"]:
                conn.execute(text(f'SELECT * FROM "{name}" LIMIT 1')).all()
        with (
            as_reader.connect() as conn,
            pytest.raises(ProgrammingError, match="permission denied"),
        ):
            conn.execute(text("DELETE FROM orders"))
    finally:
        as_reader.dispose()


def test_sqlite_has_no_roles() -> None:
    """On SQLite the command refuses clearly instead of pretending."""
    engine = make_engine("sqlite://")
    with engine.begin() as conn, pytest.raises(ValueError, match="SQLite has no roles"):
        grant_reader(conn, "reader")


@pytest.fixture
def new_role(pg_engine: Engine) -> Iterator[str]:
    """A role name that no role has yet; whatever the test creates under it is dropped."""
    role = f"korsync_login_{uuid.uuid4().hex[:8]}"
    yield role
    with pg_engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


def _login(pg_engine: Engine, role: str) -> tuple[bool, bool]:
    """Whether ``role`` may log in, and whether it has a password."""
    with pg_engine.connect() as conn:
        row = conn.execute(
            text("SELECT rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = :r"),
            {"r": role},
        ).one()
    return bool(row[0]), bool(row[1])


def test_grant_reader_login_takes_the_password_from_a_file(
    pg_engine: Engine, new_role: str, tmp_path: Path
) -> None:
    """``--login --password-file`` creates a role that logs in with that password (quotes and
    percent signs included) and reads the mirror; the password is printed nowhere."""
    password = "it's 100% \\secret\""
    secret = tmp_path / "password"
    secret.write_text(password + "\n")
    url = pg_engine.url.render_as_string(hide_password=False)
    args = ["--database-url", url, "db", "grant-reader", new_role, "--login"]
    result = CliRunner().invoke(main, [*args, "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert password not in result.output and "can log in" in result.output
    assert _login(pg_engine, new_role) == (True, True)
    with pg_engine.connect() as conn:
        verifier = conn.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": new_role}
        ).scalar_one()
    assert password not in verifier  # stored as a hash (SCRAM or MD5), not as given
    as_reader = make_engine(make_url(url).set(username=new_role, password=password))
    try:
        with as_reader.connect() as conn:
            conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
    finally:
        as_reader.dispose()


def test_grant_reader_without_login_says_how_to_use_the_role(
    pg_engine: Engine, new_role: str
) -> None:
    """Without ``--login`` the role cannot log in, and the output says how to grant it."""
    url = pg_engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--database-url", url, "db", "grant-reader", new_role])
    assert result.exit_code == 0, result.output
    assert f"GRANT {new_role} TO <login>" in result.output
    assert _login(pg_engine, new_role) == (False, False)


def test_grant_reader_prompts_for_the_password_twice(pg_engine: Engine, new_role: str) -> None:
    """Without a file the password is asked for, hidden, with a confirmation."""
    url = pg_engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        main,
        ["--database-url", url, "db", "grant-reader", new_role, "--login"],
        input="pw-one-1234\npw-one-1234\n",
    )
    assert result.exit_code == 0, result.output
    assert "pw-one-1234" not in result.output
    assert _login(pg_engine, new_role) == (True, True)


def test_an_empty_password_file_is_refused_and_the_role_cannot_log_in(
    pg_engine: Engine, new_role: str, tmp_path: Path
) -> None:
    """An empty password file is one line, exit 2, and leaves no role that logs in."""
    secret = tmp_path / "password"
    secret.write_text("\n")
    url = pg_engine.url.render_as_string(hide_password=False)
    args = ["--database-url", url, "db", "grant-reader", new_role, "--login"]
    result = CliRunner().invoke(main, [*args, "--password-file", str(secret)])
    assert result.exit_code == 2
    assert result.output.strip() == "korsync: the password is empty or holds a NUL character"
    with pg_engine.connect() as conn:
        found = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r AND rolcanlogin"), {"r": new_role}
        ).first()
    assert found is None
