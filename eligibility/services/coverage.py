"""The coverage lookups log: one plain INSERT per lookup, written by the request itself.

Not core.audit: a lookup changes nothing, and thousands a second must not queue on the audit
chain's lock. The table is append-only (the database refuses UPDATE and DELETE).
"""

from core.context import request_id

from ..models import CoverageLookup


def log_coverage_lookup(*, actor, provider, query, answer) -> CoverageLookup:
    """Keep who asked about whom, when, and what they were told."""
    return CoverageLookup.objects.create(
        user=actor, username=actor.get_username(), provider_code=provider.code if provider else "",
        person_id=answer.person_id, id_number=query.id_number, on_date=query.on, visit_type=query.visit_type,
        covered=answer.covered, reason=answer.reason_code, answer=answer.body, request_id=request_id.get())
