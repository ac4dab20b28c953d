"""The catalogue and disease-class files (spec/review-rules.md, Reference data): their columns,
the set-based checks of every row, and the statements that apply a valid file."""

from django.utils.translation import gettext_lazy as _

from .sql import as_date, problems, real_date, split_list

CATALOGUE_COLUMNS = ("item_code", "name", "category", "pay_class", "price_cap", "sex_limit", "age_min", "age_max",
                     "max_per_day", "max_per_claim", "effective_from", "effective_to")
CATALOGUE_OPTIONAL = ("indications",)
CATALOGUE_STAGE = "catalogue_stage"
CATALOGUE_CHECKED = "catalogue_checked"

MESSAGES = {
    "row:columns": _("wrong number of columns"),
    "item_code:empty": _("the item code is empty"),
    "item_code:long": _("the item code is longer than 50 characters"),
    "name:empty": _("the name is empty"),
    "name:long": _("the name is longer than 200 characters"),
    "category:value": _("the category is not DRUG, SERVICE, MATERIAL or BED"),
    "pay_class:value": _("the class is not A, B or C"),
    "price_cap:decimal": _("not empty or a decimal of at most 10 digits and 4 places"),
    "sex_limit:value": _("the sex limit is not M, F or empty"),
    "age_min:whole": _("not empty or whole years from 0 to 150"),
    "age_max:whole": _("not empty or whole years from 0 to 150"),
    "age_max:below_min": _("age_max is below age_min"),
    "max_per_day:number": _("not empty or a number of units above 0 (at most 3 places)"),
    "max_per_claim:number": _("not empty or a number of units above 0 (at most 3 places)"),
    "indications:prefix": _("each indication must be an ICD-10 prefix: a letter and up to two digits"),
    "effective_from:date": _("not a real YYYY-MM-DD date"),
    "effective_to:date": _("not empty or a real YYYY-MM-DD date"),
    "effective_to:before_from": _("effective_to is before effective_from"),
    "effective_from:twice": _("the same item_code and effective_from as line %(other)s"),
    "effective_from:overlaps_line": _("the item's period overlaps its period on line %(other)s"),
    "effective_from:overlaps_loaded": _("the item's period overlaps its entry from %(other)s already in the "
                                        "catalogue, which this file does not replace"),
}

_DECIMAL_CAP = r"^[0-9]{1,10}(\.[0-9]{1,4})?$"
_UNITS = r"^[0-9]{1,9}(\.[0-9]{1,3})?$"
_AGE = r"^[0-9]{1,3}$"


def _age_ok(col: str) -> str:
    return f"({col} = '' OR CASE WHEN {col} ~ '{_AGE}' THEN {col}::int <= 150 ELSE false END)"


def _units_ok(col: str) -> str:
    return f"({col} = '' OR CASE WHEN {col} ~ '{_UNITS}' THEN {col}::numeric > 0 ELSE false END)"


def catalogue_checked_sql(width: int) -> str:
    """CREATE the checked table: each staged row normalised, with its problems and typed values."""
    row_problems = problems(
        "CASE WHEN s1.code = '' THEN 'item_code:empty' WHEN length(s1.code) > 50 THEN 'item_code:long' END",
        "CASE WHEN s1.name_n = '' THEN 'name:empty' WHEN length(s1.name_n) > 200 THEN 'name:long' END",
        "CASE WHEN s1.cat NOT IN ('DRUG', 'SERVICE', 'MATERIAL', 'BED') THEN 'category:value' END",
        "CASE WHEN s1.cls NOT IN ('A', 'B', 'C') THEN 'pay_class:value' END",
        f"CASE WHEN s1.cap <> '' AND s1.cap !~ '{_DECIMAL_CAP}' THEN 'price_cap:decimal' END",
        "CASE WHEN s1.sex NOT IN ('', 'M', 'F') THEN 'sex_limit:value' END",
        "CASE WHEN NOT s1.amin_ok THEN 'age_min:whole' END",
        "CASE WHEN NOT s1.amax_ok THEN 'age_max:whole' "
        "WHEN s1.amin <> '' AND s1.amax <> '' AND s1.amin_ok AND s1.amax::int < s1.amin::int "
        "THEN 'age_max:below_min' END",
        f"CASE WHEN NOT {_units_ok('s1.mpd')} THEN 'max_per_day:number' END",
        f"CASE WHEN NOT {_units_ok('s1.mpc')} THEN 'max_per_claim:number' END",
        "CASE WHEN cardinality(s1.ind) > 0 AND EXISTS (SELECT 1 FROM unnest(s1.ind) p WHERE p !~ '^[A-Z][0-9]{0,2}$') "
        "THEN 'indications:prefix' END",
        "CASE WHEN NOT s1.ef_ok THEN 'effective_from:date' END",
        "CASE WHEN s1.et <> '' AND NOT s1.et_ok THEN 'effective_to:date' "
        "WHEN s1.et_ok AND s1.ef_ok AND s1.et < s1.ef THEN 'effective_to:before_from' END",
    )
    return f"""
    DROP TABLE IF EXISTS {CATALOGUE_CHECKED};
    CREATE TEMP TABLE {CATALOGUE_CHECKED} ON COMMIT DROP AS
    SELECT s2.line_no, s2.problems, s2.code, s2.name_n, s2.cat, s2.cls, s2.sex, s2.ind,
           CASE WHEN s2.ok THEN nullif(s2.cap, '')::numeric END AS price_cap,
           CASE WHEN s2.ok THEN nullif(s2.amin, '')::smallint END AS age_min,
           CASE WHEN s2.ok THEN nullif(s2.amax, '')::smallint END AS age_max,
           CASE WHEN s2.ok THEN nullif(s2.mpd, '')::numeric END AS max_per_day,
           CASE WHEN s2.ok THEN nullif(s2.mpc, '')::numeric END AS max_per_claim,
           {as_date("s2.ef", "s2.ef_ok")} AS effective_from,
           {as_date("s2.et", "s2.et_ok")} AS effective_to
    FROM (
      SELECT s1.*, p.problems, cardinality(p.problems) = 0 AS ok
      FROM (
        SELECT s0.*, {real_date("s0.ef")} AS ef_ok, {real_date("s0.et")} AS et_ok,
               {_age_ok("s0.amin")} AS amin_ok, {_age_ok("s0.amax")} AS amax_ok
        FROM (
          SELECT line_no, ncols, btrim(item_code) AS code, btrim(name) AS name_n,
                 upper(btrim(category)) AS cat, upper(btrim(pay_class)) AS cls, btrim(price_cap) AS cap,
                 upper(btrim(sex_limit)) AS sex, btrim(age_min) AS amin, btrim(age_max) AS amax,
                 btrim(max_per_day) AS mpd, btrim(max_per_claim) AS mpc, {split_list("indications")} AS ind,
                 btrim(effective_from) AS ef, btrim(effective_to) AS et
          FROM {CATALOGUE_STAGE} OFFSET 0
        ) s0 OFFSET 0
      ) s1
      CROSS JOIN LATERAL (SELECT CASE WHEN s1.ncols <> {int(width)} THEN ARRAY['row:columns']
                                      ELSE {row_problems} END AS problems) p
      OFFSET 0
    ) s2;
    ANALYZE {CATALOGUE_CHECKED};
    """


CATALOGUE_ROW_PROBLEMS = f"SELECT line_no, unnest(problems), NULL FROM {CATALOGUE_CHECKED} WHERE cardinality(problems) > 0"

# Rows whose own values are valid, compared with each other and with the catalogue: the same
# (item_code, effective_from) twice, periods of one item that overlap in the file, and periods
# that overlap an entry of the catalogue that the file does not replace. (line, code, other)
CATALOGUE_CROSS_CHECKS = f"""
    WITH ok AS (
      SELECT line_no, code, effective_from AS ef, daterange(effective_from, effective_to, '[]') AS days
      FROM {CATALOGUE_CHECKED} WHERE cardinality(problems) = 0
    ), firsts AS (
      SELECT line_no, min(line_no) OVER (PARTITION BY code, ef) AS first FROM ok
    )
    SELECT line_no, 'effective_from:twice', first::text FROM firsts WHERE line_no <> first
    UNION ALL
    SELECT a.line_no, 'effective_from:overlaps_line', min(b.line_no)::text
    FROM ok a JOIN ok b ON b.code = a.code AND b.line_no < a.line_no AND b.ef <> a.ef AND b.days && a.days
    GROUP BY a.line_no
    UNION ALL
    SELECT a.line_no, 'effective_from:overlaps_loaded', min(c.effective_from)::text
    FROM ok a JOIN eligibility_catalogueitem c ON c.item_code = a.code
    LEFT JOIN ok f ON f.code = c.item_code AND f.ef = c.effective_from
    WHERE f.code IS NULL AND daterange(c.effective_from, c.effective_to, '[]') && a.days
    GROUP BY a.line_no
"""

_ITEM_COLUMNS = ("name", "category", "pay_class", "price_cap", "sex_limit", "age_min", "age_max", "max_per_day",
                 "max_per_claim", "indications", "effective_to")
_ITEM_VALUES = ("name_n", "cat", "cls", "price_cap", "sex", "age_min", "age_max", "max_per_day", "max_per_claim",
                "ind", "effective_to")

# One statement: new (item_code, effective_from) pairs are inserted, changed ones updated, and
# unchanged ones left alone (not returned). (created, updated)
CATALOGUE_UPSERT = f"""
    WITH up AS (
      INSERT INTO eligibility_catalogueitem AS t (item_code, effective_from, {", ".join(_ITEM_COLUMNS)}, updated_at)
      SELECT code, effective_from, {", ".join(_ITEM_VALUES)}, now() FROM {CATALOGUE_CHECKED}
      ON CONFLICT (item_code, effective_from) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _ITEM_COLUMNS)}, updated_at = now()
      WHERE ({", ".join(f"t.{c}" for c in _ITEM_COLUMNS)})
            IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _ITEM_COLUMNS)})
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
"""


# --- Disease classes -----------------------------------------------------------------------------

DISEASE_COLUMNS = ("category_from", "category_to", "disease_class", "name")
DISEASE_STAGE = "disease_stage"
DISEASE_CHECKED = "disease_checked"

DISEASE_MESSAGES = {
    "row:columns": _("wrong number of columns"),
    "category_from:format": _("not a letter and two digits"),
    "category_to:format": _("not a letter and two digits"),
    "category_from:after_to": _("category_from comes after category_to"),
    "disease_class:value": _("the disease class is not SPECIFIED or CHRONIC"),
    "name:empty": _("the name is empty"),
    "category_from:shared": _("the range shares a category with the range on line %(other)s"),
}


def disease_checked_sql(width: int) -> str:
    row_problems = problems(
        "CASE WHEN s0.cf !~ '^[A-Z][0-9]{2}$' THEN 'category_from:format' "
        "WHEN s0.ct ~ '^[A-Z][0-9]{2}$' AND s0.cf > s0.ct THEN 'category_from:after_to' END",
        "CASE WHEN s0.ct !~ '^[A-Z][0-9]{2}$' THEN 'category_to:format' END",
        "CASE WHEN s0.cls NOT IN ('SPECIFIED', 'CHRONIC') THEN 'disease_class:value' END",
        "CASE WHEN s0.name_n = '' THEN 'name:empty' END",
    )
    return f"""
    DROP TABLE IF EXISTS {DISEASE_CHECKED};
    CREATE TEMP TABLE {DISEASE_CHECKED} ON COMMIT DROP AS
    SELECT s0.*, CASE WHEN s0.ncols <> {int(width)} THEN ARRAY['row:columns'] ELSE {row_problems} END AS problems
    FROM (
      SELECT line_no, ncols, upper(btrim(category_from)) COLLATE "C" AS cf,
             upper(btrim(category_to)) COLLATE "C" AS ct, upper(btrim(disease_class)) AS cls, btrim(name) AS name_n
      FROM {DISEASE_STAGE}
    ) s0
    """


DISEASE_ROW_PROBLEMS = f"SELECT line_no, unnest(problems), NULL FROM {DISEASE_CHECKED} WHERE cardinality(problems) > 0"
DISEASE_ROWS = f"SELECT cf, ct, cls, name_n FROM {DISEASE_CHECKED} ORDER BY cf"

# Two valid rows whose ranges share a category: the later line names the earlier one.
DISEASE_CROSS_CHECKS = f"""
    SELECT a.line_no, 'category_from:shared', min(b.line_no)::text
    FROM {DISEASE_CHECKED} a JOIN {DISEASE_CHECKED} b
      ON b.line_no < a.line_no AND b.cf <= a.ct AND a.cf <= b.ct
    WHERE cardinality(a.problems) = 0 AND cardinality(b.problems) = 0
    GROUP BY a.line_no
"""
