"""Alembic environment: korsync's models are the target; the URL comes from korsync's settings.

A caller that already holds a connection (``korsync db upgrade``, the tests) passes it in
``config.attributes["connection"]``; offline (``--sql``) the caller may pass the URL whose
dialect to write SQL for in ``config.attributes["url"]``. SQLite runs in batch mode so ALTERs
work there too. An account's schema (``config.attributes["schema"]``, set by
``korsync.db.migrate`` for a multi-account mirror) keeps its own ``alembic_version``.
"""

from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import JSON, Connection

from korsync.config import load_settings
from korsync.db.engine import make_engine
from korsync.models import metadata
from korsync.models.types import Money, UTCDateTime

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render korsync's column types as the plain SQLAlchemy types they store, so revisions do
    not depend on application code that may change after they are written."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(obj, Money):
        return "sa.Numeric(precision=12, scale=2)"
    if kind == "type" and isinstance(obj, JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")'
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        render_item=_render_item,
        version_table_schema=config.attributes.get("schema"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """SQL text for a database of the URL's dialect (``korsync db upgrade --sql`` passes it)."""
    context.configure(
        url=config.attributes.get("url") or load_settings().sqlalchemy_url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = make_engine(load_settings().sqlalchemy_url)
    with engine.begin() as conn:
        _configure(conn)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
