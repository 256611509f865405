"""The audit: proving the mirror complete against the API's own counts, and healing it.

``windows`` cuts history into ``createdAt`` windows, ``orders`` counts and heals them,
``evidence`` keeps each counted window in ``audit_windows`` and reads back the audits' state.
"""

from korsync.sync.audit.orders import AuditError, AuditOutcome, audit_orders

__all__ = ["AuditError", "AuditOutcome", "audit_orders"]
