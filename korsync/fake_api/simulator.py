"""The ``Simulator``: one simulated KorusTicket account, its ground truth and its mutations.

It builds every organization's data from the ``SimConfig``, exposes the WSGI app, the
credentials and the clock, and offers the Python side of the control API: read the truth
exactly as the API would serve it, create orders through the ``_bulk`` path, cancel orders,
change or validate tickets, add documents, and change, disable or remove catalogue rows.
``tick`` lets time act: due arrivals (``arrival_rate``) and random changes (``change_rate``).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator
from typing import Any

from korsync.fake_api import bulk
from korsync.fake_api.app import Application
from korsync.fake_api.auth import TOKEN_PATH, Credentials, TokenStore, credentials
from korsync.fake_api.booking import beneficiary_for
from korsync.fake_api.catalogue import CATALOGUE_KINDS
from korsync.fake_api.clock import Clock
from korsync.fake_api.config import SimConfig
from korsync.fake_api.faults import Faults
from korsync.fake_api.keys import IdCodec, Rng, digest
from korsync.fake_api.mutations import Mutation, MutationLog
from korsync.fake_api.render import render_document, render_order, render_reservation, render_ticket
from korsync.fake_api.state import OrgState
from korsync.fake_api.timeline import burst_size

_UNSET: Any = object()
_MAX_ARRIVALS_PER_TICK = 100_000
_NO_ITEM_ENDPOINT = ("options", "option_values")


class Simulator:
    """A simulated account (see the module docstring); ``sim.wsgi`` is the app."""

    token_path = TOKEN_PATH

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.codec = IdCodec(self.config.seed)
        self.clock = Clock(self.config.start, self.config.clock_running)
        self.orgs = [OrgState(self.config, k, self.codec) for k in range(self.config.organizations)]
        self.credentials: list[Credentials] = [
            credentials(self.config.seed, k) for k in range(self.config.organizations)
        ]
        self.tokens = TokenStore(self.config.seed, self.credentials)
        self._start = int(self.config.start.timestamp())
        self._tick_lock = threading.Lock()
        self._arrived, self._changed, self._ticked = 0, 0, self._start
        self.wsgi = Application(self)
        self.ties: random.Random | None = None  # set: ties served in a new order per request
        self.mutations = MutationLog()  # every change applied, with the clock's time

    # ------------------------------------------------------------ access
    @property
    def faults(self) -> Faults:
        """The live fault settings (mutable while serving)."""
        return self.config.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self.config.faults = value

    @property
    def token(self) -> str:
        """A static bearer token of the default organization (never expires)."""
        return self.credentials[0].static_token

    @property
    def client_id(self) -> str:
        """OIDC client id of the default organization."""
        return self.credentials[0].client_id

    @property
    def client_secret(self) -> str:
        """OIDC client secret of the default organization."""
        return self.credentials[0].client_secret

    def inject(self, kind: str, count: int = 1, path_prefix: str = "") -> None:
        """Give the next ``count`` matching requests fault ``kind``.

        An empty ``path_prefix`` targets the API routes (``/v1/...``); a prefix such as
        ``/realms/`` targets the token endpoint. ``repeat_page`` waits for a collection
        request with ``page`` >= 2, ``unknown_field``/``bad_enum`` for a GET.
        """
        self.wsgi.picker.inject(kind, count, path_prefix)

    def _org_of(self, value: str) -> OrgState:
        decoded = self.codec.decode(value)
        if decoded is None or decoded.org >= len(self.orgs):
            raise KeyError(f"unknown id {value}")
        return self.orgs[decoded.org]

    # ------------------------------------------------------------- truth
    def order_count(self, org: int = 0) -> int:
        """Number of orders of organization ``org`` now."""
        self.tick()
        return self.orgs[org].order_count()

    def orders_truth(self, org: int = 0) -> Iterator[dict[str, Any]]:
        """Every order, oldest first, exactly as ``GET /v1/booking/orders/{id}`` returns it."""
        self.tick()
        state = self.orgs[org]
        with state.lock:
            window = state.orders.window()
        for offset in range(0, window.total, 500):
            with state.lock:
                indices = state.orders.ascending(window, offset, 500)
            for index in indices:
                yield render_order(state.names, state.order(index), state.patch(index), True)

    def order_truth(self, order_id: str) -> dict[str, Any]:
        """One order as the API returns it; raises ``KeyError`` for an unknown id."""
        state, record = self._order(order_id)
        return render_order(state.names, record, state.patch(record.index), True)

    def documents_truth(self, order_id: str) -> list[dict[str, Any]]:
        """The documents of an order as their item endpoint returns them."""
        state, record = self._order(order_id)
        patch = state.patch(record.index)
        return [
            render_document(state.names, record, d, True)
            for d in record.documents + (patch.documents if patch else [])
        ]

    def reservation_count(self, org: int = 0) -> int:
        """Number of reservations of organization ``org`` now."""
        self.tick()
        return self.orgs[org].reservation_count()

    def reservations_truth(self, org: int = 0) -> Iterator[dict[str, Any]]:
        """Every reservation, oldest first, as its item endpoint returns it."""
        self.tick()
        state, now = self.orgs[org], self.clock.timestamp()
        with state.lock:
            window = state.reservations.window()
        for offset in range(0, window.total, 500):
            with state.lock:
                indices = state.reservations.ascending(window, offset, 500)
            for index in indices:
                yield render_reservation(state.names, state.reservation(index), now, True)

    def catalogue_truth(
        self, org: int = 0, cascade: bool = False
    ) -> dict[str, list[dict[str, Any]]]:
        """Every catalogue row by kind, as its item endpoint (or collection) returns it.

        A row is listed unless it or its catalog was removed; with ``cascade`` also rows
        under any removed row (e.g. the tickets of a removed offer, which the API no longer
        reaches) are left out. Product bases include disabled ones (as ``withDisabled=true``
        lists them); kinds of the catalogue model the account is not on are empty.
        """
        catalogue = self.orgs[org].catalogue
        truth: dict[str, list[dict[str, Any]]] = {}
        for kind in CATALOGUE_KINDS:
            rows = [
                row
                for row in catalogue.all(kind)
                if catalogue.get("catalogs", row.catalog) and (not cascade or catalogue.live(row))
            ]
            render = catalogue.render if kind in _NO_ITEM_ENDPOINT else catalogue.render_top
            truth[kind] = [render(row) for row in rows]
        return truth

    # --------------------------------------------------------- mutations
    def _order(self, order_id: str) -> tuple[OrgState, Any]:
        state = self._org_of(order_id)
        record = state.find_order(order_id)
        if record is None:
            raise KeyError(f"unknown order {order_id}")
        return state, record

    def _at(self, when: dt.datetime | None) -> int:
        return int(when.timestamp()) if when is not None else self.clock.timestamp()

    def add_orders(
        self, n: int, created_at: dt.datetime | None = None, org: int = 0
    ) -> list[dict[str, Any]]:
        """Create ``n`` orders through the ``_bulk`` path, all in one second (default: now)."""
        state = self.orgs[org]
        records = bulk.generate_orders(self, state, n, self._at(created_at))
        return [render_order(state.names, r, None, True) for r in records]

    def delete_order(self, order_id: str) -> None:
        """Delete an order upstream (raises ``KeyError`` for an unknown or deleted id)."""
        state, record = self._order(order_id)
        state.delete_order(record)
        self._log("delete_order", order_id)

    def cancel_order(self, order_id: str, at: dt.datetime | None = None) -> dict[str, Any]:
        """Cancel an order (``cancelledAt`` = ``at`` or now) and return it."""
        state, record = self._order(order_id)
        was = self.order_truth(order_id)["status"]
        state.cancel(record, self._at(at))
        if was != "cancelled":
            self._log("cancel_order", order_id, {"status": "cancelled"})
        return self.order_truth(order_id)

    def update_ticket(
        self,
        order_id: str,
        ticket_id: str,
        *,
        voucher: str | None = _UNSET,
        beneficiary: dict[str, Any] | None = _UNSET,
        status: str = _UNSET,
        beneficiary_amendable: bool = _UNSET,
    ) -> dict[str, Any]:
        """Overwrite fields of one item ticket and return the ticket as the API does."""
        state, record = self._order(order_id)
        ref = state.ticket_by_id(record, ticket_id)
        if ref is None:
            raise KeyError(f"unknown ticket {ticket_id} in order {order_id}")
        given = {
            "voucher": voucher,
            "beneficiary": beneficiary,
            "status": status,
            "beneficiaryAmendable": beneficiary_amendable,
        }
        changes = {k: v for k, v in given.items() if v is not _UNSET}
        state.set_ticket(record, ref.flat, changes)
        self._log("update_ticket", ticket_id, changes)
        patch = state.patch(record.index)
        return render_ticket(state.names, record, patch, ref.line, ref.number, ref.flat, True)

    def validate_ticket(self, order_id: str, ticket_id: str | None = None) -> dict[str, Any]:
        """Validate one ticket (or every ticket) of an order: voucher, beneficiary, status."""
        state, record = self._order(order_id)
        refs = state.ticket_refs(record)
        if ticket_id is not None:
            found = state.ticket_by_id(record, ticket_id)
            if found is None:
                raise KeyError(f"unknown ticket {ticket_id} in order {order_id}")
            refs = [found]
        for ref in refs:
            ticket = render_ticket(
                state.names, record, state.patch(record.index), ref.line, ref.number, ref.flat
            )
            rng = Rng(digest(self.config.seed, record.index, ref.flat, 0x7A))
            changes: dict[str, Any] = {"status": "validated", "beneficiaryAmendable": False}
            changes["voucher"] = ticket["voucher"] or f"8555{rng.randrange(10**12):012d}"
            if ticket["requiredBeneficiaryFields"] and ticket["beneficiary"] is None:
                changes["beneficiary"] = beneficiary_for(rng)
            state.set_ticket(record, ref.flat, changes)
            self._log("update_ticket", ticket["id"], changes)
        return self.order_truth(order_id)

    def add_document(
        self, order_id: str, downloadable_at: dt.datetime | None = _UNSET
    ) -> dict[str, Any]:
        """Attach a new document (downloadable now unless told otherwise) and return it."""
        state, record = self._order(order_id)
        now = self.clock.timestamp()
        at = (
            now
            if downloadable_at is _UNSET
            else (None if downloadable_at is None else int(downloadable_at.timestamp()))
        )
        document = state.add_document(record, state.stamp(now), at)
        return render_document(state.names, record, document, True)

    def release_reservation(self, reservation_id: str) -> dict[str, Any]:
        """Release a reservation and return it."""
        state = self._org_of(reservation_id)
        record = state.find_reservation(reservation_id)
        if record is None:
            raise KeyError(f"unknown reservation {reservation_id}")
        state.release(record)
        return render_reservation(
            state.names, state.reservation(record.index), self.clock.timestamp(), True
        )

    def _row(self, kind: str, row_id: str) -> tuple[OrgState, Any]:
        if kind not in CATALOGUE_KINDS:
            raise KeyError(f"unknown catalogue kind {kind!r} (known: {', '.join(CATALOGUE_KINDS)})")
        for state in self.orgs:
            row = state.catalogue.get(kind, row_id)
            if row is not None:
                return state, row
        raise KeyError(f"unknown {kind} {row_id}")

    def update(self, kind: str, row_id: str, **fields: Any) -> dict[str, Any]:
        """Overwrite plain fields of a catalogue row (e.g. ``availableQuantity``, ``name``)."""
        state, row = self._row(kind, row_id)
        state.catalogue.update(row.id, fields)
        self._log("update", row_id, fields, kind)
        return state.catalogue.render_top(row)

    def disable_product_base(self, product_base_id: str, disabled: bool = True) -> dict[str, Any]:
        """Set ``disabled`` of a product base and return it."""
        return self.update("product_bases", product_base_id, disabled=disabled)

    def remove(self, kind: str, row_id: str) -> None:
        """Remove a catalogue row: it leaves its collections and its item answers 404."""
        state, row = self._row(kind, row_id)
        state.catalogue.remove(row.id)
        self._log("remove", row_id, kind=kind)

    def restore(self, kind: str, row_id: str) -> None:
        """List a removed catalogue row again (raises ``KeyError`` for an unknown one)."""
        for state in self.orgs:
            row = state.catalogue.find(row_id)
            if row is not None and row.kind == kind:
                state.catalogue.restore(row.id)
                self._log("restore", row_id, kind=kind)
                return
        raise KeyError(f"unknown {kind} {row_id}")

    def _log(
        self, action: str, target: str, changes: dict[str, Any] | None = None, kind: str = ""
    ) -> None:
        self.mutations.record(Mutation(self.clock.now(), action, target, changes or {}, kind))

    # -------------------------------------------------------------- time
    def tick(self) -> None:
        """Apply the arrivals and random changes that are due by the clock."""
        if not (self.config.arrival_rate or self.config.change_rate):
            return
        with self._tick_lock:
            now = self.clock.timestamp()
            elapsed = max(0, now - self._start)
            self._arrive(now, int(self.config.arrival_rate * elapsed) - self._arrived)
            self._change(int(self.config.change_rate * elapsed) - self._changed)
            self._ticked = max(self._ticked, now)

    def _arrive(self, now: int, due: int) -> None:
        if due <= 0:
            return
        due = min(due, _MAX_ARRIVALS_PER_TICK)
        rng = Rng(digest(self.config.seed, 0xA1, self._arrived))
        bursts: list[int] = []
        while sum(bursts) < due:
            bursts.append(min(burst_size(rng), due - sum(bursts)))
        earliest = min(now, self._ticked + 1)
        seconds = sorted(rng.randint(earliest, now) for _ in bursts)
        for second, size in zip(seconds, bursts, strict=True):
            for state in self.orgs:
                bulk.generate_orders(self, state, size, second)
        self._arrived += due

    def _change(self, due: int) -> None:
        for _ in range(max(0, due)):
            rng = Rng(digest(self.config.seed, 0xC4, self._changed))
            self._changed += 1
            for state in self.orgs:
                count = state.order_count()
                if count:
                    self._random_change(rng, state, rng.randrange(max(0, count - 1000), count))

    def _random_change(self, rng: random.Random, state: OrgState, index: int) -> None:
        order_id = state.names.order_id(state.order(index))
        draw = rng.random()
        if draw < 0.15:
            self.cancel_order(order_id)
        elif draw < 0.7:
            self.validate_ticket(order_id)
        else:
            self.add_document(order_id)

    def organization(self, org: int = 0) -> dict[str, Any]:
        """Public facts about organization ``org``: id, IRI, credentials, static token."""
        creds, state = self.credentials[org], self.orgs[org]
        return {
            "index": org,
            "id": state.id,
            "iri": state.iri,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "token": creds.static_token,
        }
