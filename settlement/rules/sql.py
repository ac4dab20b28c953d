"""The SQL every rule shares: table names (by _meta.db_table, so another app's table is joined
without importing its code paths), the setting in force on a claim's admission date, the claims the
whole-claim rules took, what is left of a line, the batch's lines as the line rules read them (WORK),
and the earlier accepted batches.

The rules read two temporary tables made once per review (`WORKING_SET`), not the batch's rows
afresh in each rule: CLAIMS, the batch's claims with their provider, the patient's register entry, the
diagnosis category and its disease class, and the patient's sex and birth date from the identity number;
WORK, every line of the batch with its claim's fields and the catalogue entry in force on the service date
(and the max per claim of the one in force on the admission date, for FREQ_OVER_LIMIT), and what the
DEDUCT findings so far take from it (`deducted`: each DEDUCT rule adds its own in the statement that
raises them, TAKE_FROM_LINES), so that what is left of a line is a column away (`left_of`). The claims the
whole-claim rules took come from one hashed list (`not_taken`). The planner knows the temporary tables' sizes,
so the plans do not depend on statistics of the claims and lines the check has just inserted (a new batch
is always missing from them) nor of the findings being written."""

from core.models import Provider
from eligibility.models import CatalogueItem, DiseaseClass, Registration
from enrollment.models import Person, StatusChange

from ..models import Claim, ClaimBatch, ClaimLine, Finding, RuleSetting
from .catalog import WHOLE_CLAIM

FINDING = Finding._meta.db_table
CLAIM = Claim._meta.db_table
LINE = ClaimLine._meta.db_table
BATCH = ClaimBatch._meta.db_table
SETTING = RuleSetting._meta.db_table
CATALOGUE = CatalogueItem._meta.db_table
DISEASE = DiseaseClass._meta.db_table
REGISTRATION = Registration._meta.db_table
PERSON = Person._meta.db_table
STATUS = StatusChange._meta.db_table
PROVIDER = Provider._meta.db_table

# The batch statuses of an accepted batch (accepted and every status after it).
ACCEPTED_STATUSES = "('accepted', 'reviewed', 'under_audit', 'settled')"

INSERT = (f"INSERT INTO {FINDING} (batch_id, claim_id, line_id, rule_code, severity, position, amount_at_issue, "
          "explanation, detail) ")


def setting_join(claim: str = "c") -> str:
    """JOIN the rule's setting in force (and on) on the claim's admission date, as `s`."""
    return (f"JOIN {SETTING} s ON s.rule_code = %(code)s AND s.enabled AND s.effective_from <= {claim}.admission_date "
            f"AND (s.effective_to IS NULL OR s.effective_to >= {claim}.admission_date)")


def not_taken(claim_id: str = "c.id") -> str:
    """The claim (of the batch under review) was not taken whole by ELIG_NOT_INSURED, PENALTY_DIRECT_SETTLEMENT
    or PENALTY_RESTRICTED_PROVIDER: the batch's whole-claim findings, read once and hashed."""
    codes = ", ".join(f"'{code}'" for code in WHOLE_CLAIM)
    return (f"{claim_id} NOT IN (SELECT w.claim_id FROM {FINDING} w WHERE w.batch_id = %(batch)s "
            f"AND w.rule_code IN ({codes}))")


def not_taken_elsewhere(claim: str) -> str:
    """The same for a claim of any batch: one probe of finding_whole_claim_idx (batch, claim) per claim."""
    codes = ", ".join(f"'{code}'" for code in WHOLE_CLAIM)
    return (f"NOT EXISTS (SELECT 1 FROM {FINDING} w WHERE w.batch_id = {claim}.batch_id AND w.claim_id = {claim}.id "
            f"AND w.rule_code IN ({codes}))")


# What the DEDUCT findings on the batch take from each line: line findings, and the shares of a claim-level
# deduction that falls on lines (BED_DAYS_OVER_STAY's, kept in its detail); nothing before the first rule.
DEDUCTED = (
    "(SELECT x.line_id, SUM(x.amount) AS amount FROM ("
    f"SELECT f.line_id, f.amount_at_issue AS amount FROM {FINDING} f WHERE f.batch_id = %(batch)s "
    "AND f.severity = 'DEDUCT' AND f.line_id IS NOT NULL "
    "UNION ALL SELECT sh.key::bigint, sh.value::numeric "
    f"FROM {FINDING} f CROSS JOIN LATERAL jsonb_each_text(f.detail->'shares') sh WHERE f.batch_id = %(batch)s "
    "AND f.severity = 'DEDUCT' AND f.line_id IS NULL AND f.detail ? 'shares') x GROUP BY x.line_id)"
)


def left_of(line: str = "l") -> str:
    """What is left of the line after the DEDUCT findings raised on it so far, as `lft` (WORK.deducted)."""
    return f"CROSS JOIN LATERAL (SELECT {line}.amount - {line}.deducted AS lft) lf"


# After a DEDUCT rule, in the same statement as its INSERT: add what its findings take from each line to
# WORK.deducted (line findings, and the shares of a claim-level deduction that falls on lines).
TAKE_FROM_LINES = (
    "UPDATE {work} w SET deducted = w.deducted + x.amount FROM (SELECT y.line_id, SUM(y.amount) AS amount FROM ("
    "SELECT f.line_id, f.amount_at_issue AS amount FROM found f WHERE f.line_id IS NOT NULL "
    "UNION ALL SELECT sh.key::bigint, sh.value::numeric FROM found f "
    "CROSS JOIN LATERAL jsonb_each_text(f.detail->'shares') sh WHERE f.line_id IS NULL AND f.detail ? 'shares'"
    ") y GROUP BY y.line_id) x WHERE w.id = x.line_id"
)


# The batch's claims and lines as the rules read them (see the module's docstring), dropped at commit.
CLAIMS = "settlement_review_claim"
WORK = "settlement_review_line"

_ID = "c.patient_id_number"
# The birth date in the identity number; NULL where it is not a real date (the upload checks an identity
# number's check character, not its date), and a rule that cannot be evaluated raises nothing.
_BIRTH = (f"CASE WHEN substr({_ID}, 7, 8) ~ '^(18|19|20)[0-9]{{2}}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$' "
          f"THEN CASE WHEN substr({_ID}, 13, 2)::int <= date_part('day', make_date(substr({_ID}, 7, 4)::int, "
          f"substr({_ID}, 11, 2)::int, 1) + interval '1 month' - interval '1 day') "
          f"THEN to_date(substr({_ID}, 7, 8), 'YYYYMMDD') END END")


def in_force(entry: str, day: str) -> str:
    """The catalogue entry (or any row with effective_from and effective_to) is in force on `day`."""
    return f"{entry}.effective_from <= {day} AND ({entry}.effective_to IS NULL OR {entry}.effective_to >= {day})"


WORKING_SET = (
    # The planner's settings for the review's transaction: JIT compiles these statements for longer than they
    # run, the window functions sort in memory, and a small sample makes the working set's statistics.
    "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL default_statistics_target = 10",
    f"DROP TABLE IF EXISTS {WORK}, {CLAIMS}",
    # The batch's claims, each with its provider, the patient in the register (person_id NULL: not in it)
    # and what the rules derive from the claim.
    f"CREATE TEMPORARY TABLE {CLAIMS} ON COMMIT DROP AS "
    "SELECT c.id, c.batch_id, c.provider_id, pv.code AS provider_code, pv.area AS provider_area, "
    "pv.level AS provider_level, c.claim_no, c.visit_type, c.patient_id_number, c.patient_name, c.admission_date, "
    "c.discharge_date, c.diagnosis_code, c.referral_no, c.emergency, c.transfer_from, c.total, p.id AS person_id, "
    "p.name AS person_name, p.insurance_type, "
    # The order in which the claims count against the caps (and are paid units first): admission date, claim_no.
    "row_number() OVER (ORDER BY c.admission_date, c.claim_no COLLATE \"C\", c.id) AS seq, "
    "upper(left(c.diagnosis_code, 3)) AS category, "
    f"(SELECT d.disease_class FROM {DISEASE} d WHERE upper(left(c.diagnosis_code, 3)) "
    "BETWEEN d.category_from AND d.category_to ORDER BY d.category_from DESC LIMIT 1) AS disease_class, "
    f"CASE WHEN substr({_ID}, 17, 1)::int %% 2 = 1 THEN 'M' ELSE 'F' END AS sex, {_BIRTH} AS birth_date "
    f"FROM {CLAIM} c JOIN {PROVIDER} pv ON pv.id = c.provider_id "
    f"LEFT JOIN {PERSON} p ON p.id_number = c.patient_id_number WHERE c.batch_id = %(batch)s",
    f"ANALYZE {CLAIMS}",
    # An item's catalogue versions never overlap (a constraint): at most one entry in force on a day.
    f"CREATE TEMPORARY TABLE {WORK} ON COMMIT DROP AS "
    "SELECT l.id, l.claim_id, l.position, l.service_date, l.item_code, l.item_name, l.quantity, l.unit_price, "
    "l.amount, l.days_supply, c.seq AS claim_seq, c.provider_id, c.claim_no, c.visit_type, c.patient_id_number, "
    "c.admission_date, "
    "c.discharge_date, c.diagnosis_code, c.disease_class, c.sex, c.birth_date, "
    "ci.id AS ci_id, ci.name AS ci_name, ci.category AS ci_category, ci.pay_class AS ci_pay_class, "
    "ci.price_cap AS ci_price_cap, "
    "ci.sex_limit AS ci_sex_limit, ci.age_min AS ci_age_min, ci.age_max AS ci_age_max, "
    "ci.max_per_day AS ci_max_per_day, ci.indications AS ci_indications, "
    # The max per claim of the entry in force on the admission date: the same entry as on the service date
    # unless that one is not in force on the admission date (looked up then, rarely).
    f"CASE WHEN {in_force('ci', 'c.admission_date')} THEN ci.max_per_claim ELSE (SELECT ca.max_per_claim "
    f"FROM {CATALOGUE} ca WHERE ca.item_code = l.item_code AND {in_force('ca', 'c.admission_date')}) END "
    "AS ca_max_per_claim, COALESCE(d.amount, 0) AS deducted "
    f"FROM {CLAIMS} c JOIN {LINE} l ON l.claim_id = c.id LEFT JOIN {DEDUCTED} d ON d.line_id = l.id "
    f"LEFT JOIN {CATALOGUE} ci ON ci.item_code = l.item_code AND {in_force('ci', 'l.service_date')}",
    f"ANALYZE {WORK}",
    f"CREATE INDEX ON {WORK} (id)",  # each DEDUCT rule updates the few lines it took from
)


def category(claim: str = "c") -> str:
    """The diagnosis category: the first three characters of diagnosis_code, in upper case."""
    return f"upper(left({claim}.diagnosis_code, 3))"


def valid_registration(reg: str, day: str) -> str:
    """The registration is valid (and not revoked) on `day`."""
    return (f"{reg}.status = 'ACTIVE' AND {reg}.valid_from <= {day} "
            f"AND ({reg}.valid_to IS NULL OR {reg}.valid_to >= {day})")


def earlier_batch(batch: str = "b") -> str:
    """An earlier accepted batch than the one under review (%(batch)s)."""
    return f"({batch}.id < %(batch)s AND {batch}.status IN {ACCEPTED_STATUSES})"


def money(expr: str) -> str:
    """Rounded half up to the cent (PostgreSQL's round(numeric) rounds half away from zero)."""
    return f"round(({expr})::numeric, 2)"


def text(value: str) -> str:
    """A figure as the explanation shows it: numbers without trailing zeros after the cent."""
    return f"({value})::text"


def qty(value: str) -> str:
    """A quantity without its trailing zeros (2.000000 → 2)."""
    return f"trim_scale({value})::text"
