"""The format checks of spec/claims-upload.md as set-based SQL over the staged rows, and the inserts of an
accepted batch.

The file's rows are COPYed as text into STAGE (one row per bill line, every column a text, '' when empty).
CHECKED adds the normalised values and each row's own problems, as `column:code` strings in column order;
the checks across rows (a line_no twice, claim fields that differ, a claim_no already accepted, a
days_supply missing on a drug line) are one statement each. Every error becomes a settlement_batcherror
row in one INSERT … SELECT; the words of each code are in settlement.checking.messages.
Every cast is guarded by a CASE, because SQL does not promise to evaluate AND left to right.
"""

from enrollment.reconciliation.sql import id_check_ok, real_date  # GB 11643 and real dates, as the register checks them

from .columns import CLAIM_FIELDS, KEYS, POSITION, VALUE_REQUIRED, VISIT_TYPES

STAGE = "settlement_claims_stage"
CHECKED = "settlement_claims_checked"

# Dropped first: inside a caller's transaction (a test, a batch checked twice in one) ON COMMIT has not come.
CREATE_STAGE = (f"DROP TABLE IF EXISTS {STAGE}, {CHECKED}; CREATE TEMP TABLE {STAGE} (row_no integer NOT NULL, "
                + ", ".join(f"{key} text NOT NULL DEFAULT ''" for key in KEYS) + ") ON COMMIT DROP")

# A decimal as people write it: digits with an optional fraction (a sign where a value may be negative).
_DECIMAL = r"^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$"
_SIGNED = r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_LIMIT = "1000000000000"  # 10^12: the columns hold twelve digits before the point


def _line_no(col: str) -> str:
    """A line number as compared and stored: digits without leading zeros ('007' is line 7)."""
    return f"CASE WHEN {col} ~ '^[0-9]+$' THEN coalesce(nullif(ltrim({col}, '0'), ''), '0') ELSE {col} END"


def _problems(present: set[str]) -> str:
    """The array of a row's own problems, `column:code`, in column order. A column the header lacks is
    reported once, on the header row, not on every row."""
    def required(key):
        return f"WHEN c.{key} = '' THEN 'required'" if key in present and key in VALUE_REQUIRED else ""

    checks = {
        "claim_no": "",
        "visit_type": f"WHEN c.visit_type NOT IN ({', '.join(repr(v) for v in VISIT_TYPES)}) THEN 'visit_type'",
        "patient_id_number": "WHEN NOT c.id_shape THEN 'id_number_format' WHEN NOT c.id_check THEN 'id_number_check'",
        "patient_name": "",
        "admission_date": "WHEN NOT c.adm_ok THEN 'date'",
        "discharge_date": ("WHEN c.discharge_date = '' AND c.visit_type = 'INPATIENT' THEN 'discharge_required' "
                           "WHEN c.discharge_date = '' THEN NULL WHEN NOT c.dis_ok THEN 'date' "
                           "WHEN c.adm_ok AND c.discharge_date < c.admission_date THEN 'discharge_before_admission'"),
        "diagnosis_code": "",
        "referral_no": "",
        "emergency": "WHEN c.emergency NOT IN ('', '0', '1') THEN 'emergency'",
        "transfer_from": "",
        "line_no": "",
        "service_date": "WHEN NOT c.svc_ok THEN 'date'",
        "item_code": "",
        "item_name": "",
        "quantity": "WHEN c.qty IS NULL THEN 'quantity'",
        "unit_price": "WHEN c.price IS NULL THEN 'money'",
        "amount": ("WHEN c.amt IS NULL THEN 'money' "
                   "WHEN c.qty IS NOT NULL AND c.price IS NOT NULL AND round(c.qty * c.price, 2) <> c.amt "
                   "THEN 'amount_mismatch'"),
        "days_supply": "WHEN c.days_supply <> '' AND NOT c.days_ok THEN 'days_supply'",
        "physician_code": "",
        "department": "",
    }
    cases = []
    for key in KEYS:
        if key not in present:
            continue
        body = " ".join(part for part in (required(key), checks[key]) if part)
        if body:
            cases.append(f"CASE {body} END || '@{key}'")
    return "array_remove(ARRAY[" + ", ".join(cases) + "]::text[], NULL)"


def _money(col: str) -> str:
    """The value as numeric when it is a decimal with at most two places (trailing zeros aside), else NULL."""
    return (f"CASE WHEN {col} ~ '{_SIGNED}' AND length(split_part(ltrim({col}, '-'), '.', 1)) <= 13 THEN "
            f"CASE WHEN abs({col}::numeric) < {_LIMIT} AND {col}::numeric = round({col}::numeric, 2) "
            f"THEN {col}::numeric END END")


def create_checked(present: set[str]) -> str:
    """CHECKED: every staged row, normalised, with its typed values (NULL where not valid) and problems."""
    return f"""
    CREATE TEMP TABLE {CHECKED} ON COMMIT DROP AS
    SELECT c.*, {_problems(present)} AS problems
    FROM (
      SELECT s.row_no, s.claim_no, upper(s.visit_type) AS visit_type, upper(s.patient_id_number) AS patient_id_number,
             s.patient_name, s.admission_date, s.discharge_date, s.diagnosis_code, s.referral_no, s.emergency,
             s.transfer_from, {_line_no("s.line_no")} AS line_no, s.service_date, s.item_code, s.item_name,
             s.quantity, s.unit_price, s.amount, s.days_supply, s.physician_code, s.department,
             s.id_shape,
             CASE WHEN s.id_shape THEN {id_check_ok("upper(s.patient_id_number)", "s.idb")} ELSE false END AS id_check,
             {real_date("s.admission_date")} AS adm_ok,
             {real_date("s.discharge_date")} AS dis_ok,
             {real_date("s.service_date")} AS svc_ok,
             CASE WHEN s.quantity ~ '{_DECIMAL}' AND length(split_part(s.quantity, '.', 1)) <= 13 THEN
               CASE WHEN s.quantity::numeric > 0 AND s.quantity::numeric < {_LIMIT}
                         AND s.quantity::numeric = round(s.quantity::numeric, 6) THEN s.quantity::numeric END
             END AS qty,
             {_money("s.unit_price")} AS price,
             {_money("s.amount")} AS amt,
             CASE WHEN s.days_supply ~ '^[0-9]{{1,9}}$' THEN s.days_supply::integer > 0 ELSE false END AS days_ok
      FROM (
        SELECT st.*, upper(st.patient_id_number) ~ '^[0-9]{{17}}[0-9X]$' AS id_shape,
               convert_to(upper(st.patient_id_number), 'UTF8') AS idb
        FROM {STAGE} st
        OFFSET 0
      ) s
      OFFSET 0
    ) c
    """


def _value_of(alias: str, column_expr: str) -> str:
    """The row's value as uploaded (normalised) for a column named by an expression."""
    cases = " ".join(f"WHEN '{key}' THEN {alias}.{key}" for key in KEYS)
    return f"CASE {column_expr} {cases} END"


def _position(column_expr: str) -> str:
    return f"CASE {column_expr} " + " ".join(f"WHEN '{k}' THEN {p}" for k, p in POSITION.items()) + " ELSE 0 END"


ERROR_COLUMNS = "INSERT INTO settlement_batcherror (batch_id, row, \"column\", position, code, value, detail) "

# Each row's own problems.
ROW_ERRORS = ERROR_COLUMNS + f"""
    SELECT %(batch)s, c.row_no, p.col, {_position("p.col")}, p.code, left({_value_of("c", "p.col")}, 200),
           CASE p.code
             WHEN 'amount_mismatch' THEN jsonb_build_object(
               'quantity', c.quantity, 'unit_price', c.unit_price, 'expected', round(c.qty * c.price, 2)::text)
             WHEN 'discharge_before_admission' THEN jsonb_build_object('admission_date', c.admission_date)
           END
    FROM {CHECKED} c
    CROSS JOIN LATERAL (SELECT split_part(x, '@', 2) AS col, split_part(x, '@', 1) AS code
                        FROM unnest(c.problems) x) p
    WHERE cardinality(c.problems) > 0
"""

# A line_no used twice in one claim: every row after the first that uses it.
LINE_NO_TWICE = ERROR_COLUMNS + f"""
    SELECT %(batch)s, row_no, 'line_no', {POSITION["line_no"]}, 'line_no_twice', left(line_no, 200),
           jsonb_build_object('first_row', first_row, 'claim_no', left(claim_no, 100))
    FROM (SELECT row_no, claim_no, line_no, min(row_no) OVER (PARTITION BY claim_no, line_no) AS first_row
          FROM {CHECKED} WHERE claim_no <> '' AND line_no <> '') x
    WHERE row_no > first_row
"""

_CLAIM_VALUES = [key for key in CLAIM_FIELDS if key != "claim_no"]


def _claim_value(alias: str, key: str) -> str:
    return f"{alias}.{key}"


# Claim fields that differ between lines of one claim: each differing field of each row, against the
# claim's first row. Only claims whose rows are not all alike are compared field by field.
CLAIM_FIELDS_DIFFER = ERROR_COLUMNS + f"""
    WITH uneven AS (
      SELECT claim_no FROM {CHECKED} WHERE claim_no <> ''
      GROUP BY claim_no HAVING count(DISTINCT ({", ".join(_claim_value(CHECKED, k) for k in _CLAIM_VALUES)})) > 1
    ), firsts AS (
      SELECT DISTINCT ON (c.claim_no) c.* FROM {CHECKED} c JOIN uneven USING (claim_no)
      ORDER BY c.claim_no, c.row_no
    )
    SELECT %(batch)s, c.row_no, v.col, {_position("v.col")}, 'claim_field_differs', left(v.here, 200),
           jsonb_build_object('first_row', f.row_no, 'there', left(v.there, 200))
    FROM {CHECKED} c JOIN firsts f ON f.claim_no = c.claim_no AND f.row_no <> c.row_no
    CROSS JOIN LATERAL (VALUES {", ".join(f"('{k}', {_claim_value('c', k)}, {_claim_value('f', k)})"
                                          for k in _CLAIM_VALUES)}) v(col, here, there)
    WHERE v.here IS DISTINCT FROM v.there
"""

# A claim_no already in an accepted batch of the same provider (claims exist only for accepted batches).
CLAIM_NO_ACCEPTED = ERROR_COLUMNS + f"""
    SELECT %(batch)s, c.row_no, 'claim_no', {POSITION["claim_no"]}, 'claim_no_accepted', left(c.claim_no, 200),
           jsonb_build_object('batch', b.id, 'period', b.period)
    FROM {CHECKED} c
    JOIN settlement_claim k ON k.provider_id = %(provider)s AND k.claim_no = c.claim_no
    JOIN settlement_claimbatch b ON b.id = k.batch_id
"""


def drug_catalogue() -> str:
    """The catalogue's DRUG entries as a relation (item_code, effective_from, effective_to), for the
    rule "days_supply is required on drug lines (catalogue category DRUG)".

    TO COMPLETE: eligibility's catalogue (engineer "eligdata", eligibility.CatalogueItem) is not on main
    yet. When it is, return its DRUG entries, read through eligibility's selectors, e.g.
        f"(SELECT item_code, effective_from, effective_to FROM {CatalogueItem._meta.db_table} "
        "WHERE category = 'DRUG')"
    Until then no line is known to be a drug line, so days_supply is never reported missing.
    """
    return "(SELECT NULL::text AS item_code, NULL::date AS effective_from, NULL::date AS effective_to WHERE false)"


def days_supply_missing() -> str:
    """days_supply empty on a drug line (the catalogue entry in force on the service date is a DRUG) of an
    OUTPATIENT or OUTPATIENT_SPECIAL claim, or of an INPATIENT claim dated on its discharge date."""
    return ERROR_COLUMNS + f"""
    SELECT %(batch)s, c.row_no, 'days_supply', {POSITION["days_supply"]}, 'days_supply_required', '',
           jsonb_build_object('reason', CASE WHEN c.visit_type = 'INPATIENT' THEN 'discharge' ELSE 'outpatient' END)
    FROM {CHECKED} c
    WHERE c.days_supply = '' AND c.svc_ok
      AND (c.visit_type IN ('OUTPATIENT', 'OUTPATIENT_SPECIAL')
           OR (c.visit_type = 'INPATIENT' AND c.dis_ok AND c.service_date = c.discharge_date))
      AND EXISTS (SELECT 1 FROM {drug_catalogue()} d
                  WHERE d.item_code = c.item_code AND d.effective_from <= c.service_date::date
                    AND (d.effective_to IS NULL OR d.effective_to >= c.service_date::date))
    """


# -- an accepted batch ---------------------------------------------------------------------------

INSERT_CLAIMS = f"""
    INSERT INTO settlement_claim (batch_id, provider_id, claim_no, visit_type, patient_id_number, patient_name,
                                  admission_date, discharge_date, diagnosis_code, referral_no, emergency,
                                  transfer_from, line_count, total, first_row)
    SELECT %(batch)s, %(provider)s, f.claim_no, f.visit_type, f.patient_id_number, f.patient_name, f.admission_date::date,
           CASE WHEN f.discharge_date <> '' THEN f.discharge_date::date END, f.diagnosis_code, f.referral_no,
           f.emergency = '1', f.transfer_from, t.lines, t.total, f.row_no
    FROM (SELECT DISTINCT ON (claim_no) * FROM {CHECKED} ORDER BY claim_no, row_no) f
    JOIN (SELECT claim_no, count(*) AS lines, sum(amt) AS total FROM {CHECKED} GROUP BY claim_no) t USING (claim_no)
"""

INSERT_LINES = f"""
    INSERT INTO settlement_claimline (claim_id, line_no, position, row, service_date, item_code, item_name,
                                      quantity, unit_price, amount, days_supply, physician_code, department)
    SELECT k.id, c.line_no,
           row_number() OVER (PARTITION BY c.claim_no
                              ORDER BY CASE WHEN c.line_no ~ '^[0-9]{{1,18}}$' THEN c.line_no::numeric END NULLS LAST,
                                       c.line_no),
           c.row_no, c.service_date::date, c.item_code, c.item_name, c.qty, c.price, c.amt,
           CASE WHEN c.days_supply <> '' THEN c.days_supply::integer END, c.physician_code, c.department
    FROM {CHECKED} c JOIN settlement_claim k ON k.batch_id = %(batch)s AND k.claim_no = c.claim_no
"""

TOTALS = f"SELECT count(*), count(DISTINCT claim_no), sum(amt) FROM {CHECKED}"
