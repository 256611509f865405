"""``korsync fake-api``: run the simulator as a local HTTP server until Ctrl-C or SIGTERM.

Its data is dated relative to the moment it starts (orders up to an hour before it), unless
``--now`` pins that instant, so what korsync mirrors from it looks current. It prints the base
URL, the token endpoint, the OIDC client id and secret and a ready static bearer token (of every
organization), and ``export KORSYNC_API_URL=…``/``export KORSYNC_API_TOKEN=…`` lines to paste
into the shell that runs korsync; then it serves. ``--auth bare`` wants the token alone in
``Authorization``, as the API docs' curl examples send it; ``--forbidden-model events`` answers
the older catalogue model's routes with a 403; ``--created-filters date`` takes only
dates in ``createdAt[...]`` filters (a time gets a 400); ``--shape docs-orders`` and
``--shape iri-tickets`` serve shapes the API docs show (``fake_api.shapes``);
``--organizations N`` serves N organizations (korsync accounts), with ``--shared-catalogue`` one
catalogue (the same ids) at N prices; ``--rate-limit N``
answers beyond N requests per second per token with a 429 (``fake_api.ratelimit``). Loopback by
default; every option also reads ``KORSYNC_FAKE_API_*`` through the group's ``auto_envvar_prefix``.
"""

from __future__ import annotations

import datetime as dt
import shlex
import signal
import sys
import threading
from types import FrameType

import click

from korsync.fake_api.config import (
    AUTH_SHAPES,
    CATALOG_MODELS,
    FILTER_SHAPES,
    FORBIDDEN_MODELS,
    SimConfig,
)
from korsync.fake_api.faults import Faults
from korsync.fake_api.server import serve
from korsync.fake_api.shapes import SHAPES
from korsync.fake_api.simulator import Simulator


def _faults(ctx: click.Context, param: click.Parameter, value: str | None) -> Faults:
    try:
        return Faults.parse(value or "")
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _instant(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.datetime | None:
    """An ISO 8601 date or date-time; without an offset it is UTC."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date-time: {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def build_simulator(
    seed: int,
    orders: int,
    catalog_model: str,
    faults: Faults,
    latency_ms: float,
    arrival_rate: float,
    token_lifetime: int,
    organizations: int = 1,
    now: dt.datetime | None = None,
    auth: str = "bearer",
    created_filters: str = "time",
    forbidden_model: str = "none",
    shapes: tuple[str, ...] = (),
    rate_limit: float | None = None,
    shared_catalogue: bool = False,
) -> Simulator:
    """The simulator the command's options describe; ``now`` anchors its timeline (``None``:
    the simulator's fixed default instant)."""
    config = SimConfig(
        seed=seed,
        orders=orders,
        organizations=organizations,
        catalog_model=catalog_model,  # type: ignore[arg-type]  # click.Choice checked it
        faults=faults,
        latency_ms=latency_ms,
        arrival_rate=arrival_rate,
        token_lifetime=token_lifetime,
        now=now,
        auth=auth,  # type: ignore[arg-type]  # click.Choice checked it
        forbidden_model=forbidden_model,  # type: ignore[arg-type]  # click.Choice checked it
        created_filters=created_filters,  # type: ignore[arg-type]  # click.Choice checked it
        shapes=shapes,
        rate_limit=rate_limit,
        shared_catalogue=shared_catalogue,
    )
    return Simulator(config)


def _announce(sim: Simulator, base_url: str) -> None:
    click.echo(f"KorusTicket simulator listening on {base_url}")
    click.echo(f"  token endpoint: {base_url}{sim.token_path}")
    for org in range(len(sim.orgs)):
        facts = sim.organization(org)
        click.echo(f"  organization {org}: {facts['iri']}")
        click.echo(f"    client id:     {facts['client_id']}")
        click.echo(f"    client secret: {facts['client_secret']}")
        click.echo(f"    static token:  {facts['token']}")
    click.echo(f"  simulated clock starts at {sim.config.start.isoformat()} (--now pins it)")
    bare = sim.config.auth == "bare"
    header = sim.token if bare else f"Bearer {sim.token}"
    click.echo(f'  try: curl -H "Authorization: {header}" {base_url}/v1/booking/orders')
    click.echo("For korsync, in the shell that runs it:")
    click.echo(f"export KORSYNC_API_URL={shlex.quote(base_url)}")
    click.echo(f"export KORSYNC_API_TOKEN={shlex.quote(sim.token)}")
    if bare:
        click.echo("export KORSYNC_API_AUTH_SCHEME=none")
    click.echo("Press Ctrl-C to stop.")


@click.command("fake-api")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8800, show_default=True, type=click.IntRange(0, 65535))
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of all generated data.")
@click.option(
    "--orders",
    default=1000,
    show_default=True,
    type=click.IntRange(0),
    help="Orders per organization.",
)
@click.option(
    "--organizations",
    default=1,
    show_default=True,
    type=click.IntRange(1, 128),
    help="Organizations served, each with its own credentials and orders (korsync accounts).",
)
@click.option(
    "--shared-catalogue",
    is_flag=True,
    help="Every organization sees organization 0's catalogue (the same ids) at its own prices.",
)
@click.option(
    "--catalog-model", default="both", show_default=True, type=click.Choice(CATALOG_MODELS)
)
@click.option(
    "--forbidden-model",
    default="none",
    show_default=True,
    type=click.Choice(FORBIDDEN_MODELS),
    help="Answer every route of this catalogue model with a 403 (its data still exists), as an"
    " account kept from one model may be answered; korsync skips and reports those endpoints.",
)
@click.option(
    "--faults",
    "faults",
    default="",
    callback=_faults,
    metavar="SPEC",
    help='E.g. "429=0.05,500=0.02".',
)
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(0))
@click.option(
    "--arrival-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="New orders per second.",
)
@click.option(
    "--token-lifetime", default=1800, show_default=True, type=click.IntRange(1), help="Seconds."
)
@click.option(
    "--auth",
    default="bearer",
    show_default=True,
    type=click.Choice(AUTH_SHAPES),
    help="bare: Authorization is the token alone, as the API docs' curl examples send it, and"
    " 'Bearer <token>' gets a 401 (korsync needs KORSYNC_API_AUTH_SCHEME=none).",
)
@click.option(
    "--created-filters",
    default="time",
    show_default=True,
    type=click.Choice(FILTER_SHAPES),
    help="date: createdAt[...] filters take only a date (2025-06-02) and a time gets a 400, as"
    " the real API may (the docs' pattern is cut off after the date); korsync then reads orders"
    " a day at a time.",
)
@click.option(
    "--shape",
    "shapes",
    multiple=True,
    type=click.Choice(SHAPES),
    help="Serve a shape the API docs show (repeatable; none by default). docs-orders: orders as"
    " the docs' example of GET /v1/booking/orders/{id}, items without ids and documents as"
    " absolute URLs naming no id; iri-tickets: offers list their tickets as IRIs, served by the"
    " offer's /tickets collection.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(0, 1_000_000, min_open=True),
    metavar="N",
    help="Requests per second allowed per token (bursts of N); beyond it a 429 with Retry-After."
    " Default: unlimited. On exit it says how many requests were answered and refused.",
)
@click.option(
    "--now",
    callback=_instant,
    metavar="ISO-DATETIME",
    help="The simulated start instant (UTC unless an offset is given); default: the real now.",
)
def fake_api(
    host: str,
    port: int,
    seed: int,
    orders: int,
    organizations: int,
    shared_catalogue: bool,
    catalog_model: str,
    forbidden_model: str,
    faults: Faults,
    latency_ms: float,
    arrival_rate: float,
    token_lifetime: int,
    auth: str,
    created_filters: str,
    shapes: tuple[str, ...],
    rate_limit: float | None,
    now: dt.datetime | None,
) -> None:
    """Serve a simulated KorusTicket API (seeded data, opt-in faults) on HTTP."""
    sim = build_simulator(
        seed, orders, catalog_model, faults, latency_ms, arrival_rate, token_lifetime,
        organizations, now or dt.datetime.now(dt.UTC), auth, created_filters,
        forbidden_model=forbidden_model, shapes=shapes, rate_limit=rate_limit,
        shared_catalogue=shared_catalogue,
    )  # fmt: skip
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        with serve(sim, host, port) as base_url:
            _announce(sim, base_url)
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the address is taken or not ours: one line, not a traceback
        click.echo(
            f"korsync fake-api: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True
        )
        sys.exit(1)
    finally:
        signal.signal(signal.SIGTERM, previous)
        _report_rate_limit(sim)


def _report_rate_limit(sim: Simulator) -> None:
    """With ``--rate-limit``: how many requests were answered and refused, for a benchmark."""
    limit = sim.wsgi.rate_limit
    if limit is not None:
        total = limit.allowed + limit.refused
        share = limit.refused / total if total else 0.0
        click.echo(
            f"rate limit {limit.per_second:g}/s: {limit.allowed} answered,"
            f" {limit.refused} refused with 429 ({share:.1%})"
        )
    click.echo("stopped")
