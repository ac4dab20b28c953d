"""Rules on one line at a time: the service date, the item's sex and age limits, its price cap, the days'
supply of a drug, its indications, and the item not in the catalogue (spec/review-rules.md).

Each reads the batch's lines as sql.WORK holds them (the claim's fields and the catalogue entry in force
with each line), what is left of its line after the DEDUCT findings above it (sql.left_of), and raises
nothing where that comes to 0.00 (DEDUCT and REVIEW), or on a claim a whole-claim rule took."""

from django.utils.translation import gettext_lazy as _

from .base import Rule, head
from .sql import WORK, left_of, money, not_taken, qty, setting_join


def line_rule(code: str, *, amount: str, explanation: str, joins: str = "", where: str, texts: dict,
              with_: str = "") -> Rule:
    """A line rule over WORK (`l`: the line, its claim's fields and its catalogue entry, ci_*): `amount` may use
    `lft` (what is left of the line); raised where it comes to more than 0."""
    return Rule(code,
                with_ + "SELECT batch_id, claim_id, line_id, code, sev, pos, amt, expl, NULL::jsonb FROM ("
                "SELECT %(batch)s AS batch_id, l.claim_id, l.id AS line_id, %(code)s AS code, "
                f"%(severity)s AS sev, %(position)s AS pos, LEAST(lft, {amount}) AS amt, {explanation} AS expl "
                f"FROM {WORK} l {setting_join('l')} {left_of()} {joins} "
                f"WHERE {not_taken('l.claim_id')} AND ({where})) q WHERE amt > 0",
                texts)


SERVICE_DATE_OUTSIDE_STAY = line_rule(
    "SERVICE_DATE_OUTSIDE_STAY", amount="lft",
    explanation="CASE WHEN l.visit_type = 'INPATIENT' THEN format(%(inpatient)s, l.service_date, "
                "l.admission_date, l.discharge_date, lft) ELSE format(%(outpatient)s, l.service_date, "
                "l.admission_date, lft) END",
    where="CASE WHEN l.visit_type = 'INPATIENT' THEN l.service_date < l.admission_date "
          "OR (l.discharge_date IS NOT NULL AND l.service_date > l.discharge_date) "
          "ELSE l.service_date <> l.admission_date END",
    texts={"inpatient": _("Service date %1$s is outside the stay from %2$s to %3$s: %4$s deducted."),
           "outpatient": _("Service date %1$s is not the visit date %2$s: %3$s deducted.")},
)

SEX_RESTRICTED = line_rule(
    "SEX_RESTRICTED", amount="lft",
    explanation="format(%(text)s, l.ci_name, CASE l.ci_sex_limit WHEN 'M' THEN %(male)s ELSE %(female)s END, "
                "CASE l.sex WHEN 'M' THEN %(male)s ELSE %(female)s END, lft)",
    where="l.ci_sex_limit <> '' AND l.ci_sex_limit <> l.sex",
    texts={"text": _("%1$s is limited to %2$s patients; the patient is %3$s: %4$s deducted."),
           "male": _("male"), "female": _("female")},
)

_AGE = "date_part('year', age(l.service_date, l.birth_date))::int"

AGE_RESTRICTED = line_rule(
    "AGE_RESTRICTED", amount="lft",
    explanation=f"format(%(text)s, l.ci_name, {_AGE}, l.service_date, coalesce(l.ci_age_min::text, '-'), "
                "coalesce(l.ci_age_max::text, '-'), lft)",
    where=f"(l.ci_age_min IS NOT NULL AND {_AGE} < l.ci_age_min) OR (l.ci_age_max IS NOT NULL AND {_AGE} > l.ci_age_max)",
    texts={"text": _("%1$s: the patient was %2$s years old on %3$s, outside the item's ages %4$s to %5$s: "
                     "%6$s deducted.")},
)

PRICE_OVER_CAP = line_rule(
    "PRICE_OVER_CAP", amount=money("(l.unit_price - l.ci_price_cap) * l.quantity"),
    explanation=f"format(%(text)s, l.unit_price, round(l.ci_price_cap, GREATEST(2, scale(trim_scale(l.ci_price_cap)))), "
                f"{qty('l.quantity')}, "
                f"LEAST(lft, {money('(l.unit_price - l.ci_price_cap) * l.quantity')}))",
    where="l.ci_price_cap IS NOT NULL AND l.unit_price > l.ci_price_cap",
    texts={"text": _("Unit price %1$s is above the catalogue's price cap %2$s; (%1$s − %2$s) × %3$s units: "
                     "%4$s deducted.")},
)

# The days' supply limit of a drug line (spec/review-rules.md, Days' supply), from the setting's params; the
# disease class of the claim's diagnosis category is in WORK.
_BY_CLASS = ("CASE l.disease_class WHEN 'SPECIFIED' THEN (s.params->>'specified')::int "
             "WHEN 'CHRONIC' THEN (s.params->>'chronic')::int ELSE (s.params->>'acute')::int END")
_LIMIT = ("CASE l.visit_type WHEN 'INPATIENT' THEN CASE WHEN l.service_date = l.discharge_date "
          "THEN (s.params->>'inpatient_discharge')::int END "
          f"WHEN 'OUTPATIENT_SPECIAL' THEN GREATEST({_BY_CLASS}, (s.params->>'special_min')::int) "
          f"ELSE {_BY_CLASS} END")

QTY_DAYS_SUPPLY = line_rule(
    "QTY_DAYS_SUPPLY", amount=money("lft * (l.days_supply - lim.days) / l.days_supply"),
    explanation="format(%(text)s, l.days_supply, lim.days, l.days_supply - lim.days, lft, "
                f"{money('lft * (l.days_supply - lim.days) / l.days_supply')})",
    joins=f"CROSS JOIN LATERAL (SELECT {_LIMIT} AS days) lim",
    where="l.ci_category = 'DRUG' AND l.days_supply IS NOT NULL AND lim.days IS NOT NULL AND l.days_supply > lim.days",
    texts={"text": _("%1$s days' supply exceeds the limit of %2$s days by %3$s: %4$s × %3$s / %1$s = %5$s "
                     "deducted.")},
)

INDICATION_MISMATCH = line_rule(
    "INDICATION_MISMATCH", amount="lft",
    explanation="format(%(text)s, l.ci_name, array_to_string(l.ci_indications, ', '), l.diagnosis_code, lft)",
    where="cardinality(l.ci_indications) > 0 AND NOT EXISTS (SELECT 1 FROM unnest(l.ci_indications) i "
          "WHERE upper(l.diagnosis_code) LIKE i || '%%')",
    texts={"text": _("%1$s is paid only for the diagnoses %2$s; the claim's diagnosis is %3$s: %4$s at issue. "
                     "An auditor will decide.")},
)

CAT_UNKNOWN_ITEM = Rule(
    "CAT_UNKNOWN_ITEM",
    head(line_id="l.id", explanation="format(%(text)s, l.item_code, l.service_date)", claim_id="l.claim_id") +
    f"FROM {WORK} l {setting_join('l')} WHERE {not_taken('l.claim_id')} AND l.ci_id IS NULL",
    {"text": _("Item %1$s is not in the catalogue in force on %2$s: the line is self-pay.")},
)
