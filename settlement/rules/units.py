"""Rules on units billed beyond a limit, the excess taken from the last lines (spec/review-rules.md):
the same item on one day across claims and batches, bed days beyond the stay, and an item's units
within one claim."""

from django.utils.translation import gettext_lazy as _

from .base import Rule
from .lines import line_rule
from .sql import (
    BATCH,
    CLAIM,
    CLAIMS,
    LINE,
    WORK,
    earlier_batch,
    left_of,
    money,
    not_taken,
    not_taken_elsewhere,
    qty,
    setting_join,
)

# Every unit billed of the item to the patient on the day at this provider, on the lines of this batch and of
# earlier accepted batches, in the order they are paid (earlier batches first, then by admission_date,
# claim_no, line): the units up to each line (cum) and the day's total. Only lines whose item has a max per
# day on that day count (the entry in force is the same for every line of one item on one day). Of earlier
# batches: for each of this batch's patients, their claims at the provider (claim_patient_provider_idx) and
# those claims' lines dated within this batch's service dates (claim_line_claim_idx), as index lookups
# (OFFSET 0 keeps the planner from turning them into scans of every claim and line). A day with no line in
# this batch drops out at `over`, which keeps the days whose total is over the limit: the running sums are
# taken on those only.
_DUP_WITH = (
    "WITH billed AS ("
    "SELECT l.id, l.patient_id_number AS pid, l.item_code, l.service_date, l.quantity, true AS this, "
    f"l.admission_date, l.claim_no, l.position, l.ci_max_per_day FROM {WORK} l "
    f"WHERE l.ci_max_per_day IS NOT NULL AND {not_taken('l.claim_id')} "
    "UNION ALL "
    "SELECT ol.id, o.patient_id_number, ol.item_code, ol.service_date, ol.quantity, false, o.admission_date, "
    f"o.claim_no, ol.position, NULL FROM (SELECT DISTINCT patient_id_number, provider_id FROM {CLAIMS}) p "
    f"CROSS JOIN (SELECT MIN(service_date) AS first, MAX(service_date) AS last FROM {WORK}) days "
    f"CROSS JOIN LATERAL (SELECT o.id, o.patient_id_number, o.admission_date, o.claim_no FROM {CLAIM} o "
    f"JOIN {BATCH} ob ON ob.id = o.batch_id AND {earlier_batch('ob')} "
    "WHERE o.patient_id_number = p.patient_id_number AND o.provider_id = p.provider_id "
    f"AND {not_taken_elsewhere('o')} OFFSET 0) o "
    f"CROSS JOIN LATERAL (SELECT ol.id, ol.item_code, ol.service_date, ol.quantity, ol.position FROM {LINE} ol "
    "WHERE ol.claim_id = o.id AND ol.service_date BETWEEN days.first AND days.last OFFSET 0) ol), "
    "over AS (SELECT pid, item_code, service_date FROM billed GROUP BY 1, 2, 3 "
    "HAVING SUM(quantity) > MAX(ci_max_per_day)), "
    "u AS (SELECT b.id, b.this, SUM(b.quantity) OVER (PARTITION BY b.pid, b.item_code, b.service_date "
    "ORDER BY b.this, b.admission_date, b.claim_no COLLATE \"C\", b.position, b.id ROWS UNBOUNDED PRECEDING) AS cum, "
    "SUM(b.quantity) OVER (PARTITION BY b.pid, b.item_code, b.service_date) AS day_total "
    "FROM billed b JOIN over USING (pid, item_code, service_date)) "
)
_DUP_TAKEN = "LEAST(l.quantity, u.cum - l.ci_max_per_day)"

DUP_SAME_DAY = line_rule(
    "DUP_SAME_DAY", with_=_DUP_WITH, amount=money(f"{_DUP_TAKEN} * l.unit_price"),
    explanation=f"format(%(text)s, {qty('u.day_total')}, l.item_name, l.service_date, {qty('l.ci_max_per_day')}, "
                f"{qty(_DUP_TAKEN)}, l.unit_price, LEAST(lft, {money(f'{_DUP_TAKEN} * l.unit_price')}))",
    joins="JOIN u ON u.id = l.id AND u.this",
    where="u.cum > l.ci_max_per_day",
    texts={"text": _("%1$s units of %2$s were billed for the patient on %3$s, above the limit of %4$s a day: "
                     "%5$s units on this line × %6$s, %7$s deducted.")},
)

# The item's units within the claim, up to each line and in all; only items with a max per claim in the
# catalogue entry in force on the admission date (the same entry for every line of the item in the claim),
# and the running sums only where the claim's total is over it.
_FREQ_WITH = (
    f"WITH over AS (SELECT claim_id, item_code FROM {WORK} WHERE ca_max_per_claim IS NOT NULL "
    "GROUP BY claim_id, item_code HAVING SUM(quantity) > MAX(ca_max_per_claim)), "
    "u AS (SELECT l.id, "
    "SUM(l.quantity) OVER (PARTITION BY l.claim_id, l.item_code ORDER BY l.position, l.id "
    "ROWS UNBOUNDED PRECEDING) AS cum, SUM(l.quantity) OVER (PARTITION BY l.claim_id, l.item_code) AS total "
    f"FROM {WORK} l JOIN over USING (claim_id, item_code)) "
)
_FREQ_TAKEN = "LEAST(l.quantity, u.cum - l.ca_max_per_claim)"

FREQ_OVER_LIMIT = line_rule(
    "FREQ_OVER_LIMIT", with_=_FREQ_WITH, amount=money(f"{_FREQ_TAKEN} * l.unit_price"),
    explanation=f"format(%(text)s, {qty('u.total')}, l.item_name, {qty('l.ca_max_per_claim')}, "
                f"{qty(_FREQ_TAKEN)}, l.unit_price, LEAST(lft, {money(f'{_FREQ_TAKEN} * l.unit_price')}))",
    joins="JOIN u ON u.id = l.id",
    where="u.cum > l.ca_max_per_claim",
    texts={"text": _("%1$s units of %2$s were billed on this claim, above the limit of %3$s a claim: %4$s units "
                     "on this line × %5$s, %6$s at issue. An auditor will decide.")},
)

BED_DAYS_OVER_STAY = Rule(
    "BED_DAYS_OVER_STAY",
    "WITH bed AS (SELECT l.id, l.claim_id, l.quantity, l.unit_price, lft, "
    "SUM(l.quantity) OVER (PARTITION BY l.claim_id) AS units, "
    "SUM(l.quantity) OVER (PARTITION BY l.claim_id ORDER BY l.position DESC, l.id DESC "
    "ROWS UNBOUNDED PRECEDING) AS from_end, "
    "GREATEST(l.discharge_date - l.admission_date, 1) AS stay "
    f"FROM {WORK} l {left_of()} "
    "WHERE l.visit_type = 'INPATIENT' AND l.discharge_date IS NOT NULL AND l.ci_category = 'BED'), "
    "take AS (SELECT bed.*, LEAST(lft, "
    + money("GREATEST(0, LEAST(quantity, (units - stay) - (from_end - quantity))) * unit_price") +
    ") AS amt FROM bed WHERE units > stay) "
    "SELECT %(batch)s, c.id, NULL, %(code)s, %(severity)s, %(position)s, SUM(t.amt), "
    "format(%(text)s, trim_scale(MIN(t.units))::text, MIN(t.stay), trim_scale(MIN(t.units) - MIN(t.stay))::text, "
    "SUM(t.amt)), jsonb_build_object('shares', jsonb_object_agg(t.id::text, t.amt) FILTER (WHERE t.amt > 0)) "
    f"FROM {CLAIMS} c {setting_join()} JOIN take t ON t.claim_id = c.id "
    f"WHERE {not_taken()} GROUP BY c.id HAVING SUM(t.amt) > 0",
    {"text": _("%1$s bed days were billed for a stay of %2$s days: the %3$s days over, from the last bed lines, "
               "%4$s deducted.")},
)
