"""Engines and sessions: PostgreSQL connections that fail fast and notice a dead peer, SQLite
with foreign keys, WAL and a busy timeout, JSON written by ``json_text`` on both."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from korsync.db.json_text import json_text

POSTGRES_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def make_engine(url: URL | str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout, and a new database
    file readable by its owner only. Errors never show a statement's parameters: they hold
    customers' data, and errors reach logs, ``sync_runs.error`` and ``korsync status``."""
    url = make_url(url)
    if url.get_backend_name() == "postgresql":
        # Fail fast on a dead server or network instead of hanging a run forever.
        kwargs["connect_args"] = {**POSTGRES_CONNECT_ARGS, **kwargs.get("connect_args", {})}
    elif url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        _create_private(Path(url.database))
    kwargs.setdefault("json_serializer", json_text)
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine, "connect", _postgres_settings)
    return engine


def _postgres_settings(dbapi_connection: Any, _record: Any) -> None:
    """No JIT compilation on korsync's connections: its statements are short, but the planner
    guesses a hundred elements per JSON array, and for a page of orders (lists in lists in
    lists, ``sync.order_sql``) its estimate passed ``jit_above_cost``: compiling took a second
    and a half a page, running the statement a few milliseconds."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


def _create_private(path: Path) -> None:
    """Create an empty SQLite file with mode 0600 unless it exists; SQLite gives its ``-wal``
    and ``-shm`` files the database file's permissions."""
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "foreign_keys=ON",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=30000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
