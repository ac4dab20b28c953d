"""The coverage lookups log: one plain INSERT per lookup, written by the request itself.

Not core.audit: a lookup changes nothing, and thousands a second must not queue on the audit
chain's lock. The table is append-only (the database refuses UPDATE and DELETE).
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from core.context import request_id

_INSERT = """
    INSERT INTO eligibility_coveragelookup (at, user_id, username, provider_code, person_id, id_number, on_date,
                                            visit_type, covered, reason, answer, request_id)
    VALUES (now(), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


def log_coverage_lookup(*, actor, provider, query, answer) -> None:
    """Keep who asked about whom, when, and what they were told (one INSERT, no row read back)."""
    with connection.cursor() as cur:
        cur.execute(_INSERT, [actor.pk, actor.get_username(), provider.code if provider else "", answer.person_id,
                              query.id_number, query.on, query.visit_type, answer.covered, answer.reason_code,
                              json.dumps(answer.body, cls=DjangoJSONEncoder, ensure_ascii=False),
                              request_id.get()])
