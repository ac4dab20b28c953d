"""The fund ledger: what the basic fund and the large-expense tier paid for each person in each
calendar year, one row per payment, appended only through eligibility.services.ledger."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from .policy import PolicyVersion


class FundPayment(models.Model):
    """One payment for one person: a settled claim's, or a benefit determination's (by id).

    `year` is the calendar year of the service date (the admission date, or the visit date for an
    outpatient): the caps count per calendar year. The table is append-only (a trigger refuses
    UPDATE and DELETE); a correction is a payment of its own.
    """

    class Source(models.TextChoices):
        CLAIM = "CLAIM", _("Settled claim")
        DETERMINATION = "DETERMINATION", _("Benefit determination")

    # Indexed by fund_payment_year_to_date_idx (person first).
    person = models.ForeignKey("enrollment.Person", on_delete=models.PROTECT, related_name="+",
                               db_index=False, verbose_name=_("person"))
    year = models.PositiveSmallIntegerField(_("year"))
    service_date = models.DateField(_("service date"))
    source_type = models.CharField(_("source"), max_length=20, choices=Source.choices)
    source_id = models.PositiveBigIntegerField(_("source id"))
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="payments",
                                       verbose_name=_("policy version"))
    fund_amount = models.DecimalField(_("basic fund"), max_digits=14, decimal_places=2)
    large_expense_amount = models.DecimalField(_("large-expense tier"), max_digits=14, decimal_places=2)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = _("fund payment")
        verbose_name_plural = _("fund payments")
        constraints = [
            models.UniqueConstraint(fields=["source_type", "source_id"], name="fund_payment_once_per_source"),
            models.CheckConstraint(condition=Q(fund_amount__gte=0, large_expense_amount__gte=0),
                                   name="fund_payment_not_negative"),
            models.CheckConstraint(condition=Q(year=ExtractYear("service_date")), name="fund_payment_year_of_date"),
        ]
        indexes = [
            # Year to date for a person or a batch of persons, read from the index alone.
            models.Index(fields=["person", "year"], include=["fund_amount", "large_expense_amount"],
                         name="fund_payment_year_to_date_idx"),
        ]

    def __str__(self):
        return f"{self.source_type} {self.source_id}: {self.fund_amount} + {self.large_expense_amount}"
