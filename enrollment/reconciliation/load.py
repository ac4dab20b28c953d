"""`load_enrollment`: load or update the office's own register from a file in the agency's format.

All or nothing: any invalid row, a name longer than the register holds, a duplicate identity
number or a file the extract's reader rejects (truncated, a stray #TRAILER row, an over-long
field, a NUL byte) refuses the whole file, listing every problem (line, column, reason). Otherwise one set-based upsert
creates and updates persons, and their status history gains each status it did not know.
Pinyin initials (for the search by 张三 ↔ zs) are computed once per distinct name.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..identity import pinyin_initials
from ..models import Person
from ..services.register import record_bulk_change
from . import sql
from .extract import ExtractRejected, stage_file
from .stopwatch import Stopwatch


@dataclass
class LoadResult:
    created: int
    updated: int
    unchanged: int
    persons: int
    sha256: str
    timings: dict


VALID = "register_valid"
NAME_MAX = Person._meta.get_field("name").max_length

# Persons already in the register whose row differs: updated in place (birth date and gender
# follow from the identity number and cannot differ).
_UPDATE = f"""
    WITH up AS (
      UPDATE enrollment_person p SET
        name = v.name_n, name_initials = coalesce(i.initials, p.name_initials), insurance_type = v.insurance_type,
        employer_code = v.emp, status = v.status, status_date = v.sd, paid_through = v.pt,
        version = p.version + 1, updated_at = now()
      FROM {VALID} v LEFT JOIN register_initials i ON i.name = v.name_n
      WHERE p.id_number = v.idn
        AND (p.name, p.insurance_type, p.employer_code, p.status, p.status_date, p.paid_through)
            IS DISTINCT FROM (v.name_n, v.insurance_type, v.emp, v.status, v.sd, v.pt)
      RETURNING p.id
    )
    INSERT INTO register_touched SELECT id FROM up
"""

# Persons not yet in the register: one INSERT … SELECT (no per-row conflict handling needed).
_INSERT = f"""
    WITH ins AS (
      INSERT INTO enrollment_person
        (id_number, name, name_initials, gender, birth_date, insurance_type, employer_code, status, status_date,
         paid_through, phone, address, version, created_at, updated_at)
      SELECT v.idn, v.name_n, coalesce(i.initials, ''), v.gender, v.bd, v.insurance_type, v.emp, v.status, v.sd,
             v.pt, '', '', 1, now(), now()
      FROM {VALID} v LEFT JOIN register_initials i ON i.name = v.name_n
      WHERE NOT EXISTS (SELECT 1 FROM enrollment_person p WHERE p.id_number = v.idn)
      RETURNING id
    )
    INSERT INTO register_touched SELECT id FROM ins
"""

# Each status a created or updated person did not have yet joins their history.
_HISTORY = """
    INSERT INTO enrollment_statuschange (person_id, status, status_date, source, reference, recorded_at,
                                         recorded_by_id)
    SELECT p.id, p.status, p.status_date, 'LOAD', %(reference)s, now(), %(actor)s
    FROM register_touched t JOIN enrollment_person p ON p.id = t.person_id
    WHERE NOT EXISTS (SELECT 1 FROM enrollment_statuschange sc
                       WHERE sc.person_id = p.id AND sc.status_date = p.status_date AND sc.status = p.status)
"""


def load_register(path: Path, *, actor=None) -> LoadResult:
    """Load the file into the register. Raises ExtractRejected (with .errors) and changes nothing."""
    path = Path(path)
    watch = Stopwatch()
    lap, timings = watch.lap, watch.timings
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        staged = stage_file(cur, path, columns=True)
        lap("ingest")
        lap("parse")
        duplicates = sql.find_duplicates(cur)
        lap("duplicates")
        errors = [{"line": line, "column": "id_number", "message": _("the same identity number as line %(first)s")
                   % {"first": lines[0]}} for _id, lines in duplicates for line in lines[1:]]
        cur.execute(f"CREATE TEMP TABLE {VALID} ON COMMIT DROP AS SELECT line_no, problems, valid, idn, name_n, "
                    "gender, insurance_type, emp, status, bd, sd, pt "
                    f"FROM ({sql.validated(sql.STAGE)}) v",
                    {"today": timezone.localdate().isoformat()})
        cur.execute(f"SELECT line_no, problems FROM {VALID} WHERE NOT valid ORDER BY line_no")
        for line_no, problems in cur.fetchall():
            for code in problems:
                column, message = sql.describe(code)
                errors.append({"line": line_no, "column": column, "message": message})
        # A valid row the register cannot hold: a name longer than its column.
        cur.execute(f"SELECT line_no FROM {VALID} WHERE valid AND length(name_n) > %s ORDER BY line_no", [NAME_MAX])
        errors.extend({"line": line_no, "column": "name", "message": _(
            "longer than the %(n)d characters the register holds") % {"n": NAME_MAX}} for (line_no,) in cur.fetchall())
        lap("validate")
        if errors:
            errors.sort(key=lambda e: e["line"])
            raise ExtractRejected(
                _("%(n)d problem(s) in the file: nothing was loaded.") % {"n": len(errors)}, errors=errors)
        _initials(cur)
        lap("initials")
        cur.execute("CREATE TEMP TABLE register_touched (person_id bigint) ON COMMIT DROP")
        cur.execute(_UPDATE)
        updated = cur.rowcount
        with _search_indexes_rebuilt_if_bulk(cur, staged.rows):
            cur.execute(_INSERT)
            created = cur.rowcount
        lap("upsert")
        cur.execute(_HISTORY, {"reference": path.name[:60], "actor": getattr(actor, "pk", None)})
        lap("history")
        cur.execute("SELECT count(*) FROM enrollment_person")
        persons = cur.fetchone()[0]
        result = LoadResult(created=created, updated=updated, unchanged=staged.rows - created - updated,
                            persons=persons, sha256=staged.sha256, timings=timings)
        record_bulk_change(actor=actor, action="enrollment.register.loaded", scope=path.name, detail={
            "file": str(path), "sha256": staged.sha256, "rows": staged.rows, "created": created,
            "updated": updated, "unchanged": result.unchanged, "persons": persons,
        })
    return result


# The register's search indexes: rebuilt after a bulk insert rather than updated row by row.
SEARCH_INDEXES = ("person_name_prefix_idx", "person_initials_prefix_idx", "person_employer_idx",
                  "person_name_grams_idx", "person_last_four_idx")


@contextmanager
def _search_indexes_rebuilt_if_bulk(cur, rows: int):
    """When a load adds a large share of the register (the first load, a migration), drop the
    search indexes, insert, and build them again by sorting: several times faster than a million
    index insertions. Everything stays in the load's transaction (the register is locked while it
    runs); the unique index on the identity number is kept throughout."""
    cur.execute("SELECT count(*) FROM enrollment_person")
    if rows < 100_000 or rows < cur.fetchone()[0] * 0.25:
        yield
        return
    cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'enrollment_person' "
                "AND indexname = ANY(%s)", [list(SEARCH_INDEXES)])
    definitions = cur.fetchall()
    for name, _definition in definitions:
        cur.execute(f'DROP INDEX "{name}"')
    yield
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in definitions:
        cur.execute(definition)


def _initials(cur) -> None:
    """register_initials(name, initials) for every distinct name in the file, computed in Python."""
    cur.execute("CREATE TEMP TABLE register_initials (name text PRIMARY KEY, initials text) ON COMMIT DROP")
    cur.execute(f"SELECT DISTINCT v.name_n FROM {VALID} v LEFT JOIN enrollment_person p ON p.id_number = v.idn "
                "WHERE p.name IS DISTINCT FROM v.name_n")
    names = [row[0] for row in cur.fetchall()]
    with cur.copy("COPY register_initials (name, initials) FROM STDIN") as copy:
        for name in names:
            copy.write_row((name, pinyin_initials(name)))
    cur.execute("ANALYZE register_initials")
