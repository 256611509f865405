"""The ``korsync`` group and what every command shares: the settings it was given (loaded on
first use, so ``--help`` needs no configuration), one-line failures with an exit status, and
the database engine.

Nothing is configured at import time: the group callback only records the options, and each
command loads the settings it needs, so a bad setting ends in one clear line (exit status 2)
that never repeats a secret.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from korsync.accounts import Account, Roster, load_accounts, schema_url, select
from korsync.api.client import ApiClient
from korsync.cli.lazy import LazyGroup
from korsync.cli.memory import tune_gc, tune_malloc
from korsync.config import Settings, SettingsError, load_settings
from korsync.db.engine import make_engine, make_session_factory
from korsync.db.history import write_history_groups
from korsync.db.migrate import SchemaError, check_schema
from korsync.db.reporting_zone import write_reporting_zone
from korsync.logs import configure_logging_for, configure_logging_from_env
from korsync.settings_origins import unknown_variables

log = logging.getLogger("korsync")


@dataclasses.dataclass
class AppContext:
    """What the group's options said; settings are loaded on first use."""

    env_file: str | None = None
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    accounts: tuple[str, ...] = ()
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
def engine_for(
    settings: Settings,
    *,
    create: bool = False,
    schema: str | None = None,
    account: Account | None = None,
) -> Iterator[Engine]:
    """An engine for the configured database (with ``schema``, an account's schema in it),
    disposed afterwards; its failures are said of ``account``. Unless ``create``, a SQLite file
    that does not exist is an error rather than a new empty file."""
    url = schema_url(settings.sqlalchemy_url, schema)
    path = url.database if url.get_backend_name() == "sqlite" else None
    if not create and path and path != ":memory:" and not Path(path).exists():
        fail(f"no database at {path}: run 'korsync db upgrade' first")
    engine = make_engine(url)
    try:
        yield engine
    except OperationalError as exc:
        where = settings.sqlalchemy_url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0]
        fail(f"{label(account)}database {where}: {reason}", code=1)
    finally:
        engine.dispose()


def settings_source(ctx: click.Context) -> tuple[str | None, dict[str, Any]]:
    """Where the settings came from (env file, command-line overrides), to load them again
    later (the daemon on SIGHUP) or elsewhere (a backfill worker process)."""
    app = ctx.find_object(AppContext)
    return (app.env_file, app.overrides) if app else (None, {})


def settings_of(ctx: click.Context) -> Settings:
    """The settings (logging set up from them, secrets masked), or exit naming the bad one."""
    app = ctx.ensure_object(AppContext)
    try:
        settings = app.settings
    except SettingsError as exc:
        fail(str(exc))
    configure_logging_for(settings)
    for variable, meant in unknown_variables(app.env_file):
        hint = f"; did you mean {meant}?" if meant else ""
        log.warning("%s is not a korsync setting and is ignored%s", variable, hint)
    if "database_url" in app.overrides and settings.sqlalchemy_url.password:
        log.warning(
            "the password in --database-url is visible to every user in ps: set"
            " KORSYNC_DATABASE_URL in the env file or a credential instead"
        )
    return settings


def require_schema(engine: Engine, account: Account | None = None) -> None:
    """Exit (status 2) unless the database (``account``'s schema) is migrated to the schema
    this korsync needs."""
    try:
        check_schema(engine)
    except SchemaError as exc:
        fail(f"{label(account)}{exc}")


def label(account: Account | None) -> str:
    """What goes before a line about ``account``: nothing for the single account."""
    return f"account {account.name}: " if account is not None and account.schema else ""


def accounts_of(ctx: click.Context, settings: Settings) -> list[Account]:
    """The accounts a command works on (``--account``, default all), or exit saying why the
    accounts file is unusable."""
    return select_accounts(ctx, roster_of(settings))


def for_each_account(
    ctx: click.Context, settings: Settings, work: Callable[[Account], None]
) -> None:
    """Run ``work`` for each account ``--account`` names (default all), one after another.

    Without an accounts file this is ``work`` on the one account, exiting as it exits. With
    one, an account whose ``work`` exits (its one line, naming it, already printed by ``fail``)
    does not stop the others; afterwards the command exits with the first failing status.
    """
    accounts = accounts_of(ctx, settings)
    if settings.accounts_file is None:
        (account,) = accounts
        work(account)
        return
    statuses = []
    for account in accounts:
        try:
            work(account)
        except SystemExit as exc:
            statuses.append(exc.code)
    failed = [code for code in statuses if code not in (0, None)]
    if failed:
        sys.exit(failed[0])


@contextmanager
def mirror_of(account: Account) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """``account``'s engine on its schema and sessions on it, once its schema is current (or
    exit naming the account): what every command that reads or writes a mirror opens."""
    with engine_for(account.settings, schema=account.schema, account=account) as engine:
        yield engine, migrated_sessions(engine, account)


def client_of(account: Account, make: Callable[[Settings], ApiClient]) -> ApiClient:
    """``make(account's settings)``, or exit naming the account when they are unusable."""
    try:
        return make(account.settings)
    except (SettingsError, ValueError) as exc:
        fail(f"{label(account)}{exc}")


def roster_of(settings: Settings) -> Roster:
    """Every account and the views' schema, or exit saying why the accounts file is unusable."""
    try:
        return load_accounts(settings)
    except SettingsError as exc:
        fail(str(exc))


def select_accounts(ctx: click.Context, roster: Roster) -> list[Account]:
    """The accounts of ``roster`` that ``--account`` names (default all), or exit."""
    chosen = ctx.ensure_object(AppContext).accounts
    try:
        if chosen and not roster.several:
            raise SettingsError("--account needs KORSYNC_ACCOUNTS_FILE; without it there is one")
        return select(roster.accounts, chosen)
    except SettingsError as exc:
        fail(str(exc))


def _accounts_given(ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> None:
    if value:
        ctx.ensure_object(AppContext).accounts = value


def account_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--account NAME`` (repeatable): only these accounts of the accounts file."""
    return click.option(
        "--account",
        multiple=True,
        metavar="NAME",
        expose_value=False,
        callback=_accounts_given,
        help="Only this account of KORSYNC_ACCOUNTS_FILE (repeatable). Default: all.",
    )(command)


def write_zone(engine: Engine, settings: Settings) -> None:
    """Make KORSYNC_REPORTING_TIMEZONE the reporting views' zone, or exit (status 2) saying why
    the database refused it."""
    try:
        if write_reporting_zone(engine, settings.reporting_timezone):
            log.info("reporting views count days in %s", settings.reporting_timezone)
    except ValueError as exc:
        fail(f"KORSYNC_REPORTING_TIMEZONE: {exc}")


def write_history(engine: Engine, settings: Settings) -> None:
    """Make the database record history for exactly KORSYNC_HISTORY's groups (tables switched
    on get a first version from now, those switched off have their versions closed)."""
    switched = write_history_groups(engine, settings.history_groups)
    if switched:
        log.info("change history now %s: %s", settings.history, ", ".join(switched))


def migrated_sessions(engine: Engine, account: Account | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine``, after checking its schema is current."""
    require_schema(engine, account)
    return make_session_factory(engine)


def _env_file_given(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(AppContext).env_file = value


def _database_url_given(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(AppContext).overrides["database_url"] = value


def shared_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--env-file`` and ``--database-url`` after a command's name too (``korsync sync
    --database-url …``), where they override the same options given before it."""
    for option in (
        click.option(
            "--database-url",
            expose_value=False,
            callback=_database_url_given,
            help="Overrides KORSYNC_DATABASE_URL.",
        ),
        click.option(
            "--env-file",
            type=click.Path(dir_okay=False),
            expose_value=False,
            callback=_env_file_given,
            help="Read KORSYNC_* settings from this file too.",
        ),
    ):
        command = option(command)
    return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    tune_gc()
    configure_logging_from_env()
