"""``korsync accounts``: list the accounts korsync mirrors (from ``KORSYNC_ACCOUNTS_FILE``, else
the one account the settings describe) with where each is mirrored and how it authenticates,
never a secret; grant the reader roles (one per account, one for the cross-account views);
purge one account's schema and role. Also the cross-account views' rebuild that ``db upgrade``
and ``purge`` share."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from korsync.accounts import ACCOUNT_NAME, SCHEMA_PREFIX, Account, Roster, reader_role
from korsync.cli.app import (
    accounts_of,
    engine_for,
    fail,
    roster_of,
    select_accounts,
    settings_of,
    shared_options,
)
from korsync.db.all_accounts import drop_views, rebuild_views
from korsync.db.roles import drop_reader, grant_reader


@click.group()
def accounts() -> None:
    """The accounts korsync mirrors (KORSYNC_ACCOUNTS_FILE)."""


def _auth(account: Account) -> str:
    return "token" if account.settings.api_token is not None else "client credentials"


@accounts.command("list")
@shared_options
@click.pass_context
def accounts_list(ctx: click.Context) -> None:
    """One line per account: name, schema, API URL, authentication, language, PII policy."""
    settings = settings_of(ctx)
    rows = [("ACCOUNT", "SCHEMA", "API URL", "AUTH", "LANGUAGE", "PII")]
    for account in accounts_of(ctx, settings):
        s = account.settings
        schema = account.schema or "(the database URL's)"
        rows.append((account.name, schema, s.api_url, _auth(account), s.language or "-", s.pii))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        click.echo("  ".join([*(v.ljust(w) for v, w in zip(row, widths, strict=False)), row[-1]]))


def several_of(ctx: click.Context) -> Roster:
    """The roster of the accounts file, or exit: the command needs one."""
    roster = roster_of(settings_of(ctx))
    if not roster.several:
        fail("this command needs KORSYNC_ACCOUNTS_FILE (several accounts)")
    return roster


def drop_all_views(engine: Engine, roster: Roster) -> None:
    """Before migrating accounts: drop the views over them, which would block altering tables."""
    if roster.views_schema is not None:
        with engine.begin() as connection:
            drop_views(connection, roster.views_schema)


def rebuild_all_views(engine: Engine, roster: Roster, leaving_out: str | None = None) -> None:
    """Re-create the cross-account views over every account (less ``leaving_out``); say so."""
    if roster.views_schema is None:
        return
    with engine.begin() as connection:
        views = rebuild_views(
            connection,
            roster.views_schema,
            roster.schemas(leaving_out),
            reader_role(roster.views_schema),
        )
    click.echo(f"schema {roster.views_schema}: {len(views)} views over every account")


@accounts.command("grant-readers")
@shared_options
@click.pass_context
def accounts_grant_readers(ctx: click.Context) -> None:
    """Create the read-only roles: korsync_<name>_reader per account (its schema only) and
    <views_schema>_reader (the cross-account views only). NOLOGIN: grant them to logins."""
    roster = several_of(ctx)
    assert roster.views_schema is not None
    for account in select_accounts(ctx, roster):
        with (
            engine_for(account.settings, schema=account.schema) as engine,
            engine.begin() as connection,
        ):
            grant_reader(connection, account.reader_role)
        click.echo(f"{account.reader_role} can read schema {account.schema}")
    role = reader_role(roster.views_schema)
    with engine_for(settings_of(ctx)) as engine, engine.begin() as connection:
        grant_reader(connection, role, schema=roster.views_schema)
    click.echo(f"{role} can read the cross-account views in schema {roster.views_schema}")


@accounts.command("purge")
@shared_options
@click.argument("name")
@click.option("--yes", is_flag=True, help="Really drop the account's data.")
@click.pass_context
def accounts_purge(ctx: click.Context, name: str, yes: bool) -> None:
    """Drop account NAME's schema (all its mirrored data) and its reader role, and rebuild the
    cross-account views without it. Nothing of any other account is touched. Remove NAME from
    the accounts file too, or the next 'db upgrade' creates it again, empty."""
    roster = several_of(ctx)
    if not ACCOUNT_NAME.fullmatch(name):
        fail(f"{name[:60]!r} is not an account name")
    if not yes:
        fail(f"purging drops every row of account {name}: add --yes to do it")
    schema = SCHEMA_PREFIX + name
    with engine_for(settings_of(ctx)) as engine:
        with engine.begin() as connection:
            drop_views(connection, str(roster.views_schema))
            quoted = connection.dialect.identifier_preparer.quote_schema(schema)
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted} CASCADE")
            try:
                drop_reader(connection, reader_role(schema))
            except ValueError as exc:
                fail(str(exc), code=1)
        rebuild_all_views(engine, roster, leaving_out=name)
    click.echo(f"account {name}: schema {schema} and role {reader_role(schema)} dropped")
    if name in {account.name for account in roster.accounts}:
        click.echo(f"account {name} is still in the accounts file: remove it there too")
