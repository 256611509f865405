"""The seeded catalogue generator: catalogs, both catalogue models, offers and forms.

``build_catalogue`` makes one organization's rows from (seed, organization): per catalog the
newer model (product bases with options and values, products, dated offers with tickets and
time slots) and/or the older one (events with sessions, catalog-level products, offers whose
tickets open event sessions, forms with fields and choices), as ``SimConfig.catalog_model``
says. Offer dates cover the order history and three months ahead. With
``SimConfig.shared_catalogue`` every organization sees organization 0's catalogue (the same
ids, names and structure) at its own prices: organization ``k`` pays ``k`` euros more per
product, as a distributor's catalogue sold to several client organizations.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from korsync.fake_api import words
from korsync.fake_api.catalogue import Catalogue, Row
from korsync.fake_api.config import SimConfig
from korsync.fake_api.keys import IdCodec, Kind, Rng, digest, genid

DAY = 86_400
SLOT_HOURS = (8, 12, 16)  # UTC starts of the time slots of session-based tickets


@dataclass
class _Ctx:
    """Shared state of one organization's generation."""

    config: SimConfig
    org: int
    codec: IdCodec
    catalogue: Catalogue
    base_ms: int
    counters: dict[Kind, int]
    markup: Decimal = Decimal(0)  # added to every product's price (a shared catalogue)

    def new_id(self, kind: Kind) -> str:
        index = self.counters.get(kind, 0)
        self.counters[kind] = index + 1
        return self.codec.encode(kind, self.org, index, self.base_ms + index)

    def rng(self, *parts: int) -> random.Random:
        return Rng(digest(self.config.seed, self.org, *parts))


def build_catalogue(config: SimConfig, org: int, codec: IdCodec) -> Catalogue:
    """The whole catalogue of organization ``org``."""
    start = int(config.start.timestamp())
    history = start - config.history_days * DAY
    markup = Decimal(org if config.shared_catalogue else 0)
    owner = 0 if config.shared_catalogue else org
    ctx = _Ctx(config, owner, codec, Catalogue(), (history - 60 * DAY) * 1000, {}, markup)
    days = _offer_days(history, start)
    for number in range(config.catalogs):
        catalog = _catalog(ctx, number, history, start)
        if config.has_product_bases:
            for base in range(6):
                _product_base(ctx, catalog, number * 100 + base, days)
        if config.has_events:
            forms = [_form(ctx, catalog, number * 10 + i) for i in range(2)]
            for event in range(4):
                _event(ctx, catalog, number * 100 + event, days, forms)
    return ctx.catalogue


def _offer_days(history: int, start: int) -> list[dt.date]:
    first = dt.datetime.fromtimestamp(history, dt.UTC).date()
    last = dt.datetime.fromtimestamp(start + 90 * DAY, dt.UTC).date()
    step = max(7, ((last - first).days + 39) // 40)
    return [first + dt.timedelta(days=d) for d in range(0, (last - first).days + 1, step)]


def _catalog(ctx: _Ctx, number: int, history: int, start: int) -> Row:
    rng = ctx.rng(1, number)
    catalog_id = ctx.new_id(Kind.CATALOG)
    fields = {
        "id": catalog_id,
        "createdAt": words.iso(history - 30 * DAY - rng.randrange(DAY)),
        "lastSyncedAt": words.iso(start - rng.randrange(6 * 3600)),
        "name": f"Catalogue {rng.choice(words.BASE_NAMES)} - CSE {number + 1}",
    }
    row = Row(
        "catalogs", catalog_id, f"/v1/ticketing/catalogs/{catalog_id}", catalog_id, "", fields
    )
    ctx.catalogue.add(row)
    return row


def _venue(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.2:
        return None
    city = rng.choice(words.CITIES)
    return {
        "name": f"Site de {city}",
        "line1": f"{rng.randrange(1, 200)} rue de la République",
        "line2": None if rng.random() < 0.7 else "Bâtiment B",
        "postalCode": f"{rng.randrange(10000, 95999)}",
        "city": city,
        "country": "FR",
        "phone": None if rng.random() < 0.5 else "+33251646565",
        "website": "https://www.example.com",
        "latitude": f"{46.5 + rng.random():.6f}",
        "longitude": f"{-0.9 + rng.random():.6f}",
    }


def _base_fields(rng: random.Random, base_id: str, number: int) -> dict[str, Any]:
    recurring = rng.random() < 0.75
    name = words.BASE_NAMES[number % len(words.BASE_NAMES)]
    return {
        "id": base_id,
        "name": name,
        "disabled": number % 6 == 5 or rng.random() < 0.1,
        "description": None if rng.random() < 0.2 else f"<p>Découvrez {name}.</p>",
        "shortDescription": None if rng.random() < 0.4 else f"<p>{name}</p>",
        "termsOfUse": None if rng.random() < 0.5 else "<p>Billet non remboursable.</p>",
        "useSession": recurring and rng.random() < 0.5,
        "timezone": "Europe/Paris",
        "recurring": recurring,
        "beneficiaryInfoMayBeRequired": rng.random() < 0.4,
        "instantDocumentDelivery": rng.random() < 0.6,
        "maxAmountPerOrder": None if rng.random() < 0.5 else rng.choice((4, 8, 10)),
        "universe": rng.choice(words.UNIVERSES),
        "venue": _venue(rng),
        "medias": None
        if rng.random() < 0.3
        else {"logo": f"https://cdn.example.com/{base_id}/logo.png", "gallery": []},
    }


def _product_base(ctx: _Ctx, catalog: Row, number: int, days: list[dt.date]) -> None:
    rng = ctx.rng(2, number)
    base_id = ctx.new_id(Kind.PRODUCT_BASE)
    iri = f"{catalog.iri}/product_bases/{base_id}"
    fields = _base_fields(rng, base_id, number)
    ctx.catalogue.add(Row("product_bases", base_id, iri, catalog.id, catalog.id, fields))
    for code in sorted(rng.sample(sorted(words.OPTION_VALUES), 2)):
        _option(ctx, catalog, base_id, iri, code)
    for variant in range(rng.randrange(2, 4)):
        product = _product(ctx, rng, catalog, base_id, f"{fields['name']} - ", variant)
        product.links["beneficiary"] = fields["beneficiaryInfoMayBeRequired"]
        for day in days if fields["recurring"] else [None]:
            _offer(ctx, rng, catalog, product, day, fields["useSession"])


def _option(ctx: _Ctx, catalog: Row, base_id: str, base_iri: str, code: str) -> None:
    iri = f"{base_iri}/options/{code}"
    fields = {"code": code, "name": words.OPTION_NAMES[code]}
    option = Row("options", f"{base_id}:{code}", iri, catalog.id, base_id, fields)
    ctx.catalogue.add(option)
    for value, label in words.OPTION_VALUES[code]:
        value_id = ctx.new_id(Kind.OPTION_VALUE)
        value_iri = genid(
            ctx.config.seed, ctx.org, Kind.OPTION_VALUE, ctx.counters[Kind.OPTION_VALUE]
        )
        value_fields = {"id": value_id, "code": value, "label": label}
        ctx.catalogue.add(
            Row("option_values", value_id, value_iri, catalog.id, option.id, value_fields)
        )


def _product(
    ctx: _Ctx, rng: random.Random, catalog: Row, parent: str, prefix: str, variant: int
) -> Row:
    product_id = ctx.new_id(Kind.PRODUCT)
    name = prefix + words.PRODUCT_VARIANTS[variant % len(words.PRODUCT_VARIANTS)]
    fields = {
        "id": product_id,
        "name": name,
        "description": None if rng.random() < 0.3 else f"Accès {name.lower()}",
        "disabled": rng.random() < 0.08,
    }
    iri = f"{catalog.iri}/products/{product_id}"
    price = Decimal(rng.randrange(990, 18900)) / 100 + ctx.markup
    links: dict[str, Any] = {"price": price, "vat": rng.choice((Decimal(20), Decimal("5.5")))}
    row = Row("products", product_id, iri, catalog.id, parent, fields, links)
    ctx.catalogue.add(row)
    return row


def _offer_fields(
    rng: random.Random, offer_id: str, day: dt.date | None, price: Decimal
) -> dict[str, Any]:
    amount = (price * Decimal(1 + rng.choice((0, 0, 0.1, -0.1)))).quantize(words.CENTS)
    quantity = None if rng.random() < 0.3 else rng.choice((0, 3, 40, 250, 4000))
    original = None if rng.random() < 0.8 else words.money(amount * Decimal("1.2"))
    return {
        "id": offer_id,
        "date": words.iso_date(day),
        "availabilityCheckRequired": quantity is not None,
        "realtimePriceRequired": rng.random() < 0.2,
        "price": {
            "amountInclTax": words.money(amount),
            "originalAmountInclTax": original,
            "currency": "eur",
        },
        "availableQuantity": quantity,
    }


def _offer(
    ctx: _Ctx, rng: random.Random, catalog: Row, product: Row, day: dt.date | None, slots: bool
) -> Row:
    offer_id = ctx.new_id(Kind.OFFER)
    iri = f"{catalog.iri}/offers/{offer_id}"
    fields = _offer_fields(rng, offer_id, day, product.links["price"])
    links = {
        "product": product.id,
        "product_iri": product.iri,
        "tickets": [],
        "vat": product.links["vat"],
        "excl_known": rng.random() < 0.7,
        "beneficiary": product.links.get("beneficiary", False),
        "event_iri": product.links.get("event_iri"),
    }
    offer = Row("offers", offer_id, iri, catalog.id, catalog.id, fields, links)
    ctx.catalogue.add(offer)
    if product.links.get("event_iri") is None:
        for number in range(1 if rng.random() < 0.8 else 2):
            _offer_ticket(ctx, rng, offer, number, day if slots else None, None)
    return offer


def _ticket_fields(rng: random.Random, ticket_id: str, number: int, access: bool) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "name": ("Billet d'entrée", "Accès parking", "Programme")[number % 3],
        "description": None if rng.random() < 0.5 else "Valable une fois.",
        "dateAccess": access,
        "availableQuantity": None if rng.random() < 0.4 else rng.randrange(0, 500),
    }


def _offer_ticket(
    ctx: _Ctx,
    rng: random.Random,
    offer: Row,
    number: int,
    slot_day: dt.date | None,
    form: str | None,
) -> Row:
    ticket_id = ctx.new_id(Kind.OFFER_TICKET)
    iri = f"{offer.iri}/tickets/{ticket_id}"
    fields = _ticket_fields(rng, ticket_id, number, slot_day is None)
    if offer.links["event_iri"] is not None:
        fields["form"] = form
    ticket = Row("offer_tickets", ticket_id, iri, offer.catalog, offer.id, fields, {"sessions": []})
    ctx.catalogue.add(ticket)
    offer.links["tickets"].append(ticket_id)
    if slot_day is not None and offer.links["event_iri"] is None:
        for hour in SLOT_HOURS:
            ticket.links["sessions"].append(_slot(ctx, rng, ticket, slot_day, hour))
    return ticket


def _slot(ctx: _Ctx, rng: random.Random, ticket: Row, day: dt.date, hour: int) -> tuple[str, int]:
    slot_id = ctx.new_id(Kind.TICKET_SESSION)
    starts = int(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC).timestamp())
    fields = {
        "id": slot_id,
        "startsAt": words.iso(starts),
        "availableQuantity": None if rng.random() < 0.3 else rng.randrange(0, 300),
    }
    iri = f"{ticket.iri}/sessions/{slot_id}"
    ctx.catalogue.add(Row("ticket_sessions", slot_id, iri, ticket.catalog, ticket.id, fields))
    return iri, starts


def _event(ctx: _Ctx, catalog: Row, number: int, days: list[dt.date], forms: list[str]) -> None:
    rng = ctx.rng(3, number)
    event_id = ctx.new_id(Kind.EVENT)
    iri = f"{catalog.iri}/events/{event_id}"
    name = words.EVENT_NAMES[number % len(words.EVENT_NAMES)]
    fields = {"id": event_id, "name": name, "description": None if number % 3 else f"{name}."}
    ctx.catalogue.add(Row("events", event_id, iri, catalog.id, catalog.id, fields))
    sessions = [_session(ctx, rng, catalog, iri, event_id, day) for day in days]
    for variant in range(2):
        product = _product(ctx, rng, catalog, catalog.id, f"{name} - ", variant)
        product.links.update(event_iri=iri, beneficiary=rng.random() < 0.3)
        form = rng.choice(forms) if rng.random() < 0.3 else None
        for session_iri, starts in sessions:
            day = dt.datetime.fromtimestamp(starts, dt.UTC).date()
            offer = _offer(ctx, rng, catalog, product, day, False)
            ticket = _offer_ticket(ctx, rng, offer, 0, day, form)
            ticket.links["sessions"].append((session_iri, starts))


def _session(
    ctx: _Ctx, rng: random.Random, catalog: Row, event_iri: str, event_id: str, day: dt.date
) -> tuple[str, int]:
    session_id = ctx.new_id(Kind.SESSION)
    starts = int(dt.datetime(day.year, day.month, day.day, 18, tzinfo=dt.UTC).timestamp())
    fields = {
        "id": session_id,
        "startsAt": words.iso(starts),
        "availableQuantity": None if rng.random() < 0.2 else rng.randrange(0, 2000),
    }
    iri = f"{event_iri}/sessions/{session_id}"
    ctx.catalogue.add(Row("sessions", session_id, iri, catalog.id, event_id, fields))
    return iri, starts


def _form(ctx: _Ctx, catalog: Row, number: int) -> str:
    rng = ctx.rng(4, number)
    form_id = ctx.new_id(Kind.FORM)
    iri = f"/v1/forms/{form_id}"
    fields = [_form_field(ctx, rng, iri, i) for i in range(rng.randrange(3, 6))]
    code = ("customer_infos_form", "participant_form")[number % 2]
    body = {"id": form_id, "code": code, "fields": fields}
    ctx.catalogue.add(Row("forms", form_id, iri, catalog.id, catalog.id, body))
    return iri


def _form_field(ctx: _Ctx, rng: random.Random, form_iri: str, number: int) -> dict[str, Any]:
    field_id = ctx.new_id(Kind.FORM_FIELD)
    kind = words.FORM_FIELD_TYPES[(number * 4 + rng.randrange(9)) % 9]
    choices = []
    if kind.endswith("_choice"):
        seed = (ctx.config.seed, ctx.org, Kind.FORM_FIELD, ctx.counters[Kind.FORM_FIELD])
        choices = [
            {"@id": genid(*seed, i), "@type": "FormFieldChoice", "value": v, "label": v.title()}
            for i, v in enumerate(("small", "medium", "large"))
        ]
    return {
        "@id": f"{form_iri}/fields/{field_id}",
        "@type": "FormField",
        "id": field_id,
        "code": f"field_{number}",
        "label": f"Question {number + 1}",
        "type": kind,
        "required": rng.random() < 0.5,
        "choices": choices,
    }
