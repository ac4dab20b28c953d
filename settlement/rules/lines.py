"""Rules on one line at a time: the service date, the item's sex and age limits, its price cap, the days'
supply of a drug, its indications, and the item not in the catalogue (spec/review-rules.md).

Each reads what is left of its line after the DEDUCT findings above it (sql.left_of) and raises nothing
where that comes to 0.00 (DEDUCT and REVIEW), or on a claim a whole-claim rule took."""

from django.utils.translation import gettext_lazy as _

from .base import Rule, head
from .sql import (
    CATALOGUE,
    CLAIM,
    DISEASE,
    LINE,
    birth_date,
    catalogue_on,
    category,
    left_of,
    money,
    not_taken,
    qty,
    setting_join,
    sex,
)


def line_rule(code: str, *, amount: str, explanation: str, joins: str = "", where: str, texts: dict,
              with_: str = "") -> Rule:
    """A line rule: `amount` may use `lft` (what is left of the line); raised where it comes to more than 0."""
    return Rule(code,
                with_ + "SELECT batch_id, claim_id, line_id, code, sev, pos, amt, expl, NULL::jsonb FROM ("
                "SELECT %(batch)s AS batch_id, c.id AS claim_id, l.id AS line_id, %(code)s AS code, "
                f"%(severity)s AS sev, %(position)s AS pos, LEAST(lft, {amount}) AS amt, {explanation} AS expl "
                f"FROM {LINE} l JOIN {CLAIM} c ON c.id = l.claim_id {setting_join()} "
                f"CROSS JOIN LATERAL (SELECT {left_of()} AS lft) lf {joins} "
                f"WHERE c.batch_id = %(batch)s AND {not_taken()} AND ({where})) q WHERE amt > 0",
                texts)


SERVICE_DATE_OUTSIDE_STAY = line_rule(
    "SERVICE_DATE_OUTSIDE_STAY", amount="lft",
    explanation="CASE WHEN c.visit_type = 'INPATIENT' THEN format(%(inpatient)s, l.service_date, "
                "c.admission_date, c.discharge_date, lft) ELSE format(%(outpatient)s, l.service_date, "
                "c.admission_date, lft) END",
    where="CASE WHEN c.visit_type = 'INPATIENT' THEN l.service_date < c.admission_date "
          "OR (c.discharge_date IS NOT NULL AND l.service_date > c.discharge_date) "
          "ELSE l.service_date <> c.admission_date END",
    texts={"inpatient": _("Service date %1$s is outside the stay from %2$s to %3$s: %4$s deducted."),
           "outpatient": _("Service date %1$s is not the visit date %2$s: %3$s deducted.")},
)

SEX_RESTRICTED = line_rule(
    "SEX_RESTRICTED", amount="lft",
    explanation="format(%(text)s, ci.name, CASE ci.sex_limit WHEN 'M' THEN %(male)s ELSE %(female)s END, "
                f"CASE {sex()} WHEN 'M' THEN %(male)s ELSE %(female)s END, lft)",
    joins=catalogue_on("l.service_date"),
    where=f"ci.sex_limit <> '' AND ci.sex_limit <> {sex()}",
    texts={"text": _("%1$s is limited to %2$s patients; the patient is %3$s: %4$s deducted."),
           "male": _("male"), "female": _("female")},
)

_AGE = f"date_part('year', age(l.service_date, {birth_date()}))::int"

AGE_RESTRICTED = line_rule(
    "AGE_RESTRICTED", amount="lft",
    explanation=f"format(%(text)s, ci.name, {_AGE}, l.service_date, coalesce(ci.age_min::text, '-'), "
                "coalesce(ci.age_max::text, '-'), lft)",
    joins=catalogue_on("l.service_date"),
    where=f"(ci.age_min IS NOT NULL AND {_AGE} < ci.age_min) OR (ci.age_max IS NOT NULL AND {_AGE} > ci.age_max)",
    texts={"text": _("%1$s: the patient was %2$s years old on %3$s, outside the item's ages %4$s to %5$s: "
                     "%6$s deducted.")},
)

PRICE_OVER_CAP = line_rule(
    "PRICE_OVER_CAP", amount=money("(l.unit_price - ci.price_cap) * l.quantity"),
    explanation=f"format(%(text)s, l.unit_price, round(ci.price_cap, GREATEST(2, scale(trim_scale(ci.price_cap)))), "
                f"{qty('l.quantity')}, "
                f"LEAST(lft, {money('(l.unit_price - ci.price_cap) * l.quantity')}))",
    joins=catalogue_on("l.service_date"),
    where="ci.price_cap IS NOT NULL AND l.unit_price > ci.price_cap",
    texts={"text": _("Unit price %1$s is above the catalogue's price cap %2$s; (%1$s − %2$s) × %3$s units: "
                     "%4$s deducted.")},
)

# The days' supply limit of a drug line (spec/review-rules.md, Days' supply), from the setting's params.
_CLASS = (f"(SELECT d.disease_class FROM {DISEASE} d WHERE {category()} BETWEEN d.category_from AND d.category_to "
          "ORDER BY d.category_from DESC LIMIT 1)")
_BY_CLASS = ("CASE dc.cls WHEN 'SPECIFIED' THEN (s.params->>'specified')::int "
             "WHEN 'CHRONIC' THEN (s.params->>'chronic')::int ELSE (s.params->>'acute')::int END")
_LIMIT = ("CASE c.visit_type WHEN 'INPATIENT' THEN CASE WHEN l.service_date = c.discharge_date "
          "THEN (s.params->>'inpatient_discharge')::int END "
          f"WHEN 'OUTPATIENT_SPECIAL' THEN GREATEST({_BY_CLASS}, (s.params->>'special_min')::int) "
          f"ELSE {_BY_CLASS} END")

QTY_DAYS_SUPPLY = line_rule(
    "QTY_DAYS_SUPPLY", amount=money("lft * (l.days_supply - lim.days) / l.days_supply"),
    explanation="format(%(text)s, l.days_supply, lim.days, l.days_supply - lim.days, lft, "
                f"{money('lft * (l.days_supply - lim.days) / l.days_supply')})",
    joins=catalogue_on("l.service_date") + f" CROSS JOIN LATERAL (SELECT {_CLASS} AS cls) dc "
          f"CROSS JOIN LATERAL (SELECT {_LIMIT} AS days) lim",
    where="ci.category = 'DRUG' AND l.days_supply IS NOT NULL AND lim.days IS NOT NULL AND l.days_supply > lim.days",
    texts={"text": _("%1$s days' supply exceeds the limit of %2$s days by %3$s: %4$s × %3$s / %1$s = %5$s "
                     "deducted.")},
)

INDICATION_MISMATCH = line_rule(
    "INDICATION_MISMATCH", amount="lft",
    explanation="format(%(text)s, ci.name, array_to_string(ci.indications, ', '), c.diagnosis_code, lft)",
    joins=catalogue_on("l.service_date"),
    where="cardinality(ci.indications) > 0 AND NOT EXISTS (SELECT 1 FROM unnest(ci.indications) i "
          "WHERE upper(c.diagnosis_code) LIKE i || '%%')",
    texts={"text": _("%1$s is paid only for the diagnoses %2$s; the claim's diagnosis is %3$s: %4$s at issue. "
                     "An auditor will decide.")},
)

CAT_UNKNOWN_ITEM = Rule(
    "CAT_UNKNOWN_ITEM",
    head(line_id="l.id", explanation="format(%(text)s, l.item_code, l.service_date)") +
    f"FROM {LINE} l JOIN {CLAIM} c ON c.id = l.claim_id {setting_join()} "
    f"WHERE c.batch_id = %(batch)s AND {not_taken()} AND NOT EXISTS (SELECT 1 FROM {CATALOGUE} x "
    "WHERE x.item_code = l.item_code AND x.effective_from <= l.service_date "
    "AND (x.effective_to IS NULL OR x.effective_to >= l.service_date))",
    {"text": _("Item %1$s is not in the catalogue in force on %2$s: the line is self-pay.")},
)
