"""The set-based SQL of the comparison: row validation, the diff, the discrepancy upsert.

Validation follows spec/agency-extract.md exactly ("Nothing else makes a row invalid") and is
written to agree with enrollment/identity.py (a test holds the two to the same answers).
Every cast is guarded by a CASE, because SQL does not promise to evaluate AND left to right.
Problems come out as stable codes `column:reason`; PROBLEM_MESSAGES gives their words.
"""

from django.utils.translation import gettext_lazy as _

from .extract import LINES, STAGE

PROVINCES = "11,12,13,14,15,21,22,23,31,32,33,34,35,36,37,41,42,43,44,45,46,50,51,52,53,54,61,62,63,64,65,71,81,82"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

PROBLEM_MESSAGES = {
    "row:columns": _("wrong number of columns"),
    "name:empty": _("the name is empty"),
    "id_number:format": _("not 17 digits and a check character"),
    "id_number:province": _("the first two digits are not a province code"),
    "id_number:check": _("the check character is wrong"),
    "gender:value": _("the gender is not 1 or 2"),
    "gender:id_mismatch": _("the gender disagrees with the identity number"),
    "birth_date:date": _("not a real YYYY-MM-DD date"),
    "birth_date:future": _("the birth date is in the future"),
    "birth_date:id_mismatch": _("the birth date differs from the one in the identity number"),
    "status_date:date": _("not a real YYYY-MM-DD date"),
    "status_date:before_birth": _("the status date is before the birth date"),
    "insurance_type:value": _("the insurance type is not EMP or RES"),
    "status:value": _("the status is not ACTIVE, SUSPENDED or TERMINATED"),
    "employer_code:invalid": _("not a valid unified social credit code"),
    "employer_code:not_empty": _("must be empty for a resident (RES)"),
    "paid_through:month": _("not a real YYYY-MM month"),
}


def describe(code: str) -> tuple[str, str]:
    """'birth_date:future' -> ('birth_date', 'the birth date is in the future')."""
    column = code.split(":", 1)[0]
    return ("" if column == "row" else column), str(PROBLEM_MESSAGES.get(code, code))


def _int(expr: str, start: int, length: int) -> str:
    return f"substr({expr}, {start}, {length})::int"


def real_date(col: str) -> str:
    y, m, d = _int(col, 1, 4), _int(col, 6, 2), _int(col, 9, 2)
    days = (f"CASE WHEN {m} = 2 THEN CASE WHEN (mod({y}, 4) = 0 AND mod({y}, 100) <> 0) OR mod({y}, 400) = 0 "
            "THEN 29 ELSE 28 END "
            f"WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END")
    return (f"CASE WHEN {col} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN "
            f"CASE WHEN {m} BETWEEN 1 AND 12 AND {y} >= 1 THEN {d} BETWEEN 1 AND {days} ELSE false END "
            f"ELSE false END")


def real_month(col: str) -> str:
    return (f"CASE WHEN {col} ~ '^[0-9]{{4}}-[0-9]{{2}}$' THEN "
            f"{_int(col, 6, 2)} BETWEEN 1 AND 12 AND {_int(col, 1, 4)} >= 1 ELSE false END")


def id_check_ok(idn: str, idb: str) -> str:
    """GB 11643: the weighted sum of the 17 digits, read as bytes (cheaper than 17 casts)."""
    total = " + ".join(f"(get_byte({idb}, {i}) - 48) * {w}" for i, w in enumerate(ID_WEIGHTS))
    return f"substr('10X98765432', mod({total}, 11) + 1, 1) = substr({idn}, 18, 1)"


# Byte value -> position in the USCC alphabet (GB 32100), as a 128-byte table.
_USCC_TABLE = bytes(USCC_ALPHABET.index(chr(b)) if chr(b) in USCC_ALPHABET else 0 for b in range(128)).hex()


def uscc_ok(code: str, codeb: str) -> str:
    total = " + ".join(f"get_byte('\\x{_USCC_TABLE}'::bytea, get_byte({codeb}, {i})) * {w}"
                       for i, w in enumerate(USCC_WEIGHTS))
    return (f"CASE WHEN {code} ~ '^[0-9]{{8}}[0-9ABCDEFGHJKLMNPQRTUWXY]{{10}}$' THEN "
            f"substr('{USCC_ALPHABET}', mod(31 - mod({total}, 31), 31) + 1, 1) = substr({code}, 18, 1) "
            f"ELSE false END")


def validated(source: str = STAGE, today_param: str = "%(today)s") -> str:
    """A SELECT over `source` (the staging table's columns, and any others, passed through):
    each row normalised (idn, name_n, emp), with its problems and its typed values (bd, sd, pt).

    Each level is fenced with OFFSET 0 so that PostgreSQL computes every expression once per row
    instead of inlining it into each place that uses it.
    """
    return f"""
    SELECT s2.*,
           cardinality(s2.problems) = 0 AS valid,
           CASE WHEN cardinality(s2.problems) = 0 THEN s2.birth_date::date END AS bd,
           CASE WHEN cardinality(s2.problems) = 0 THEN s2.status_date::date END AS sd,
           CASE WHEN cardinality(s2.problems) = 0 THEN (s2.paid_through || '-01')::date END AS pt
    FROM (
      SELECT s1.*,
        CASE WHEN s1.ncols <> 9 THEN ARRAY['row:columns'] ELSE array_remove(ARRAY[
          CASE WHEN s1.name_n = '' THEN 'name:empty' END,
          CASE WHEN NOT s1.id_shape THEN 'id_number:format'
               WHEN NOT s1.id_province THEN 'id_number:province'
               WHEN NOT s1.id_check THEN 'id_number:check' END,
          CASE WHEN s1.gender NOT IN ('1', '2') THEN 'gender:value'
               WHEN s1.id_shape AND s1.gender <> s1.id_gender THEN 'gender:id_mismatch' END,
          CASE WHEN NOT s1.bd_ok THEN 'birth_date:date'
               WHEN s1.birth_date > {today_param} THEN 'birth_date:future'
               WHEN s1.id_shape AND s1.birth_date <> s1.id_birth THEN 'birth_date:id_mismatch' END,
          CASE WHEN NOT s1.sd_ok THEN 'status_date:date'
               WHEN s1.bd_ok AND s1.status_date < s1.birth_date THEN 'status_date:before_birth' END,
          CASE WHEN s1.insurance_type NOT IN ('EMP', 'RES') THEN 'insurance_type:value' END,
          CASE WHEN s1.status NOT IN ('ACTIVE', 'SUSPENDED', 'TERMINATED') THEN 'status:value' END,
          CASE WHEN s1.insurance_type = 'EMP' AND NOT s1.emp_ok THEN 'employer_code:invalid'
               WHEN s1.insurance_type = 'RES' AND s1.emp <> '' THEN 'employer_code:not_empty' END,
          CASE WHEN NOT s1.pt_ok THEN 'paid_through:month' END
        ], NULL) END AS problems
      FROM (
        SELECT s0.*,
          CASE WHEN s0.id_shape THEN {_int("s0.idn", 1, 2)} IN ({PROVINCES}) ELSE false END AS id_province,
          CASE WHEN s0.id_shape THEN {id_check_ok("s0.idn", "s0.idb")} ELSE false END
          AS id_check,
          CASE WHEN s0.id_shape THEN substr(s0.idn, 7, 4) || '-' || substr(s0.idn, 11, 2) || '-'
               || substr(s0.idn, 13, 2) END AS id_birth,
          CASE WHEN s0.id_shape THEN CASE WHEN mod({_int("s0.idn", 17, 1)}, 2) = 1 THEN '1' ELSE '2' END
          END AS id_gender,
          {real_date("s0.birth_date")} AS bd_ok,
          {real_date("s0.status_date")} AS sd_ok,
          {real_month("s0.paid_through")} AS pt_ok,
          {uscc_ok("s0.emp", "s0.empb")} AS emp_ok
        FROM (
          SELECT s.*, upper(s.id_number) AS idn, upper(s.id_number) ~ '^[0-9]{{17}}[0-9X]$' AS id_shape,
                 btrim(s.name) AS name_n, upper(btrim(s.employer_code)) AS emp,
                 convert_to(upper(s.id_number), 'UTF8') AS idb, convert_to(upper(btrim(s.employer_code)), 'UTF8') AS empb
          FROM {source} s
          OFFSET 0
        ) s0
        OFFSET 0
      ) s1
      OFFSET 0
    ) s2
    """


DUPLICATES = f"""
    SELECT id, lines FROM (
      SELECT upper(id_number) AS id, count(*) AS n, array_agg(line_no ORDER BY line_no) AS lines
      FROM {STAGE} WHERE id_number <> '' GROUP BY upper(id_number)
    ) g WHERE n > 1 ORDER BY lines[1] LIMIT 20
"""

def find_duplicates(cursor) -> list[tuple[str, list[int]]]:
    """Identity numbers on more than one row: (number, line numbers). A hash aggregate, not a sort;
    the line numbers are gathered only when there is a duplicate to report."""
    cursor.execute("SET LOCAL enable_sort = off")
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {STAGE} WHERE id_number <> '' "
                   "GROUP BY upper(id_number) HAVING count(*) > 1)")
    rows = []
    if cursor.fetchone()[0]:
        cursor.execute(DUPLICATES)
        rows = cursor.fetchall()
    cursor.execute("SET LOCAL enable_sort = on")
    return rows


def find_duplicates_in_lines(cursor) -> list[tuple[str, list[int]]]:
    """Duplicates among the raw lines (only run once pass 1's counts showed there are some)."""
    cursor.execute(f"""
        SELECT id, lines FROM (
          SELECT upper(split_part(line, ',', 1)) AS id, count(*) AS n, array_agg(line_no ORDER BY line_no) AS lines
          FROM {LINES} WHERE line ~ '[^[:space:]]' GROUP BY 1
        ) g WHERE n > 1 AND id <> '' ORDER BY lines[1] LIMIT 20
    """)
    return cursor.fetchall()


def with_matched_lines(cursor, rows: list[tuple[str, int]]) -> list[tuple[str, list[int]]]:
    """For parsed lines whose number another, exactly matched line carries: both line numbers."""
    out = []
    for number, line_no in rows:
        cursor.execute(f"SELECT line_no FROM {LINES} WHERE left(line, 18) = %s AND line_no <> %s", [number, line_no])
        out.append((number, sorted([line_no, *(r[0] for r in cursor.fetchall())])))
    return out


# Pass 1, fast path, over the whole file and the whole register (one FULL JOIN): the raw lines
# that are not exactly the register's own rendering of the person (Person.extract_line), and the
# persons no line matched. A line equal to it is the same row, and valid, because the register's
# row was validated when it came in; only the few others are parsed and checked in pass 2.
UNMATCHED = f"""
    CREATE TEMP TABLE agency_unmatched ON COMMIT DROP AS
    SELECT l.line_no, l.line, p.id AS person_id
    FROM {LINES} l FULL JOIN enrollment_person p ON p.id_number = left(l.line, 18)
    WHERE l.line IS DISTINCT FROM p.extract_line
"""

# The persons pass 2 compares: those pass 1 left unmatched or mismatched, and any whose number
# a parsed line carries in another form (a lowercase x).
PERSONS = f"""
    CREATE TEMP TABLE agency_persons ON COMMIT DROP AS
    SELECT p.* FROM enrollment_person p WHERE p.id = ANY(ARRAY(
      SELECT person_id FROM agency_unmatched WHERE person_id IS NOT NULL
      UNION
      SELECT p2.id FROM enrollment_person p2 WHERE p2.id_number = ANY(ARRAY(
        SELECT upper(s.id_number) FROM {STAGE} s JOIN agency_unmatched u ON u.line_no = s.line_no
        WHERE u.person_id IS NULL))
    ))
"""

# A parsed line whose number belongs to a person pass 1 matched exactly: that number is on two rows.
DUPLICATES_OF_MATCHED = f"""
    SELECT upper(s.id_number), s.line_no FROM {STAGE} s
    JOIN agency_persons p ON p.id_number = upper(s.id_number)
    WHERE p.id NOT IN (SELECT person_id FROM agency_unmatched WHERE person_id IS NOT NULL)
    LIMIT 20
"""


def diff(persons: str) -> str:
    """Pass 2: the staged rows and `persons` that differ in any way, in one FULL JOIN."""
    return f"""
    CREATE TEMP TABLE agency_diff ON COMMIT DROP AS
    SELECT s.line_no, s.ncols, s.id_number, s.name, s.gender, s.birth_date, s.insurance_type, s.employer_code,
           s.status, s.status_date, s.paid_through,
           p.id AS person_id, p.id_number AS p_id_number, p.name AS p_name, p.gender AS p_gender,
           p.birth_date AS p_birth_date, p.insurance_type AS p_insurance_type, p.employer_code AS p_employer_code,
           p.status AS p_status, p.status_date AS p_status_date, p.paid_through AS p_paid_through
    FROM {STAGE} s
    FULL JOIN {persons} p ON p.id_number = upper(s.id_number)
    WHERE (s.ncols = 9 AND s.id_number = p.id_number AND s.name = p.name AND s.gender = p.gender
           AND s.birth_date = p.birth_date::text AND s.insurance_type = p.insurance_type
           AND s.employer_code = p.employer_code AND s.status = p.status AND s.status_date = p.status_date::text
           AND s.paid_through = coalesce(left(p.paid_through::text, 7), '')) IS NOT TRUE
    """


CHECKED = f"""
    CREATE TEMP TABLE agency_checked ON COMMIT DROP AS
    SELECT v.* FROM ({validated("agency_diff")}) v
    WHERE v.line_no IS NULL OR v.person_id IS NULL OR NOT v.valid
       OR (v.p_name, v.p_gender, v.p_birth_date, v.p_insurance_type, v.p_employer_code, v.p_status,
           v.p_status_date, v.p_paid_through)
          IS DISTINCT FROM (v.name_n, v.gender, v.bd, v.insurance_type, v.emp, v.status, v.sd, v.pt)
"""

_AGENCY_ROW = """jsonb_build_object('line', d.line_no, 'id_number', d.id_number, 'name', d.name,
    'gender', d.gender, 'birth_date', d.birth_date, 'insurance_type', d.insurance_type,
    'employer_code', d.employer_code, 'status', d.status, 'status_date', d.status_date,
    'paid_through', d.paid_through)"""

# One row per discrepancy found tonight: kind, identity, field, values.
FOUND = f"""
    CREATE TEMP TABLE agency_found ON COMMIT DROP AS
    SELECT 'MISSING_LOCAL'::text AS kind, d.idn AS id_number, ''::text AS field, ''::text AS our_value,
           ''::text AS agency_value, {_AGENCY_ROW} AS agency_row, ''::text AS reason, d.line_no
      FROM agency_checked d WHERE d.person_id IS NULL AND d.valid
    UNION ALL
    SELECT 'MISSING_AGENCY', d.p_id_number, '', d.p_status, '', NULL, '', NULL
      FROM agency_checked d WHERE d.line_no IS NULL
    UNION ALL
    SELECT DISTINCT ON (d.id_number) 'INVALID_ROW', left(d.id_number, 64), '', '', '', {_AGENCY_ROW},
           array_to_string(d.problems, ' '), d.line_no
      FROM agency_checked d WHERE d.line_no IS NOT NULL AND NOT d.valid
    UNION ALL
    SELECT 'FIELD_MISMATCH', d.idn, f.field, f.ours, f.theirs, {_AGENCY_ROW}, '', d.line_no
      FROM agency_checked d
      CROSS JOIN LATERAL (VALUES
        ('name', d.p_name, d.name_n),
        ('gender', d.p_gender, d.gender),
        ('birth_date', to_char(d.p_birth_date, 'YYYY-MM-DD'), d.birth_date),
        ('insurance_type', d.p_insurance_type, d.insurance_type),
        ('employer_code', d.p_employer_code, d.emp),
        ('status', d.p_status, d.status),
        ('status_date', to_char(d.p_status_date, 'YYYY-MM-DD'), d.status_date),
        ('paid_through', coalesce(to_char(d.p_paid_through, 'YYYY-MM'), ''), d.paid_through)
      ) AS f(field, ours, theirs)
      WHERE d.valid AND d.person_id IS NOT NULL AND f.ours IS DISTINCT FROM f.theirs
"""

# Tonight's discrepancies become, or update, the open ones (first seen / last seen / nights seen).
# An open one whose values changed (what we hold, what the agency sends, why its row is invalid)
# gets a new version: a resolution from a page shown before tonight is refused as stale. Seen again
# unchanged (or only on another line of the file), it keeps its version.
UPSERT = """
    WITH up AS (
      INSERT INTO enrollment_discrepancy AS d
        (kind, id_number, field, our_value, agency_value, agency_row, reason, line_no, first_seen, last_seen,
         nights_seen, status, close_reason, resolution, resolution_note, version)
      SELECT kind, id_number, field, our_value, agency_value, agency_row, reason, line_no, %(run_date)s,
             %(run_date)s, 1, 'OPEN', '', '', '', 1
      FROM agency_found
      ON CONFLICT (kind, id_number, field) WHERE closed_on IS NULL DO UPDATE SET
        our_value = EXCLUDED.our_value, agency_value = EXCLUDED.agency_value, agency_row = EXCLUDED.agency_row,
        reason = EXCLUDED.reason, line_no = EXCLUDED.line_no,
        nights_seen = d.nights_seen + CASE WHEN EXCLUDED.last_seen > d.last_seen THEN 1 ELSE 0 END,
        last_seen = GREATEST(d.last_seen, EXCLUDED.last_seen),
        version = d.version + CASE
          WHEN (d.our_value, d.agency_value, d.reason, d.agency_row - 'line')
               IS DISTINCT FROM (EXCLUDED.our_value, EXCLUDED.agency_value, EXCLUDED.reason,
                                 EXCLUDED.agency_row - 'line') THEN 1 ELSE 0 END
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FROM up
"""

# A difference that is gone closes its discrepancy, with the date: a move to CLOSED made as the
# system user, from the states the transitions table lets it close (core.workflow.movable_from).
# Returns each closed one (id, previous state, text) for its audit entry.
CLOSE_GONE = """
    UPDATE enrollment_discrepancy d
       SET status = 'CLOSED', closed_on = GREATEST(%(run_date)s::date, d.last_seen), close_reason = 'GONE',
           version = d.version + 1
      FROM (SELECT g.id, g.status FROM enrollment_discrepancy g
             WHERE g.closed_on IS NULL AND g.status = ANY(%(closable)s)
               AND NOT EXISTS (SELECT 1 FROM agency_found f
                                WHERE f.kind = g.kind AND f.id_number = g.id_number AND f.field = g.field)) gone
     WHERE d.id = gone.id
 RETURNING d.id, gone.status, btrim(d.kind || ' ' || d.id_number || ' ' || d.field)
"""

OPEN_COUNTS = """
    SELECT kind, count(*) FROM enrollment_discrepancy WHERE closed_on IS NULL GROUP BY kind
"""
