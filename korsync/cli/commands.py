"""The commands that move data or report on it: ``sync`` (one pass), ``backfill``, ``run`` (the
daemon), ``status`` and ``demo``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.pool import NullPool

from korsync import status as status_report
from korsync.accounts import Account, load_accounts
from korsync.cli.app import (
    account_option,
    accounts_of,
    client_of,
    engine_for,
    fail,
    for_each_account,
    label,
    mirror_of,
    require_schema,
    roster_of,
    select_accounts,
    settings_of,
    settings_source,
    shared_options,
    write_history,
    write_zone,
)
from korsync.cli.options import (
    backfill_client,
    backfill_worker,
    build_client,
    client_options,
    daemon_client,
    sync_options,
)
from korsync.cli.params import MOMENT
from korsync.cli.progress import progress_reporter
from korsync.config import Settings, SettingsError, load_settings
from korsync.db.engine import make_engine
from korsync.db.errors import describe
from korsync.settings_origins import origins, shown
from korsync.sync.backfill import sync_backfill
from korsync.sync.backfill.processes import default_processes
from korsync.sync.backfill.walker import DEFAULT_WORKERS, OtherRange
from korsync.sync.runner import StreamBusy
from korsync.sync.streams import STREAMS, StreamOutcome, run_streams

if TYPE_CHECKING:
    from korsync.daemon import service


def stream_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--stream NAME`` (repeatable), one of the streams korsync knows."""
    return click.option(
        "--stream", "streams", multiple=True, type=click.Choice(list(STREAMS)), help=help_text
    )


@click.command()
@shared_options
@account_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each stream's watermark, last run, last success and last error (of each account).

    Exits 1 when no stream ever synced, a stream's latest run failed, or a stream is stale
    (no success for KORSYNC_STALE_FACTOR times its interval), so it can back a health check.
    """
    settings = settings_of(ctx)
    reports = {}
    for account in accounts_of(ctx, settings):
        with engine_for(account.settings, schema=account.schema) as engine:
            require_schema(engine, account)
            thresholds = status_report.stale_thresholds(account.settings)
            reports[account.name] = status_report.collect(engine, stale_after=thresholds)
    if settings.accounts_file is None:
        (report,) = reports.values()
        click.echo(
            json.dumps(report.as_dict(), indent=2) if as_json else status_report.render(report)
        )
    elif as_json:
        accounts = {name: report.as_dict() for name, report in reports.items()}
        click.echo(json.dumps({"accounts": accounts}, indent=2))
    else:
        click.echo(
            "\n\n".join(f"account {n}:\n{status_report.render(r)}" for n, r in reports.items())
        )
    if any(report.unhealthy for report in reports.values()):
        sys.exit(1)


# ``korsync sync``'s exit status when every stream ran but some items were rejected or stored
# only in part (see rejected_records): not a plain success, not a failure either.
EXIT_INCOMPLETE = 4


def incomplete(outcomes: list[StreamOutcome]) -> bool:
    """Whether a stream that ran rejected items, or stored some without a part of them."""
    return any(
        o.run is not None and (o.run.totals.rejects or o.run.totals.partial) for o in outcomes
    )


def print_outcomes(outcomes: list[StreamOutcome], prefix: str = "") -> None:
    """One line per stream: what it did, why it did not run, or why it failed."""
    for outcome in outcomes:
        name = f"{prefix}{outcome.name}"
        if outcome.run is not None:
            looked_at = json.dumps(outcome.run.details, default=str, ensure_ascii=False)
            click.echo(f"{name}: {outcome.run.summary()}; {looked_at}")
        elif outcome.skipped:
            click.echo(f"{name}: skipped: another korsync process is running it")
        else:
            click.echo(f"{name}: FAILED: {outcome.error}", err=True)


@click.command()
@shared_options
@account_option
@stream_option("Run only this stream (repeatable). Default: all.")
@click.pass_context
def sync(ctx: click.Context, streams: tuple[str, ...]) -> None:
    """One pass of the named streams (default: all), of each account (default: all).

    Exit status: 0 all streams ran and every item was mirrored whole; 1 a stream failed;
    2 the settings are unusable; 4 every stream ran, but some items were rejected or stored only
    in part (rejected_records, 'korsync status'). A stream that another korsync process (the
    daemon, another sync) is running at the time is skipped, not waited for, and said so: one
    writer per stream.
    """
    settings = settings_of(ctx)
    outcomes: list[StreamOutcome] = []

    def sync_and_print(account: Account) -> None:
        done = sync_account(account, streams)
        print_outcomes(done, label(account))
        outcomes.extend(done)

    for_each_account(ctx, settings, sync_and_print)
    if not all(outcome.ok for outcome in outcomes):
        sys.exit(1)
    if incomplete(outcomes):
        sys.exit(EXIT_INCOMPLETE)


def sync_account(account: Account, streams: tuple[str, ...]) -> list[StreamOutcome]:
    """One pass of ``streams`` of one account, into its schema."""
    client = client_of(account, build_client)
    with mirror_of(account) as (engine, sessions), client:
        write_zone(engine, account.settings)
        write_history(engine, account.settings)
        return run_streams(client, sessions, sync_options(account.settings), streams)


@click.command()
@shared_options
@account_option
@click.option(
    "--since",
    type=MOMENT,
    help="First createdAt to include: a date, a date-time (UTC without an offset) or a span"
    " ago such as 30d. Default: the first order.",
)
@click.option("--until", type=MOMENT, help="createdAt to stop before (default: now).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help=f"Slices walked at once (default KORSYNC_MAX_CONCURRENCY, else {DEFAULT_WORKERS}; at most"
    " 2 on SQLite, which has one writer); each reads its next page while writing the current one.",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    help="Processes sharing the slices, the workers and the pace: each starts at its share and"
    " adapts to the answers (PostgreSQL; SQLite stays at 1). One Python process keeps about one"
    " core busy and about three of PostgreSQL's. Default: one per four cores, at most 2.",
)
@click.pass_context
def backfill(
    ctx: click.Context,
    since: dt.datetime | None,
    until: dt.datetime | None,
    workers: int | None,
    processes: int | None,
) -> None:
    """Re-walk orders created in a range, in concurrent createdAt slices, of each account
    (default: all, one after another); resumable.

    On PostgreSQL, backfills of one account started on several hosts with the same range (or
    none) share its slices, each finishing when all are walked and taking over those of a
    process that died; one of another range is refused (exit 1) while the first runs. On SQLite
    a second backfill is refused (exit 1).
    """
    settings = settings_of(ctx)
    if since is not None and until is not None and until <= since:
        fail(f"--until {until.isoformat()} is not after --since {since.isoformat()}")
    source = settings_source(ctx)
    span = Span(since, until, workers, processes)
    for_each_account(ctx, settings, lambda account: backfill_account(account, span, source))


@dataclasses.dataclass(frozen=True)
class Span:
    """What ``korsync backfill`` was asked: the range and how many walkers and processes."""

    since: dt.datetime | None
    until: dt.datetime | None
    workers: int | None
    processes: int | None


def backfill_account(
    account: Account, span: Span, source: tuple[str | None, dict[str, Any]]
) -> None:
    """Backfill one account into its schema (its worker processes open the same account)."""
    settings = account.settings
    processes = span.processes or default_processes()
    if settings.sqlalchemy_url.get_backend_name() == "sqlite":
        processes = 1  # one writer: more processes would only queue for it
    client = client_of(account, functools.partial(backfill_client, processes=processes))
    workers = span.workers or settings.max_concurrency or DEFAULT_WORKERS
    open_worker = functools.partial(
        backfill_worker, *source, processes, account.name if account.schema else None
    )
    with mirror_of(account) as (_, sessions), client, progress_reporter(client.pace) as progress:
        try:
            run = sync_backfill(
                client,
                sessions,
                sync_options(settings).orders,
                since=span.since,
                until=span.until,
                workers=workers,
                progress=progress,
                processes=processes,
                open_worker=open_worker,
            )
        except OtherRange as exc:
            fail(f"{label(account)}{exc}", code=1)
        except StreamBusy:
            fail(
                f"{label(account)}another korsync process is running a backfill on this database",
                code=1,
            )
        except Exception as exc:
            fail(f"{label(account)}backfill failed (re-run to resume): {describe(exc)}", code=1)
    click.echo(f"{label(account)}backfill: {run.summary()}")


@click.command("demo")
@shared_options
@click.option("--orders", default=2000, show_default=True, help="Orders the simulator holds.")
@click.option("--seed", default=1, show_default=True)
@click.pass_context
def demo_command(ctx: click.Context, orders: int, seed: int) -> None:
    """Start the simulator, migrate the database, sync every stream, and show the result."""
    settings = settings_of(ctx)
    if settings.accounts_file is not None:
        # The demo fills a database with made-up orders: with an accounts file the database is
        # the one every account is mirrored into, which must not get them.
        fail(
            "korsync demo fills its own database with a simulator's orders and never the"
            " accounts' one: unset KORSYNC_ACCOUNTS_FILE and give a --database-url of its own"
        )
    from korsync.cli import demo  # here: only the demo needs the simulator

    with engine_for(settings, create=True) as engine:
        ok = demo.run(engine, orders=orders, seed=seed, echo=click.echo)
    if not ok:
        sys.exit(1)


@click.command()
@shared_options
@account_option
@stream_option("Schedule only this stream (repeatable). Default: all.")
@click.pass_context
def run(ctx: click.Context, streams: tuple[str, ...]) -> None:
    """Keep the mirror fresh: each stream (of each account) on its own schedule until SIGTERM
    or SIGINT.

    Speaks systemd's notify protocol (READY, WATCHDOG, STATUS); SIGHUP reloads the settings.
    Several daemons on one PostgreSQL share the work. See deploy/README.md.
    """
    from korsync.daemon import service  # here: only the daemon needs the scheduler

    settings = settings_of(ctx)
    env_file, overrides = settings_source(ctx)
    roster = roster_of(settings)
    accounts = select_accounts(ctx, roster)
    for account in accounts:
        try:
            client_options(account.settings)
        except SettingsError as exc:
            fail(f"{label(account)}{exc}")
    wiring = service.Wiring(
        load_settings=lambda: load_settings(env_file, **overrides),
        make_client=daemon_client,
        make_options=sync_options,
        load_accounts=functools.partial(_account_settings, [a.name for a in accounts]),
    )
    # The daemon waits for the database and its migration.
    with engine_for(settings, create=True) as engine, _mirrors(accounts) as mirrors:
        code = service.serve(settings, engine, wiring, streams, mirrors)
    sys.exit(code)


def _account_settings(names: list[str], settings: Settings) -> dict[str | None, Settings]:
    """The accounts' fresh settings by name (``None``: the single account), for a SIGHUP."""
    roster = load_accounts(settings)
    if not roster.several:
        return {None: settings}
    return {a.name: a.settings for a in roster.accounts if a.name in names}


@contextmanager
def _mirrors(accounts: list[Account]) -> Iterator[list[service.Mirror]]:
    """The accounts of an accounts file, each with an engine on its schema (none for the single
    account: the daemon's own engine). Their connections are not pooled: a hundred accounts'
    idle pools would hold more connections than a PostgreSQL server allows."""
    if not any(account.schema for account in accounts):
        yield []
        return
    from korsync.daemon import service

    engines = [make_engine(a.database_url(), poolclass=NullPool) for a in accounts]
    try:
        yield [
            service.Mirror(a.name, a.settings, e) for a, e in zip(accounts, engines, strict=True)
        ]
    finally:
        for engine in engines:
            engine.dispose()


@click.command("config")
@shared_options
@click.pass_context
def config_command(ctx: click.Context) -> None:
    """Print the effective settings and where each came from; secrets are redacted."""
    settings = settings_of(ctx)
    env_file, overrides = settings_source(ctx)
    found = origins(env_file, overrides)
    rows = [(f"KORSYNC_{name.upper()}", shown(settings, name), found[name]) for name in found]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, value, origin in rows:
        click.echo(f"{name.ljust(widths[0])}  {value.ljust(widths[1])}  {origin}")
