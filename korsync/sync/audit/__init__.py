"""The audit: proving the mirror complete against the API's own counts, and healing it.

``windows`` cuts history into ``createdAt`` windows, ``orders`` counts and heals them,
``sample`` re-reads a rotating share of days for content, ``catalogue`` counts the catalogue's
collections, ``evidence`` keeps each counted window in ``audit_windows`` and reads back the
audits' state.
"""

from korsync.sync.audit.evidence import AuditError
from korsync.sync.audit.orders import AuditOutcome, audit_orders

__all__ = ["AuditError", "AuditOutcome", "audit_orders"]
