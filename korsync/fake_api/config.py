"""The simulator's settings: one ``SimConfig`` that decides the whole generated world.

Two simulators built from equal configs serve identical data (ids, timestamps, names): the
seed drives every draw and ``now`` (default a fixed instant) anchors the timeline, so base
orders span ``history_days`` up to one hour before ``now``. The clock then runs with wall time
unless ``clock_running`` is false; ``arrival_rate`` new orders per second of simulated time
arrive in bursts, and ``change_rate`` random changes per second touch existing orders.
``auth="bare"`` wants the token alone in ``Authorization`` (as the docs' curl examples send it)
and refuses ``Bearer <token>`` with a 401; the default ``"bearer"`` is the reverse.
``created_filters="date"`` accepts only a date (``2025-06-02``) in ``createdAt[...]`` filters and
answers a time with a 400 naming the filter (the docs' pattern is cut off after the date, so
the real API may); the default ``"time"`` also takes a date-time, with or without a zone.
``forbidden_model="events"`` (or ``"product_bases"``) answers every route of that catalogue
model with a 403, as an account kept from one model may be answered; ``"none"`` (the default)
forbids nothing. Unlike a model the account is not on (404), its rows still exist: offers and
products of it are still listed, and offer tickets still point at its forms.
``rate_limit`` (requests per second per token, ``None``: unlimited) answers requests beyond it
with a 429 and ``Retry-After`` (``korsync.fake_api.ratelimit``).
``shared_catalogue`` gives every organization organization 0's catalogue (same ids) at prices
of its own (``korsync.fake_api.catalogue_data``).
``shapes`` names opt-in response shapes the API docs show (``korsync.fake_api.shapes``:
``docs-orders``, ``iri-tickets``); none by default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from korsync.fake_api.faults import Faults
from korsync.fake_api.keys import MAX_INDEX, MAX_ORGANIZATIONS
from korsync.fake_api.shapes import SHAPES

CatalogModel = Literal["both", "product_bases", "events"]
CATALOG_MODELS: tuple[CatalogModel, ...] = ("both", "product_bases", "events")
AuthShape = Literal["bearer", "bare"]
AUTH_SHAPES: tuple[AuthShape, ...] = ("bearer", "bare")
FilterShape = Literal["time", "date"]
FILTER_SHAPES: tuple[FilterShape, ...] = ("time", "date")
ForbiddenModel = Literal["none", "product_bases", "events"]
FORBIDDEN_MODELS: tuple[ForbiddenModel, ...] = ("none", "product_bases", "events")
DEFAULT_NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)


@dataclass
class SimConfig:
    """Everything that shapes a simulated KorusTicket account (see the module docstring)."""

    seed: int = 0
    orders: int = 1000
    organizations: int = 1
    catalogs: int = 2
    catalog_model: CatalogModel = "both"
    token_lifetime: int = 1800
    auth: AuthShape = "bearer"
    created_filters: FilterShape = "time"
    forbidden_model: ForbiddenModel = "none"
    latency_ms: float = 0.0
    arrival_rate: float = 0.0
    change_rate: float = 0.0
    faults: Faults = field(default_factory=Faults)
    now: dt.datetime | None = None
    clock_running: bool = True
    history_days: int = 365
    shapes: tuple[str, ...] = ()
    rate_limit: float | None = None
    shared_catalogue: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.orders < MAX_INDEX // 1024:
            raise ValueError(f"orders must be within 0..{MAX_INDEX // 1024 - 1}")
        if not 1 <= self.organizations <= MAX_ORGANIZATIONS:
            raise ValueError(f"organizations must be within 1..{MAX_ORGANIZATIONS}")
        if not 1 <= self.catalogs <= 20:
            raise ValueError("catalogs must be within 1..20")
        if self.catalog_model not in CATALOG_MODELS:
            raise ValueError(f"catalog_model must be one of {', '.join(CATALOG_MODELS)}")
        if self.auth not in AUTH_SHAPES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_SHAPES)}")
        if self.created_filters not in FILTER_SHAPES:
            raise ValueError(f"created_filters must be one of {', '.join(FILTER_SHAPES)}")
        if self.forbidden_model not in FORBIDDEN_MODELS:
            raise ValueError(f"forbidden_model must be one of {', '.join(FORBIDDEN_MODELS)}")
        unknown = set(self.shapes) - set(SHAPES)
        if unknown:
            raise ValueError(f"shapes must be among {', '.join(SHAPES)}: not {sorted(unknown)}")
        if self.token_lifetime < 1 or self.history_days < 1:
            raise ValueError("token_lifetime and history_days must be positive")
        if min(self.latency_ms, self.arrival_rate, self.change_rate) < 0:
            raise ValueError("latency_ms, arrival_rate and change_rate must not be negative")
        if self.rate_limit is not None and not 0 < self.rate_limit < float("inf"):
            raise ValueError("rate_limit must be a positive number of requests per second")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")

    @property
    def start(self) -> dt.datetime:
        """The simulated instant the simulator starts at (second precision, UTC)."""
        start = (self.now or DEFAULT_NOW).astimezone(dt.UTC)
        return start.replace(microsecond=0)

    @property
    def has_product_bases(self) -> bool:
        """Whether the newer ProductBase model is served."""
        return self.catalog_model in ("both", "product_bases")

    @property
    def has_events(self) -> bool:
        """Whether the older Event/Session/Form model is served."""
        return self.catalog_model in ("both", "events")
