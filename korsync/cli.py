"""The ``korsync`` command line: builds settings, engine, client and scheduler, passes them down.

Nothing is configured at import time: the group callback only records the options, and each
command loads the settings it needs, so ``--help`` works without any configuration and a bad
setting ends in one clear line (exit status 2) that never repeats a secret.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from korsync import status as status_report
from korsync.config import Settings, SettingsError, load_settings
from korsync.db import make_engine, upgrade_to_head

log = logging.getLogger("korsync")


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
def engine_for(settings: Settings) -> Iterator[Engine]:
    """An engine for the configured database, disposed afterwards."""
    engine = make_engine(settings.sqlalchemy_url)
    try:
        yield engine
    except OperationalError as exc:
        where = settings.sqlalchemy_url.render_as_string(hide_password=True)
        fail(f"database {where}: {str(exc.orig).strip().splitlines()[0]}", code=1)
    finally:
        engine.dispose()


def settings_of(ctx: click.Context) -> Settings:
    """The settings, or exit with the setting that is wrong."""
    try:
        return ctx.find_object(AppContext).settings  # type: ignore[union-attr]
    except SettingsError as exc:
        fail(str(exc))


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
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or migrate the mirror's tables to the newest revision."""
    settings = settings_of(ctx)
    with engine_for(settings) as engine:
        upgrade_to_head(engine)
    where = settings.sqlalchemy_url.render_as_string(hide_password=True)
    click.echo(f"database {where} is at the newest schema revision")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each stream's watermark, last run, last success and last error.

    Exits 1 when a stream's latest run failed.
    """
    settings = settings_of(ctx)
    with engine_for(settings) as engine:
        report = status_report.collect(engine)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        click.echo(status_report.render(report))
    if report.failing:
        sys.exit(1)


def _later(name: str, issue: str) -> Callable[[], None]:
    def command() -> None:
        fail(f"'{name}' is not available in this version yet ({issue})", code=2)

    command.__doc__ = f"(not available yet: {issue})"
    return command


for _name, _issue in (
    ("sync", "sync engine"),
    ("backfill", "sync engine"),
    ("run", "daemon"),
    ("demo", "sync engine"),
):
    main.command(_name)(_later(_name, _issue))
