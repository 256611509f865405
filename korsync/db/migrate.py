"""The schema's revision: where korsync's Alembic scripts are, migrating to head, and checking
that a database is at the revision this korsync needs."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine


def migrations_dir() -> Path:
    """Where the Alembic scripts are: shipped inside the wheel, or the source tree's top level."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "_migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("korsync's migrations directory is missing from this installation")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for korsync's scripts; with ``connection``, env.py migrates that."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every migration not yet applied, in one transaction where the dialect allows."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


class SchemaError(Exception):
    """The database is not at the schema revision this korsync needs."""


def check_schema(engine: Engine) -> None:
    """Raise ``SchemaError`` unless the database is migrated to the newest revision."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        raise SchemaError("database holds no korsync schema yet: run 'korsync db upgrade'")
    if current != head:
        raise SchemaError(
            f"database schema is {current}, korsync needs {head}: run 'korsync db upgrade'"
        )
