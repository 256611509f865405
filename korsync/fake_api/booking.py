"""Bookings as plain records, and the seeded generator of one order or reservation.

A ``Booking`` (catalog + item lines + issued tickets) is what a reservation holds and what its
order confirms. ``Bookable`` is the snapshot of an offer a booking is made from, taken from the
catalogue rows (so generated orders and ``_bulk`` POSTs share one path). The record types carry
everything needed to render an order or reservation; base records are pure functions of
(seed, organization, index), records created later live in memory.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from korsync.fake_api import words
from korsync.fake_api.catalogue import Catalogue, Row

DAY = 86_400
RESERVATION_LEAD = 240  # seconds between a reservation and the order made from it
RESERVATION_TTL = 900


@dataclass(frozen=True)
class Bookable:
    """What a booking needs to know about one offer."""

    catalog_iri: str
    offer_iri: str
    product_iri: str
    day: str | None
    unit_incl: Decimal
    unit_excl: Decimal
    vat: Decimal
    excl_known: bool
    beneficiary: bool
    event_iri: str | None
    tickets: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # (ticket IRI, sessions)
    sold_out: bool = False
    day_start: int | None = None  # 09:00 UTC on ``day``: when an all-day ticket occurs
    texts: tuple[tuple[str, str], ...] = ()  # money strings (incl, excl) for quantity 0..8

    def amounts(self, quantity: int) -> tuple[str, str]:
        """Money strings (incl., excl. tax) of ``quantity`` units."""
        if quantity < len(self.texts):
            return self.texts[quantity]
        return words.money(self.unit_incl * quantity), words.money(self.unit_excl * quantity)


def bookable(catalogue: Catalogue, offer: Row) -> Bookable:
    """The snapshot of ``offer`` as it is now."""
    tickets = []
    for ticket_id in offer.links["tickets"]:
        ticket = catalogue.find(ticket_id)
        if ticket is not None:
            tickets.append((ticket.iri, tuple(ticket.links["sessions"])))
    catalog = catalogue.find(offer.catalog)
    incl = Decimal(offer.fields["price"]["amountInclTax"])
    excl = words.excl_tax(incl, offer.links["vat"])
    texts = tuple((words.money(incl * q), words.money(excl * q)) for q in range(9))
    return Bookable(
        catalog_iri=catalog.iri if catalog else "",
        offer_iri=offer.iri,
        product_iri=offer.links["product_iri"],
        day=offer.fields["date"],
        unit_incl=incl,
        unit_excl=excl,
        vat=offer.links["vat"],
        excl_known=offer.links["excl_known"],
        beneficiary=offer.links["beneficiary"],
        event_iri=offer.links["event_iri"],
        tickets=tuple(tickets),
        sold_out=offer.fields["availableQuantity"] == 0,
        day_start=_nine_am(offer.fields["date"]),
        texts=texts,
    )


def _nine_am(day: str | None) -> int | None:
    if day is None:
        return None
    return int(dt.datetime.fromisoformat(day + "T09:00:00+00:00").timestamp())


@dataclass
class Pool:
    """The offers of one catalog that generated orders pick from."""

    catalog_iri: str
    dated: list[Bookable] = field(default_factory=list)
    days: list[int] = field(default_factory=list)
    undated: list[Bookable] = field(default_factory=list)

    def pick(self, rng: random.Random, when: int) -> Bookable:
        """An offer bookable at Unix second ``when`` (dated within 60 days when possible)."""
        today = dt.datetime.fromtimestamp(when, dt.UTC).date().toordinal()
        low = bisect.bisect_left(self.days, today)
        high = bisect.bisect_right(self.days, today + 60)
        if low < high and (not self.undated or rng.random() < 0.8):
            return self.dated[rng.randrange(low, high)]
        if self.undated:
            return rng.choice(self.undated)
        return rng.choice(self.dated)


def build_pools(catalogue: Catalogue) -> list[Pool]:
    """One pool per catalog, from the catalogue as it is at start-up."""
    pools = []
    for catalog in catalogue.all("catalogs"):
        pool = Pool(catalog.iri)
        offers = [bookable(catalogue, row) for row in catalogue.children("offers", catalog.id)]
        for offer in sorted((o for o in offers if o.day), key=lambda o: o.day or ""):
            pool.dated.append(offer)
            pool.days.append(dt.date.fromisoformat(offer.day or "").toordinal())
        pool.undated = [o for o in offers if not o.day]
        if pool.dated or pool.undated:
            pools.append(pool)
    return pools


@dataclass(frozen=True)
class Line:
    """One item of a booking: an offer, a quantity and the tickets it issues."""

    offer: Bookable
    quantity: int
    tickets: tuple[tuple[str, str | None, int | None], ...]  # (offer ticket, session, occurs)


@dataclass(frozen=True)
class Booking:
    """A reservation's content (and the order's when confirmed)."""

    catalog_iri: str
    lines: tuple[Line, ...]


def make_line(
    rng: random.Random, offer: Bookable, quantity: int, chosen: dict[str, str] | None = None
) -> Line:
    """The tickets issued for ``quantity`` units of ``offer`` (at most 8).

    ``chosen`` maps offer-ticket IRIs to the session IRI the buyer picked; other tickets
    get a seeded session when they need one.
    """
    tickets: list[tuple[str, str | None, int | None]] = []
    for _ in range(quantity):
        for ticket_iri, sessions in offer.tickets:
            session, occurs = _session(rng, sessions, chosen.get(ticket_iri) if chosen else None)
            if occurs is None:
                occurs = offer.day_start
            tickets.append((ticket_iri, session, occurs))
    return Line(offer, quantity, tuple(tickets[:8]))


def _session(
    rng: random.Random, sessions: tuple[tuple[str, int], ...], wanted: str | None
) -> tuple[str | None, int | None]:
    if not sessions:
        return None, None
    picked = [s for s in sessions if s[0] == wanted] if wanted else []
    return (picked or [rng.choice(sessions)])[0]


def make_booking(rng: random.Random, pools: list[Pool], when: int) -> Booking:
    """A seeded booking of 1-3 items from one catalog."""
    pool = rng.choice(pools)
    count = 1 if rng.random() < 0.7 else rng.randint(2, 3)
    lines = [
        make_line(rng, pool.pick(rng, when), rng.choice((1, 1, 2, 2, 3, 4))) for _ in range(count)
    ]
    return Booking(pool.catalog_iri, tuple(lines))


def make_customer(rng: random.Random) -> dict[str, Any]:
    """A customer as the order's ``customer`` object (optional fields sometimes absent)."""
    first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
    customer: dict[str, Any] = {
        "firstname": first,
        "lastname": last,
        "email": f"client{rng.randrange(10**6)}@example.com",
    }
    if rng.random() < 0.8:
        customer["phone"] = f"+336{rng.randrange(10**8):08d}"
    customer["optin"] = rng.random() < 0.3
    if rng.random() < 0.9:
        customer["country"] = rng.choice(words.COUNTRIES)
        customer["language"] = rng.choice(words.LANGUAGES)
    if rng.random() < 0.6:
        customer["title"] = rng.choice(words.TITLES)
    return customer


@dataclass
class TicketState:
    """The changeable part of one issued ticket."""

    status: str
    voucher: str | None
    beneficiary: dict[str, Any] | None
    amendable: bool


@dataclass(frozen=True)
class DocumentRecord:
    """One document of an order: its number within the order and availability time."""

    number: int
    unix_ms: int
    downloadable_at: int | None


@dataclass
class ReservationRecord:
    """A reservation; ``order_index`` is set once it was confirmed."""

    index: int
    created: int
    unix_ms: int
    expires: int
    booking: Booking
    status: str = "reserved"
    order_index: int | None = None
    order_ms: int | None = None
    seats: str = "UNKNOWN"


@dataclass
class OrderRecord:
    """An order as created (its later changes live in ``OrderPatch``)."""

    index: int
    created: int
    unix_ms: int
    reservation_index: int
    reservation_ms: int
    booking: Booking
    customer: dict[str, Any]
    reference: str
    external_reference: str | None
    connector_reference: str | None
    tickets: list[TicketState]
    documents: list[DocumentRecord]
    cancelled_at: int | None = None


def voucher_for(rng: random.Random) -> str:
    """A 16-digit voucher number."""
    return f"8555{rng.randrange(10**12):012d}"


def beneficiary_for(rng: random.Random) -> dict[str, Any]:
    """A filled-in beneficiary with some optional fields null."""
    return {
        "firstname": rng.choice(words.FIRST_NAMES),
        "lastname": rng.choice(words.LAST_NAMES),
        "email": None if rng.random() < 0.5 else "beneficiaire@example.com",
        "phone": None,
        "title": rng.choice((*words.TITLES, None)),
        "dateOfBirth": None if rng.random() < 0.5 else f"19{rng.randrange(50, 99)}-04-12",
        "placeOfBirth": None,
        "nationality": rng.choice(("FR", None)),
    }
