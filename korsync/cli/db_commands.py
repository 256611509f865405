"""``korsync db``: migrate the schema, write its docs, grant a read-only role."""

from __future__ import annotations

from pathlib import Path

import click

from korsync.cli.app import engine_for, fail, settings_of
from korsync.db import schema_docs
from korsync.db.migrate import upgrade_to_head
from korsync.db.roles import check_role_name, grant_reader
from korsync.models import metadata


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or migrate the mirror's tables to the newest revision."""
    settings = settings_of(ctx)
    with engine_for(settings, create=True) as engine:
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
    try:
        check_role_name(role)
    except ValueError as exc:
        fail(str(exc))
    settings = settings_of(ctx)
    with engine_for(settings) as engine, engine.begin() as connection:
        try:
            schema = grant_reader(connection, role)
        except ValueError as exc:
            fail(str(exc))
    click.echo(f"{role} can read every table and view in schema {schema}, now and after upgrades")
    click.echo(f"{role} cannot log in itself: give it to a login with GRANT {role} TO <login>;")
