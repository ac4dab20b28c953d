"""Writes of the benefit policies (spec/benefit-calculation.md, Policy): administrators add and
change versions, each change audited in its own transaction.

A version's rates are a table of the nine (visit type, hospital level) pairs, each (deductible,
fund ratio %). Versions of one insurance type never overlap: the refusal names the version
overlapped (checked here first; under a race the exclusion constraint refuses and is reported the
same way). Once the ledger holds payments made under a version, its terms are frozen: results keep
their figures, and new terms are a new version (close the old one with its last day).
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import record
from core.errors import ConcurrentEdit, Conflict, ValidationFailed
from core.money import institution_text
from core.roles import Role, require_role

from .. import calculation
from ..models import FundPayment, PolicyRate, PolicyVersion, VisitType
from ..models.policy import OVERLAP_CONSTRAINT
from ..selectors.policies import overlapping_version

RateTable = Mapping[tuple[str, int], tuple[Decimal, Decimal]]  # (visit type, level) -> (deductible, ratio %)

RATE_KEYS = tuple((visit_type, level) for visit_type in calculation.VISIT_TYPES for level in calculation.LEVELS)
TERMS = ("insurance_type", "effective_from", "annual_cap", "class_b_first_share_percent",
         "referral_adjustment_points", "out_of_area_adjustment_points", "out_of_area_other_ratio_percent",
         "large_expense_ratio_percent", "large_expense_cap")
FIELDS = ("name", *TERMS, "effective_to", "note")


def overlap_message(other: PolicyVersion) -> str:
    return _("These dates overlap version “%(version)s” of the same insurance type: versions of one insurance "
             "type may not overlap. Close that version first (its last day in force), or change these dates.") % {
        "version": other}


def check_no_overlap(*, insurance_type: str, effective_from: date, effective_to: date | None,
                     exclude_id: int | None = None) -> None:
    other = overlapping_version(insurance_type=insurance_type, effective_from=effective_from,
                                effective_to=effective_to, exclude_id=exclude_id)
    if other is not None:
        raise ValidationFailed(overlap_message(other), code="policy_overlap")


def check_rates(rates: RateTable) -> None:
    """Every one of the nine rows, each deductible ≥ 0 and ratio within 0–100%."""
    errors = []
    missing = [key for key in RATE_KEYS if key not in rates]
    if missing or len(rates) != len(RATE_KEYS):
        errors.append({"field": "rates", "message": _(
            "A version needs a deductible and a fund ratio for each visit type at each hospital level (1–3).")})
    for (visit_type, level), (deductible, ratio) in rates.items():
        if deductible is None or deductible < 0 or ratio is None or not 0 <= ratio <= 100:
            errors.append({"field": f"rates.{visit_type}.{level}", "message": _(
                "%(visit)s at a %(institution)s: the deductible must be 0 or more and the ratio between 0 and "
                "100%%.") % {"visit": VisitType(visit_type).label if visit_type in VisitType.values else visit_type,
                             "institution": institution_text(level)}})
    if errors:
        raise ValidationFailed(errors=errors, code="policy_rates_invalid")


def check_terms(values: dict) -> None:
    """What a version's own fields must satisfy (the database checks the same)."""
    errors = []
    if values["effective_to"] is not None and values["effective_to"] < values["effective_from"]:
        errors.append({"field": "effective_to", "message": _("The last day in force is before the first.")})
    if (values["large_expense_ratio_percent"] is None) != (values["large_expense_cap"] is None):
        errors.append({"field": "large_expense_cap", "message": _(
            "Give the large-expense tier both a ratio and an annual cap, or neither (no tier).")})
    for name in ("annual_cap", "large_expense_cap"):
        if values[name] is not None and values[name] < 0:
            errors.append({"field": name, "message": _("An amount may not be negative.")})
    for name in ("class_b_first_share_percent", "referral_adjustment_points", "out_of_area_adjustment_points",
                 "out_of_area_other_ratio_percent", "large_expense_ratio_percent"):
        if values[name] is not None and not 0 <= values[name] <= 100:
            errors.append({"field": name, "message": _("A percentage must lie between 0 and 100.")})
    if errors:
        raise ValidationFailed(errors=errors)


def snapshot(version: PolicyVersion, rates: RateTable) -> dict:
    """What the audit trail keeps about a version: its fields and its rate table."""
    return {
        **{name: getattr(version, name) for name in FIELDS},
        "rates": {f"{visit_type}/{level}": [str(d), str(r)] for (visit_type, level), (d, r) in sorted(rates.items())},
    }


def rate_table(version: PolicyVersion) -> dict[tuple[str, int], tuple[Decimal, Decimal]]:
    return {(r.visit_type, r.hospital_level): (r.deductible, r.ratio_percent) for r in version.rates.all()}


def create_policy_version(*, actor, insurance_type: str, name: str, effective_from: date,
                          effective_to: date | None = None, annual_cap: Decimal,
                          class_b_first_share_percent: Decimal, referral_adjustment_points: Decimal,
                          out_of_area_adjustment_points: Decimal,
                          out_of_area_other_ratio_percent: Decimal = Decimal(0),
                          large_expense_ratio_percent: Decimal | None = None,
                          large_expense_cap: Decimal | None = None, rates: RateTable, note: str = "",
                          version: PolicyVersion | None = None) -> PolicyVersion:
    """A new version with its nine rates. `version` may be an unsaved instance to fill (the admin's)."""
    require_role(actor, Role.ADMIN)
    values = {
        "insurance_type": insurance_type, "name": name.strip(), "effective_from": effective_from,
        "effective_to": effective_to, "annual_cap": annual_cap, "class_b_first_share_percent": class_b_first_share_percent,
        "referral_adjustment_points": referral_adjustment_points,
        "out_of_area_adjustment_points": out_of_area_adjustment_points,
        "out_of_area_other_ratio_percent": out_of_area_other_ratio_percent,
        "large_expense_ratio_percent": large_expense_ratio_percent, "large_expense_cap": large_expense_cap,
        "note": note.strip(),
    }
    check_terms(values)
    check_rates(rates)
    version = version if version is not None else PolicyVersion()
    for field, value in values.items():
        setattr(version, field, value)
    try:
        with transaction.atomic():
            check_no_overlap(insurance_type=insurance_type, effective_from=effective_from, effective_to=effective_to)
            version.save()
            _replace_rates(version, rates)
            record(actor, "eligibility.policy_version.created", version, None, snapshot(version, rates))
    except IntegrityError as exc:
        version.pk = None
        _refused_overlap(exc, insurance_type=insurance_type, effective_from=effective_from,
                         effective_to=effective_to, exclude_id=None)
    return version


def change_policy_version(*, actor, policy: PolicyVersion, changes: dict, rates: RateTable | None = None,
                          expected_version: int | None = None) -> PolicyVersion:
    """Change a version's fields (`changes`: field → value, of FIELDS) and, given, its rate table.
    A version the ledger has used keeps its terms and rates: only its name, note and last day change,
    and the last day not before the latest payment made under it."""
    require_role(actor, Role.ADMIN)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a policy field: {sorted(unknown)}")
    try:
        locked = _change(actor, policy, changes, rates, expected_version)
    except IntegrityError as exc:
        wanted = {f: changes.get(f, getattr(policy, f)) for f in ("insurance_type", "effective_from", "effective_to")}
        _refused_overlap(exc, **wanted, exclude_id=policy.pk)
    for field in (*FIELDS, "version", "updated_at"):
        setattr(policy, field, getattr(locked, field))
    return locked


def _change(actor, policy: PolicyVersion, changes: dict, rates: RateTable | None,
            expected_version: int | None) -> PolicyVersion:
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().get(pk=policy.pk)
        if expected_version is not None and locked.version != expected_version:
            raise ConcurrentEdit()
        before_rates = rate_table(locked)
        before = snapshot(locked, before_rates)
        changed = [f for f, v in changes.items() if getattr(locked, f) != v]
        new_rates = dict(rates) if rates is not None else before_rates
        rates_changed = new_rates != before_rates
        for field in changed:
            setattr(locked, field, changes[field])
        check_terms({f: getattr(locked, f) for f in FIELDS})
        if rates_changed:
            check_rates(new_rates)
        check_changeable(locked, terms_changed=rates_changed or any(f in TERMS for f in changed),
                         effective_to=locked.effective_to)
        check_no_overlap(insurance_type=locked.insurance_type, effective_from=locked.effective_from,
                         effective_to=locked.effective_to, exclude_id=locked.pk)
        if changed or rates_changed:
            locked.version += 1
            locked.save(update_fields=[*changed, "version", "updated_at"])
            if rates_changed:
                _replace_rates(locked, new_rates)
            record(actor, "eligibility.policy_version.changed", locked, before, snapshot(locked, new_rates))
    return locked


def check_changeable(version: PolicyVersion, *, terms_changed: bool, effective_to: date | None) -> None:
    """Payments made under a version freeze its terms and rates, and its last day may not come
    before the latest of them (the admin form asks the same before saving)."""
    payments = FundPayment.objects.filter(policy_version=version)
    if terms_changed and payments.exists():
        raise Conflict(_("Payments have already been made under version “%(version)s”: its terms and rates can no "
                         "longer change. Close it with its last day in force and add a new version.")
                       % {"version": version}, code="policy_in_use")
    if effective_to is not None:
        last = payments.order_by("-service_date").values_list("service_date", flat=True).first()
        if last is not None and last > effective_to:
            raise Conflict(_("A payment was made under version “%(version)s” for a service on %(date)s: its last "
                             "day in force may not come before it.") % {"version": version, "date": last},
                           code="policy_in_use")


def _replace_rates(version: PolicyVersion, rates: RateTable) -> None:
    PolicyRate.objects.filter(policy=version).delete()
    PolicyRate.objects.bulk_create(
        PolicyRate(policy=version, visit_type=visit_type, hospital_level=level, deductible=deductible,
                   ratio_percent=ratio)
        for (visit_type, level), (deductible, ratio) in sorted(rates.items()))


def _refused_overlap(exc: IntegrityError, *, insurance_type: str, effective_from: date,
                     effective_to: date | None, exclude_id: int | None) -> None:
    """Two overlapping versions saved at once: the exclusion constraint refused the second. Report
    it as the check before it would have; re-raise anything else."""
    if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != OVERLAP_CONSTRAINT:
        raise exc
    other = overlapping_version(insurance_type=insurance_type, effective_from=effective_from,
                                effective_to=effective_to, exclude_id=exclude_id)
    message = overlap_message(other) if other is not None else _(
        "These dates overlap another version of the same insurance type.")
    raise ValidationFailed(message, code="policy_overlap") from exc
