"""``korsync db``: migrate the schema (or print its SQL), show and check its revision, write its
docs and a dbt sources file, grant a read-only role."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click
from alembic.util import CommandError

from korsync.cli.accounts_commands import drop_all_views, rebuild_all_views
from korsync.cli.app import (
    account_option,
    accounts_of,
    engine_for,
    fail,
    label,
    roster_of,
    select_accounts,
    settings_of,
    shared_options,
    write_history,
    write_zone,
)
from korsync.db import dbt_sources, schema_docs
from korsync.db.migrate import (
    SchemaError,
    current_revision,
    head_revision,
    pending_revisions,
    upgrade_sql,
    upgrade_to_head,
)
from korsync.db.roles import check_role_name, grant_reader
from korsync.models import metadata
from korsync.sync.streams import intervals

SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")


def _check_schema_name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not SCHEMA_NAME.fullmatch(value):
        raise click.BadParameter("must be a plain schema name (letters, digits, _; at most 63)")
    return value


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@shared_options
@account_option
@click.option(
    "--sql",
    "as_sql",
    is_flag=True,
    help="Print the SQL instead of running it, for review; connects to no database.",
)
@click.option(
    "--from",
    "since",
    metavar="REVISION",
    help="With --sql: the revision the database is at (default: an empty database).",
)
@click.pass_context
def db_upgrade(ctx: click.Context, as_sql: bool, since: str | None) -> None:
    """Create or migrate the mirror's tables to the newest revision (each account's schema)."""
    settings = settings_of(ctx)
    if as_sql:
        try:
            upgrade_sql(settings.sqlalchemy_url, since, sys.stdout)
        except CommandError as exc:
            fail(f"--from {since}: {exc}")
        return
    if since:
        fail("--from only goes with --sql")
    where = settings.sqlalchemy_url.render_as_string(hide_password=True)
    roster = roster_of(settings)
    with engine_for(settings, create=True) as engine:
        drop_all_views(engine, roster)
        for account in select_accounts(ctx, roster):
            with engine_for(account.settings, create=True, schema=account.schema) as mirror:
                upgrade_to_head(mirror, account.schema)
                write_zone(mirror, account.settings)
                write_history(mirror, account.settings)
            in_schema = f" schema {account.schema}" if account.schema else ""
            click.echo(f"database {where}{in_schema} is at the newest schema revision")
        rebuild_all_views(engine, roster)


def _revisions_of(ctx: click.Context) -> Iterator[tuple[str, str | None]]:
    """Each account's line prefix (none for the single account) and schema revision."""
    for account in accounts_of(ctx, settings_of(ctx)):
        with engine_for(account.settings, schema=account.schema) as engine:
            yield label(account), current_revision(engine)


@db.command("current")
@shared_options
@account_option
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Show the database's (each account's) schema revision and whether it is the newest."""
    head = head_revision()
    for prefix, current in _revisions_of(ctx):
        if current is None:
            click.echo(f"{prefix}no korsync schema yet; the newest revision is {head}")
        elif current == head:
            click.echo(f"{prefix}{current} (newest)")
        else:
            click.echo(
                f"{prefix}{current}; the newest revision is {head}: run 'korsync db upgrade'"
            )


@db.command("check")
@shared_options
@account_option
@click.pass_context
def db_check(ctx: click.Context) -> None:
    """Exit 1 when a migration is pending (naming each, for each account), 0 when every schema
    is the newest."""
    behind = False
    for prefix, current in _revisions_of(ctx):
        try:
            pending = pending_revisions(current)
        except SchemaError as exc:
            fail(f"{prefix}{exc}", code=1)
        if not pending:
            click.echo(f"{prefix}schema is up to date ({current})")
            continue
        behind = True
        click.echo(f"{prefix}{len(pending)} migration(s) pending; run 'korsync db upgrade':")
        for revision, message in pending:
            click.echo(f"  {revision}  {message}")
    if behind:
        sys.exit(1)


def _write_output(output: str, content: str) -> None:
    """``content`` to stdout (``-``) or to the file ``output``, its folder created; a file that
    cannot be written exits 1 naming it."""
    if output == "-":
        click.echo(content, nl=False)
        return
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", code=1)
    click.echo(f"wrote {path}")


OUTPUT_HELP = "File to write ('-' for standard output)."


@db.command("docs")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="docs/schema.md",
    show_default=True,
    help=OUTPUT_HELP,
)
def db_docs(output: str) -> None:
    """Write the schema documentation (tables, columns, diagram, views, example queries)."""
    _write_output(output, schema_docs.render(metadata))


@db.command("dbt-sources")
@shared_options
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="sources.yml",
    show_default=True,
    help=OUTPUT_HELP,
)
@click.option(
    "--schema",
    default="public",
    show_default=True,
    callback=_check_schema_name,
    help="Database schema holding the mirror (SQLite through dbt-sqlite: main).",
)
@click.pass_context
def db_dbt_sources(ctx: click.Context, output: str, schema: str) -> None:
    """Write a dbt sources.yml declaring every table and view as source 'korsync', described
    like the database comments, with source freshness from the stream intervals."""
    settings = settings_of(ctx)
    document = dbt_sources.sources(intervals(settings), settings.stale_factor, schema)
    _write_output(output, dbt_sources.render(document))


@db.command("grant-reader")
@shared_options
@click.argument("role")
@click.option(
    "--login",
    is_flag=True,
    help="Let ROLE log in with a password, asked for (or read from --password-file).",
)
@click.option(
    "--password-file",
    type=click.File("r"),
    help="With --login: read the password from this file's first line ('-' for stdin).",
)
@click.pass_context
def db_grant_reader(
    ctx: click.Context, role: str, login: bool, password_file: TextIO | None
) -> None:
    """Give ROLE read-only access to every table and view, including future ones (PostgreSQL).

    Without --login the role cannot log in itself: grant it to an existing login. Passwords are
    never taken as arguments (they would show in ps and shell history).
    """
    try:
        check_role_name(role)
    except ValueError as exc:
        fail(str(exc))
    if password_file is not None and not login:
        fail("--password-file only goes with --login")
    password = _password(role, password_file) if login else None
    settings = settings_of(ctx)
    with engine_for(settings) as engine, engine.begin() as connection:
        try:
            schema = grant_reader(connection, role, password)
        except ValueError as exc:
            fail(str(exc))
    click.echo(f"{role} can read every table and view in schema {schema}, now and after upgrades")
    if login:
        click.echo(f"{role} can log in with its password")
    else:
        click.echo(f"{role} cannot log in itself: give it to a login with GRANT {role} TO <login>;")


def _password(role: str, source: TextIO | None) -> str:
    if source is not None:
        return source.readline().rstrip("\r\n")
    entered: str = click.prompt(f"password for {role}", hide_input=True, confirmation_prompt=True)
    return entered
