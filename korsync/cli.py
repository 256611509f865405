"""The ``korsync`` command line: builds settings, engine, client and scheduler, passes them down.

Nothing is configured at import time: the group callback only records the options, and each
command loads the settings it needs, so ``--help`` works without any configuration and a bad
setting ends in one clear line (exit status 2) that never repeats a secret.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
import httpx
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from korsync import demo, scheduler, schema_docs
from korsync import status as status_report
from korsync.api.client import ApiClient, ClientOptions
from korsync.config import Settings, SettingsError, load_settings
from korsync.db import SchemaError, check_schema, make_engine, make_session_factory, upgrade_to_head
from korsync.fake_api.command import fake_api
from korsync.memory import tune_malloc
from korsync.models import metadata
from korsync.observability import configure_logging_for, configure_logging_from_env
from korsync.pii import PiiPolicy
from korsync.progress import progress_reporter
from korsync.roles import grant_reader
from korsync.sync.backfill import sync_backfill
from korsync.sync.orders import OrdersOptions
from korsync.sync.streams import STREAMS, StreamOutcome, SyncOptions, run_streams

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


def settings_source(ctx: click.Context) -> tuple[str | None, dict[str, Any]]:
    """Where the settings came from (env file, command-line overrides), to load them again
    later (the daemon on SIGHUP) or elsewhere (a backfill worker process)."""
    app = ctx.find_object(AppContext)
    return (app.env_file, app.overrides) if app else (None, {})


def settings_of(ctx: click.Context) -> Settings:
    """The settings (logging set up from them, secrets masked), or exit naming the bad one."""
    try:
        settings = ctx.find_object(AppContext).settings  # type: ignore[union-attr]
    except SettingsError as exc:
        fail(str(exc))
    configure_logging_for(settings)
    return settings


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
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the rest


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


@db.command("docs")
@click.option(
    "--output", type=click.Path(dir_okay=False), default="docs/schema.md", show_default=True
)
def db_docs(output: str) -> None:
    """Write the schema documentation (tables, columns, diagram, views, example queries)."""
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_docs.render(metadata), encoding="utf-8")
    click.echo(f"wrote {path}")


@db.command("grant-reader")
@click.argument("role")
@click.pass_context
def db_grant_reader(ctx: click.Context, role: str) -> None:
    """Give ROLE read-only access to every table and view, including future ones (PostgreSQL)."""
    settings = settings_of(ctx)
    with engine_for(settings) as engine, engine.begin() as connection:
        try:
            schema = grant_reader(connection, role)
        except ValueError as exc:
            fail(str(exc))
    click.echo(f"{role} can read every table and view in schema {schema}, now and after upgrades")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each stream's watermark, last run, last success and last error.

    Exits 1 when a stream's latest run failed or a stream is stale (no success for
    KORSYNC_STALE_FACTOR times its interval), so it can back a health check.
    """
    settings = settings_of(ctx)
    with engine_for(settings) as engine:
        report = status_report.collect(engine, stale_after=status_report.stale_thresholds(settings))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        click.echo(status_report.render(report))
    if report.unhealthy:
        sys.exit(1)


def client_options(settings: Settings, **overrides: Any) -> ClientOptions:
    """The API client options the settings describe; ``SettingsError`` without credentials."""
    settings.require_api_auth()
    fields: dict[str, Any] = dict(
        base_url=settings.api_url,
        token=settings.api_token.get_secret_value() if settings.api_token else None,
        client_id=None if settings.api_token else settings.client_id,
        client_secret=(
            settings.client_secret.get_secret_value()
            if settings.client_secret and not settings.api_token
            else None
        ),
        token_url=None if settings.api_token else settings.token_url,
        language=settings.language,
        timeout_s=settings.http_timeout,
        rate_limit_per_s=settings.rate_limit,
        max_concurrency=settings.max_concurrency,
        max_attempts=settings.max_attempts,
        deadline_s=settings.retry_deadline,
    )
    return ClientOptions(**{**fields, **overrides})


def build_client(settings: Settings) -> ApiClient:
    """The API client the settings describe (credentials required)."""
    return ApiClient(client_options(settings))


def stream_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--stream NAME`` (repeatable), one of the streams korsync knows."""
    return click.option(
        "--stream", "streams", multiple=True, type=click.Choice(list(STREAMS)), help=help_text
    )


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def sync_options(settings: Settings) -> SyncOptions:
    """Per-stream options from the settings."""
    orders = OrdersOptions(
        overlap=dt.timedelta(seconds=settings.overlap_seconds),
        safety_margin=dt.timedelta(seconds=settings.safety_margin_seconds),
        reconcile_days=settings.reconcile_days,
        pii=PiiPolicy(settings.pii, key=_secret(settings.pii_key).encode()),
    )
    return SyncOptions(orders=orders, documents_per_run=settings.documents_per_run)


def migrated_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``, after checking its schema is current."""
    try:
        check_schema(engine)
    except SchemaError as exc:
        fail(str(exc))
    return make_session_factory(engine)


def print_outcomes(outcomes: list[StreamOutcome]) -> None:
    """One line per stream: what it did, or why it failed."""
    for outcome in outcomes:
        if outcome.run is not None:
            looked_at = json.dumps(outcome.run.details, default=str, ensure_ascii=False)
            click.echo(f"{outcome.name}: {outcome.run.summary()}; {looked_at}")
        else:
            click.echo(f"{outcome.name}: FAILED: {outcome.error}", err=True)


@main.command()
@stream_option("Run only this stream (repeatable). Default: all.")
@click.pass_context
def sync(ctx: click.Context, streams: tuple[str, ...]) -> None:
    """One pass of the named streams (default: all); exit 0 only if every one succeeded."""
    settings = settings_of(ctx)
    try:
        client = build_client(settings)
    except SettingsError as exc:
        fail(str(exc))
    with engine_for(settings) as engine, client:
        outcomes = run_streams(client, migrated_sessions(engine), sync_options(settings), streams)
    print_outcomes(outcomes)
    if not all(outcome.ok for outcome in outcomes):
        sys.exit(1)


def _date(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@main.command()
@click.option("--since", help="First createdAt to include (ISO date or date-time, UTC).")
@click.option("--until", help="createdAt to stop before (default: now).")
@click.option(
    "--workers",
    type=int,
    help="Slices walked at once (default KORSYNC_MAX_CONCURRENCY; at most 2 on SQLite, which has"
    " one writer); each reads its next page while writing the current one.",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes sharing the slices, the workers, the rate limit and the requests in flight"
    " (PostgreSQL; SQLite stays at 1). One Python process keeps about one core busy: use up to"
    " the cores the machine can spare.",
)
@click.pass_context
def backfill(
    ctx: click.Context, since: str | None, until: str | None, workers: int | None, processes: int
) -> None:
    """Re-walk orders created in a range, in concurrent createdAt slices; resumable."""
    settings = settings_of(ctx)
    env_file, overrides = settings_source(ctx)
    if settings.sqlalchemy_url.get_backend_name() == "sqlite":
        processes = 1  # one writer: more processes would only queue for it
    try:
        start, end = _date(since), _date(until)
        client = ApiClient(backfill_share(settings, processes))
    except (SettingsError, ValueError) as exc:
        fail(str(exc))
    workers = workers or settings.max_concurrency
    with engine_for(settings) as engine, client, progress_reporter() as progress:
        sessions = migrated_sessions(engine)
        options = sync_options(settings).orders
        try:
            run = sync_backfill(
                client,
                sessions,
                options,
                since=start,
                until=end,
                workers=workers,
                progress=progress,
                processes=processes,
                open_worker=functools.partial(backfill_worker, env_file, overrides, processes),
            )
        except Exception as exc:
            fail(f"backfill failed (re-run to resume): {type(exc).__name__}: {exc}", code=1)
    click.echo(f"backfill: {run.summary()}")


def backfill_share(settings: Settings, processes: int) -> ClientOptions:
    """Client options for one of ``processes`` backfill processes: its share of the rate limit
    and of the requests in flight, so that together they keep to the settings."""
    return client_options(
        settings,
        rate_limit_per_s=settings.rate_limit / processes,
        max_concurrency=-(-settings.max_concurrency // processes),
    )


@contextmanager
def backfill_worker(
    env_file: str | None, overrides: dict[str, Any], processes: int
) -> Iterator[tuple[ApiClient, sessionmaker[Session]]]:
    """A backfill worker process's client and sessions, from the same settings."""
    tune_malloc()
    settings = load_settings(env_file, **overrides)
    configure_logging_for(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with ApiClient(backfill_share(settings, processes)) as client:
            yield client, make_session_factory(engine)
    finally:
        engine.dispose()


@main.command("demo")
@click.option("--orders", default=2000, show_default=True, help="Orders the simulator holds.")
@click.option("--seed", default=1, show_default=True)
@click.pass_context
def demo_command(ctx: click.Context, orders: int, seed: int) -> None:
    """Start the simulator, migrate the database, sync every stream, and show the result."""
    settings = settings_of(ctx)
    with engine_for(settings) as engine:
        ok = demo.run(engine, orders=orders, seed=seed, echo=click.echo)
    if not ok:
        sys.exit(1)


main.add_command(fake_api)


def _daemon_client(settings: Settings, transport: httpx.BaseTransport) -> ApiClient:
    """The settings' client on the daemon's transport, which applies the rate limit itself."""
    return ApiClient(client_options(settings, rate_limit_per_s=None), transport=transport)


@main.command()
@stream_option("Schedule only this stream (repeatable). Default: all.")
@click.pass_context
def run(ctx: click.Context, streams: tuple[str, ...]) -> None:
    """Keep the mirror fresh: each stream on its own schedule until SIGTERM or SIGINT.

    Speaks systemd's notify protocol (READY, WATCHDOG, STATUS); SIGHUP reloads the settings.
    See deploy/README.md.
    """
    settings = settings_of(ctx)
    env_file, overrides = settings_source(ctx)
    try:
        client_options(settings)
    except SettingsError as exc:
        fail(str(exc))
    wiring = scheduler.Wiring(
        load_settings=lambda: load_settings(env_file, **overrides),
        make_client=_daemon_client,
        make_options=sync_options,
    )
    with engine_for(settings) as engine:
        code = scheduler.serve(settings, engine, wiring, streams)
    sys.exit(code)
