"""Base orders and reservations of one organization, each a pure function of its index.

Order *i* is created at ``Timeline.created(i)``; its reservation is made four minutes earlier.
Reservations are numbered so that every tenth one (``j % 10 == 9``) was never ordered (it
expired or was released); the others map to orders by ``i = j - j // 10``. Ticket states,
documents and cancellations depend on the order's age at the simulator's start, so recent
orders still wait for beneficiaries and documents while old ones are complete.
"""

from __future__ import annotations

import random
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from korsync.fake_api.booking import (
    DAY,
    RESERVATION_LEAD,
    RESERVATION_TTL,
    Booking,
    DocumentRecord,
    OrderRecord,
    Pool,
    ReservationRecord,
    TicketState,
    beneficiary_for,
    make_booking,
    make_customer,
    voucher_for,
)
from korsync.fake_api.keys import Rng, digest
from korsync.fake_api.timeline import Timeline

_EXTERNAL = re.compile(r"^(?:WEB|CSE|APP)-(\d{7,})$")
_PREFIXES = ("WEB-", "CSE-", "APP-")
_CACHED_ORDERS = 2048


def reservation_of(order_index: int) -> int:
    """The base reservation index of base order ``order_index``."""
    return order_index + order_index // 9


def order_of(reservation_index: int) -> int | None:
    """The base order index of base reservation ``reservation_index`` (``None``: never ordered)."""
    if reservation_index % 10 == 9:
        return None
    return reservation_index - reservation_index // 10


@dataclass
class Generator:
    """Generates base records for one organization."""

    seed: int
    org: int
    start: int
    timeline: Timeline
    pools: list[Pool]
    _cache: OrderedDict[int, OrderRecord] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def order_count(self) -> int:
        """Number of base orders."""
        return self.timeline.count

    @property
    def reservation_count(self) -> int:
        """Number of base reservations."""
        count = self.timeline.count
        return reservation_of(count - 1) + 1 if count else 0

    def _rng(self, *parts: int) -> random.Random:
        return Rng(digest(self.seed, self.org, *parts))

    def order(self, index: int) -> OrderRecord:
        """Base order ``index`` as it was at the simulator's start (recent ones cached).

        Records are never changed after generation (changes live in patches), so a cached
        record can be shared.
        """
        with self._lock:
            record = self._cache.get(index)
            if record is not None:
                self._cache.move_to_end(index)
                return record
        record = self._generate(index)
        with self._lock:
            self._cache[index] = record
            if len(self._cache) > _CACHED_ORDERS:
                self._cache.popitem(last=False)
        return record

    def _generate(self, index: int) -> OrderRecord:
        created, unix_ms = self.timeline.created(index), self.timeline.millis(index)
        rng = self._rng(0x0D, index)
        booking = make_booking(rng, self.pools, created)
        record = OrderRecord(
            index=index,
            created=created,
            unix_ms=unix_ms,
            reservation_index=reservation_of(index),
            reservation_ms=unix_ms - RESERVATION_LEAD * 1000,
            booking=booking,
            customer=make_customer(rng),
            reference=f"KT-ORD-{100000 + index}",
            external_reference=self.external_reference(index),
            connector_reference=None if rng.random() < 0.4 else str(rng.randrange(10**6)),
            tickets=self._tickets(rng, booking, self.start - created),
            documents=[],
        )
        record.documents = self._documents(rng, record)
        record.cancelled_at = self._cancelled_at(rng, created)
        return record

    def external_reference(self, index: int) -> str | None:
        """The distributor's reference of base order ``index`` (``None`` for about 20%)."""
        if digest(self.seed, self.org, 0xE7, index) % 5 == 0:
            return None
        return f"{_PREFIXES[index % 3]}{index:07d}"

    def order_for_external_reference(self, value: str) -> int | None:
        """The base order index whose external reference is ``value``, if any."""
        match = _EXTERNAL.match(value)
        if not match or int(match[1]) >= self.order_count:
            return None
        index = int(match[1])
        return index if self.external_reference(index) == value else None

    def _tickets(self, rng: random.Random, booking: Booking, age: int) -> list[TicketState]:
        states = []
        for line in booking.lines:
            for _ in line.tickets:
                if line.offer.beneficiary:
                    done = rng.random() < (0.85 if age > 7 * DAY else 0.3)
                else:
                    done = age > 2 * DAY or rng.random() < 0.6
                states.append(
                    TicketState(
                        status="validated" if done else "waiting_beneficiary_data",
                        voucher=voucher_for(rng) if done else None,
                        beneficiary=beneficiary_for(rng)
                        if done and line.offer.beneficiary
                        else None,
                        amendable=not done or rng.random() < 0.2,
                    )
                )
        return states

    def _documents(self, rng: random.Random, record: OrderRecord) -> list[DocumentRecord]:
        age = self.start - record.created
        waiting = any(state.status != "validated" for state in record.tickets)
        if waiting or (age < 3 * DAY and rng.random() < 0.5):
            return []
        documents = []
        for number in range(1 if rng.random() < 0.8 else 2):
            at = record.created + 300 + number
            downloadable = None if rng.random() < 0.05 else at
            documents.append(DocumentRecord(number, at * 1000, downloadable))
        return documents

    def _cancelled_at(self, rng: random.Random, created: int) -> int | None:
        if rng.random() >= 0.05:
            return None
        at = created + rng.randrange(3600, 30 * DAY)
        return at if at < self.start else None

    def reservation(self, index: int) -> ReservationRecord:
        """Base reservation ``index`` as it was at the simulator's start."""
        order_index = order_of(index)
        if order_index is None:
            return self._abandoned(index)
        order = self.order(order_index)
        created = order.created - RESERVATION_LEAD
        return ReservationRecord(
            index=index,
            created=created,
            unix_ms=order.reservation_ms,
            expires=created + RESERVATION_TTL,
            booking=order.booking,
            order_index=order_index,
            order_ms=order.unix_ms,
            seats=self._seats(index),
        )

    def _abandoned(self, index: int) -> ReservationRecord:
        previous = self.reservation(index - 1)
        rng = self._rng(0x5E, index)
        booking = make_booking(rng, self.pools, previous.created)
        return ReservationRecord(
            index=index,
            created=previous.created,
            unix_ms=previous.unix_ms + 1,
            expires=previous.created + RESERVATION_TTL + rng.choice((0, 300)),
            booking=booking,
            status="released" if rng.random() < 0.5 else "reserved",
            seats=self._seats(index),
        )

    def _seats(self, index: int) -> str:
        draw = digest(self.seed, self.org, 0x5A, index) % 10
        return "ADJACENT" if draw == 0 else "NON_ADJACENT" if draw == 1 else "UNKNOWN"
