"""From settings to the options korsync's parts take: the API client's (whole, a backfill
process's share, the daemon's), each stream's, and a backfill worker process's own client and
sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from korsync.accounts import load_accounts, select
from korsync.api.client import ApiClient, ClientOptions, options_pace
from korsync.api.pace import Pace
from korsync.cli.memory import tune_gc, tune_malloc
from korsync.config import Settings, load_settings
from korsync.db.engine import make_engine, make_session_factory
from korsync.logs import configure_logging_for
from korsync.pii import PiiPolicy
from korsync.sync.orders import OrdersOptions
from korsync.sync.streams import SyncOptions


def client_options(settings: Settings, **overrides: Any) -> ClientOptions:
    """The API client options the settings describe; ``SettingsError`` without credentials."""
    settings.require_api_auth()
    fields: dict[str, Any] = dict(
        base_url=settings.api_url,
        token=settings.api_token.get_secret_value() if settings.api_token else None,
        client_id=None if settings.api_token else settings.client_id,
        client_secret=(
            settings.client_secret.get_secret_value()
            if settings.client_secret and not settings.api_token
            else None
        ),
        token_url=None if settings.api_token else settings.token_url,
        auth_scheme=settings.api_auth_scheme,
        language=settings.language,
        timeout_s=settings.http_timeout,
        rate_limit_per_s=settings.rate_limit,
        max_concurrency=settings.max_concurrency,
        max_attempts=settings.max_attempts,
        deadline_s=settings.retry_deadline,
    )
    return ClientOptions(**{**fields, **overrides})


def build_client(settings: Settings) -> ApiClient:
    """The API client the settings describe (credentials required)."""
    return ApiClient(client_options(settings))


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def sync_options(settings: Settings) -> SyncOptions:
    """Per-stream options from the settings."""
    orders = OrdersOptions(
        overlap=dt.timedelta(seconds=settings.overlap_seconds),
        safety_margin=dt.timedelta(seconds=settings.safety_margin_seconds),
        sweep_interval=dt.timedelta(seconds=settings.orders_sweep_interval),
        reconcile_days=settings.reconcile_days,
        pii=PiiPolicy(settings.pii, key=_secret(settings.pii_key).encode()),
    )
    return SyncOptions(
        orders=orders,
        documents_per_run=settings.documents_per_run,
        audit_sample_percent=settings.audit_sample_percent,
    )


def backfill_client(settings: Settings, processes: int) -> ApiClient:
    """The client of one of ``processes`` backfill processes: its pace starts at, and stays
    within, its share of the start and of the ceilings, so that together they keep to the
    settings; each then adapts on its own to the answers all of them get."""
    options = client_options(settings)
    return ApiClient(options, pace=options_pace(options, share=processes))


@contextmanager
def backfill_worker(
    env_file: str | None, overrides: dict[str, Any], processes: int, account: str | None = None
) -> Iterator[tuple[ApiClient, sessionmaker[Session]]]:
    """A backfill worker process's client and sessions, from the same settings (with
    ``account``, that account's of the accounts file, on its schema)."""
    tune_malloc()
    tune_gc()
    settings = load_settings(env_file, **overrides)
    configure_logging_for(settings)
    url = settings.sqlalchemy_url
    if account is not None:
        (chosen,) = select(load_accounts(settings).accounts, [account])
        settings, url = chosen.settings, chosen.database_url()
    engine = make_engine(url)
    try:
        with backfill_client(settings, processes) as client:
            yield client, make_session_factory(engine)
    finally:
        engine.dispose()


def daemon_client(settings: Settings, transport: httpx.BaseTransport, pace: Pace) -> ApiClient:
    """The settings' client on the daemon's transport and pace."""
    return ApiClient(client_options(settings), transport=transport, pace=pace)
