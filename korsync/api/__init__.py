"""korsync's HTTP side: the KorusTicket API client, Hydra pagination and JSON-LD helpers.

This package knows HTTP and JSON-LD and nothing of the database: ``ApiClient`` hands out JSON
objects and pages of items (with rejected members set aside), and raises the ``ApiError``
family; callers map items to rows.
"""

from korsync.api.client import ApiClient, ClientOptions, Params
from korsync.api.errors import (
    ApiError,
    AuthError,
    DeadlineExceededError,
    NotFoundError,
    PaginationError,
    RetriesExhaustedError,
    StatusError,
)
from korsync.api.jsonld import iri_id, iri_ids
from korsync.api.pagination import Page, Reject

__all__ = [
    "ApiClient",
    "ApiError",
    "AuthError",
    "ClientOptions",
    "DeadlineExceededError",
    "NotFoundError",
    "Page",
    "PaginationError",
    "Params",
    "Reject",
    "RetriesExhaustedError",
    "StatusError",
    "iri_id",
    "iri_ids",
]
