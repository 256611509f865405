"""The mirror's tables (catalogue, booking) and the sync bookkeeping, on one declarative base."""

from korsync.models.audit import AuditWindow
from korsync.models.base import Base
from korsync.models.booking import (
    Order,
    OrderDocument,
    OrderItem,
    OrderItemTicket,
    Reservation,
    ReservationItem,
)
from korsync.models.bookkeeping import RejectedRecord, ReportingTimezone, SyncRun, SyncState
from korsync.models.catalogue import (
    Catalog,
    Event,
    EventSession,
    Form,
    FormField,
    FormFieldChoice,
    Offer,
    OfferTicket,
    OfferTicketSession,
    Product,
    ProductBase,
)
from korsync.models.comments import apply_comments
from korsync.models.history import HistoryContext, HistorySetting, define_history_tables

metadata = Base.metadata
define_history_tables()
apply_comments(metadata)

__all__ = [
    "AuditWindow",
    "Base",
    "Catalog",
    "Event",
    "EventSession",
    "Form",
    "FormField",
    "FormFieldChoice",
    "HistoryContext",
    "HistorySetting",
    "Offer",
    "OfferTicket",
    "OfferTicketSession",
    "Order",
    "OrderDocument",
    "OrderItem",
    "OrderItemTicket",
    "Product",
    "ProductBase",
    "RejectedRecord",
    "ReportingTimezone",
    "Reservation",
    "ReservationItem",
    "SyncRun",
    "SyncState",
    "metadata",
]
