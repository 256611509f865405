"""The ``korsync`` group and what every command shares: the settings it was given (loaded on
first use, so ``--help`` needs no configuration), one-line failures with an exit status, and
the database engine.

Nothing is configured at import time: the group callback only records the options, and each
command loads the settings it needs, so a bad setting ends in one clear line (exit status 2)
that never repeats a secret.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from korsync.cli.memory import tune_malloc
from korsync.config import Settings, SettingsError, load_settings
from korsync.db.engine import make_engine, make_session_factory
from korsync.db.migrate import SchemaError, check_schema
from korsync.logs import configure_logging_for, configure_logging_from_env


@dataclasses.dataclass
class AppContext:
    """What the group's options said; settings are loaded on first use."""

    env_file: str | None
    overrides: dict[str, Any]
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.env_file, **self.overrides)
        return self._settings


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to stderr and exit."""
    click.echo(f"korsync: {message}", err=True)
    sys.exit(code)


@contextmanager
def engine_for(settings: Settings, *, create: bool = False) -> Iterator[Engine]:
    """An engine for the configured database, disposed afterwards. Unless ``create``, a SQLite
    file that does not exist is an error rather than a new empty file."""
    url = settings.sqlalchemy_url
    path = url.database if url.get_backend_name() == "sqlite" else None
    if not create and path and path != ":memory:" and not Path(path).exists():
        fail(f"no database at {path}: run 'korsync db upgrade' first")
    engine = make_engine(url)
    try:
        yield engine
    except OperationalError as exc:
        where = settings.sqlalchemy_url.render_as_string(hide_password=True)
        fail(f"database {where}: {str(exc.orig).strip().splitlines()[0]}", code=1)
    finally:
        engine.dispose()


def settings_source(ctx: click.Context) -> tuple[str | None, dict[str, Any]]:
    """Where the settings came from (env file, command-line overrides), to load them again
    later (the daemon on SIGHUP) or elsewhere (a backfill worker process)."""
    app = ctx.find_object(AppContext)
    return (app.env_file, app.overrides) if app else (None, {})


def settings_of(ctx: click.Context) -> Settings:
    """The settings (logging set up from them, secrets masked), or exit naming the bad one."""
    try:
        settings = (ctx.find_object(AppContext) or AppContext(None, {})).settings
    except SettingsError as exc:
        fail(str(exc))
    configure_logging_for(settings)
    return settings


def require_schema(engine: Engine) -> None:
    """Exit (status 2) unless the database is migrated to the schema this korsync needs."""
    try:
        check_schema(engine)
    except SchemaError as exc:
        fail(str(exc))


def migrated_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``, after checking its schema is current."""
    require_schema(engine)
    return make_session_factory(engine)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="korsync")
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False),
    envvar="KORSYNC_ENV_FILE",
    help="Read KORSYNC_* settings from this file too.",
)
@click.option("--database-url", help="Overrides KORSYNC_DATABASE_URL.")
@click.pass_context
def main(ctx: click.Context, env_file: str | None, database_url: str | None) -> None:
    """Mirror a KorusTicket account into PostgreSQL or SQLite."""
    overrides = {"database_url": database_url} if database_url else {}
    ctx.obj = AppContext(env_file=env_file, overrides=overrides)
    tune_malloc()
    configure_logging_from_env()
