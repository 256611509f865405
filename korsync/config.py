"""korsync's settings: one typed, frozen object read from the environment.

Values come, highest priority first, from ``KORSYNC_*`` environment variables, an optional env
file (``KORSYNC_ENV_FILE`` or the ``--env-file`` option), and systemd credentials
(``$CREDENTIALS_DIRECTORY/<name>``, where ``<name>`` is the setting's lower-case name such as
``api_token`` or its variable name such as ``KORSYNC_API_TOKEN``). A bad value becomes a
``SettingsError`` whose message names the variable and never repeats a secret.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from korsync.api.auth import DEFAULT_SCHEME, check_auth_scheme
from korsync.models.history import parse_groups
from korsync.zones import check_zone

ENV_PREFIX = "KORSYNC_"
DEFAULT_API_URL = "https://api.korusticket.com"
# An HMAC key shorter than this could be guessed by hashing candidate keys against known values.
PII_KEY_MIN_BYTES = 16
# Variables with korsync's prefix that are not settings: the env file's name, the test suite's.
NOT_SETTINGS = {"KORSYNC_ENV_FILE", "KORSYNC_TEST_DATABASE_URL"}
# A secret file larger than this is not a token or a key: refuse it rather than read it all.
SECRET_MAX_BYTES = 64 * 1024


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it and is safe to print."""


def normalize_database_url(value: str) -> URL:
    """Parse a SQLAlchemy URL; plain ``postgresql://`` / ``postgres://`` use psycopg 3."""
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ValueError("not a database URL (expected e.g. sqlite:///korsync.db)") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        # korsync hands psycopg its batches as jsonb parameters (korsync.db.upsert)
        raise ValueError("PostgreSQL is reached through psycopg 3: use postgresql:// URLs")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"korsync mirrors into PostgreSQL or SQLite, not {url.get_backend_name()}")
    try:
        url.get_dialect()
    except NoSuchModuleError as exc:
        raise ValueError(f"unknown database driver {url.drivername!r}") from exc
    return url


def read_secret(path: Path) -> str:
    """A secret stored in a file (a systemd credential, a file an accounts file names), its
    surrounding whitespace stripped; ``SettingsError`` naming the file, never its content."""
    try:
        if path.stat().st_size > SECRET_MAX_BYTES:
            raise SettingsError(f"{path}: larger than {SECRET_MAX_BYTES} bytes, not a secret")
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise SettingsError(f"cannot read {path}: {reason}") from None
    if not value:
        raise SettingsError(f"{path} is empty")
    return value


def credential_path(name: str) -> Path | None:
    """``$CREDENTIALS_DIRECTORY/<name>`` (systemd's ``LoadCredential=``), or ``None`` when the
    process was given no credentials."""
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    return Path(directory) / name if directory else None


class CredentialsSource(PydanticBaseSettingsSource):
    """Reads settings from systemd's ``$CREDENTIALS_DIRECTORY`` (``LoadCredential=``)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        for name in (field_name, f"{ENV_PREFIX}{field_name.upper()}"):
            path = credential_path(name)
            if path is None:
                return None, field_name, False
            if path.is_file():
                return path.read_text().strip(), field_name, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


class Settings(BaseSettings):
    """Everything korsync can be told; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", env_file_encoding="utf-8"
    )

    database_url: str = "sqlite:///korsync.db"
    api_url: str = DEFAULT_API_URL
    language: str | None = None
    api_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token_url: str | None = None
    # What goes before the token in Authorization: the docs' curl examples send the key alone
    # ("none"), their guides "Bearer".
    api_auth_scheme: str = DEFAULT_SCHEME
    http_timeout: float = Field(default=30.0, gt=0)
    # Optional hard ceilings on the adaptive pace (korsync.api.pace); unset, the pace finds
    # the API's own limits.
    rate_limit: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="API requests/s at most"
    )
    max_concurrency: int | None = Field(default=None, ge=1, le=64)
    max_attempts: int = Field(default=6, ge=1)
    retry_deadline: float = Field(default=300.0, gt=0)
    reconcile_days: int = Field(default=30, ge=0)
    overlap_seconds: int = Field(default=600, ge=0)
    safety_margin_seconds: int = Field(default=60, ge=0)
    documents_per_run: int = Field(default=200, ge=0)
    pii: Literal["keep", "hash", "drop"] = "keep"
    pii_key: SecretStr | None = None
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The IANA zone whose days the reporting views count (written to the database's
    # reporting_timezone by db upgrade, sync and the daemon's start).
    reporting_timezone: str = "UTC"
    # The daemon (`korsync run`): seconds between runs of each stream, when a stream counts as
    # stale (this many intervals without a success), how soon a failed stream is tried again
    # (doubling while it fails, up to its interval), the longest wait between attempts to reach
    # the database at start-up, and the optional Prometheus endpoint (off unless a port is set).
    orders_interval: float = Field(default=15.0, gt=0)
    # Seconds between the orders stream's overlap sweeps; its other passes only poll the tail
    # (korsync.sync.tail). 0: every pass sweeps.
    orders_sweep_interval: float = Field(default=300.0, ge=0, allow_inf_nan=False)
    reconcile_interval: float = Field(default=3600.0, gt=0)
    documents_interval: float = Field(default=900.0, gt=0)
    reservations_interval: float = Field(default=900.0, gt=0)
    catalogue_interval: float = Field(default=86400.0, gt=0)
    audit_interval: float = Field(default=86400.0, gt=0, le=366 * 86400)  # at least yearly
    audit_sample_percent: float = Field(default=1.0, ge=0, le=100)  # of days re-read per audit
    stale_factor: float = Field(default=3.0, ge=1)
    retry_after: float = Field(default=60.0, gt=0)
    db_retry_max: float = Field(default=60.0, gt=0)
    # Runs at once in one daemon (threads, each holding up to two database connections); a job
    # has at most one run at a time, so a hung account holds at most one per stream.
    max_parallel_runs: int = Field(default=16, ge=1, le=256)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_address: str = "127.0.0.1"
    # Several accounts, each mirrored into a PostgreSQL schema of its own (korsync.accounts);
    # unset, korsync mirrors the one account the settings above describe.
    accounts_file: Path | None = None
    # Change history (korsync.models.history): the groups of tables that keep it, "all",
    # "none" or a comma list (orders, offers, catalogue), written to history_tables at start;
    # and how many days closed versions are kept (the daemon prunes; unset: forever).
    history: str = "all"
    history_days: int | None = Field(default=None, ge=1, le=36500)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        normalize_database_url(value)
        return value

    @field_validator("api_token", "client_id", "client_secret", "token_url", "pii_key")
    @classmethod
    def _check_not_empty(cls, value: str | SecretStr | None) -> str | SecretStr | None:
        shown = value.get_secret_value() if isinstance(value, SecretStr) else value
        if shown is not None and not shown.strip():
            raise ValueError("is empty: give a value or leave the variable unset")
        return value

    @field_validator("reporting_timezone")
    @classmethod
    def _check_reporting_timezone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("history")
    @classmethod
    def _check_history(cls, value: str) -> str:
        parse_groups(value)
        return value

    @field_validator("api_auth_scheme")
    @classmethod
    def _check_auth_scheme(cls, value: str) -> str:
        return check_auth_scheme(value)

    @field_validator("pii_key")
    @classmethod
    def _check_pii_key_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < PII_KEY_MIN_BYTES:
            raise ValueError(f"must be at least {PII_KEY_MIN_BYTES} bytes (a random secret)")
        return value

    @field_validator("api_url", "token_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings, CredentialsSource(settings_cls))

    @model_validator(mode="after")
    def _check_pii_key(self) -> Settings:
        if self.pii == "hash" and self.pii_key is None:
            raise ValueError("KORSYNC_PII_KEY is required when KORSYNC_PII=hash")
        return self

    @property
    def history_groups(self) -> tuple[str, ...]:
        """The groups of tables whose history is kept (``KORSYNC_HISTORY``)."""
        return parse_groups(self.history)

    @property
    def sqlalchemy_url(self) -> URL:
        """The database URL with the driver korsync uses."""
        return normalize_database_url(self.database_url)

    def require_api_auth(self) -> None:
        """Raise ``SettingsError`` unless a static token or complete client credentials are set."""
        if self.api_token is not None:
            return
        missing = [
            f"{ENV_PREFIX}{name.upper()}"
            for name in ("client_id", "client_secret", "token_url")
            if getattr(self, name) is None
        ]
        if missing:
            raise SettingsError(
                "no API credentials: set KORSYNC_API_TOKEN, or KORSYNC_CLIENT_ID + "
                f"KORSYNC_CLIENT_SECRET + KORSYNC_TOKEN_URL (missing: {', '.join(missing)})"
            )


def resolve_env_file(env_file: str | Path | None) -> Path | None:
    """The env file to read (the option's, else ``KORSYNC_ENV_FILE``'s); ``SettingsError`` if
    it does not exist."""
    env_file = env_file or os.environ.get(f"{ENV_PREFIX}ENV_FILE")
    if env_file is None:
        return None
    if not Path(env_file).is_file():
        raise SettingsError(f"env file (--env-file or KORSYNC_ENV_FILE) not found: {env_file}")
    return Path(env_file)


def load_settings(env_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings, turning validation errors into one ``SettingsError`` line."""
    env_file = resolve_env_file(env_file)
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    return "invalid setting " + describe_errors(exc, lambda name: f"{ENV_PREFIX}{name.upper()}")


def describe_errors(exc: ValidationError, label: Callable[[str], str]) -> str:
    """Each error as ``<label(field)>: <message>``, joined: only the field's name and pydantic's
    message, because the offending input may be a secret."""
    parts = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["loc"]:
            message = f"{label(str(error['loc'][0]))}: {message}"
        parts.append(message)
    return "; ".join(parts)
