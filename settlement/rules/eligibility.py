"""The patient's cover: not insured, the two penalties that take the whole claim, the name that differs
from the register's, and the injuries a third party may owe (spec/review-rules.md, the first five rows)."""

from django.utils.translation import gettext_lazy as _

from .base import Rule, head
from .sql import CLAIMS, REGISTRATION, STATUS, not_taken, setting_join, valid_registration

WHITE_SPACE = "[\\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"

ELIG_NOT_INSURED = Rule(
    "ELIG_NOT_INSURED",
    head(amount="c.total", explanation=(
        "CASE WHEN c.person_id IS NULL THEN format(%(not_registered)s, c.admission_date) "
        "WHEN st.status IS NULL THEN format(%(not_yet)s, c.admission_date, "
        f"(SELECT MIN(h.status_date) FROM {STATUS} h WHERE h.person_id = c.person_id)) "
        "ELSE format(%(not_active)s, c.admission_date, st.status, st.status_date) END")) +
    f"FROM {CLAIMS} c {setting_join()} "
    f"LEFT JOIN LATERAL (SELECT h.status, h.status_date FROM {STATUS} h WHERE h.person_id = c.person_id "
    "AND h.status_date <= c.admission_date ORDER BY h.status_date DESC, h.id DESC LIMIT 1) st ON true "
    "WHERE st.status IS DISTINCT FROM 'ACTIVE'",
    {
        "not_registered": _("The patient is not in the register: not insured on the admission date %1$s. "
                            "The whole claim is deducted."),
        "not_yet": _("The patient was not yet insured on the admission date %1$s (first status from %2$s). "
                     "The whole claim is deducted."),
        "not_active": _("The patient was not insured on the admission date %1$s: the status in force was %2$s "
                        "from %3$s. The whole claim is deducted."),
    },
)


def _penalty(measure: str, extra: str = "") -> str:
    return (f"SELECT r.number, r.valid_from, r.valid_to, r.provider_codes FROM {REGISTRATION} r "
            f"WHERE r.person_id = c.person_id AND r.kind = 'PENALTY' AND r.measure = '{measure}' AND {valid_registration('r', 'c.admission_date')}"
            f"{extra} ORDER BY r.valid_from, r.id LIMIT 1")


PENALTY_DIRECT_SETTLEMENT = Rule(
    "PENALTY_DIRECT_SETTLEMENT",
    head(amount="c.total", explanation="format(%(text)s, pen.number, pen.valid_from, c.admission_date)") +
    f"FROM {CLAIMS} c {setting_join()} JOIN LATERAL ({_penalty('SETTLEMENT_METHOD')}) pen ON true "
    f"WHERE {not_taken()}",
    {"text": _("Penalty %1$s (from %2$s) changes the patient's settlement method on the admission date %3$s: "
               "the patient pays the provider and claims the fund's part at the office. The whole claim is "
               "deducted.")},
)

PENALTY_RESTRICTED_PROVIDER = Rule(
    "PENALTY_RESTRICTED_PROVIDER",
    head(amount="c.total", explanation="format(%(text)s, pen.number, pen.valid_from, "
                                       "array_to_string(pen.provider_codes, ', '), c.provider_code)") +
    f"FROM {CLAIMS} c {setting_join()} "
    f"JOIN LATERAL ({_penalty('RESTRICTED_PROVIDERS', ' AND NOT (c.provider_code = ANY(r.provider_codes))')}) pen "
    f"ON true WHERE {not_taken()}",
    {"text": _("Penalty %1$s (from %2$s) restricts the patient to the providers %3$s; this provider (%4$s) is "
               "not one of them. The whole claim is deducted.")},
)

ELIG_NAME_MISMATCH = Rule(
    "ELIG_NAME_MISMATCH",
    # The register's name is never shown to the provider: the explanation names the claim's name only.
    head(amount="c.total", explanation="format(%(text)s, c.patient_name)") +
    f"FROM {CLAIMS} c {setting_join()} "
    "WHERE c.person_id IS NOT NULL AND regexp_replace(c.patient_name, %(ws)s, '', 'g') "
    f"<> regexp_replace(c.person_name, %(ws)s, '', 'g') AND {not_taken()}",
    {"text": _("The patient's name on the claim, %1$s, differs from the name the register holds for this "
               "identity number (risk of use of another person's card). An auditor will decide.")},
)
ELIG_NAME_MISMATCH.texts["ws"] = WHITE_SPACE

THIRD_PARTY_CHECK = Rule(
    "THIRD_PARTY_CHECK",
    head(amount="c.total", explanation="format(%(text)s, c.diagnosis_code)") +
    f"FROM {CLAIMS} c {setting_join()} "
    "WHERE upper(left(c.diagnosis_code, 1)) IN "
    f"(SELECT jsonb_array_elements_text(s.params->'prefixes')) AND {not_taken()}",
    {"text": _("The diagnosis %1$s is an injury, a poisoning or an external cause: what a third party or "
               "work-injury insurance owes is not the fund's to pay. An auditor will decide unless the provider "
               "shows that no one else is liable.")},
)

RULES = [ELIG_NOT_INSURED, PENALTY_DIRECT_SETTLEMENT, PENALTY_RESTRICTED_PROVIDER, ELIG_NAME_MISMATCH,
         THIRD_PARTY_CHECK]
