"""Reads of the benefit policies: the version in force on a date, overlaps, and the snapshot the
calculation takes (eligibility.calculation.Policy)."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet

from ..calculation import HUNDRED, Policy, Rate
from ..models import PolicyVersion

__all__ = ["PolicyBook", "overlapping_version", "policy_book", "policy_in_force", "policy_snapshot",
           "policy_versions"]


def policy_versions() -> QuerySet[PolicyVersion]:
    """Every version with its rates, by insurance type and date."""
    return PolicyVersion.objects.prefetch_related("rates").order_by("insurance_type", "effective_from")


def _in_force_on(on: date) -> Q:
    return Q(effective_from__lte=on) & (Q(effective_to__isnull=True) | Q(effective_to__gte=on))


def policy_in_force(*, insurance_type: str, on: date) -> PolicyVersion | None:
    """The version of an insurance type in force on a date (versions never overlap), with its rates."""
    return policy_versions().filter(_in_force_on(on), insurance_type=insurance_type).first()


def overlapping_version(*, insurance_type: str, effective_from: date, effective_to: date | None,
                        exclude_id: int | None = None) -> PolicyVersion | None:
    """A version of the same insurance type whose dates share a day with these (None: no end)."""
    qs = PolicyVersion.objects.filter(insurance_type=insurance_type).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from))
    if effective_to is not None:
        qs = qs.filter(effective_from__lte=effective_to)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("effective_from").first()


def policy_snapshot(version: PolicyVersion) -> Policy:
    """The frozen snapshot the calculation reads (percents and points become fractions).
    Uses `version.rates.all()`: prefetch them (policy_versions) to read them with the version."""
    rates = {(r.visit_type, r.hospital_level): Rate(r.deductible, r.ratio_percent / HUNDRED)
             for r in version.rates.all()}
    tier = version.large_expense_ratio_percent
    return Policy(
        version_id=version.pk, name=version.name, insurance_type=version.insurance_type, rates=rates,
        annual_cap=version.annual_cap, class_b_first_share=version.class_b_first_share_percent / HUNDRED,
        referral_adjustment=version.referral_adjustment_points / HUNDRED,
        out_of_area_adjustment=version.out_of_area_adjustment_points / HUNDRED,
        out_of_area_other_ratio=version.out_of_area_other_ratio_percent / HUNDRED,
        large_expense_ratio=None if tier is None else tier / HUNDRED,
        large_expense_cap=version.large_expense_cap,
    )


@dataclass
class PolicyBook:
    """Every version's snapshot, read once, for calculating many claims (a settlement batch):
    `book.on(insurance_type, date)` answers from memory."""

    snapshots: dict[str, list[tuple[date, date | None, Policy]]] = field(default_factory=dict)

    def on(self, insurance_type: str, day: date) -> Policy | None:
        for start, end, snapshot in self.snapshots.get(insurance_type, ()):
            if start <= day and (end is None or day <= end):
                return snapshot
        return None


def policy_book() -> PolicyBook:
    """All versions as snapshots, in two queries (versions, rates)."""
    book = PolicyBook()
    for version in policy_versions():
        book.snapshots.setdefault(version.insurance_type, []).append(
            (version.effective_from, version.effective_to, policy_snapshot(version)))
    return book
