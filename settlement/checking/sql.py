"""The format checks of spec/claims-upload.md as set-based SQL over the staged rows, and the inserts of an
accepted batch.

The file's rows are COPYed as text into STAGE (one row per bill line, every column a text, '' when empty).
Dates, identity numbers and figures repeat across a month's lines (a few hundred dates, one number per
patient, a price list's prices), so BAD_VALUES checks each distinct value once and keeps the few that are
not valid; a row's own problems are then plain comparisons and look-ups in that small table (hashed),
written as `code@column` in column order. The checks across rows (a line_no twice, claim fields that
differ, a claim_no already accepted, a days_supply missing on a drug line) are one statement each, each
starting from a hash aggregate. Every error becomes a settlement_batcherror row in one INSERT … SELECT;
the words of each code are in settlement.checking.messages. Every cast is guarded by a CASE, because SQL
does not promise to evaluate AND left to right.
"""

from enrollment.reconciliation.sql import (  # GB 11643 and real dates, as the register checks them
    id_check_ok,
    real_date,
)

from .columns import CLAIM_FIELDS, KEYS, POSITION, VALUE_REQUIRED, VISIT_TYPES

STAGE = "settlement_claims_stage"
BAD = "settlement_claims_bad"

# Dropped first: inside a caller's transaction (a test, a batch checked twice in one) ON COMMIT has not come.
CREATE_STAGE = (f"DROP TABLE IF EXISTS {STAGE}, {BAD}; CREATE TEMP TABLE {STAGE} (row_no integer NOT NULL, "
                + ", ".join(f"{key} text NOT NULL DEFAULT ''" for key in KEYS) + ") ON COMMIT DROP")

# Decimals as people write them; trailing zeros are not places ('12.500' is 12.50). Twelve digits before
# the point at most (the columns' size).
_MONEY = r"^-?([0-9]{1,12}(\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)$"
_QUANTITY = r"^([0-9]{1,12}(\.[0-9]{0,6}0*)?|\.[0-9]{1,6}0*)$"
_ZERO = r"^[0.]*$"
_ID = r"^[0-9]{17}[0-9X]$"


def _line_no(col: str) -> str:
    """A line number as compared and stored: digits without leading zeros ('007' is line 7)."""
    return f"CASE WHEN {col} ~ '^[0-9]+$' THEN coalesce(nullif(ltrim({col}, '0'), ''), '0') ELSE {col} END"


def _bad(kind: str) -> str:
    return f"(SELECT v FROM {BAD} WHERE kind = '{kind}')"


# The distinct values that are not valid, with the code of their error: kind 'date', 'id', 'quantity',
# 'money' (unit_price, amount), 'product' (quantity|unit_price|amount whose amount is not the product).
# OFFSET 0 keeps each check above its DISTINCT: once per value, not pushed down to every line.
BAD_VALUES = f"""
    CREATE TEMP TABLE {BAD} ON COMMIT DROP AS
    SELECT 'date' AS kind, v, 'date' AS code
    FROM (SELECT admission_date FROM {STAGE} UNION SELECT discharge_date FROM {STAGE}
          UNION SELECT service_date FROM {STAGE} OFFSET 0) u(v)
    WHERE v <> '' AND NOT {real_date("v")}
    UNION ALL
    SELECT 'id', v, CASE WHEN v !~ '{_ID}' THEN 'id_number_format' ELSE 'id_number_check' END
    FROM (SELECT DISTINCT upper(patient_id_number) FROM {STAGE} OFFSET 0) u(v)
    WHERE v <> '' AND CASE WHEN v ~ '{_ID}' THEN NOT {id_check_ok("v", "convert_to(v, 'UTF8')")} ELSE true END
    UNION ALL
    SELECT 'quantity', v, 'quantity' FROM (SELECT DISTINCT quantity FROM {STAGE} OFFSET 0) u(v)
    WHERE v <> '' AND (v !~ '{_QUANTITY}' OR v ~ '{_ZERO}')
    UNION ALL
    SELECT 'money', v, 'money' FROM (SELECT unit_price FROM {STAGE} UNION SELECT amount FROM {STAGE} OFFSET 0) u(v)
    WHERE v <> '' AND v !~ '{_MONEY}'
    UNION ALL
    SELECT 'product', q || '|' || p || '|' || a, 'amount_mismatch'
    FROM (SELECT DISTINCT quantity, unit_price, amount FROM {STAGE} OFFSET 0) u(q, p, a)
    WHERE CASE WHEN q ~ '{_QUANTITY}' AND q !~ '{_ZERO}' AND p ~ '{_MONEY}' AND a ~ '{_MONEY}'
               THEN round(q::numeric * p::numeric, 2) <> a::numeric ELSE false END
"""


def _problems(present: set[str]) -> str:
    """The array of a row's own problems, `code@column`, in column order. A column the header lacks is
    reported once, on the header row, not on every row."""
    def required(key):
        return f"WHEN s.{key} = '' THEN 'required'" if key in VALUE_REQUIRED else ""

    dates = _bad("date")
    checks = {
        "visit_type": f"WHEN upper(s.visit_type) NOT IN ({', '.join(repr(v) for v in VISIT_TYPES)}) THEN 'visit_type'",
        "patient_id_number": f"WHEN upper(s.patient_id_number) IN {_bad('id')} THEN "
                             f"(SELECT code FROM {BAD} WHERE kind = 'id' AND v = upper(s.patient_id_number))",
        "admission_date": f"WHEN s.admission_date IN {dates} THEN 'date'",
        "discharge_date": (f"WHEN s.discharge_date = '' AND upper(s.visit_type) = 'INPATIENT' THEN 'discharge_required' "
                           f"WHEN s.discharge_date = '' THEN NULL WHEN s.discharge_date IN {dates} THEN 'date' "
                           f"WHEN s.admission_date <> '' AND s.admission_date NOT IN {dates} "
                           f"AND s.discharge_date < s.admission_date THEN 'discharge_before_admission'"),
        "emergency": "WHEN s.emergency NOT IN ('', '0', '1') THEN 'emergency'",
        "service_date": f"WHEN s.service_date IN {dates} THEN 'date'",
        "quantity": f"WHEN s.quantity IN {_bad('quantity')} THEN 'quantity'",
        "unit_price": f"WHEN s.unit_price IN {_bad('money')} THEN 'money'",
        "amount": (f"WHEN s.amount IN {_bad('money')} THEN 'money' "
                   f"WHEN s.quantity || '|' || s.unit_price || '|' || s.amount IN {_bad('product')} "
                   "THEN 'amount_mismatch'"),
        "days_supply": ("WHEN s.days_supply = '' THEN NULL WHEN s.days_supply !~ '^[0-9]{1,9}$' THEN 'days_supply' "
                        "WHEN s.days_supply::integer = 0 THEN 'days_supply'"),
    }
    cases = []
    for key in KEYS:
        if key not in present:
            continue
        body = " ".join(part for part in (required(key), checks.get(key, "")) if part)
        if body:
            cases.append(f"CASE {body} END || '@{key}'")
    return "array_remove(ARRAY[" + ", ".join(cases) + "]::text[], NULL)"


def _value_of(alias: str, column_expr: str) -> str:
    """The row's value as uploaded for a column named by an expression."""
    return f"CASE {column_expr} " + " ".join(f"WHEN '{key}' THEN {alias}.{key}" for key in KEYS) + " END"


def _position(column_expr: str) -> str:
    return f"CASE {column_expr} " + " ".join(f"WHEN '{k}' THEN {p}" for k, p in POSITION.items()) + " ELSE 0 END"


ERROR_COLUMNS = "INSERT INTO settlement_batcherror (batch_id, row, \"column\", position, code, value, detail) "


def row_errors(present: set[str]) -> str:
    """Each row's own problems, one error row each."""
    return ERROR_COLUMNS + f"""
    SELECT %(batch)s, s.row_no, p.col, {_position("p.col")}, p.code, left({_value_of("s", "p.col")}, 200),
           CASE p.code
             WHEN 'amount_mismatch' THEN jsonb_build_object(
               'quantity', s.quantity, 'unit_price', s.unit_price,
               'expected', round(s.quantity::numeric * s.unit_price::numeric, 2)::text)
             WHEN 'discharge_before_admission' THEN jsonb_build_object('admission_date', s.admission_date)
           END
    FROM (SELECT s.*, {_problems(present)} AS problems FROM {STAGE} s) s
    CROSS JOIN LATERAL (SELECT split_part(x, '@', 2) AS col, split_part(x, '@', 1) AS code
                        FROM unnest(s.problems) x) p
    WHERE cardinality(s.problems) > 0
"""


# A line_no used twice in one claim: every row after the first that uses it (a hash aggregate finds the
# pairs; the rows are fetched only for them).
LINE_NO_TWICE = ERROR_COLUMNS + f"""
    WITH lines AS (
      SELECT row_no, claim_no, {_line_no("line_no")} AS line_no FROM {STAGE} WHERE claim_no <> '' AND line_no <> ''
    ), twice AS (
      SELECT claim_no, line_no, min(row_no) AS first_row FROM lines GROUP BY claim_no, line_no HAVING count(*) > 1
    )
    SELECT %(batch)s, l.row_no, 'line_no', {POSITION["line_no"]}, 'line_no_twice', left(l.line_no, 200),
           jsonb_build_object('first_row', t.first_row, 'claim_no', left(l.claim_no, 100))
    FROM lines l JOIN twice t ON t.claim_no = l.claim_no AND t.line_no = l.line_no AND l.row_no > t.first_row
"""

_CLAIM_VALUES = [key for key in CLAIM_FIELDS if key != "claim_no"]


def _claim_value(alias: str, key: str) -> str:
    """A claim field as compared between lines (visit type and identity number in upper case)."""
    return f"upper({alias}.{key})" if key in ("visit_type", "patient_id_number") else f"{alias}.{key}"


# Claim fields that differ between lines of one claim: each differing field of each row, against the
# claim's first row. Only claims whose rows are not all alike are compared field by field.
CLAIM_FIELDS_DIFFER = ERROR_COLUMNS + f"""
    WITH uneven AS (
      SELECT claim_no FROM (SELECT DISTINCT claim_no, {", ".join(_claim_value("s", k) for k in _CLAIM_VALUES)}
                            FROM {STAGE} s WHERE claim_no <> '') d
      GROUP BY claim_no HAVING count(*) > 1
    ), firsts AS (
      SELECT DISTINCT ON (s.claim_no) s.* FROM {STAGE} s JOIN uneven USING (claim_no) ORDER BY s.claim_no, s.row_no
    )
    SELECT %(batch)s, s.row_no, v.col, {_position("v.col")}, 'claim_field_differs', left(v.here, 200),
           jsonb_build_object('first_row', f.row_no, 'there', left(v.there, 200))
    FROM {STAGE} s JOIN firsts f ON f.claim_no = s.claim_no AND f.row_no <> s.row_no
    CROSS JOIN LATERAL (VALUES {", ".join(f"('{k}', {_claim_value('s', k)}, {_claim_value('f', k)})"
                                          for k in _CLAIM_VALUES)}) v(col, here, there)
    WHERE v.here IS DISTINCT FROM v.there
"""

# A claim_no already in an accepted batch of the same provider (claims exist only for accepted batches).
CLAIM_NO_ACCEPTED = ERROR_COLUMNS + f"""
    SELECT %(batch)s, s.row_no, 'claim_no', {POSITION["claim_no"]}, 'claim_no_accepted', left(s.claim_no, 200),
           jsonb_build_object('batch', b.id, 'provider', p.code, 'number', b.number, 'period', b.period)
    FROM (SELECT k.claim_no, k.batch_id FROM settlement_claim k
          WHERE k.provider_id = %(provider)s AND k.claim_no IN (SELECT DISTINCT claim_no FROM {STAGE})) k
    JOIN settlement_claimbatch b ON b.id = k.batch_id
    JOIN core_provider p ON p.id = b.provider_id
    JOIN {STAGE} s ON s.claim_no = k.claim_no
"""


def drug_catalogue() -> str:
    """The catalogue's DRUG entries as a relation (item_code, effective_from, effective_to): eligibility's
    table, joined in SQL as DESIGN.md allows a set-based rule to."""
    from eligibility.models import CatalogueItem

    return (f"(SELECT item_code, effective_from, effective_to FROM {CatalogueItem._meta.db_table} "
            f"WHERE category = '{CatalogueItem.Category.DRUG.value}')")


def days_supply_missing() -> str:
    """days_supply empty on a drug line (the catalogue entry in force on the service date is a DRUG) of an
    OUTPATIENT or OUTPATIENT_SPECIAL claim, or of an INPATIENT claim dated on its discharge date."""
    return ERROR_COLUMNS + f"""
    SELECT %(batch)s, s.row_no, 'days_supply', {POSITION["days_supply"]}, 'days_supply_required', '',
           jsonb_build_object('reason', CASE WHEN upper(s.visit_type) = 'INPATIENT' THEN 'discharge'
                                             ELSE 'outpatient' END)
    FROM {STAGE} s
    JOIN {drug_catalogue()} d ON d.item_code = s.item_code
    WHERE s.days_supply = '' AND s.service_date <> '' AND s.service_date NOT IN {_bad("date")}
      AND (upper(s.visit_type) IN ('OUTPATIENT', 'OUTPATIENT_SPECIAL')
           OR (upper(s.visit_type) = 'INPATIENT' AND s.service_date = s.discharge_date))
      AND d.effective_from <= s.service_date::date AND (d.effective_to IS NULL OR d.effective_to >= s.service_date::date)
    """


# -- an accepted batch: every value is valid, so the casts are safe -------------------------------

INSERT_CLAIMS = f"""
    INSERT INTO settlement_claim (batch_id, provider_id, claim_no, visit_type, patient_id_number, patient_name,
                                  admission_date, discharge_date, diagnosis_code, referral_no, emergency,
                                  transfer_from, line_count, total, first_row)
    SELECT %(batch)s, %(provider)s, f.claim_no, upper(f.visit_type), upper(f.patient_id_number), f.patient_name,
           f.admission_date::date, nullif(f.discharge_date, '')::date, f.diagnosis_code, f.referral_no,
           f.emergency = '1', f.transfer_from, t.lines, t.total, f.row_no
    FROM (SELECT claim_no, min(row_no) AS first_row, count(*) AS lines, sum(amount::numeric) AS total
          FROM {STAGE} GROUP BY claim_no) t
    JOIN {STAGE} f ON f.row_no = t.first_row
"""

# A line's position in its claim (1, 2, …) by line_no, numerically where it is a number.
INSERT_LINES = f"""
    INSERT INTO settlement_claimline (claim_id, line_no, position, row, service_date, item_code, item_name,
                                      quantity, unit_price, amount, days_supply, physician_code, department)
    SELECT k.id, o.line_no, o.position, s.row_no, s.service_date::date, s.item_code, s.item_name,
           s.quantity::numeric, s.unit_price::numeric, s.amount::numeric, nullif(s.days_supply, '')::integer,
           s.physician_code, s.department
    FROM (SELECT row_no, claim_no, line_no,
                 row_number() OVER (PARTITION BY claim_no
                                    ORDER BY CASE WHEN line_no ~ '^[0-9]{{1,18}}$' THEN line_no::numeric END
                                             NULLS LAST, line_no) AS position
          FROM (SELECT row_no, claim_no, {_line_no("line_no")} AS line_no FROM {STAGE}) n) o
    JOIN {STAGE} s ON s.row_no = o.row_no
    JOIN settlement_claim k ON k.batch_id = %(batch)s AND k.claim_no = o.claim_no
"""

TOTALS = f"SELECT count(*), count(DISTINCT claim_no), sum(amount::numeric) FROM {STAGE}"
