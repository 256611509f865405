"""The accounts korsync mirrors: without ``KORSYNC_ACCOUNTS_FILE`` one, the account the settings
describe, mirrored where the database URL points (as korsync always did); with it, each account
the TOML file lists under ``[accounts.<name>]``, mirrored into the PostgreSQL schema
``korsync_<name>``, and the views over all of them into the schema the file's top-level
``views_schema`` names (default ``korsync_all``). An account's table holds the settings where it
differs from the global ones (API URL, language, PII policy, intervals, rate ceilings…) and its
secrets only by reference:
``<secret>_file`` (a path, relative to the accounts file) or ``<secret>_credential`` (a systemd
credential name), for ``api_token``, ``client_secret`` and ``pii_key``. Any problem with the file
is one ``SettingsError`` line naming the file, the account and the key, never a secret.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import URL

from korsync.config import (
    Settings,
    SettingsError,
    credential_path,
    describe_errors,
    read_secret,
)

# Names become schema names, role names and metric labels: plain, short, lower case.
ACCOUNT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
SCHEMA_PREFIX = "korsync_"
MAX_FILE_BYTES = 1024 * 1024  # thousands of accounts fit in far less
MAX_ACCOUNTS = 1000
SECRETS = ("api_token", "client_secret", "pii_key")
# What an account may set besides its secrets: what differs between KorusTicket accounts.
PLAIN_KEYS = frozenset(
    {
        "api_url",
        "token_url",
        "client_id",
        "api_auth_scheme",
        "language",
        "pii",
        "rate_limit",
        "max_concurrency",
        "http_timeout",
        "reconcile_days",
        "documents_per_run",
        "audit_sample_percent",
        "orders_sweep_interval",
    }
    | {name for name in Settings.model_fields if name.endswith("_interval")}
)
_CREDENTIAL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}")


@dataclasses.dataclass(frozen=True)
class Account:
    """One mirrored account: its name, its settings, and its schema (``None``: the single
    account's mirror, where the database URL points)."""

    name: str
    settings: Settings
    schema: str | None = None

    def database_url(self) -> URL:
        """The database URL whose connections read and write this account's schema."""
        return schema_url(self.settings.sqlalchemy_url, self.schema)

    @property
    def reader_role(self) -> str:
        """The role that may read this account's schema only."""
        return reader_role(self.schema or SINGLE)


def reader_role(schema: str) -> str:
    """The read-only role of a schema (an account's, or the cross-account views')."""
    return f"{schema}_reader"


SINGLE = "default"  # the name of the one account of a korsync without an accounts file
VIEWS_SCHEMA = "korsync_all"
_SCHEMA_NAME = re.compile(r"[a-z][a-z0-9_]{0,55}")  # with "_reader", at most 63


@dataclasses.dataclass(frozen=True)
class Roster:
    """The accounts to mirror, and the schema of the views over all of them (``None`` for the
    single account)."""

    accounts: list[Account]
    views_schema: str | None = None

    @property
    def several(self) -> bool:
        """Whether the accounts come from an accounts file (each in its own schema)."""
        return self.views_schema is not None

    def schemas(self, leaving_out: str | None = None) -> dict[str, str]:
        """Account name -> schema, for the cross-account views (less ``leaving_out``)."""
        return {a.name: a.schema for a in self.accounts if a.schema and a.name != leaving_out}


def schema_url(url: URL, schema: str | None) -> URL:
    """``url`` with ``schema`` first on its connections' search_path (``None``: unchanged)."""
    if schema is None:
        return url
    given = url.query.get("options")
    given = " ".join(given) if isinstance(given, tuple) else (given or "")
    # The last -c wins: a search_path the URL already sets gives way to the account's.
    return url.update_query_dict({"options": f"{given} -csearch_path={schema}".strip()})


def load_accounts(settings: Settings) -> Roster:
    """The accounts to mirror, by name; ``SettingsError`` for an unusable accounts file."""
    path = settings.accounts_file
    if path is None:
        return Roster([Account(SINGLE, settings)])
    if settings.sqlalchemy_url.get_backend_name() != "postgresql":
        raise SettingsError(
            "multiple accounts need PostgreSQL: KORSYNC_ACCOUNTS_FILE is set but"
            " KORSYNC_DATABASE_URL is not a postgresql:// URL"
        )
    tables, views_schema = _read_file(path)
    accounts = [_account(path, name, table, settings) for name, table in tables.items()]
    if views_schema in {account.schema for account in accounts}:
        raise SettingsError(f"accounts file {path}: views_schema is an account's schema")
    return Roster(accounts, views_schema)


def select(accounts: Sequence[Account], names: Sequence[str]) -> list[Account]:
    """The accounts named (all when none is); ``SettingsError`` naming an unknown one."""
    if not names:
        return list(accounts)
    known = {account.name: account for account in accounts}
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(known) or "none"
        raise SettingsError(f"--account {unknown[0][:60]!r}: no such account (known: {listed})")
    return [known[name] for name in dict.fromkeys(names)]


def _read_file(path: Path) -> tuple[dict[str, Any], str]:
    where = f"accounts file {path}"
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SettingsError(f"{where}: larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise SettingsError(f"cannot read {where}: {reason}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where}: not valid TOML: {exc}") from None
    extra = sorted(set(document) - {"accounts", "views_schema"})
    if extra:
        raise SettingsError(
            f"{where}: unknown key {extra[0][:60]!r} (expected [accounts.<name>] tables and"
            " views_schema)"
        )
    views_schema = document.get("views_schema", VIEWS_SCHEMA)
    if not isinstance(views_schema, str) or not _SCHEMA_NAME.fullmatch(views_schema):
        raise SettingsError(f"{where}: views_schema must be a plain lower-case schema name")
    accounts = document.get("accounts")
    if not isinstance(accounts, dict) or not accounts:
        raise SettingsError(f"{where}: no [accounts.<name>] table")
    if len(accounts) > MAX_ACCOUNTS:
        raise SettingsError(f"{where}: {len(accounts)} accounts, at most {MAX_ACCOUNTS}")
    return accounts, views_schema


def _account(path: Path, name: str, table: Any, settings: Settings) -> Account:
    where = f"accounts file {path}: account {name[:50]!r}"
    if not ACCOUNT_NAME.fullmatch(name):
        raise SettingsError(
            f"{where}: invalid name: use 1 to 40 lower-case letters, digits or _, starting"
            " with a letter (it names the account's schema and metrics)"
        )
    if not isinstance(table, dict):
        raise SettingsError(f"{where}: must be a table ([accounts.{name}])")
    # Credentials are the account's own: the global ones never reach another account's data.
    values = {
        **settings.model_dump(),
        "accounts_file": None,
        **dict.fromkeys(("api_token", "client_id", "client_secret", "token_url")),
    }
    inline = [key for key in (*SECRETS, "token", "secret", "password") if key in table]
    if inline:
        raise SettingsError(
            f"{where}: {inline[0]} must not be written in the file: give {inline[0]}_file (a"
            f" path) or {inline[0]}_credential (a systemd credential name)"
        )
    for key, value in table.items():
        secret = _secret_of(key)
        if key in PLAIN_KEYS:
            values[key] = value
        elif secret is not None:
            values[secret] = _resolve_secret(path, where, key, value)
        else:
            raise SettingsError(f"{where}: unknown key {key[:60]!r}")
    try:
        account_settings = Settings.model_validate(values)
        account_settings.require_api_auth()
    except ValidationError as exc:
        raise SettingsError(f"{where}: {describe_errors(exc, str)}") from None
    except SettingsError as exc:
        raise SettingsError(f"{where}: {_without_variables(str(exc))}") from None
    return Account(name, account_settings, SCHEMA_PREFIX + name)


def _secret_of(key: str) -> str | None:
    for secret in SECRETS:
        if key in (f"{secret}_file", f"{secret}_credential"):
            return secret
    return None


def _resolve_secret(path: Path, where: str, key: str, reference: Any) -> str:
    if not isinstance(reference, str) or not reference:
        raise SettingsError(f"{where}: {key} must be a non-empty string")
    if key.endswith("_credential"):
        if not _CREDENTIAL_NAME.fullmatch(reference):
            raise SettingsError(f"{where}: {key} must be a credential's plain name, not a path")
        found = credential_path(reference)
        if found is None:
            raise SettingsError(f"{where}: {key}: no $CREDENTIALS_DIRECTORY (LoadCredential=)")
    else:
        found = path.parent / reference  # an absolute reference stays absolute
    try:
        return read_secret(found)
    except SettingsError as exc:
        raise SettingsError(f"{where}: {key}: {exc}") from None


def _without_variables(message: str) -> str:
    """``require_api_auth``'s message speaks of variables; an account's table has keys."""
    return (
        "no API credentials: give api_token_file or api_token_credential, or client_id +"
        " client_secret_file (or client_secret_credential) + token_url"
        if message.startswith("no API credentials")
        else message
    )
