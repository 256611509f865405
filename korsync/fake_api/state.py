"""One organization's live data: generated base records plus everything that changed since.

``OrgState`` owns the catalogue, the order/reservation generator, the records created after
start-up (``_bulk`` POSTs, ``add_orders``, arrivals) and the patches of changed orders. It
finds any order, item ticket, document or reservation from its id, slices the sorted
collections, and applies mutations under one lock. Only changes are kept in memory.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import Any

from korsync.fake_api.booking import (
    RESERVATION_TTL,
    Booking,
    DocumentRecord,
    OrderRecord,
    ReservationRecord,
    TicketState,
    build_pools,
)
from korsync.fake_api.catalogue_data import DAY, build_catalogue
from korsync.fake_api.config import SimConfig
from korsync.fake_api.generator import Generator, order_of, reservation_of
from korsync.fake_api.keys import IdCodec, Kind
from korsync.fake_api.render import Names, OrderPatch, documents_of
from korsync.fake_api.sequence import Merged
from korsync.fake_api.timeline import Timeline


@dataclass(frozen=True)
class TicketRef:
    """Where a ticket sits in its order: item ``line``, ticket ``number``, ``flat`` position."""

    line: int
    number: int
    flat: int


class OrgState:
    """Data of organization ``org`` (see the module docstring)."""

    def __init__(self, config: SimConfig, org: int, codec: IdCodec) -> None:
        start = int(config.start.timestamp())
        first = start - config.history_days * DAY
        self.org, self.codec = org, codec
        self.id = codec.encode(Kind.ORGANIZATION, org, 0, (first - 90 * DAY) * 1000)
        self.iri = f"/v1/organizations/{self.id}"
        self.names = Names(codec, org, self.iri)
        self.catalogue = build_catalogue(config, org, codec)
        timeline = Timeline(config.seed, org, config.orders, first, start - 3600)
        self.generator = Generator(config.seed, org, start, timeline, build_pools(self.catalogue))
        self.lock = threading.RLock()
        self.patches: dict[int, OrderPatch] = {}
        self.extra_orders: dict[int, OrderRecord] = {}
        self.extra_reservations: dict[int, ReservationRecord] = {}
        self.released: set[int] = set()
        self.deleted_orders: set[int] = set()
        self._stamp = (0, 0)
        self.orders = Merged(timeline.count, timeline.created, timeline.first_at_or_after, [])
        self.reservations = Merged(
            self.generator.reservation_count,
            self._reservation_key,
            self._first_reservation_at_or_after,
            [],
        )

    # ------------------------------------------------------------------ lookups
    def _reservation_key(self, index: int) -> int:
        order = order_of(index)
        if order is None:
            order = order_of(index - 1)
        assert order is not None
        return self.generator.timeline.created(order) - 240

    def _first_reservation_at_or_after(self, second: int) -> int:
        order = self.generator.timeline.first_at_or_after(second + 240)
        if order >= self.generator.order_count:
            return self.generator.reservation_count
        return reservation_of(order)

    def order(self, index: int) -> OrderRecord:
        """Order ``index`` as created (base or later)."""
        if index < self.generator.order_count:
            return self.generator.order(index)
        return self.extra_orders[index]

    def order_created(self, index: int) -> int:
        """The Unix second order ``index`` was created in."""
        return self.order(index).created

    def patch(self, index: int) -> OrderPatch | None:
        """What changed on order ``index`` since creation."""
        return self.patches.get(index)

    def order_count(self) -> int:
        """Number of orders now (those deleted upstream are gone)."""
        return self.generator.order_count + len(self.extra_orders) - len(self.deleted_orders)

    def _decode(self, value: str, kind: Kind) -> int | None:
        decoded = self.codec.decode(value)
        if decoded is None or decoded.kind != kind or decoded.org != self.org:
            return None
        return decoded.index

    def find_order(self, order_id: str) -> OrderRecord | None:
        """The order whose id is ``order_id`` in this organization, if any."""
        index = self._decode(order_id, Kind.ORDER)
        if index is None or not (index < self.generator.order_count or index in self.extra_orders):
            return None
        if index in self.deleted_orders:
            return None
        record = self.order(index)
        return record if self.names.order_id(record) == order_id else None

    def find_ticket(self, record: OrderRecord, item_id: str, ticket_id: str) -> TicketRef | None:
        """Where ticket ``ticket_id`` of item ``item_id`` is in ``record``, if it is there."""
        item, ticket = (
            self._decode(item_id, Kind.ORDER_ITEM),
            self._decode(ticket_id, Kind.ITEM_TICKET),
        )
        if item is None or ticket is None or item // 8 != record.index or ticket // 8 != item:
            return None
        line, number = item % 8, ticket % 8
        lines = record.booking.lines
        if line >= len(lines) or number >= len(lines[line].tickets):
            return None
        if self.names.ticket_id(record, line, number) != ticket_id:
            return None
        flat = sum(len(x.tickets) for x in lines[:line]) + number
        return TicketRef(line, number, flat)

    def ticket_by_id(self, record: OrderRecord, ticket_id: str) -> TicketRef | None:
        """Where ticket ``ticket_id`` is in ``record`` (item id not needed)."""
        ticket = self._decode(ticket_id, Kind.ITEM_TICKET)
        if ticket is None:
            return None
        item_id = self.names.item_id(record, (ticket // 8) % 8)
        return self.find_ticket(record, item_id, ticket_id)

    def ticket_refs(self, record: OrderRecord) -> list[TicketRef]:
        """Every ticket of ``record`` in order."""
        refs, flat = [], 0
        for line, content in enumerate(record.booking.lines):
            for number in range(len(content.tickets)):
                refs.append(TicketRef(line, number, flat))
                flat += 1
        return refs

    def find_document(self, record: OrderRecord, document_id: str) -> DocumentRecord | None:
        """Document ``document_id`` of ``record``, if it exists now."""
        for document in documents_of(record, self.patch(record.index)):
            if self.names.document_id(record, document) == document_id:
                return document
        return None

    def reservation(self, index: int) -> ReservationRecord:
        """Reservation ``index`` as it is now."""
        if index >= self.generator.reservation_count:
            return self.extra_reservations[index]
        record = self.generator.reservation(index)
        if index in self.released:
            record.status = "released"
        return record

    def find_reservation(self, reservation_id: str) -> ReservationRecord | None:
        """The reservation whose id is ``reservation_id`` in this organization, if any."""
        index = self._decode(reservation_id, Kind.RESERVATION)
        if index is None or not (
            index < self.generator.reservation_count or index in self.extra_reservations
        ):
            return None
        record = self.reservation(index)
        return (
            record if self.names.reservation_id(index, record.unix_ms) == reservation_id else None
        )

    def reservation_count(self) -> int:
        """Number of reservations now."""
        return self.generator.reservation_count + len(self.extra_reservations)

    # ---------------------------------------------------------------- mutations
    def stamp(self, at: int) -> int:
        """A Unix millisecond within second ``at`` for a new id, later than the previous one."""
        with self.lock:
            second, slot = self._stamp
            slot = slot + 1 if second == at else 0
            self._stamp = (at, slot)
            return at * 1000 + min(999, slot * 11)

    def _patch_for(self, index: int) -> OrderPatch:
        return self.patches.setdefault(index, OrderPatch())

    def cancel(self, record: OrderRecord, at: int) -> None:
        """Cancel ``record`` at Unix second ``at`` (no-op when already cancelled)."""
        with self.lock:
            patch = self._patch_for(record.index)
            if patch.status is None and record.cancelled_at is None:
                patch.status, patch.cancelled_at = "cancelled", at

    def delete_order(self, record: OrderRecord) -> None:
        """Delete ``record`` upstream: gone from the collection, its count and its endpoint."""
        with self.lock:
            if record.index in self.deleted_orders:
                return
            self.deleted_orders.add(record.index)
            if record.index < self.generator.order_count:
                bisect.insort(self.orders.removed, record.index)
            else:
                self.orders.extras.remove((record.created, record.index))

    def set_ticket(self, record: OrderRecord, flat: int, changes: dict[str, Any]) -> None:
        """Overwrite changeable fields (voucher, beneficiary, beneficiaryAmendable, status)."""
        with self.lock:
            self._patch_for(record.index).tickets.setdefault(flat, {}).update(changes)

    def add_document(
        self, record: OrderRecord, at_ms: int, downloadable: int | None
    ) -> DocumentRecord:
        """Attach a new document to ``record``; raises ``ValueError`` past 16 documents."""
        with self.lock:
            patch = self._patch_for(record.index)
            number = len(documents_of(record, patch))
            if number >= 16:
                raise ValueError("an order holds at most 16 documents in the simulator")
            document = DocumentRecord(number, at_ms, downloadable)
            patch.documents.append(document)
            return document

    def release(self, record: ReservationRecord) -> None:
        """Mark a reservation released."""
        with self.lock:
            if record.index < self.generator.reservation_count:
                self.released.add(record.index)
            else:
                record.status = "released"

    def new_reservation(self, booking: Booking, at: int) -> ReservationRecord:
        """Store a new reservation created at ``at`` (``_bulk`` POST path)."""
        with self.lock:
            index = self.reservation_count()
            record = ReservationRecord(index, at, self.stamp(at), at + RESERVATION_TTL, booking)
            self.extra_reservations[index] = record
            bisect.insort(self.reservations.extras, (at, index))
            return record

    def new_order(
        self,
        reservation: ReservationRecord,
        customer: dict[str, Any],
        external_reference: str | None,
        at: int,
    ) -> OrderRecord:
        """Confirm ``reservation`` into a new order created at ``at`` (``_bulk`` POST path)."""
        with self.lock:
            index, unix_ms = self.order_count(), self.stamp(at)
            tickets = [
                TicketState("waiting_beneficiary_data", None, None, True)
                for line in reservation.booking.lines
                for _ in line.tickets
            ]
            record = OrderRecord(
                index=index,
                created=at,
                unix_ms=unix_ms,
                reservation_index=reservation.index,
                reservation_ms=reservation.unix_ms,
                booking=reservation.booking,
                customer=customer,
                reference=f"KT-ORD-{100000 + index}",
                external_reference=external_reference,
                connector_reference=None,
                tickets=tickets,
                documents=[],
            )
            self.extra_orders[index] = record
            bisect.insort(self.orders.extras, (at, index))
            reservation.order_index, reservation.order_ms = index, unix_ms
            return record
