"""The registrations file (spec/review-rules.md, Registrations): its columns, the set-based check
of exactly the spec's list of reasons, and the statements that apply a valid file.

What each kind needs comes from eligibility.registration_kinds (one declaration per kind and
measure), turned here into a small VALUES table that every row joins.
"""

from django.utils.translation import gettext_lazy as _

from ..models.registrations import PenaltyMeasure, RegistrationKind
from ..registration_kinds import BY_MEASURE, KINDS, MEASURES, Count, provider_rule
from .sql import as_date, problems, real_date, split_list

COLUMNS = ("kind", "number", "id_number", "approved_on", "valid_from", "valid_to", "provider_codes",
           "diagnosis_categories", "measure")
STAGE = "registration_stage"
CHECKED = "registration_checked"
VALID = "registration_valid"
TOUCHED = "registration_touched"

MESSAGES = {
    "row:columns": _("wrong number of columns"),
    "kind:value": _("the kind is not REFERRAL, SPECIAL_DISEASE, RESIDENCE_ELSEWHERE or PENALTY"),
    "measure:value": _("the measure is not SETTLEMENT_METHOD, RESTRICTED_PROVIDERS or MONITORING"),
    "number:empty": _("the number is empty"),
    "number:twice": _("the same kind and number as line %(other)s"),
    "id_number:unknown": _("no insured person with this identity number in the register"),
    "approved_on:date": _("not a real YYYY-MM-DD date"),
    "valid_from:empty": _("empty: this kind needs valid_from"),
    "valid_from:date": _("not a real YYYY-MM-DD date"),
    "valid_to:date": _("not empty or a real YYYY-MM-DD date"),
    "valid_to:before_from": _("valid_to is before valid_from"),
    "provider_codes:unknown": _("not a loaded provider: %(other)s"),
    "provider_codes:count": _("%(n)s providers where this kind lists %(allowed)s"),
    "provider_codes:empty": _("empty: this kind needs at least one provider"),
    "provider_codes:not_empty": _("must be empty for this kind (or measure)"),
    "diagnosis_categories:format": _("not a letter and two digits: %(other)s"),
    "diagnosis_categories:empty": _("empty: a special disease needs at least one diagnosis category"),
    "diagnosis_categories:not_empty": _("must be empty for this kind"),
    "measure:empty": _("empty: a penalty needs its measure"),
    "measure:not_empty": _("must be empty for this kind"),
}


def allowed(count: Count) -> str:
    if count.most is None:
        return str(_("at least %(n)d") % {"n": count.least})
    return str(_("%(least)d to %(most)d") % {"least": count.least, "most": count.most})


def describe(problem: str) -> tuple[str, str]:
    """'provider_codes:count|5|1|4' -> ('provider_codes', '5 providers where this kind lists 1 to 4')."""
    code, *params = problem.split("|")
    column = code.split(":", 1)[0]
    template = str(MESSAGES[code])
    if code == "provider_codes:count":
        n, least, most = params
        message = template % {"n": n, "allowed": allowed(Count(int(least), int(most) if most else None))}
    else:
        message = template % {"other": params[0]} if params else template
    return ("" if column == "row" else column), message


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _kinds_table() -> str:
    """(kind, dated, categories_least, measured) for each kind."""
    rows = [f"({_literal(str(k))}, {_literal(r.dated)}, {_literal(r.categories.least if r.categories else None)}, "
            f"{_literal(r.measured)})" for k, r in KINDS.items()]
    return f"(VALUES {', '.join(rows)}) AS kr(kind, dated, c_least, measured)"


def _providers_table() -> str:
    """(kind, measure, least, most) for each kind, and for a penalty each measure; least NULL: none."""
    rows = []
    for kind, rules in KINDS.items():
        for measure in (MEASURES if rules.providers is BY_MEASURE else [""]):
            count = provider_rule(kind, measure)
            rows.append(f"({_literal(str(kind))}, {_literal(str(measure))}, "
                        f"{_literal(count.least if count else None)}, {_literal(count.most if count else None)})")
    return f"(VALUES {', '.join(rows)}) AS pr(kind, measure, p_least, p_most)"


def checked_sql(width: int, *, person_table: str, provider_table: str) -> str:
    """CREATE the checked table: each staged row normalised, its problems, and its person's id."""
    measures = ", ".join(_literal(str(m)) for m in PenaltyMeasure)
    row_problems = problems(
        "CASE WHEN kr.kind IS NULL THEN 'kind:value' END",
        "CASE WHEN s1.num = '' THEN 'number:empty' END",
        "CASE WHEN s1.person_id IS NULL THEN 'id_number:unknown' END",
        "CASE WHEN NOT s1.ao_ok THEN 'approved_on:date' END",
        "CASE WHEN kr.dated AND s1.vf = '' THEN 'valid_from:empty' WHEN kr.dated AND NOT s1.vf_ok "
        "THEN 'valid_from:date' END",
        "CASE WHEN kr.dated AND s1.vt <> '' AND NOT s1.vt_ok THEN 'valid_to:date' "
        "WHEN kr.dated AND s1.vf_ok AND s1.vt_ok AND s1.vt < s1.vf THEN 'valid_to:before_from' END",
        "CASE WHEN pr.kind IS NOT NULL AND pr.p_least IS NULL AND s1.n_p > 0 THEN 'provider_codes:not_empty' "
        "WHEN cardinality(s1.unknown_codes) > 0 THEN 'provider_codes:unknown|' || array_to_string(s1.unknown_codes, ';') "
        "WHEN pr.p_least IS NOT NULL AND s1.n_p = 0 THEN 'provider_codes:empty' "
        "WHEN pr.p_least IS NOT NULL AND (s1.n_p < pr.p_least OR s1.n_p > coalesce(pr.p_most, s1.n_p)) "
        "THEN 'provider_codes:count|' || s1.n_p || '|' || pr.p_least || '|' || coalesce(pr.p_most::text, '') END",
        "CASE WHEN kr.kind IS NOT NULL AND kr.c_least IS NULL AND s1.n_c > 0 THEN 'diagnosis_categories:not_empty' "
        "WHEN cardinality(s1.bad_cats) > 0 THEN 'diagnosis_categories:format|' || array_to_string(s1.bad_cats, ';') "
        "WHEN kr.c_least IS NOT NULL AND s1.n_c < kr.c_least THEN 'diagnosis_categories:empty' END",
        "CASE WHEN kr.kind IS NOT NULL AND NOT kr.measured AND s1.m <> '' THEN 'measure:not_empty' "
        f"WHEN s1.m <> '' AND s1.m NOT IN ({measures}) THEN 'measure:value' "
        "WHEN kr.measured AND s1.m = '' THEN 'measure:empty' END",
    )
    return f"""
    DROP TABLE IF EXISTS {CHECKED};
    CREATE TEMP TABLE {CHECKED} ON COMMIT DROP AS
    SELECT s1.*, kr.kind IS NOT NULL AS kind_known, kr.dated,
           CASE WHEN s1.ncols <> {int(width)} THEN ARRAY['row:columns'] ELSE {row_problems} END AS problems
    FROM (
      SELECT s0.*, p.id AS person_id,
             {real_date("s0.ao")} AS ao_ok, {real_date("s0.vf")} AS vf_ok, {real_date("s0.vt")} AS vt_ok,
             cardinality(s0.pcodes) AS n_p, cardinality(s0.cats) AS n_c,
             ARRAY(SELECT c FROM unnest(s0.pcodes) c
                   WHERE NOT EXISTS (SELECT 1 FROM {provider_table} pv WHERE pv.code = c)) AS unknown_codes,
             ARRAY(SELECT c FROM unnest(s0.cats) c WHERE c !~ '^[A-Z][0-9]{{2}}$') AS bad_cats
      FROM (
        SELECT line_no, ncols, upper(btrim(kind)) AS k, btrim(number) AS num, upper(btrim(id_number)) AS idn,
               btrim(approved_on) AS ao, btrim(valid_from) AS vf, btrim(valid_to) AS vt,
               {split_list("provider_codes", upper=False)} AS pcodes, {split_list("diagnosis_categories")} AS cats,
               upper(btrim(measure)) AS m
        FROM {STAGE} OFFSET 0
      ) s0
      LEFT JOIN {person_table} p ON p.id_number = s0.idn
      OFFSET 0
    ) s1
    LEFT JOIN {_kinds_table()} ON kr.kind = s1.k
    LEFT JOIN {_providers_table()} ON pr.kind = s1.k AND pr.measure = CASE WHEN kr.measured THEN s1.m ELSE '' END
    """


ROW_PROBLEMS = f"SELECT line_no, unnest(problems) FROM {CHECKED} WHERE cardinality(problems) > 0"

# A number twice for one kind in the file: every line after the first names the first.
TWICE = f"""
    SELECT line_no, 'number:twice|' || first FROM (
      SELECT line_no, min(line_no) OVER (PARTITION BY k, num) AS first FROM {CHECKED} WHERE kind_known AND num <> ''
    ) f WHERE line_no <> first
"""

VALID_SQL = f"""
    DROP TABLE IF EXISTS {VALID};
    CREATE TEMP TABLE {VALID} ON COMMIT DROP AS
    SELECT k AS kind, num AS number, person_id, ao::date AS approved_on,
           CASE WHEN dated THEN {as_date("vf", "vf_ok")} END AS valid_from,
           CASE WHEN dated THEN {as_date("vt", "vt_ok")} END AS valid_to,
           pcodes::varchar(30)[] AS provider_codes, cats::varchar(3)[] AS diagnosis_categories, m AS measure
    FROM {CHECKED};
    CREATE UNIQUE INDEX ON {VALID} (kind, number);
    ANALYZE {VALID};
"""

_FIELDS = ("person_id", "approved_on", "valid_from", "valid_to", "provider_codes", "diagnosis_categories", "measure")


def values_json(alias: str) -> str:
    """A registration's values as its history and audit entries keep them."""
    return (f"jsonb_build_object('kind', {alias}.kind, 'number', {alias}.number, 'person', {alias}.person_id, "
            f"'status', {alias}.status, 'approved_on', {alias}.approved_on, 'valid_from', {alias}.valid_from, "
            f"'valid_to', {alias}.valid_to, 'provider_codes', {alias}.provider_codes, "
            f"'diagnosis_categories', {alias}.diagnosis_categories, 'measure', {alias}.measure)")


TOUCHED_SQL = f"""
    DROP TABLE IF EXISTS {TOUCHED};
    CREATE TEMP TABLE {TOUCHED} (id bigint, change text, before jsonb, after jsonb, version int) ON COMMIT DROP
"""

# Registrations already loaded whose row differs: updated in place, version + 1, before and after kept.
UPDATE = f"""
    WITH old AS (
      SELECT r.id, {values_json("r")} AS before
      FROM eligibility_registration r JOIN {VALID} v ON v.kind = r.kind AND v.number = r.number
      WHERE ({", ".join(f"r.{f}" for f in _FIELDS)}) IS DISTINCT FROM ({", ".join(f"v.{f}" for f in _FIELDS)})
      FOR UPDATE OF r
    ), up AS (
      UPDATE eligibility_registration r SET {", ".join(f"{f} = v.{f}" for f in _FIELDS)},
             version = r.version + 1, updated_at = now()
      FROM {VALID} v, old WHERE old.id = r.id AND v.kind = r.kind AND v.number = r.number
      RETURNING r.id, r.version, {values_json("r")} AS after
    )
    INSERT INTO {TOUCHED} SELECT up.id, 'updated', old.before, up.after, up.version FROM up JOIN old USING (id)
"""

INSERT = f"""
    WITH ins AS (
      INSERT INTO eligibility_registration AS r (kind, number, {", ".join(_FIELDS)}, status, decision_reference,
          source, source_reference, version, created_at, updated_at)
      SELECT v.kind, v.number, {", ".join(f"v.{f}" for f in _FIELDS)}, 'ACTIVE', '', 'LOAD', %(reference)s, 1,
             now(), now()
      FROM {VALID} v
      WHERE NOT EXISTS (SELECT 1 FROM eligibility_registration e WHERE e.kind = v.kind AND e.number = v.number)
      ORDER BY v.kind, v.number
      RETURNING r.id, r.version, {values_json("r")} AS after
    )
    INSERT INTO {TOUCHED} SELECT id, 'created', NULL, after, version FROM ins
"""

HISTORY = f"""
    INSERT INTO eligibility_registrationversion (registration_id, version, "values", change, reference, changed_at,
                                                 changed_by_id)
    SELECT id, version, after, change, %(reference)s, now(), %(actor)s FROM {TOUCHED}
"""

TOUCHED_ROWS = f"SELECT id, change, before, after FROM {TOUCHED} ORDER BY id"

__all__ = ["COLUMNS", "STAGE", "RegistrationKind"]
