"""The schema's revision: where korsync's Alembic scripts are, where a database stands, migrating
it to head (or writing that SQL for review), and checking it is at the revision korsync needs."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL


def migrations_dir() -> Path:
    """Where the Alembic scripts are: shipped inside the wheel, or the source tree's top level."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "_migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("korsync's migrations directory is missing from this installation")


def alembic_config(connection: Connection | None = None, schema: str | None = None) -> Config:
    """An Alembic config for korsync's scripts; with ``connection``, env.py migrates that; with
    ``schema``, env.py keeps the revision in that schema's own version table."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    if schema is not None:
        config.attributes["schema"] = schema
    return config


def upgrade_to_head(engine: Engine, schema: str | None = None) -> None:
    """Apply every migration not yet applied, in one transaction where the dialect allows.

    With ``schema`` (an account's, on PostgreSQL; ``engine``'s search_path names it) the schema
    is created first if need be, and holds its own ``alembic_version``."""
    with engine.begin() as connection:
        if schema is not None:
            quoted = connection.dialect.identifier_preparer.quote_schema(schema)
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
        command.upgrade(alembic_config(connection, schema), "head")


class SchemaError(Exception):
    """The database is not at the schema revision this korsync needs."""


def head_revision() -> str:
    """The newest revision this korsync ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise FileNotFoundError("korsync's migrations directory holds no revision")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; ``None`` before ``korsync db upgrade`` ran."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending_revisions(current: str | None) -> list[tuple[str, str]]:
    """``(revision, message)`` of each migration after ``current``, oldest first; raises
    ``SchemaError`` for a revision this korsync does not know (one a newer korsync wrote)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    known = {script.revision for script in scripts.walk_revisions()}
    if current is not None and current not in known:
        raise SchemaError(f"database schema is {current}, which this korsync does not know")
    walked = scripts.iterate_revisions(head_revision(), current or "base")
    return [(s.revision, (s.doc or "").splitlines()[0]) for s in reversed(list(walked))]


def upgrade_sql(url: URL, since: str | None, out: TextIO) -> None:
    """Write the SQL that migrates a database of ``url``'s dialect from ``since`` (default:
    an empty database) to head, without connecting to it."""
    config = alembic_config()
    config.attributes["url"] = url
    config.output_buffer = out
    command.upgrade(config, f"{since}:head" if since else "head", sql=True)


def check_schema(engine: Engine) -> None:
    """Raise ``SchemaError`` unless the database is migrated to the newest revision."""
    head, current = head_revision(), current_revision(engine)
    if current is None:
        raise SchemaError("database holds no korsync schema yet: run 'korsync db upgrade'")
    if current != head:
        raise SchemaError(
            f"database schema is {current}, korsync needs {head}: run 'korsync db upgrade'"
        )
