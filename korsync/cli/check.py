"""``korsync check``: what a new installation runs first. One line per check — the settings, the
database and its schema revision, the API's reachability, the credentials, the ``createdAt``
filter format the API accepts, the account's catalogue model(s) and this machine's clock
against the API's ``Date`` — each ``ok``, ``WARN``, ``FAIL`` or ``skip`` (a check that needs
one that failed). Exit 0 when every check passed, ``EXIT_FAILED`` when one failed,
``EXIT_WARNED`` when none failed but one warned. With an accounts file the database and API
checks are made for each account (``--account``: only those named), each line naming it.

The API is probed by a client of its own: one attempt per request and short timeouts, so a
refused connection or an unknown host fails in seconds rather than after the sync's retries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import click
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from korsync import coverage
from korsync.accounts import Account, load_accounts, schema_url, select
from korsync.api.auth import DEFAULT_SCHEME, NO_SCHEME
from korsync.api.client import ApiClient, ClientOptions, Probe
from korsync.api.filters import DEFAULT, TimeFormat, probe_time_format
from korsync.api.jsonld import as_uuid, members, total_items
from korsync.cli.app import AppContext, account_option, shared_options
from korsync.cli.options import client_options
from korsync.config import Settings, SettingsError
from korsync.db.engine import make_engine
from korsync.db.migrate import SchemaError, current_revision, head_revision, pending_revisions
from korsync.logs import configure_logging_for
from korsync.settings_origins import origins, shown, unknown_variables

EXIT_FAILED = 1
EXIT_WARNED = 3
PROBE_TIMEOUT_S = 10.0
PROBE_CONNECT_TIMEOUT_S = 5.0
DB_CONNECT_TIMEOUT_S = 5
ORDERS = "/v1/booking/orders"
CATALOGS = "/v1/ticketing/catalogs"
# Each catalogue model's listing under a catalog (korsync.sync.catalogue reads both).
CATALOGUE_MODELS = (("product_bases", "newer model"), ("events", "older model"))
API_CHECKS = ("api", "credentials", "filters", "catalogue", "clock")

Status = Literal["ok", "WARN", "FAIL", "skip"]
Clock = Callable[[], dt.datetime]


@dataclasses.dataclass(frozen=True)
class Line:
    """One check's outcome, printed as one line."""

    name: str
    status: Status
    message: str
    account: str = ""  # whose check, with an accounts file

    def render(self) -> str:
        whose = f"{self.account}: " if self.account else ""
        return f"{whose}{self.name:<11}  {self.status:<4}  {self.message}"


def _skipped(names: tuple[str, ...], why: str) -> Iterator[Line]:
    return (Line(name, "skip", why) for name in names)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------------ settings
def _header_form(scheme: str) -> str:
    return (
        '"Authorization: <token>"' if scheme == NO_SCHEME else f'"Authorization: {scheme} <token>"'
    )


def _auth_summary(settings: Settings, found: dict[str, str]) -> str:
    sent = f"sent as {_header_form(settings.api_auth_scheme)}"
    if settings.api_token is not None:
        return f"API token {shown(settings, 'api_token')} ({found['api_token']}), {sent}"
    if settings.client_id is None:
        return "no API credentials"
    return (
        f"OIDC client {settings.client_id} ({found['client_id']}) via {settings.token_url}, {sent}"
    )


def check_settings(app: AppContext) -> tuple[Settings | None, Line]:
    """The settings (``None`` when invalid) and their line: a short summary, secrets redacted,
    with where each came from; a ``KORSYNC_*`` variable naming no setting warns."""
    try:
        settings = app.settings
    except SettingsError as exc:
        return None, Line("settings", "FAIL", f"{exc}; every setting: korsync config")
    configure_logging_for(settings)
    found = origins(app.env_file, app.overrides)
    if settings.accounts_file is not None or app.accounts:
        return settings, _accounts_line(app, settings, found)
    summary = "; ".join(
        (
            f"database {shown(settings, 'database_url')} ({found['database_url']})",
            f"API {settings.api_url} ({found['api_url']})",
            _auth_summary(settings, found),
            "every setting and its source: korsync config",
        )
    )
    try:
        settings.require_api_auth()
    except SettingsError as exc:
        return settings, Line("settings", "FAIL", f"{exc}; {summary}")
    unknown = [
        f"{name} is not a korsync setting" + (f" (did you mean {meant}?)" if meant else "")
        for name, meant in unknown_variables(app.env_file)
    ]
    if unknown:
        return settings, Line("settings", "WARN", f"{'; '.join(unknown)}; {summary}")
    return settings, Line("settings", "ok", summary)


def _accounts_line(app: AppContext, settings: Settings, found: dict[str, str]) -> Line:
    """The settings line with an accounts file: it loads (each account with its credentials)
    and ``--account`` names accounts of it."""
    try:
        chosen = _accounts(app, settings)
    except SettingsError as exc:
        return Line("settings", "FAIL", f"{exc}; every setting: korsync config")
    summary = (
        f"database {shown(settings, 'database_url')} ({found['database_url']});"
        f" {len(chosen)} account(s) of {settings.accounts_file} (korsync accounts list);"
        " every setting and its source: korsync config"
    )
    return Line("settings", "ok", summary)


def _accounts(app: AppContext, settings: Settings) -> list[Account]:
    """The accounts to check: ``--account``'s, default all; ``SettingsError`` saying why not."""
    roster = load_accounts(settings)
    if app.accounts and not roster.several:
        raise SettingsError("--account needs KORSYNC_ACCOUNTS_FILE; without it there is one")
    return select(roster.accounts, app.accounts)


# ------------------------------------------------------------------------------------ database
def check_database(settings: Settings, schema: str | None = None) -> Line:
    """Reachable, and migrated (``schema``, an account's, in it) to the newest revision this
    korsync ships."""
    url = schema_url(settings.sqlalchemy_url, schema)
    where = settings.sqlalchemy_url.render_as_string(hide_password=True)
    where += f" schema {schema}" if schema else ""
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).exists():
        return Line("database", "FAIL", f"no database at {path}: run 'korsync db upgrade'")
    options: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        options["connect_args"] = {"connect_timeout": DB_CONNECT_TIMEOUT_S}
    engine = make_engine(url, **options)
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return Line("database", "FAIL", f"{where} unreachable: {reason}")
    finally:
        engine.dispose()
    return _revision_line(where, current)


def _revision_line(where: str, current: str | None) -> Line:
    head = head_revision()
    if current is None:
        return Line(
            "database", "FAIL", f"{where} holds no korsync schema: run 'korsync db upgrade'"
        )
    try:
        pending = pending_revisions(current)
    except SchemaError as exc:
        return Line("database", "FAIL", f"{where}: {exc}; upgrade korsync")
    if pending:
        return Line(
            "database",
            "FAIL",
            f"{where} is at {current}, {len(pending)} migration(s) behind {head}:"
            " run 'korsync db upgrade'",
        )
    return Line("database", "ok", f"{where} is at the newest schema revision ({head})")


# ----------------------------------------------------------------------------------------- API
def probe_options(settings: Settings, **overrides: Any) -> ClientOptions:
    """The settings' client options for probing: one attempt, short timeouts, no rate limit;
    ``SettingsError`` without credentials."""
    fields: dict[str, Any] = {
        "max_attempts": 1,
        "timeout_s": min(settings.http_timeout, PROBE_TIMEOUT_S),
        "connect_timeout_s": PROBE_CONNECT_TIMEOUT_S,
        "adaptive": False,
    }
    return client_options(settings, **{**fields, **overrides})


def check_api(settings: Settings, now: Clock = _utcnow) -> Iterator[Line]:
    """The API's lines: reachable, credentials accepted, filter format, catalogue model(s),
    clock."""
    try:
        options = probe_options(settings)
    except SettingsError:
        yield from _skipped(API_CHECKS, "needs API credentials (see settings)")
        return
    with ApiClient(options) as client:
        before = now()
        reach = client.probe(ORDERS, {"itemsPerPage": 1}, authenticated=False)
        after = now()
        if reach.status is None:
            yield Line("api", "FAIL", f"API {settings.api_url} unreachable: {reach.error}")
            yield from _skipped(API_CHECKS[1:], "needs the API")
            return
        waited = (after - before).total_seconds()
        yield Line(
            "api", "ok", f"{settings.api_url} answered HTTP {reach.status} in {waited:.2f} s"
        )
        credentials = check_credentials(client, settings)
        yield credentials
        if credentials.status == "ok":
            yield check_filters(client, now())
            yield check_catalogue(client)
        else:
            yield from _skipped(("filters", "catalogue"), "needs accepted credentials")
        yield check_clock(reach, before + (after - before) / 2, settings.safety_margin_seconds)


def check_credentials(client: ApiClient, settings: Settings) -> Line:
    """A cheap authenticated GET (one order); on a 401, whether the other header form works."""
    probe = client.probe(ORDERS, {"itemsPerPage": 1})
    if probe.ok and probe.body is not None:
        total = total_items(probe.body)
        holds = f"; the account holds {total} orders" if total is not None else ""
        return Line("credentials", "ok", f"accepted{holds}")
    if probe.status == 401:
        return Line("credentials", "FAIL", f"refused: {probe.error}{_other_form(settings)}")
    if probe.status == 403:
        return Line("credentials", "FAIL", f"accepted but may not read orders: {probe.error}")
    return Line("credentials", "FAIL", f"GET {probe.url}: {probe.error}")


def _other_form(settings: Settings) -> str:
    """Whether the token is accepted in the other header form, and the setting that says so."""
    sent = settings.api_auth_scheme
    other = DEFAULT_SCHEME if sent == NO_SCHEME else NO_SCHEME
    with ApiClient(probe_options(settings, auth_scheme=other)) as client:
        accepted = client.probe(ORDERS, {"itemsPerPage": 1}).ok
    if accepted:
        return (
            f"; sent as {_header_form(sent)}, but accepted as {_header_form(other)}:"
            f" set KORSYNC_API_AUTH_SCHEME={other}"
        )
    return f" (sent as {_header_form(sent)}; {_header_form(other)} was refused too)"


def check_filters(client: ApiClient, at: dt.datetime) -> Line:
    """Which ``createdAt[...]`` filter format the API accepts (``korsync.api.filters``): a
    time is ok, only a date warns (orders are re-read a day at a time), none fails."""
    found = probe_time_format(client, at)
    refused = ", ".join(f.shown for f in found.refused)
    after = f" (refused: {refused})" if refused else ""
    if found.accepted is TimeFormat.DATE:
        return Line("filters", "WARN", f"date only: orders are re-read a day at a time{after}")
    if found.accepted is not None:
        return Line("filters", "ok", f"createdAt filters accept a {found.accepted.shown}{after}")
    if len(found.refused) == len(TimeFormat):
        return Line("filters", "FAIL", f"createdAt filters refused in every format: {refused}")
    return Line(
        "filters",
        "WARN",
        f"cannot tell which createdAt filter format the API accepts ({found.error}){after};"
        f" korsync sends a {DEFAULT.shown} and probes again when it syncs",
    )


def check_catalogue(client: ApiClient) -> Line:
    """Which catalogue model(s) the first catalog answers; 404 and 403 mean absent."""
    catalogs = client.probe(CATALOGS, {"itemsPerPage": 1})
    if not catalogs.ok or catalogs.body is None:
        return Line("catalogue", "FAIL", f"GET {catalogs.url}: {catalogs.error}")
    first = next(iter(members(catalogs.body) or []), None)
    if first is None:
        return Line("catalogue", "ok", "the account has no catalog yet; its model shows later")
    catalog_id = as_uuid(first.get("id")) if isinstance(first, dict) else None
    if catalog_id is None:
        return Line("catalogue", "FAIL", "the first catalog has no usable id")
    found = {
        segment: client.probe(f"{CATALOGS}/{catalog_id}/{segment}", {"itemsPerPage": 1})
        for segment, _ in CATALOGUE_MODELS
    }
    return _models_line(catalog_id, found)


def _models_line(catalog_id: uuid.UUID, found: dict[str, Probe]) -> Line:
    """Each model present or absent (403/404); any other answer, or neither model, fails."""
    parts, broken, present = [], [], []
    for segment, model in CATALOGUE_MODELS:
        probe = found[segment]
        if probe.ok:
            present.append(segment)
            parts.append(f"{segment} ({model}) present")
        elif probe.status in (403, 404):
            parts.append(f"{segment} ({model}) absent (HTTP {probe.status})")
        else:
            broken.append(f"{segment}: {probe.error}")
    where = f"catalog {catalog_id}: "
    if broken:
        return Line("catalogue", "FAIL", where + "; ".join(broken))
    if not present:
        return Line("catalogue", "FAIL", where + "neither model answered: " + ", ".join(parts))
    return Line("catalogue", "ok", where + ", ".join(parts))


def check_clock(reach: Probe, local: dt.datetime, margin_s: int) -> Line:
    """This machine's clock against the API's ``Date``: a difference beyond the watermark's
    safety margin (``KORSYNC_SAFETY_MARGIN_SECONDS``) warns."""
    if reach.date is None:
        return Line("clock", "WARN", "the API sent no Date header: the clock difference is unknown")
    # Date has whole seconds: the API's instant lies within the second after it.
    skew = (local - (reach.date + dt.timedelta(seconds=0.5))).total_seconds()
    way = "ahead of" if skew > 0 else "behind"
    said = f"this machine's clock is {abs(skew):.1f} s {way} the API's Date"
    if abs(skew) <= margin_s + 1:
        return Line("clock", "ok", f"{said} (limit KORSYNC_SAFETY_MARGIN_SECONDS={margin_s})")
    return Line(
        "clock",
        "WARN",
        f"{said}, beyond KORSYNC_SAFETY_MARGIN_SECONDS={margin_s}: watermarks are set from this"
        " clock, so set it right (NTP)",
    )


# ------------------------------------------------------------------------------------- command
def run_checks(app: AppContext, now: Clock = _utcnow) -> Iterator[Line]:
    """Every check's line, in order, as each finishes: the settings, then the database and API
    checks of the one account (or of each account of the accounts file, one after another,
    each line naming it)."""
    settings, line = check_settings(app)
    yield line
    several = settings is not None and (settings.accounts_file is not None or app.accounts)
    if settings is None or (several and line.status == "FAIL"):
        yield from _skipped(("database", *API_CHECKS), "needs valid settings")
        return
    if settings.accounts_file is None:
        yield check_database(settings)
        yield from check_api(settings, now)
        return
    for account in _accounts(app, settings):
        yield from (
            dataclasses.replace(line, account=f"account {account.name}")
            for line in (check_database(account.settings, account.schema),
                         *check_api(account.settings, now))
        )  # fmt: skip


def exit_status(lines: list[Line]) -> int:
    """0 when every check passed, ``EXIT_FAILED`` when one failed, else ``EXIT_WARNED`` when one
    warned."""
    statuses = {line.status for line in lines}
    if "FAIL" in statuses:
        return EXIT_FAILED
    return EXIT_WARNED if "WARN" in statuses else 0


def check_data(app: AppContext, lines: list[Line]) -> Iterator[tuple[Line, list[str]]]:
    """``--data``, for each account checked: how many rows have each typed column filled
    (``korsync.coverage``), and the inferred columns empty on every row (WARN); skipped for an
    account whose database check did not pass."""
    if not any(line.name == "database" and line.status == "ok" for line in lines):
        yield NO_DATABASE, []
        return
    settings = app.settings
    if settings.accounts_file is None:
        yield _data(settings.sqlalchemy_url, lines)
        return
    for account in _accounts(app, settings):
        whose = f"account {account.name}"
        line, table = _data(account.database_url(), [x for x in lines if x.account == whose])
        yield dataclasses.replace(line, account=whose), table


NO_DATABASE = Line("data", "skip", "needs the database (see database)")


def _data(url: URL, lines: list[Line]) -> tuple[Line, list[str]]:
    if not any(line.name == "database" and line.status == "ok" for line in lines):
        return NO_DATABASE, []
    engine = make_engine(url)
    try:
        found = coverage.collect(engine)
    finally:
        engine.dispose()
    status, message = coverage.verdict(found)
    return Line("data", status, message), coverage.render(found)


@click.command("check")
@shared_options
@account_option
@click.option(
    "--data",
    is_flag=True,
    help="Also report, per typed column of the mirror, how many rows have it filled and whether"
    " its API field name is documented or inferred; an inferred column empty on every row warns.",
)
@click.pass_context
def check(ctx: click.Context, data: bool) -> None:
    """Check the settings, database, API, credentials, filters, catalogue model and clock; run
    it first.

    One line per check. Exit 0 when all passed, 1 when one failed, 3 when none failed but one
    warned (e.g. a clock more than KORSYNC_SAFETY_MARGIN_SECONDS off the API's). After a sync,
    --data adds a line and a table of how full each typed column of the mirror is.
    """
    lines = []
    for line in run_checks(ctx.ensure_object(AppContext)):
        click.echo(line.render())
        lines.append(line)
    if data:
        for line, table in check_data(ctx.ensure_object(AppContext), lines):
            click.echo(line.render())
            click.echo("".join(f"  {row}\n" for row in table), nl=False)
            lines.append(line)
    code = exit_status(lines)
    failed = sum(line.status == "FAIL" for line in lines)
    warned = sum(line.status == "WARN" for line in lines)
    if code == 0:
        click.echo("all checks passed")
    else:
        click.echo(f"{failed} failed, {warned} warned (exit {code})")
    sys.exit(code)
