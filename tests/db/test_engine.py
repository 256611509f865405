"""Engines as korsync makes them: a new SQLite file private to its owner, and database errors
that never carry a statement's parameters (customers' data) into logs or ``sync_runs``."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from korsync.db.engine import make_engine
from korsync.db.errors import describe
from korsync.db.migrate import upgrade_to_head


def test_a_new_sqlite_database_and_its_journal_are_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    """The database, ``-wal`` and ``-shm`` files are mode 0600 whatever the umask allows."""
    path = tmp_path / "mirror.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    with engine.connect() as conn:  # WAL mode: the journal files exist while connected
        conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files if p.exists()}
    engine.dispose()
    assert modes[path.name] == 0o600 and len(modes) == 3
    assert set(modes.values()) == {0o600}


def test_an_existing_sqlite_file_keeps_its_permissions(tmp_path: Path) -> None:
    """korsync does not change the mode of a database file someone already made."""
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    make_engine(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_database_errors_leave_the_parameters_out(engine: Engine) -> None:
    """A failing statement's error never shows the values bound to it, and as korsync
    describes it, neither the row PostgreSQL quotes in its ``DETAIL``."""
    email = f"someone-{uuid.uuid4().hex[:6]}@example.org"
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sync_runs (id, stream, status) VALUES (:id, :stream, NULL)"),
            {"id": str(uuid.uuid4()), "stream": email},
        )
    assert "parameters hidden" in str(caught.value)
    shown = describe(caught.value)
    assert email not in shown and "\n" not in shown
    assert shown.startswith(("NotNullViolation: ", "IntegrityError: "))


def test_korsyncs_postgresql_connections_compile_nothing_just_in_time(pg_engine: Engine) -> None:
    """JIT is off on korsync's connections (its compile took longer than a page's statement),
    and stays off after a transaction rolls back."""
    with pg_engine.connect() as conn:
        conn.execute(text("SET LOCAL jit = on"))
        conn.rollback()
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
