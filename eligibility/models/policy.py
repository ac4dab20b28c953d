"""Benefit policies as versioned data (spec/benefit-calculation.md, Policy).

A PolicyVersion holds one insurance type's terms for a span of dates; its PolicyRate rows hold the
deductible and the fund ratio of each visit type at each hospital level (a version has all nine).
Versions of one insurance type never overlap: an exclusion constraint refuses it, and
eligibility.services.policies checks first so that the refusal names the version overlapped.
Ratios and adjustments are stored as percents and points (80.00 is 80%), as the office states them.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _

from core.ranges import KeyRange
from enrollment.models import InsuranceType

from .. import calculation

OVERLAP_CONSTRAINT = "policy_versions_never_overlap"


class VisitType(models.TextChoices):
    INPATIENT = calculation.INPATIENT, _("Inpatient (住院)")
    OUTPATIENT = calculation.OUTPATIENT, _("General outpatient (普通门诊)")
    OUTPATIENT_SPECIAL = calculation.OUTPATIENT_SPECIAL, _("Outpatient special disease (门特)")


class DateRange(Func):
    """daterange(from, to, '[]'): both days included; a null `to` is no end."""

    function = "DATERANGE"
    output_field = DateRangeField()


def _percent(field: str) -> Q:
    return Q(**{f"{field}__gte": 0, f"{field}__lte": 100})


class PolicyVersion(models.Model):
    """One insurance type's benefit terms from effective_from to effective_to (inclusive; empty: no
    end). The version in force on a claim's service date (admission date for an inpatient) applies,
    and results keep its id and their figures, so a later version never changes a stored result."""

    insurance_type = models.CharField(_("insurance type"), max_length=3, choices=InsuranceType.choices)
    name = models.CharField(_("name"), max_length=100)
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("in force until"), null=True, blank=True,
                                    help_text=_("The last day in force; empty: no end."))
    annual_cap = models.DecimalField(_("annual fund cap (封顶线)"), max_digits=14, decimal_places=2)
    class_b_first_share_percent = models.DecimalField(
        _("class B first self-pay share (%)"), max_digits=5, decimal_places=2,
        help_text=_("乙类先行自付: the share of each class B line the person pays first."))
    referral_adjustment_points = models.DecimalField(
        _("out of area with a valid referral: points less"), max_digits=5, decimal_places=2)
    out_of_area_adjustment_points = models.DecimalField(
        _("out of area at a level 2 or 3 hospital without referral: points less"), max_digits=5, decimal_places=2)
    out_of_area_other_ratio_percent = models.DecimalField(
        _("out of area at any other institution without referral: fund ratio (%)"), max_digits=5,
        decimal_places=2, default=0)
    large_expense_ratio_percent = models.DecimalField(
        _("large-expense tier ratio (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("大额医疗费用补助; empty when the insurance type has no tier."))
    large_expense_cap = models.DecimalField(
        _("large-expense tier annual cap"), max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["insurance_type", "effective_from"]
        constraints = [
            ExclusionConstraint(
                name=OVERLAP_CONSTRAINT,
                expressions=[
                    (DateRange("effective_from", "effective_to", RangeBoundary(inclusive_upper=True)),
                     RangeOperators.OVERLAPS),
                    (KeyRange("insurance_type"), RangeOperators.OVERLAPS),
                ],
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="policy_version_dates_in_order"),
            models.CheckConstraint(
                condition=Q(large_expense_ratio_percent__isnull=True, large_expense_cap__isnull=True)
                | Q(large_expense_ratio_percent__isnull=False, large_expense_cap__isnull=False),
                name="policy_version_large_expense_whole"),
            models.CheckConstraint(
                condition=Q(annual_cap__gte=0) & (Q(large_expense_cap__isnull=True) | Q(large_expense_cap__gte=0)),
                name="policy_version_caps_not_negative"),
            models.CheckConstraint(
                condition=_percent("class_b_first_share_percent") & _percent("referral_adjustment_points")
                & _percent("out_of_area_adjustment_points") & _percent("out_of_area_other_ratio_percent")
                & (Q(large_expense_ratio_percent__isnull=True) | _percent("large_expense_ratio_percent")),
                name="policy_version_percents_in_range"),
        ]

    def __str__(self):
        end = self.effective_to.isoformat() if self.effective_to else _("no end")
        return f"{self.name} ({self.insurance_type}, {self.effective_from.isoformat()} – {end})"

    def get_constraints(self):
        # Model validation (the admin form) leaves the overlap to eligibility.services.policies, whose
        # message names the version overlapped; the database constraint still guards every write.
        return [(model, [c for c in constraints if c.name != OVERLAP_CONSTRAINT])
                for model, constraints in super().get_constraints()]


class PolicyRate(models.Model):
    """The deductible (起付线) and the fund ratio (支付比例) of one visit type at one hospital level."""

    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="rates")
    visit_type = models.CharField(_("visit type"), max_length=20, choices=VisitType.choices)
    hospital_level = models.PositiveSmallIntegerField(_("hospital level"), choices=[(1, "1"), (2, "2"), (3, "3")])
    deductible = models.DecimalField(_("deductible"), max_digits=12, decimal_places=2)
    ratio_percent = models.DecimalField(_("fund ratio (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("policy rate")
        verbose_name_plural = _("policy rates")
        ordering = ["policy", "visit_type", "hospital_level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "visit_type", "hospital_level"], name="policy_rate_once"),
            models.CheckConstraint(
                condition=Q(hospital_level__gte=1, hospital_level__lte=3) & Q(deductible__gte=0)
                & _percent("ratio_percent"),
                name="policy_rate_values_in_range"),
        ]

    def __str__(self):
        return f"{self.visit_type} L{self.hospital_level}: {self.deductible} / {self.ratio_percent}%"
