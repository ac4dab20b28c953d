"""Rules on a visit or admission as a whole, read against the patient's other claims and registrations:
split admissions, split outpatient visits, special diseases not registered, referrals, out-of-area
treatment without one, and penalties under monitoring (spec/review-rules.md). None of them moves money
by itself: SPLIT_ADMISSION and OUTPATIENT_SAME_DAY are for an auditor, the INFO rules explain a result."""

from django.utils.translation import gettext_lazy as _

from .base import Rule, head
from .sql import (
    BATCH,
    CLAIM,
    CLAIMS,
    FINDING,
    PROVIDER,
    REGISTRATION,
    category,
    earlier_batch,
    setting_join,
    valid_registration,
)

# A claim of this batch or of an earlier accepted batch, as `o` (with its batch `ob`); the rules find a patient's
# claims at a provider with claim_patient_provider_idx.
_OTHER = f"{CLAIM} o JOIN {BATCH} ob ON ob.id = o.batch_id AND (ob.id = %(batch)s OR {earlier_batch('ob')})"

SPLIT_ADMISSION = Rule(
    "SPLIT_ADMISSION",
    head(explanation="format(%(text)s, prev.claim_no, prev.discharge_date, c.admission_date - prev.discharge_date, "
                     "c.category)") +
    f"FROM {CLAIMS} c {setting_join()} "
    f"JOIN LATERAL (SELECT o.claim_no, o.discharge_date FROM {_OTHER} WHERE o.patient_id_number = c.patient_id_number "
    "AND o.provider_id = c.provider_id AND o.visit_type = 'INPATIENT' AND o.id <> c.id "
    f"AND {category('o')} = c.category AND o.discharge_date <= c.admission_date "
    "AND o.admission_date <= c.admission_date "  # follows from the line before; an index range
    "ORDER BY o.discharge_date DESC, o.id DESC LIMIT 1) prev ON true "
    "WHERE c.visit_type = 'INPATIENT' "
    "AND c.admission_date - prev.discharge_date <= (s.params->>'window_days')::int",
    {"text": _("Readmission for the same diagnosis category %4$s %3$s days after claim %1$s was discharged on "
               "%2$s (split admission). An auditor will decide.")},
)

OUTPATIENT_SAME_DAY = Rule(
    "OUTPATIENT_SAME_DAY",
    head(explanation="format(%(text)s, c.admission_date, first.claim_no)") +
    f"FROM {CLAIMS} c {setting_join()} "
    f"JOIN LATERAL (SELECT o.claim_no FROM {_OTHER} WHERE o.patient_id_number = c.patient_id_number "
    "AND o.provider_id = c.provider_id AND o.visit_type = 'OUTPATIENT' AND o.admission_date = c.admission_date "
    "AND o.id <> c.id AND (ob.id <> %(batch)s OR o.claim_no COLLATE \"C\" < c.claim_no COLLATE \"C\") "
    "ORDER BY ob.id = %(batch)s, ob.id, o.claim_no COLLATE \"C\" LIMIT 1) first ON true "
    "WHERE c.visit_type = 'OUTPATIENT'",
    {"text": _("The patient already had an outpatient visit here on %1$s (claim %2$s): a second visit on one day "
               "(split outpatient visit). An auditor will decide.")},
)

SPECIAL_NOT_REGISTERED = Rule(
    "SPECIAL_NOT_REGISTERED",
    head(explanation="format(%(text)s, c.category, c.admission_date)") +
    f"FROM {CLAIMS} c {setting_join()} WHERE c.visit_type = 'OUTPATIENT_SPECIAL' "
    f"AND NOT EXISTS (SELECT 1 FROM {REGISTRATION} r WHERE r.person_id = c.person_id AND r.kind = 'SPECIAL_DISEASE' "
    f"AND {valid_registration('r', 'c.admission_date')} AND c.category = ANY(r.diagnosis_categories))",
    {"text": _("The patient has no special-disease registration for %1$s valid on %2$s: the claim is calculated "
               "as a general outpatient claim.")},
)

# The referral's three-month window and its follow-up year, from the setting's params.
_IN_TIME = ("(%(adm)s >= {r}.approved_on AND %(adm)s <= {r}.approved_on "
            "+ make_interval(months => (s.params->>'months')::int))")
_FOLLOW_UP = ("(%(adm)s >= {r}.approved_on AND %(adm)s <= {r}.approved_on "
              "+ make_interval(months => (s.params->>'follow_up_months')::int))")


def _in_time(r: str, adm: str) -> str:
    return _IN_TIME.replace("%(adm)s", adm).replace("{r}", r)


def _follow_up(r: str, adm: str) -> str:
    return _FOLLOW_UP.replace("%(adm)s", adm).replace("{r}", r)


# A use in time of referral `r` earlier than claim c: this batch before it, or an earlier accepted batch.
_USED_BEFORE = (
    f"EXISTS (SELECT 1 FROM {_OTHER} JOIN {PROVIDER} opv ON opv.id = o.provider_id "
    "WHERE o.patient_id_number = c.patient_id_number AND o.referral_no = c.referral_no AND o.id <> c.id "
    f"AND opv.code = ANY(r.provider_codes) AND {_in_time('r', 'o.admission_date')} "
    "AND (ob.id <> %(batch)s OR (o.admission_date, o.claim_no COLLATE \"C\") < (c.admission_date, c.claim_no COLLATE \"C\")))"
)

# Why the claim's referral is not valid (NULL: it is): the first condition of spec's Referrals that fails.
REFERRAL_REASON = (
    "CASE WHEN r.id IS NULL THEN 'unknown' WHEN r.person_id IS DISTINCT FROM c.person_id THEN 'person' "
    "WHEN NOT (c.provider_code = ANY(r.provider_codes)) THEN 'destination' "
    f"WHEN NOT ({_in_time('r', 'c.admission_date')} OR ({_follow_up('r', 'c.admission_date')} AND {_USED_BEFORE})) "
    "THEN 'time' END"
)

REFERRAL_NOT_VALID = Rule(
    "REFERRAL_NOT_VALID",
    head(explanation="format(CASE why.reason WHEN 'unknown' THEN %(unknown)s WHEN 'person' THEN %(person)s "
                     "WHEN 'destination' THEN %(destination)s ELSE %(time)s END, c.referral_no, r.approved_on, "
                     "c.admission_date, c.provider_code)",
         detail="jsonb_build_object('reason', why.reason)") +
    f"FROM {CLAIMS} c {setting_join()} "
    f"LEFT JOIN LATERAL (SELECT * FROM {REGISTRATION} r0 WHERE r0.kind = 'REFERRAL' AND r0.number = c.referral_no "
    "AND r0.status = 'ACTIVE' LIMIT 1) r ON true "
    f"CROSS JOIN LATERAL (SELECT {REFERRAL_REASON} AS reason) why "
    "WHERE c.referral_no <> '' AND why.reason IS NOT NULL",
    {"unknown": _("Referral %1$s is unknown: the claim is treated as having no referral."),
     "person": _("Referral %1$s is another person's: the claim is treated as having no referral."),
     "destination": _("Referral %1$s does not name this provider (%4$s): the claim is treated as having no "
                      "referral."),
     "time": _("Referral %1$s, approved on %2$s, is out of time for the admission on %3$s: the claim is treated "
               "as having no referral.")},
)

OUT_OF_AREA_NO_REFERRAL = Rule(
    "OUT_OF_AREA_NO_REFERRAL",
    head(explanation="format(%(text)s, c.provider_code)") +
    f"FROM {CLAIMS} c {setting_join()} "
    "WHERE c.provider_area = 'OUT' AND NOT c.emergency "
    f"AND (c.referral_no = '' OR c.id IN (SELECT rf.claim_id FROM {FINDING} rf WHERE rf.batch_id = %(batch)s "
    "AND rf.rule_code = 'REFERRAL_NOT_VALID')) "
    f"AND NOT EXISTS (SELECT 1 FROM {REGISTRATION} r WHERE r.person_id = c.person_id "
    f"AND r.kind = 'RESIDENCE_ELSEWHERE' AND {valid_registration('r', 'c.admission_date')} "
    "AND c.provider_code = ANY(r.provider_codes))",
    {"text": _("Out-of-area provider %1$s, with no valid referral, no emergency and no residence-elsewhere "
               "registration naming it: the fund's ratio is lowered.")},
)

PENALTY_MONITORING = Rule(
    "PENALTY_MONITORING",
    head(explanation="format(%(text)s, r.number, r.valid_from)") +
    f"FROM {CLAIMS} c {setting_join()} JOIN LATERAL (SELECT r0.number, r0.valid_from FROM {REGISTRATION} r0 "
    "WHERE r0.person_id = c.person_id AND r0.kind = 'PENALTY' "
    f"AND r0.measure = 'MONITORING' AND {valid_registration('r0', 'c.admission_date')} "
    "ORDER BY r0.valid_from, r0.id LIMIT 1) r ON true",
    {"text": _("The patient is under focused monitoring (penalty %1$s, from %2$s): for the auditors' attention.")},
)
