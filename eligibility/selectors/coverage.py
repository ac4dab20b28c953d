"""The coverage check's answer (spec/claims-upload.md, GET /api/v1/eligibility/coverage/), and the
log of lookups for a person's page.

`covered` is the status in force on the date (enrollment's history: the latest change on or
before it) being ACTIVE; a penalty does not change it. The answer is read in one query whatever
the person's history: the person with their status on the date, their registrations valid on the
date, the year's fund payments and the policy versions' stamp (the book itself is kept in the
process).
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils.translation import gettext as _

from core.models import Provider
from core.prepared import prepared_cursor
from enrollment.models import PersonStatus

from ..calculation import HUNDRED, ZERO, Episode, Policy, Reason, YearToDate, calculate, ratio_explanation
from ..models import CoverageLookup
from ..models.registrations import RegistrationKind
from .catalogue import diagnosis_category
from .policies import policy_book
from .registrations import REFERRAL_BEGIN_MONTHS, REFERRAL_FOLLOW_UP_MONTHS, add_months

__all__ = ["CoverageQuery", "coverage_answer", "lookups_of", "person_on", "provider_by_code"]

# The reasons of step 5 that adjust the ratio out of area (or say why not).
RATIO_REASONS = (Reason.SPECIAL_REGISTERED, Reason.SPECIAL_NOT_REGISTERED, Reason.OUT_OF_AREA_EMERGENCY,
                 Reason.OUT_OF_AREA_CHOSEN_PROVIDER, Reason.OUT_OF_AREA_REFERRAL, Reason.OUT_OF_AREA_NO_REFERRAL,
                 Reason.OUT_OF_AREA_NOT_PAYABLE)

NOT_REGISTERED = "not_registered"
NOT_YET_INSURED = "not_yet_insured"
NOT_ACTIVE = "not_active"


@dataclass(frozen=True)
class CoverageQuery:
    id_number: str
    on: date
    visit_type: str
    emergency: bool = False
    diagnosis_code: str = ""


@dataclass
class Answer:
    person_id: int | None
    body: dict

    @property
    def covered(self) -> bool:
        return self.body["covered"]

    @property
    def reason_code(self) -> str:
        return (self.body.get("reason") or {}).get("code", "")


def _reason(code: str, status: str | None = None) -> dict:
    messages = {
        NOT_REGISTERED: _("No insured person with this identity number is in the register."),
        NOT_YET_INSURED: _("The person's insurance had not begun on this date."),
    }
    if code == NOT_ACTIVE:
        label = PersonStatus(status).label if status in PersonStatus.values else status
        return {"code": code, "status": status,
                "message": _("The person's insurance is not active on this date: %(status)s.") % {"status": label}}
    return {"code": code, "message": messages[code]}


# The person with everything the answer reads, in one statement (spec/claims-upload.md's coverage row):
# the status in force on the date (enrollment's rule, as persons_with_status_on: the latest change on
# or before it, from status_change_in_force_idx), the registrations valid on the date
# (registrations.valid_on, from registration_person_idx; a referral's window is PostgreSQL's
# `approved_on + n months`, as AddMonths), the year's fund payments (fund_payment_year_to_date_idx,
# an index-only scan) and the policy versions' stamp (_PolicyBookCache). tests/eligibility/
# test_coverage_sql.py holds it to registrations_valid_on and persons_with_status_on.
_COVERAGE_SQL = f"""
SELECT p.id, p.insurance_type,
  (SELECT s.status FROM enrollment_statuschange s WHERE s.person_id = p.id AND s.status_date <= %(on)s
    ORDER BY s.status_date DESC, s.id DESC LIMIT 1),
  (SELECT json_agg(json_build_array(r.kind, r.number, r.measure, r.approved_on, r.valid_from, r.valid_to,
                                    r.first_used_on, r.provider_codes, r.diagnosis_categories)
                   ORDER BY r.kind, r.number)
     FROM eligibility_registration r
    WHERE r.person_id = p.id AND r.status = 'ACTIVE' AND (
      (r.kind <> 'REFERRAL' AND r.valid_from <= %(on)s AND (r.valid_to IS NULL OR r.valid_to >= %(on)s))
      OR (r.kind = 'REFERRAL' AND r.approved_on <= %(on)s AND (
          CAST(r.approved_on + INTERVAL '1 month' * {REFERRAL_BEGIN_MONTHS} AS date) >= %(on)s
          OR (r.first_used_on IS NOT NULL
              AND CAST(r.approved_on + INTERVAL '1 month' * {REFERRAL_FOLLOW_UP_MONTHS} AS date) >= %(on)s))))),
  y.fund, y.large_expense, v.versions, v.updated
FROM enrollment_person p
CROSS JOIN LATERAL (SELECT sum(f.fund_amount) AS fund, sum(f.large_expense_amount) AS large_expense
                      FROM eligibility_fundpayment f WHERE f.person_id = p.id AND f.year = %(year)s) y
CROSS JOIN (SELECT count(*) AS versions, max(updated_at) AS updated FROM eligibility_policyversion) v
WHERE p.id_number = %(id_number)s
"""  # noqa: S608 (constants and model metadata only; values are parameters)


@dataclass(frozen=True, slots=True)
class ValidRegistration:
    """A registration valid on the date, as the coverage check reads it (the fields of Registration it uses)."""

    kind: str
    number: str
    measure: str
    approved_on: date
    valid_from: date | None
    valid_to: date | None
    first_used_on: date | None
    provider_codes: list
    diagnosis_categories: list


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class PersonOnDate:
    pk: int
    insurance_type: str
    status_on: str | None
    registrations: list
    year_to_date: YearToDate


def person_on(query: CoverageQuery) -> tuple[PersonOnDate | None, tuple | None]:
    """The person with their status on the date, registrations valid on it and the year's payments,
    and the policy versions' stamp, in one query; (None, None) for an unknown identity number."""
    with prepared_cursor() as cur:  # parsed and planned once per connection
        cur.execute(_COVERAGE_SQL, {"on": query.on, "year": query.on.year, "id_number": query.id_number})
        row = cur.fetchone()
    if row is None:
        return None, None
    pk, insurance_type, status_on, registrations, fund, large_expense, versions, updated = row
    registrations = [ValidRegistration(kind, number, measure, _day(approved), _day(valid_from), _day(valid_to),
                                       _day(first_used), codes or [], categories or [])
                     for kind, number, measure, approved, valid_from, valid_to, first_used, codes, categories
                     in registrations or ()]
    ytd = YearToDate(ZERO if fund is None else fund, ZERO if large_expense is None else large_expense)
    return PersonOnDate(pk, insurance_type, status_on, registrations, ytd), (versions, updated)


def coverage_answer(query: CoverageQuery, provider: Provider | None) -> Answer:
    """What the coverage check answers for this person on this date at this provider (one query)."""
    person, stamp = person_on(query)
    if person is None:
        return Answer(None, {"covered": False, "policy": None, "measures": [], "reason": _reason(NOT_REGISTERED),
                             "benefits": None})
    registrations = person.registrations
    measures = [{"code": r.measure, "valid_to": r.valid_to} for r in registrations
                if r.kind == RegistrationKind.PENALTY]
    policy = _policies.on(person.insurance_type, query.on, stamp)
    body = {"covered": person.status_on == PersonStatus.ACTIVE, "policy": _policy(policy), "measures": measures}
    if not body["covered"]:
        body["reason"] = _reason(NOT_YET_INSURED) if person.status_on is None else _reason(NOT_ACTIVE,
                                                                                            person.status_on)
        body["benefits"] = None
    else:
        body["benefits"] = _benefits(query, person, provider, registrations, policy)
    return Answer(person.pk, body)


@dataclass(frozen=True)
class PolicyInForce:
    snapshot: Policy
    effective_from: date
    effective_to: date | None


class _PolicyBookCache:
    """Every policy version as the calculation's snapshots, kept in the process and read again only
    when the versions changed (their count or latest updated_at: one small query instead of the
    version and its nine rates through the ORM on every lookup). Versions are few and rarely change."""

    def __init__(self):
        self.stamp, self.book = None, None

    def on(self, insurance_type: str, day: date, stamp: tuple | None = None) -> PolicyInForce | None:
        """The version in force; `stamp` (count, latest updated_at) when the caller read it already."""
        if stamp is None:
            with connection.cursor() as cur:
                cur.execute("SELECT count(*), max(updated_at) FROM eligibility_policyversion")
                stamp = cur.fetchone()
        stamp = (connection.alias, connection.settings_dict["NAME"], *stamp)
        if stamp != self.stamp:
            self.book, self.stamp = policy_book(), stamp
        for start, end, snapshot in self.book.snapshots.get(insurance_type, ()):
            if start <= day and (end is None or day <= end):
                return PolicyInForce(snapshot, start, end)
        return None


_policies = _PolicyBookCache()


def policy_in_force_for(insurance_type: str, on: date) -> PolicyInForce | None:
    return _policies.on(insurance_type, on)


def _policy(policy: PolicyInForce | None) -> dict | None:
    if policy is None:
        return None
    return {"id": policy.snapshot.version_id, "name": policy.snapshot.name,
            "insurance_type": policy.snapshot.insurance_type, "effective_from": policy.effective_from,
            "effective_to": policy.effective_to}


def _applies_at(registration: ValidRegistration, provider: Provider | None) -> bool | None:
    return None if provider is None else provider.code in registration.provider_codes


def _rate(query: CoverageQuery, person, provider: Provider | None, registrations, policy) -> dict:
    """The deductible and the fund ratio that would apply at this provider (step 5 of
    spec/benefit-calculation.md, by the calculation itself on an empty bill), and the fund's room
    left this year from the ledger."""
    if policy is None or provider is None:
        return {"rated_as": None, "deductible": None, "ratio_percent": None, "base_ratio_percent": None,
                "adjustments": [], "explanation": "", "fund_cap_remaining": None,
                "large_expense_cap_remaining": None}
    category = diagnosis_category(query.diagnosis_code)
    special = [r for r in registrations if r.kind == RegistrationKind.SPECIAL_DISEASE
               and (not category or category in r.diagnosis_categories)]
    episode = Episode(
        insurance_type=person.insurance_type, visit_type=query.visit_type, provider_level=provider.level,
        provider_area=provider.area, emergency=query.emergency, special_disease_registered=bool(special),
        referral_valid=any(r.kind == RegistrationKind.REFERRAL and _applies_at(r, provider) for r in registrations),
        chosen_provider=any(r.kind == RegistrationKind.RESIDENCE_ELSEWHERE and _applies_at(r, provider)
                            for r in registrations))
    result = calculate(policy.snapshot, person.year_to_date, episode, [])
    return {
        "rated_as": result.rated_as, "deductible": result.policy_deductible,
        "ratio_percent": result.ratio * HUNDRED, "base_ratio_percent": result.base_ratio * HUNDRED,
        "adjustments": [code for code in result.reasons if code in RATIO_REASONS],
        "explanation": ratio_explanation(result), "fund_cap_remaining": result.cap_remaining_before,
        "large_expense_cap_remaining": (result.large_expense_remaining_before
                                        if result.large_expense_ratio is not None else None),
    }


def _benefits(query: CoverageQuery, person, provider: Provider | None, registrations, policy) -> dict:
    referrals = [r for r in registrations if r.kind == RegistrationKind.REFERRAL]
    residence = [r for r in registrations if r.kind == RegistrationKind.RESIDENCE_ELSEWHERE]
    special = [r for r in registrations if r.kind == RegistrationKind.SPECIAL_DISEASE]
    return {
        "insurance_type": person.insurance_type,
        "visit_type": query.visit_type,
        **_rate(query, person, provider, registrations, policy),
        "provider": None if provider is None else {
            "code": provider.code, "name": provider.name, "level": provider.level, "area": provider.area},
        "referrals": [{
            "number": r.number, "approved_on": r.approved_on,
            "begin_by": add_months(r.approved_on, REFERRAL_BEGIN_MONTHS),
            "follow_up_until": add_months(r.approved_on, REFERRAL_FOLLOW_UP_MONTHS),
            "first_used_on": r.first_used_on, "provider_codes": list(r.provider_codes),
            "applies_here": _applies_at(r, provider)} for r in referrals],
        "residence_elsewhere": [{
            "number": r.number, "valid_from": r.valid_from, "valid_to": r.valid_to,
            "provider_codes": list(r.provider_codes), "applies_here": _applies_at(r, provider)} for r in residence],
        "special_diseases": [{
            "number": r.number, "valid_from": r.valid_from, "valid_to": r.valid_to,
            "diagnosis_categories": list(r.diagnosis_categories)} for r in special],
    }


def provider_by_code(code: str) -> Provider | None:
    return Provider.objects.filter(code=code).first()


def lookups_of(person_id: int):
    """Who looked the person up, latest first (the person's page)."""
    return CoverageLookup.objects.filter(person_id=person_id).order_by("-at", "-id")
