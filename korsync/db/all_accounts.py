"""The schema of cross-account views (a multi-account mirror on PostgreSQL): for every table and
view that each account's schema holds, one view of the same name that is the ``UNION ALL`` of
every account's relation with an ``account`` column first, naming whose row it is.

The relations and their columns are read from the live schemas, not from korsync's models, so
whatever a migration adds (history tables, reporting views) is covered on the next rebuild.
``drop_views`` runs before migrating (a view over a table would block altering it) and
``rebuild_views`` after, and after an account is added or purged; both hold a transaction-level
advisory lock so that two hosts upgrading at once rebuild one after the other. A rebuild grants
the all-accounts reader role (when it exists) read access to the new views.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import Connection, text
from sqlalchemy.sql.compiler import IdentifierPreparer

from korsync.db.roles import grant_reader, role_exists

log = logging.getLogger("korsync.db")

ACCOUNT_COLUMN = "account"
_RELATIONS = text(
    "SELECT n.nspname, c.relname, a.attname FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
    " WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'v', 'm', 'p')"
    " AND c.relname <> 'alembic_version' ORDER BY c.relname, n.nspname, a.attnum"
)


def _serialize(connection: Connection, views_schema: str) -> None:
    digest = hashlib.blake2b(f"korsync-views:{views_schema}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def drop_views(connection: Connection, views_schema: str) -> None:
    """Drop the cross-account views (and their schema), if any."""
    _serialize(connection, views_schema)
    quote = connection.dialect.identifier_preparer.quote_schema
    connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(views_schema)} CASCADE"))


def rebuild_views(
    connection: Connection, views_schema: str, accounts: Mapping[str, str], reader: str
) -> list[str]:
    """Re-create ``views_schema`` with one view per relation every account's schema has
    (``accounts``: name -> schema; schemas not created yet are left out); the views' names.
    ``reader``, the all-accounts role, is granted them if it exists."""
    drop_views(connection, views_schema)
    prep = connection.dialect.identifier_preparer
    connection.execute(text(f"CREATE SCHEMA {prep.quote_schema(views_schema)}"))
    columns = _columns(connection, list(accounts.values()))
    present = {schema for by_schema in columns.values() for schema in by_schema}
    members = {name: schema for name, schema in accounts.items() if schema in present}
    created = []
    for relation, by_schema in columns.items():
        if set(by_schema) != set(members.values()):
            log.warning("%s: not in every account's schema; no cross-account view", relation)
            continue
        connection.execute(text(_view(prep, views_schema, relation, by_schema, members)))
        created.append(relation)
    if role_exists(connection, reader):
        grant_reader(connection, reader, schema=views_schema)
    return created


def _view(
    prep: IdentifierPreparer,
    views_schema: str,
    relation: str,
    by_schema: dict[str, list[str]],
    members: Mapping[str, str],
) -> str:
    """``CREATE VIEW`` of one relation over every account: the columns all of them have (one
    still mid-upgrade may lack a new one), in the first account's order."""
    first = by_schema[next(iter(members.values()))]
    shared = [c for c in first if c != ACCOUNT_COLUMN and all(c in o for o in by_schema.values())]
    listed = ", ".join(prep.quote(c) for c in shared)
    # Account names are plain identifiers (korsync.accounts), safe as literals.
    selects = [
        f"SELECT '{name}'::text AS {ACCOUNT_COLUMN}, {listed}"
        f" FROM {prep.quote_schema(schema)}.{prep.quote(relation)}"
        for name, schema in members.items()
    ]
    target = f"{prep.quote_schema(views_schema)}.{prep.quote(relation)}"
    return f"CREATE VIEW {target} AS {' UNION ALL '.join(selects)}"


def _columns(connection: Connection, schemas: list[str]) -> dict[str, dict[str, list[str]]]:
    """relation -> schema -> its columns in order, for the tables and views of ``schemas``."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for schema, relation, column in connection.execute(_RELATIONS, {"schemas": schemas}):
        found[relation][schema].append(column)
    return found
