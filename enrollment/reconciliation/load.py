"""`load_enrollment`: load or update the office's own register from a file in the agency's format.

All or nothing: any invalid row, a duplicate identity number or a truncated file refuses the
whole file, listing every problem (line, column, reason). Otherwise one set-based upsert
creates and updates persons, and their status history gains each status it did not know.
Pinyin initials (for the search by 张三 ↔ zs) are computed once per distinct name.
"""

from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record

from ..identity import pinyin_initials
from . import sql
from .extract import ExtractRejected, NeedsFullParse, parse_lines, restage_parsed, stage_file


@dataclass
class LoadResult:
    created: int
    updated: int
    unchanged: int
    persons: int
    sha256: str


VALID = "register_valid"

_UPSERT = f"""
    WITH up AS (
      INSERT INTO enrollment_person AS p
        (id_number, name, name_initials, gender, birth_date, insurance_type, employer_code, status, status_date,
         paid_through, phone, address, version, created_at, updated_at)
      SELECT v.idn, v.name_n, coalesce(i.initials, ''), v.gender, v.bd, v.insurance_type, v.emp, v.status, v.sd, v.pt,
             '', '', 1, now(), now()
      FROM {VALID} v LEFT JOIN register_initials i ON i.name = v.name_n
      ON CONFLICT (id_number) DO UPDATE SET
        name = EXCLUDED.name, name_initials = EXCLUDED.name_initials, insurance_type = EXCLUDED.insurance_type,
        employer_code = EXCLUDED.employer_code, status = EXCLUDED.status, status_date = EXCLUDED.status_date,
        paid_through = EXCLUDED.paid_through, version = p.version + 1, updated_at = now()
      WHERE (p.name, p.insurance_type, p.employer_code, p.status, p.status_date, p.paid_through)
            IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.insurance_type, EXCLUDED.employer_code, EXCLUDED.status,
                              EXCLUDED.status_date, EXCLUDED.paid_through)
      RETURNING (xmax = 0) AS created
    )
    SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up
"""

_HISTORY = f"""
    INSERT INTO enrollment_statuschange (person_id, status, status_date, source, reference, recorded_at,
                                         recorded_by_id)
    SELECT p.id, v.status, v.sd, 'LOAD', %(reference)s, now(), %(actor)s
    FROM {VALID} v JOIN enrollment_person p ON p.id_number = v.idn
    ON CONFLICT (person_id, status_date, status) DO NOTHING
"""


def load_register(path: Path, *, actor=None) -> LoadResult:
    """Load the file into the register. Raises ExtractRejected (with .errors) and changes nothing."""
    path = Path(path)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        staged = stage_file(cur, path)
        if not staged.parsed:
            try:
                parse_lines(cur, "true")
            except NeedsFullParse:
                staged = restage_parsed(cur, path)
        duplicates = sql.find_duplicates(cur)
        errors = [{"line": line, "column": "id_number", "message": _("the same identity number as line %(first)s")
                   % {"first": lines[0]}} for _id, lines in duplicates for line in lines[1:]]
        cur.execute(f"CREATE TEMP TABLE {VALID} ON COMMIT DROP AS {sql.validated(sql.STAGE)}",
                    {"today": timezone.localdate().isoformat()})
        cur.execute(f"SELECT line_no, problems FROM {VALID} WHERE NOT valid ORDER BY line_no")
        for line_no, problems in cur.fetchall():
            for code in problems:
                column, message = sql.describe(code)
                errors.append({"line": line_no, "column": column, "message": message})
        if errors:
            errors.sort(key=lambda e: e["line"])
            raise ExtractRejected(
                _("%(n)d problem(s) in the file: nothing was loaded.") % {"n": len(errors)}, errors=errors)
        _initials(cur)
        cur.execute(_UPSERT)
        created, updated = cur.fetchone()
        cur.execute(_HISTORY, {"reference": path.name[:60], "actor": getattr(actor, "pk", None)})
        cur.execute("SELECT count(*) FROM enrollment_person")
        persons = cur.fetchone()[0]
        result = LoadResult(created=created, updated=updated, unchanged=staged.rows - created - updated,
                            persons=persons, sha256=staged.sha256)
        record(actor, "enrollment.register.loaded", ("enrollment.register", path.name[:64], path.name), None, {
            "file": str(path), "sha256": staged.sha256, "rows": staged.rows, "created": created,
            "updated": updated, "unchanged": result.unchanged, "persons": persons,
        })
    return result


def _initials(cur) -> None:
    """register_initials(name, initials) for every distinct name in the file, computed in Python."""
    cur.execute("CREATE TEMP TABLE register_initials (name text PRIMARY KEY, initials text) ON COMMIT DROP")
    cur.execute(f"SELECT DISTINCT name_n FROM {VALID}")
    names = [row[0] for row in cur.fetchall()]
    with cur.copy("COPY register_initials (name, initials) FROM STDIN") as copy:
        for name in names:
            copy.write_row((name, pinyin_initials(name)))
    cur.execute("ANALYZE register_initials")
