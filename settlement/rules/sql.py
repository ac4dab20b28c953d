"""The SQL every rule shares: table names (by _meta.db_table, so another app's table is joined
without importing its code paths), the setting in force on a claim's admission date, the claims the
whole-claim rules took, what is left of a line, the patient's sex and birth date from the identity
number, the catalogue entry in force on a day, and the earlier accepted batches."""

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


def not_taken(claim: str = "c") -> str:
    """The claim was not taken whole by ELIG_NOT_INSURED, PENALTY_DIRECT_SETTLEMENT or ..._RESTRICTED_PROVIDER."""
    codes = ", ".join(f"'{code}'" for code in WHOLE_CLAIM)
    return f"NOT EXISTS (SELECT 1 FROM {FINDING} w WHERE w.claim_id = {claim}.id AND w.rule_code IN ({codes}))"


def left_of(line: str = "l") -> str:
    """What is left of a line after the DEDUCT findings raised on it so far (line findings, and the shares
    of a claim-level deduction that falls on lines, BED_DAYS_OVER_STAY's)."""
    return (f"({line}.amount - COALESCE((SELECT SUM(CASE WHEN f.line_id = {line}.id THEN f.amount_at_issue "
            f"ELSE COALESCE((f.detail->'shares'->>({line}.id::text))::numeric, 0) END) "
            f"FROM {FINDING} f WHERE f.claim_id = {line}.claim_id AND f.severity = 'DEDUCT' "
            f"AND (f.line_id = {line}.id OR (f.line_id IS NULL AND f.detail ? 'shares'))), 0))")


def catalogue_on(day: str, line: str = "l", alias: str = "ci") -> str:
    """JOIN the catalogue entry of the line's item in force on `day`."""
    return (f"JOIN LATERAL (SELECT * FROM {CATALOGUE} x WHERE x.item_code = {line}.item_code "
            f"AND x.effective_from <= {day} AND (x.effective_to IS NULL OR x.effective_to >= {day}) "
            f"ORDER BY x.effective_from DESC LIMIT 1) {alias} ON true")


def birth_date(claim: str = "c") -> str:
    return f"to_date(substr({claim}.patient_id_number, 7, 8), 'YYYYMMDD')"


def sex(claim: str = "c") -> str:
    """'M' or 'F' from the identity number's 17th character (odd: male)."""
    return f"(CASE WHEN substr({claim}.patient_id_number, 17, 1)::int %% 2 = 1 THEN 'M' ELSE 'F' END)"


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
