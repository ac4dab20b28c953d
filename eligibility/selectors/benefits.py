"""A person's benefits page: registrations, active penalties, this year against each cap, and who
looked the person up. One query per list, whatever the person's history."""

from datetime import date

from core.masking import mask_id_number
from enrollment.models import Person

from ..calculation import ZERO
from .coverage import lookups_of
from .ledger import fund_payments_of, year_to_date
from .policies import policy_in_force
from .registrations import active_penalties, referral_window, registrations_of, state_on

__all__ = ["person_benefits"]


def _caps(person: Person, on: date) -> list[dict]:
    """Year to date against the annual fund cap and the large-expense tier's cap (None: no policy)."""
    policy = policy_in_force(insurance_type=person.insurance_type, on=on)
    paid = year_to_date(person_id=person.pk, year=on.year)
    if policy is None:
        return []
    caps = [("fund", policy.annual_cap, paid.fund)]
    if policy.large_expense_cap is not None:
        caps.append(("large_expense", policy.large_expense_cap, paid.large_expense))
    return [{"which": which, "cap": cap, "paid": used, "remaining": max(cap - used, ZERO),
             "percent": int(used * 100 / cap) if cap else 100} for which, cap, used in caps]


def person_benefits(person: Person, on: date, limit: int = 100) -> dict:
    registrations = list(registrations_of(person.pk)[:limit])
    return {
        "id_number_masked": mask_id_number(person.id_number),
        "registrations": [{"obj": r, "state": state_on(r, on),
                           "window": referral_window(r) if r.kind == "REFERRAL" else None} for r in registrations],
        "penalties": list(active_penalties(person.pk, on)),
        "caps": _caps(person, on),
        "payments": list(fund_payments_of(person_id=person.pk)[:20]),
        "lookups": [{"obj": lookup, "id_number_masked": mask_id_number(lookup.id_number)}
                    for lookup in lookups_of(person.pk)[:limit]],
    }
