"""``korsync audit``: prove the orders mirror complete window by window against the API's
counts, heal the windows that differ, and exit with whether every window matches."""

from __future__ import annotations

import datetime as dt
import sys

import click

from korsync.accounts import Account
from korsync.cli.app import (
    account_option,
    client_of,
    fail,
    for_each_account,
    label,
    mirror_of,
    settings_of,
    shared_options,
)
from korsync.cli.options import build_client, sync_options
from korsync.cli.params import MOMENT
from korsync.db.errors import describe
from korsync.sync.audit import AuditOutcome, audit_orders
from korsync.sync.runner import StreamBusy

# ``korsync audit``'s exit status when a window still differs after its re-walk.
EXIT_DIFFERS = 5


@click.command()
@shared_options
@account_option
@click.option(
    "--since",
    type=MOMENT,
    help="First createdAt to audit: a date, a date-time (UTC without an offset) or a span ago"
    " such as 30d. Default: the first order (the API's or the mirror's).",
)
@click.option(
    "--until",
    type=MOMENT,
    help="createdAt to stop before (default: the orders watermark; nothing before a sync).",
)
@click.pass_context
def audit(ctx: click.Context, since: dt.datetime | None, until: dt.datetime | None) -> None:
    """Count each createdAt window of orders in the API and the mirror; heal those that differ.

    Months first, split into days and hours only where the counts differ; a window still
    differing at its finest is re-walked whole (missing orders inserted, orders the API no
    longer returns marked deleted_at) and counted again. Then KORSYNC_AUDIT_SAMPLE_PERCENT of
    the days (rotating) are re-read whole for changed content, and each catalogue collection is
    counted against its live rows (a difference is healed by one catalogue refresh). Every
    window and collection is kept in audit_windows. Exit status: 0 every window matches (after
    healing); 5 a window still differs (each named on stderr); 1 the audit failed or the
    orders stream is running elsewhere; 2 the settings are unusable.
    """
    settings = settings_of(ctx)
    if since is not None and until is not None and until <= since:
        fail(f"--until {until.isoformat()} is not after --since {since.isoformat()}")
    for_each_account(ctx, settings, lambda account: audit_account(account, since, until))


def audit_account(account: Account, since: dt.datetime | None, until: dt.datetime | None) -> None:
    """Audit one account's schema against its API; exit ``EXIT_DIFFERS`` when a window still
    differs."""
    client = client_of(account, build_client)
    with mirror_of(account) as (_, sessions), client:
        try:
            options = sync_options(account.settings)
            outcome = audit_orders(
                client, sessions, options.orders, since, until, options.audit_sample_percent
            )
        except StreamBusy as exc:
            fail(f"{label(account)}{exc}", code=1)
        except Exception as exc:
            fail(f"{label(account)}audit failed: {describe(exc)}", code=1)
    report(outcome, label(account))
    if not outcome.clean:
        sys.exit(EXIT_DIFFERS)


def report(outcome: AuditOutcome, prefix: str = "") -> None:
    """One line for the audit, one per window healed, one on stderr per window still differing;
    each line begins with ``prefix`` (which account's)."""
    if outcome.since is None:
        click.echo(
            f"{prefix}audit: nothing to audit: no orders yet, or the orders stream has not synced"
            " (run 'korsync sync', or give --until)"
        )
        return
    for window in outcome.healed:
        click.echo(f"{prefix}audit: orders {window}: healed")
    for window in outcome.differing:
        click.echo(f"{prefix}audit: orders {window}: still differs after a re-walk", err=True)
    for collection in outcome.catalogue_differing:
        click.echo(
            f"{prefix}audit: {collection}: still differs after a catalogue refresh", err=True
        )
    until = outcome.until.isoformat() if outcome.until else "-"
    click.echo(
        f"{prefix}audit: orders {outcome.since.isoformat()} to {until}:"
        f" {outcome.counted} window(s) counted, {len(outcome.healed)} healed,"
        f" {len(outcome.differing)} still differing; {outcome.sampled} day(s) re-read for"
        f" content, {len(outcome.changed)} changed; {outcome.run.summary()}"
    )
