"""Shared fixtures: a migrated database on SQLite and on PostgreSQL for every test that asks.

PostgreSQL comes from ``KORSYNC_TEST_DATABASE_URL``, else the local server at 127.0.0.1:5432
(database ``test``), else a throwaway cluster started with ``initdb``/``pg_ctl``. Outside CI a
missing PostgreSQL skips its tests with the reason; under ``CI=true`` it is an error. Each
pytest worker migrates its own schema once; tests then start from empty tables.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from korsync.config import normalize_database_url
from korsync.db.engine import make_engine
from korsync.db.migrate import upgrade_to_head
from korsync.models import metadata

LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C reach the korsync processes the tests start, as from a terminal: a shell
    starts a background job (a CI script run with ``&``) with SIGINT ignored, which its
    children would inherit, so a test's Ctrl-C would never arrive. A handled signal is reset
    to its default in a child, so Python there installs its own handler again."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _reachable(url: str) -> bool:
    parsed = make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), 1):
            pass
    except OSError:
        return False
    engine = make_engine(normalize_database_url(url))
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _throwaway_cluster(tmp: Path) -> tuple[str, list[str]] | None:
    """Start a private PostgreSQL; returns its URL and the command that stops it."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    data, port = tmp / "pgdata", _free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        tmp.chmod(0o777)
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-o", options, "-w", "start"],
        check=True,
        capture_output=True,
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", [
        *as_user,
        pg_ctl,
        "-D",
        str(data),
        "-m",
        "fast",
        "stop",
    ]


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A reachable PostgreSQL server URL (psycopg 3 driver)."""
    url = os.environ.get("KORSYNC_TEST_DATABASE_URL") or LOCAL_URL
    stop: list[str] | None = None
    if not _reachable(url):
        started = _throwaway_cluster(tmp_path_factory.mktemp("pg", numbered=True))
        if started is None:
            reason = f"no PostgreSQL at {url} and no initdb/pg_ctl to start one"
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true requires PostgreSQL: {reason}")
            pytest.skip(reason)
        url, stop = started
    yield normalize_database_url(url).render_as_string(hide_password=False)
    if stop:
        subprocess.run(stop, check=False, capture_output=True)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> Iterator[str]:
    """A URL whose search_path is this test process's own freshly migrated schema (several
    pytest runs may share one server)."""
    schema = f"korsync_test_{_worker()}_{os.getpid()}"
    admin = make_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    yield url.render_as_string(hide_password=False)
    admin = make_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


def _empty_all(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


ON_POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(params=["sqlite", ON_POSTGRES])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "korsync.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = make_engine(request.getfixturevalue("postgres_template"))
        _empty_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture(params=[ON_POSTGRES])
def pg_engine(postgres_template: str) -> Iterator[Engine]:
    """A migrated, empty PostgreSQL database, for what only PostgreSQL has (advisory locks,
    roles). The one parameter marks its tests ``postgres`` and names them ``[postgres]``; a
    missing server skips or fails them as ``postgres_url`` says."""
    eng = make_engine(postgres_template)
    _empty_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The URL of ``engine``'s database, for commands run as processes."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def scratch_postgres(postgres_url: str) -> Iterator[str]:
    """An empty, unmigrated PostgreSQL schema (for migration tests)."""
    schema = f"korsync_scratch_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield (
        make_url(postgres_url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    _drop_schema(admin, schema)
    admin.dispose()


def _drop_schema(admin: Engine, schema: str) -> None:
    """Drop ``schema``, first ending any session a test left holding locks in it (a killed
    daemon's connection, say), which would otherwise block the drop indefinitely."""
    holders = text(
        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l"
        " JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = :schema AND l.pid <> pg_backend_pid()"
    )
    with admin.begin() as conn:
        conn.execute(holders, {"schema": schema})
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
