"""IRI and Hydra key helpers of korsync.api.jsonld."""

import uuid

import pytest

from korsync.api import jsonld
from korsync.api.jsonld import iri_id, iri_ids

CAT, OFF, TIX, SES = (uuid.UUID(f"0190a0b0-0000-7000-8000-00000000000{n}") for n in range(4))
EVT = uuid.UUID("7522b8de-37a2-458d-b099-000000000001")


def test_iri_id_reads_last_segment() -> None:
    """The last path segment of an IRI is its id."""
    assert iri_id(f"/v1/ticketing/catalogs/{CAT}/offers/{OFF}") == OFF


def test_iri_id_accepts_absolute_url_and_trailing_slash() -> None:
    """Absolute URLs, trailing slashes and query strings do not hide the id."""
    assert iri_id(f"https://api.korusticket.com/v1/booking/orders/{OFF}/?x=1") == OFF


@pytest.mark.parametrize(
    "garbage", [None, "", "   ", 42, "/.well-known/genid/abc123", "/v1/booking/orders", "::::"]
)
def test_iri_id_tolerates_garbage(garbage: object) -> None:
    """Anything that does not end in a UUID gives None instead of raising."""
    assert iri_id(garbage) is None


@pytest.mark.parametrize(
    "iri",
    [
        f"/v1/booking/documents/{OFF}",
        f"/v1/booking/documents/{str(OFF).upper()}",
        f"/{OFF}",
        f"//{CAT}/documents/{OFF}",
        f"/documents/{OFF}?page=2",
        f"/documents/{OFF}#{CAT}",
        f"/documents/{OFF} ",
        f" /documents/{OFF}",
        f"/documents/\t{OFF}",
        f"/documents/{OFF.hex}",
        f"/documents/urn:uuid:{OFF}",
        f"/documents/{OFF}/",
        f"/documents/x{OFF}",
        f"/documents/{str(OFF)[:-1]}g",
        f"/.well-known/genid/{OFF}",
    ],
)
def test_iri_id_once_reads_as_iri_id(iri: str) -> None:
    """The uncached reading, with its shortcut for plain paths ending in a UUID, gives
    ``iri_id``'s answer, and leaves everything else (hosts, queries, whitespace, other UUID
    spellings) to the URL parser."""
    assert jsonld.iri_id_once(iri) == iri_id(iri)


def test_iri_ids_new_model_session() -> None:
    """An offer-ticket session IRI yields catalog, offer, ticket and session ids."""
    iri = f"/v1/ticketing/catalogs/{CAT}/offers/{OFF}/tickets/{TIX}/sessions/{SES}"
    assert iri_ids(iri) == {"catalog": CAT, "offer": OFF, "ticket": TIX, "session": SES}


def test_iri_ids_old_model_session() -> None:
    """An old-model event session IRI yields catalog, event and session ids."""
    iri = (
        f"https://api.demo.korusticket.com/v1/ticketing/catalogs/{CAT}/events/{EVT}/sessions/{SES}"
    )
    assert iri_ids(iri) == {"catalog": CAT, "event": EVT, "session": SES}


def test_iri_ids_booking_and_forms() -> None:
    """Order item tickets, forms and product bases are keyed by their singular names."""
    assert iri_ids(f"/v1/booking/orders/{OFF}/items/{TIX}/tickets/{SES}") == {
        "order": OFF,
        "item": TIX,
        "ticket": SES,
    }
    assert iri_ids(f"/v1/forms/{CAT}/fields/{EVT}") == {"form": CAT, "field": EVT}
    assert iri_ids(f"/v1/ticketing/catalogs/{CAT}/product_bases/{OFF}/options/zone/values") == {
        "catalog": CAT,
        "product_base": OFF,
    }


def test_iri_ids_tolerates_garbage() -> None:
    """None and non-IRIs give an empty mapping."""
    assert iri_ids(None) == {}
    assert iri_ids("not an iri") == {}


@pytest.mark.parametrize("prefix", ["", "hydra:", jsonld.HYDRA])
def test_collection_keys_with_any_prefix(prefix: str) -> None:
    """member, totalItems and view.next are read unprefixed, hydra:-prefixed or as full IRIs."""
    body = {
        f"{prefix}member": [{"id": "a"}],
        f"{prefix}totalItems": 3,
        f"{prefix}view": {f"{prefix}next": "/x?page=2"},
    }
    assert jsonld.members(body) == [{"id": "a"}]
    assert jsonld.total_items(body) == 3
    assert jsonld.view_next(body) == "/x?page=2"


def test_collection_helpers_tolerate_bad_values() -> None:
    """Wrong types read as absent rather than raising."""
    body = {"member": "nope", "totalItems": "many", "view": ["x"]}
    assert jsonld.members(body) is None
    assert jsonld.total_items(body) is None
    assert jsonld.view_next(body) is None
    assert jsonld.total_items({"totalItems": True}) is None
