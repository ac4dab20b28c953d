"""A cursor whose statements PostgreSQL parses and plans once per connection, for the few statements an
endpoint runs hundreds of times a second (the coverage check's token and answer).

Django's cursors bind parameters on the client (the values are written into the SQL text), so
PostgreSQL parses and plans every statement anew: about 0.25 ms of the server's CPU for each of the
coverage check's two reads, more than running them. This cursor binds on the server and asks psycopg
to prepare each statement (`prepare=True`): the first execution on a connection prepares it, the next
ones send only its name and the values. Everything else is Django's: the connection (with its health
check), the error translation, the query log that the tests count queries with.

Django turns psycopg's preparation off on its connections (`prepare_threshold` None, for connection
poolers in transaction mode, which this project does not use: the web workers talk to PostgreSQL
directly). The first prepared cursor on a connection sets it to "only when asked" (the largest int),
so that Django's own cursors, which bind on the client, still never prepare; a `prepare_threshold`
given in the database's OPTIONS is left as it is.

PostgreSQL plans a prepared statement again by itself when a table it reads changes; a migration that
changed the type of a column such a statement returns, run beside live workers, would make it fail
until the connection is renewed (CONN_MAX_AGE). Deployments restart the workers after `migrate`.

One statement per execute (the extended protocol takes no `;`-separated list). Values are sent with
their types (a date as a date, an int as an integer): the statement must not count on PostgreSQL
guessing a type from an untyped literal.
"""

import sys

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import Cursor
from psycopg.pq import Format

__all__ = ["prepared_cursor"]


class _PreparingCursor(Cursor):
    """psycopg's server-side-binding cursor, preparing every statement it executes."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


def prepared_cursor():
    """A Django cursor (use it as a context manager) on the default connection, with server-side binding and
    prepared statements."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` goes through the proxy's lookup
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    raw = db.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = sys.maxsize  # prepare what is asked for, nothing else
    with db.wrap_database_errors:
        cursor = _PreparingCursor(raw)
    # As Django's own cursors (DatabaseWrapper.create_cursor): timestamps in the connection's time zone.
    if db.timezone != raw.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
        register_tzloader(db.timezone, cursor)
    return db.make_debug_cursor(cursor) if db.queries_logged else db.make_cursor(cursor)
