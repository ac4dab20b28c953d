"""The coverage check's answer (spec/claims-upload.md, GET /api/v1/eligibility/coverage/), and the
log of lookups for a person's page.

`covered` is the status in force on the date (enrollment's history: the latest change on or
before it) being ACTIVE; a penalty does not change it. The answer is read in a constant number of
queries whatever the person's history: the person with their status on the date, their
registrations valid on the date, the policy in force.
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils.translation import gettext as _

from core.models import Provider
from enrollment.models import PersonStatus
from enrollment.selectors import persons_with_status_on

from ..calculation import HUNDRED, Episode, Policy, Reason, calculate, explain
from ..models import CoverageLookup, Registration
from ..models.registrations import RegistrationKind
from .catalogue import diagnosis_category
from .ledger import year_to_date
from .policies import policy_book
from .registrations import (
    REFERRAL_BEGIN_MONTHS,
    REFERRAL_FOLLOW_UP_MONTHS,
    add_months,
    registrations_valid_on,
)

__all__ = ["CoverageQuery", "coverage_answer", "lookups_of", "provider_by_code"]

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


def coverage_answer(query: CoverageQuery, provider: Provider | None) -> Answer:
    """What the coverage check answers for this person on this date at this provider."""
    person = (persons_with_status_on(query.on).filter(id_number=query.id_number)
              .only("id", "insurance_type").first())  # with its status in force on the date, one query
    if person is None:
        return Answer(None, {"covered": False, "policy": None, "measures": [], "reason": _reason(NOT_REGISTERED),
                             "benefits": None})
    registrations = list(registrations_valid_on(person.pk, query.on))
    measures = [{"code": r.measure, "valid_to": r.valid_to} for r in registrations
                if r.kind == RegistrationKind.PENALTY]
    policy = policy_in_force_for(person.insurance_type, query.on)
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

    def on(self, insurance_type: str, day: date) -> PolicyInForce | None:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*), max(updated_at) FROM eligibility_policyversion")
            stamp = (connection.alias, connection.settings_dict["NAME"], *cur.fetchone())
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


def _applies_at(registration: Registration, provider: Provider | None) -> bool | None:
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
    result = calculate(policy.snapshot, year_to_date(person_id=person.pk, year=query.on.year), episode, [])
    ratio_step = next(step for step in explain(result) if step.code == "ratio")
    return {
        "rated_as": result.rated_as, "deductible": result.policy_deductible,
        "ratio_percent": result.ratio * HUNDRED, "base_ratio_percent": result.base_ratio * HUNDRED,
        "adjustments": [code for code in result.reasons if code in RATIO_REASONS],
        "explanation": ratio_step.reason, "fund_cap_remaining": result.cap_remaining_before,
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
