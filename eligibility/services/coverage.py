"""The coverage lookups log: one plain INSERT per lookup, written by the request itself.

Not core.audit: a lookup changes nothing, and thousands a second must not queue on the audit
chain's lock. The table is append-only (the database refuses UPDATE and DELETE).

Outside a transaction the INSERT is sent with `SET LOCAL synchronous_commit = off` in the same
round trip (one implicit transaction): it commits without waiting for the disk's flush (settings.
COVERAGE_LOG_DURABLE turns that off). Inside the caller's transaction it is a plain INSERT.
"""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from core.context import request_id

_INSERT = """
    INSERT INTO eligibility_coveragelookup (at, user_id, username, provider_code, person_id, id_number, on_date,
                                            visit_type, covered, reason, answer, request_id)
    VALUES (now(), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
_INSERT_NO_FLUSH_WAIT = "SET LOCAL synchronous_commit = off;" + _INSERT


def _without_flush_wait() -> bool:
    """Two statements in one round trip need client-side binding (Django's default) and autocommit."""
    return (not settings.COVERAGE_LOG_DURABLE and not connection.in_atomic_block
            and not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"))


def log_coverage_lookup(*, actor, provider, query, answer) -> None:
    """Keep who asked about whom, when, and what they were told (one INSERT, no row read back)."""
    params = [actor.pk, actor.get_username(), provider.code if provider else "", answer.person_id,
              query.id_number, query.on, query.visit_type, answer.covered, answer.reason_code,
              json.dumps(answer.body, cls=DjangoJSONEncoder, ensure_ascii=False), request_id.get()]
    with connection.cursor() as cur:
        cur.execute(_INSERT_NO_FLUSH_WAIT if _without_flush_wait() else _INSERT, params)
