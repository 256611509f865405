"""PostgreSQL roles for reporting: a read-only role that can select every mirror table and
view of one schema (the mirror's, an account's, or the cross-account views'), now and after
later migrations (default privileges of the role that runs them); and dropping such a role.

``korsync db grant-reader ROLE`` runs this as the writer (the role that owns the tables and
runs ``korsync db upgrade``); ``deploy/postgres/roles.sql`` is the same as plain SQL.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

# An unquoted PostgreSQL identifier as it is stored (folded to lower case), at most 63 bytes.
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_$]{0,62}")


def check_role_name(role: str) -> None:
    """Raise ``ValueError`` unless ``role`` is a plain lower-case identifier PostgreSQL allows."""
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError(
            f"role name {role[:70]!r} refused: use 1 to 63 lower-case letters, digits, _ or $,"
            " not starting with a digit"
        )
    if role.startswith("pg_"):
        raise ValueError(f"role name {role!r} refused: names starting with pg_ are reserved")


def role_exists(connection: Connection, role: str) -> bool:
    """Whether the PostgreSQL role exists."""
    found = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    return found.first() is not None


def grant_reader(
    connection: Connection, role: str, password: str | None = None, schema: str | None = None
) -> str:
    """Create ``role`` unless it exists and give it read-only access to ``schema`` (default:
    the connection's current schema); returns the schema granted. Objects created later by the
    current role are readable too. Without ``password`` a new role cannot log in (grant it to
    logins); with one it can, with that password."""
    check_role_name(role)
    if connection.dialect.name != "postgresql":
        raise ValueError("reader roles are a PostgreSQL feature; SQLite has no roles")
    quote = connection.dialect.identifier_preparer.quote
    if schema is None:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    if not role_exists(connection, role):
        connection.execute(text(f"CREATE ROLE {quote(role)} NOLOGIN"))
    if password is not None:
        _allow_login(connection, role, password)
    where, who = quote(schema), quote(role)
    for statement in (
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {where} TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT SELECT ON TABLES TO {who}",
    ):
        connection.execute(text(statement))
    return str(schema)


def _allow_login(connection: Connection, role: str, password: str) -> None:
    """``ALTER ROLE … LOGIN PASSWORD``: utility statements take no bound parameters, so psycopg
    quotes the password as a literal and the statement goes to its cursor as it is (SQLAlchemy
    would read a ``%`` in it as a placeholder); a failure is reported without the statement."""
    import psycopg  # here: only PostgreSQL gets this far
    from psycopg import sql

    if not password or "\x00" in password:
        raise ValueError("the password is empty or holds a NUL character")
    statement = sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
        sql.Identifier(role), sql.Literal(password)
    )
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement)
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"cannot let the role log in: {reason}") from None
    finally:
        cursor.close()


def drop_reader(connection: Connection, role: str) -> bool:
    """Drop ``role`` (its grants in this database first); ``False`` if there was none. A role
    still granted something in another database cannot be dropped: ``ValueError`` says so."""
    check_role_name(role)
    if not role_exists(connection, role):
        return False
    quote = connection.dialect.identifier_preparer.quote(role)
    connection.execute(text(f"DROP OWNED BY {quote}"))
    try:
        with connection.begin_nested():
            connection.execute(text(f"DROP ROLE {quote}"))
    except DBAPIError as exc:
        reason = (str(exc.orig).strip().splitlines() or ["refused"])[0]
        raise ValueError(f"cannot drop role {role}: {reason}") from None
    return True
