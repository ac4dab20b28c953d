"""Rules on units billed beyond a limit, the excess taken from the last lines (spec/review-rules.md):
the same item on one day across claims and batches, bed days beyond the stay, and an item's units
within one claim."""

from django.utils.translation import gettext_lazy as _

from .base import Rule
from .lines import line_rule
from .sql import BATCH, CLAIM, LINE, catalogue_on, earlier_batch, left_of, money, not_taken, qty, setting_join

_DUP_WITH = (
    f"WITH keys AS (SELECT DISTINCT c.patient_id_number AS pid, l.item_code, l.service_date FROM {LINE} l "
    f"JOIN {CLAIM} c ON c.id = l.claim_id WHERE c.batch_id = %(batch)s), "
    "u AS (SELECT l.id, "
    "SUM(l.quantity) OVER (PARTITION BY c.patient_id_number, l.item_code, l.service_date "
    "ORDER BY c.batch_id = %(batch)s, c.admission_date, c.claim_no COLLATE \"C\", l.position, l.id "
    "ROWS UNBOUNDED PRECEDING) AS cum, "
    "SUM(l.quantity) OVER (PARTITION BY c.patient_id_number, l.item_code, l.service_date) AS day_total "
    f"FROM {LINE} l JOIN {CLAIM} c ON c.id = l.claim_id JOIN {BATCH} b ON b.id = c.batch_id "
    "JOIN keys k ON k.pid = c.patient_id_number AND k.item_code = l.item_code AND k.service_date = l.service_date "
    f"WHERE c.provider_id = (SELECT provider_id FROM {BATCH} WHERE id = %(batch)s) "
    f"AND (b.id = %(batch)s OR {earlier_batch('b')}) AND {not_taken()}) "
)
_DUP_TAKEN = "LEAST(l.quantity, u.cum - ci.max_per_day)"

DUP_SAME_DAY = line_rule(
    "DUP_SAME_DAY", with_=_DUP_WITH, amount=money(f"{_DUP_TAKEN} * l.unit_price"),
    explanation=f"format(%(text)s, {qty('u.day_total')}, l.item_name, l.service_date, {qty('ci.max_per_day')}, "
                f"{qty(_DUP_TAKEN)}, l.unit_price, LEAST(lft, {money(f'{_DUP_TAKEN} * l.unit_price')}))",
    joins="JOIN u ON u.id = l.id " + catalogue_on("l.service_date"),
    where="ci.max_per_day IS NOT NULL AND u.cum > ci.max_per_day",
    texts={"text": _("%1$s units of %2$s were billed for the patient on %3$s, above the limit of %4$s a day: "
                     "%5$s units on this line × %6$s, %7$s deducted.")},
)

_FREQ_WITH = (
    "WITH u AS (SELECT l.id, "
    "SUM(l.quantity) OVER (PARTITION BY l.claim_id, l.item_code ORDER BY l.position, l.id "
    "ROWS UNBOUNDED PRECEDING) AS cum, SUM(l.quantity) OVER (PARTITION BY l.claim_id, l.item_code) AS total "
    f"FROM {LINE} l JOIN {CLAIM} c ON c.id = l.claim_id WHERE c.batch_id = %(batch)s) "
)
_FREQ_TAKEN = "LEAST(l.quantity, u.cum - ci.max_per_claim)"

FREQ_OVER_LIMIT = line_rule(
    "FREQ_OVER_LIMIT", with_=_FREQ_WITH, amount=money(f"{_FREQ_TAKEN} * l.unit_price"),
    explanation=f"format(%(text)s, {qty('u.total')}, l.item_name, {qty('ci.max_per_claim')}, {qty(_FREQ_TAKEN)}, "
                f"l.unit_price, LEAST(lft, {money(f'{_FREQ_TAKEN} * l.unit_price')}))",
    joins="JOIN u ON u.id = l.id " + catalogue_on("c.admission_date"),
    where="ci.max_per_claim IS NOT NULL AND u.cum > ci.max_per_claim",
    texts={"text": _("%1$s units of %2$s were billed on this claim, above the limit of %3$s a claim: %4$s units "
                     "on this line × %5$s, %6$s at issue. An auditor will decide.")},
)

BED_DAYS_OVER_STAY = Rule(
    "BED_DAYS_OVER_STAY",
    "WITH bed AS (SELECT l.id, l.claim_id, l.quantity, l.unit_price, "
    f"{left_of()} AS lft, "
    "SUM(l.quantity) OVER (PARTITION BY l.claim_id) AS units, "
    "SUM(l.quantity) OVER (PARTITION BY l.claim_id ORDER BY l.position DESC, l.id DESC "
    "ROWS UNBOUNDED PRECEDING) AS from_end, "
    "GREATEST(c.discharge_date - c.admission_date, 1) AS stay "
    f"FROM {LINE} l JOIN {CLAIM} c ON c.id = l.claim_id {catalogue_on('l.service_date')} "
    "WHERE c.batch_id = %(batch)s AND c.visit_type = 'INPATIENT' AND c.discharge_date IS NOT NULL "
    "AND ci.category = 'BED'), "
    "take AS (SELECT bed.*, LEAST(lft, "
    + money("GREATEST(0, LEAST(quantity, (units - stay) - (from_end - quantity))) * unit_price") +
    ") AS amt FROM bed WHERE units > stay) "
    "SELECT %(batch)s, c.id, NULL, %(code)s, %(severity)s, %(position)s, SUM(t.amt), "
    "format(%(text)s, trim_scale(MIN(t.units))::text, MIN(t.stay), trim_scale(MIN(t.units) - MIN(t.stay))::text, "
    "SUM(t.amt)), jsonb_build_object('shares', jsonb_object_agg(t.id::text, t.amt) FILTER (WHERE t.amt > 0)) "
    f"FROM {CLAIM} c {setting_join()} JOIN take t ON t.claim_id = c.id "
    f"WHERE c.batch_id = %(batch)s AND {not_taken()} GROUP BY c.id HAVING SUM(t.amt) > 0",
    {"text": _("%1$s bed days were billed for a stay of %2$s days: the %3$s days over, from the last bed lines, "
               "%4$s deducted.")},
)
