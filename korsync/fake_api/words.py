"""Word lists and value formats of the generated data.

Customer names are deliberately international (accents, apostrophes, Cyrillic, Greek, CJK,
Arabic, an emoji) so a mirror's encoding is exercised. The format helpers produce the API's
shapes: ``+00:00`` timestamps with second precision, plain dates, two-decimal money strings.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Decimal

FIRST_NAMES = (
    "Élodie", "François", "Zoë", "Jürgen", "Søren", "Łukasz", "Ana", "José", "Chloé", "Mathéo",
    "Ngọc", "Мария", "Ελένη", "小林", "أحمد", "Siobhán", "Noël", "Björk", "Çağla", "Léa",
    "Hugo", "Inès", "Raphaël", "Amélie", "Jean-Baptiste", "Maëlys", "Dmitrii", "Aoife",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Dupont", "O'Brien", "Müller", "Nguyễn", "García Márquez", "Lefèvre", "Øster",
    "Иванова", "Παπαδόπουλος", "山田", "Haddad", "de la Tour", "Kowalczyk", "Ibáñez",
    "N'Diaye", "Bernard-Lévy", "Smith 🎟", "Châtelain", "Ferreira", "Rossi", "Dubois",
)  # fmt: skip
COUNTRIES = ("FR", "FR", "FR", "BE", "CH", "DE", "ES", "IT", "GB", "NL")
LANGUAGES = ("fr", "fr", "en", "de", "es", "it", "nl")
TITLES = ("mr", "mrs", "mx")
CITIES = ("Les Epesses", "Lyon", "Paris", "Marne-la-Vallée", "Nantes", "Lille", "Bordeaux")
UNIVERSES = ("show", "theme_park", "sport", "museum", "concert")
BASE_NAMES = (
    "Grand Parc", "Cinéscénie", "Saison 2025 - 2026 - OL / FC Lorient", "Musée d'Orsay",
    "Festival d'été", "Château de Versailles", "Aquarium", "Zoo de Beauval", "Opéra Garnier",
)  # fmt: skip
PRODUCT_VARIANTS = ("Adulte", "Enfant (3-13 ans)", "Pass 2 jours", "Tarif réduit", "Famille")
EVENT_NAMES = ("Billetterie - Puy du Fou", "Visite guidée", "Concert symphonique", "Match")
OPTION_VALUES = {
    "seating_category": (("cat_1", "Catégorie 1"), ("cat_2", "Catégorie 2"), ("vip", "VIP")),
    "zone": (("north", "Tribune Nord"), ("south", "Tribune Sud"), ("pit", "Fosse")),
    "price_type": (("adult", "Adulte"), ("child", "Enfant"), ("senior", "Senior")),
    "days_count": (("1", "1 jour"), ("2", "2 jours"), ("3", "3 jours")),
}
OPTION_NAMES = {
    "seating_category": "Catégorie",
    "zone": "Zone",
    "price_type": "Type de tarif",
    "days_count": "Nombre de jours",
}
FORM_FIELD_TYPES = (
    "text", "bool", "integer", "decimal", "date", "time", "datetime", "single_choice",
    "multi_choice",
)  # fmt: skip
CENTS = Decimal("0.01")


@functools.lru_cache(maxsize=16384)
def iso(unix_seconds: int) -> str:
    """``2025-01-27T15:15:20+00:00`` for whole Unix seconds."""
    return dt.datetime.fromtimestamp(unix_seconds, dt.UTC).isoformat()


def iso_date(day: dt.date | None) -> str | None:
    """``2025-01-27`` (or ``None``)."""
    return day.isoformat() if day is not None else None


@functools.lru_cache(maxsize=4096)
def money(amount: Decimal) -> str:
    """A decimal string with exactly two decimals."""
    return str(amount.quantize(CENTS, rounding=ROUND_HALF_UP))


def excl_tax(amount_incl: Decimal, vat_percent: Decimal) -> Decimal:
    """The amount before VAT, rounded to cents."""
    return (amount_incl * 100 / (100 + vat_percent)).quantize(CENTS, rounding=ROUND_HALF_UP)
