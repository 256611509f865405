"""The streams korsync knows, each declared once, and running a chosen set in dependency order.

A stream's declaration names how one pass runs and the setting that spaces the daemon's runs
(the audit is one, run by the daemon and ``korsync audit``, not by a plain ``korsync sync``);
the CLI's choices, the daemon's jobs, its locks and metrics labels, and ``status``'s staleness
all read ``STREAMS``. ``run_streams`` runs each stream on its own; one failing does not stop the
others, and the result says which failed and why. The catalogue goes first so that orders find
their products.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.config import Settings
from korsync.db.errors import describe
from korsync.sync.audit import audit_orders
from korsync.sync.catalogue import sync_catalogue
from korsync.sync.documents import sync_documents
from korsync.sync.orders import OrdersOptions, reconcile_orders, sync_orders
from korsync.sync.reservations import sync_reservations
from korsync.sync.runner import PrerequisiteBusy, StreamBusy, StreamRun

log = logging.getLogger("korsync.sync")


@dataclasses.dataclass(frozen=True)
class SyncOptions:
    """Per-stream knobs from the settings."""

    orders: OrdersOptions = dataclasses.field(default_factory=OrdersOptions)
    documents_per_run: int = 200
    audit_sample_percent: float = 1.0


StreamFn = Callable[[ApiClient, sessionmaker[Session], SyncOptions], StreamRun]


@dataclasses.dataclass(frozen=True)
class Stream:
    """One stream: a pass of it, the setting holding the seconds between the daemon's runs,
    and whether ``korsync sync`` without ``--stream`` runs it (the audit has its own command)."""

    run: StreamFn
    interval_setting: str
    in_sync: bool = True


# An orders pass lasts seconds in tail mode: a scheduled audit meeting one waits for it rather
# than skip its turn, which would put the next audit a whole interval (a day) away.
AUDIT_LOCK_WAIT_S = 60.0

STREAMS: dict[str, Stream] = {
    "catalogue": Stream(lambda c, s, o: sync_catalogue(c, s), "catalogue_interval"),
    "orders": Stream(lambda c, s, o: sync_orders(c, s, o.orders), "orders_interval"),
    "reconcile": Stream(lambda c, s, o: reconcile_orders(c, s, o.orders), "reconcile_interval"),
    "documents": Stream(
        lambda c, s, o: sync_documents(c, s, o.documents_per_run), "documents_interval"
    ),
    "reservations": Stream(lambda c, s, o: sync_reservations(c, s), "reservations_interval"),
    "audit": Stream(
        lambda c, s, o: (
            audit_orders(
                c, s, o.orders, sample_percent=o.audit_sample_percent, lock_wait=AUDIT_LOCK_WAIT_S
            ).run
        ),
        "audit_interval",
        in_sync=False,
    ),
}


def intervals(settings: Settings, names: Sequence[str] = ()) -> dict[str, float]:
    """Seconds between the daemon's runs of each stream (default: all), in ``STREAMS`` order."""
    return {
        name: float(getattr(settings, stream.interval_setting))
        for name, stream in STREAMS.items()
        if not names or name in names
    }


@dataclasses.dataclass
class StreamOutcome:
    """What one stream's pass ended with."""

    name: str
    run: StreamRun | None
    error: str | None = None
    skipped: str | None = None  # why it did not run (another process is running it)
    retry_soon: bool = False  # skipped, and nobody ran it in its place (``PrerequisiteBusy``)

    @property
    def ok(self) -> bool:
        return self.error is None


def run_streams(
    client: ApiClient,
    sessions: sessionmaker[Session],
    options: SyncOptions,
    names: Sequence[str] = (),
) -> list[StreamOutcome]:
    """Run the named streams (default: those ``in_sync``) once each, in ``STREAMS`` order. A
    stream's failure is its outcome's; a database out of reach (``OperationalError``) is
    raised, for all."""
    unknown = set(names) - set(STREAMS)
    if unknown:
        raise ValueError(f"unknown stream(s): {', '.join(sorted(unknown))}")
    outcomes = []
    for name, stream in STREAMS.items():
        if (names and name not in names) or (not names and not stream.in_sync):
            continue
        try:
            outcomes.append(StreamOutcome(name, stream.run(client, sessions, options)))
        except StreamBusy as exc:
            retry = isinstance(exc, PrerequisiteBusy)
            outcomes.append(StreamOutcome(name, None, skipped=str(exc), retry_soon=retry))
        except (OperationalError, InterfaceError):
            raise  # the database is out of reach: the other streams cannot run either
        except Exception as exc:  # recorded in sync_runs by StreamRun; the others still run
            outcomes.append(StreamOutcome(name, None, describe(exc)))
    return outcomes
