"""What each column means, as database comments (``COMMENT ON``) that BI tools show.

Comments given on a model column win; the rest come from this table, by column name (the
same field means the same thing in every table), or from the ``customer_``/``beneficiary_``/
``venue_`` prefix. ``apply_comments`` runs once when the models are imported, and migrations
carry the result to the database.
"""

from __future__ import annotations

from sqlalchemy import MetaData

BOOKKEEPING_ID = "korsync's own key for this row (a time-ordered UUIDv7), not an API id"
BY_NAME = {
    "id": "The API's UUID of this item (a derived UUID for embedded items without one)",
    "catalog_id": "Catalog this row belongs to (catalogs.id)",
    "event_id": "(older model) Event (events.id)",
    "form_id": "Form to fill for this ticket (forms.id)",
    "form_field_id": "Field this choice belongs to (form_fields.id)",
    "offer_id": "Offer (offers.id)",
    "offer_ticket_id": "Offer ticket (offer_tickets.id)",
    "order_id": "Order (orders.id)",
    "order_item_id": "Order line (order_items.id)",
    "organization_id": "Distributor organization that owns the booking",
    "product_base_id": "Product base (product_bases.id)",
    "product_id": "Product (products.id)",
    "reservation_id": "Reservation this came from (reservations.id; not enforced)",
    "name": "Name, in the API language korsync asked for",
    "description": "Description (may contain HTML)",
    "short_description": "Short description (HTML)",
    "terms_of_use": "Terms of use (HTML)",
    "disabled": "True when disabled upstream (still listed with withDisabled=true)",
    "code": "Machine code of the form",
    "label": "Label shown to the customer",
    "value": "Value sent when this choice is picked",
    "required": "True when the field must be filled",
    "position": "Position in the parent's list, from 0",
    "date": "Date the offer or line is valid on (NULL: not dated)",
    "created_at": "When the item was created upstream (UTC)",
    "cancelled_at": "When the order was cancelled (UTC); NULL if it is not",
    "expires_at": "When the reservation expires (UTC)",
    "expired": "True once the reservation has expired",
    "downloadable_at": "When the document can be downloaded (UTC)",
    "occurs_at": "When the ticket's event occurs (UTC)",
    "starts_at": "Start of the time slot (UTC), when the API gives it",
    "reference": "KorusTicket's order reference (e.g. KT-ORD-123456)",
    "external_reference": "The distributor's own reference for the order",
    "connector_reference": "Reference in the ticket issuer's system",
    "notes": "Notes sent with the order",
    "status": "Status as sent by the API (unknown values kept as they are)",
    "quantity": "Number of units bought; a unit can issue several tickets (count "
    "order_item_tickets for tickets)",
    "voucher": "Ticket voucher (barcode) number; NULL until issued",
    "seats_arrangement": "ADJACENT, NON_ADJACENT or UNKNOWN",
    "releasable": "True when the reservation can still be released",
    "required_beneficiary_fields": "Beneficiary fields the issuer requires (JSON list)",
    "beneficiary_designation_deadline": "Deadline to name the beneficiary (UTC)",
    "beneficiary_amendable": "True while the beneficiary can still be changed",
    "beneficiary_info_may_be_required": "True when tickets may need beneficiary details",
    "instant_document_delivery": "True when documents are available right after ordering",
    "max_amount_per_order": "Most offers of this base in one order",
    "recurring": "True when offers exist on several dates",
    "use_session": "True when booking needs a session (time slot) choice",
    "timezone": "Time zone of the venue (e.g. Europe/Paris)",
    "universe": "Kind of activity (e.g. show)",
    "availability_check_required": "True when availability must be checked before reserving",
    "realtime_price_required": "True when the price must be confirmed before reserving",
    "available_quantity": "Remaining quantity when last read; NULL means unlimited",
    "availability_read_at": "When available_quantity was read (UTC)",
    "price_amount_incl_tax": "Price including tax when last read",
    "price_original_amount_incl_tax": "Price before discount, when discounted",
    "price_currency": "Currency of the price (lower-case ISO code, e.g. eur)",
    "price_read_at": "When the price was read (UTC)",
    "amount_incl_tax": "Amount including tax",
    "amount_excl_tax": "Amount excluding tax",
    "unit_amount_incl_tax": "Unit price including tax",
    "unit_amount_excl_tax": "Unit price excluding tax",
    "total_amount_incl_tax": "Total including tax",
    "total_amount_excl_tax": "Total excluding tax",
    "last_synced_at": "Last refresh of KorusTicket's cache from the issuer (UTC)",
    "metadata_read_at": "When the document's metadata was read; NULL: only listed on the order",
    "stream": "Sync stream (orders, reconcile, catalogue, documents, reservations, backfill)",
    "scope": "Part of the stream this state covers ('' for the whole stream)",
    "updated_at": "When this state last changed (UTC)",
    "mode": "Kind of run: incremental, reconcile, full, backfill",
    "started_at": "When the run started (UTC)",
    "finished_at": "When the run ended (UTC); NULL while running",
    "pages": "API pages written",
    "rows_inserted": "Rows created",
    "rows_updated": "Rows whose content changed",
    "rows_unchanged": "Rows read again with identical content",
    "rows_deleted": "Rows marked deleted_at",
    "rejects": "Items that could not be mirrored",
    "error": "Why the run failed or was interrupted",
    "details": "What the run covered (JSON: query, window, watermarks)",
    "record_key": "The rejected item's id, or a hash of its payload",
    "reason": "Why the item could not be mirrored",
    "first_seen_at": "First time the item was rejected (UTC)",
    "last_seen_at": "Last time the item was rejected (UTC)",
    "times_seen": "How many runs rejected the item",
    "raw": "The item exactly as the API sent it (JSON)",
    "run_id": "The audit's run (sync_runs.id, stream audit)",
    "collection": "What was counted: orders, or a catalogue table",
    "window_start": "Start of the createdAt window, inclusive (UTC)",
    "window_end": "End of the createdAt window, exclusive (UTC)",
    "granularity": "Size of the window: range, month, day or hour",
    "api_count": "totalItems the API reported for the window when first counted",
    "mirror_count": "Live (not deleted_at) rows the mirror held in the window when first counted",
    "checked_at": "When the window was first counted (UTC)",
    "healed_at": "When the window's re-walk finished (UTC); NULL: not re-walked",
    "healed_api_count": "totalItems for the window counted again after the re-walk",
    "healed_mirror_count": "Live rows in the window counted again after the re-walk",
    "inserted": "Rows the re-walk added to the mirror (missing before)",
    "marked_deleted": "Rows the re-walk marked deleted_at (no longer returned by the API)",
}
BY_PREFIX = {
    "customer_": "Customer's {} (subject to KORSYNC_PII)",
    "beneficiary_": "Ticket beneficiary's {} (subject to KORSYNC_PII)",
    "venue_": "Venue {}",
}


def comment_for(column: str) -> str | None:
    """The comment for a column named ``column``, if korsync has one."""
    if column in BY_NAME:
        return BY_NAME[column]
    for prefix, template in BY_PREFIX.items():
        if column.startswith(prefix):
            return template.format(column.removeprefix(prefix).replace("_", " "))
    return None


def apply_comments(metadata: MetaData) -> None:
    """Fill in every column comment the models left empty."""
    for table in metadata.tables.values():
        for column in table.columns:
            if column.comment is None:
                column.comment = comment_for(column.name)
