"""Claim batches uploaded by providers, their claims and bill lines (spec/claims-upload.md).

A batch is one uploaded file. Its claims and lines exist only once it is accepted: a rejected file
keeps nothing but the file and its error report (BatchError rows). The review rules
(spec/review-rules.md), the findings and each claim's money come on top of these tables.
"""

import re
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.masking import mask_id_number
from core.models import Provider
from core.roles import Role

from .roles import SYSTEM


def batch_file_path(batch: "ClaimBatch", filename: str) -> str:
    """settlement/batches/<provider code>/<sha256>.<ext>: one name per provider and content."""
    suffix = PurePath(filename).suffix.lower()[:8]
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]+", suffix) else ""
    return f"settlement/batches/{get_valid_filename(batch.provider.code)}/{batch.sha256}{suffix}"


def batch_label(provider_code: str, number: int) -> str:
    """How pages and messages name a batch: its provider's code and its number there, H32010001-0003."""
    return f"{provider_code}-{number:04d}"


class ClaimBatch(models.Model):
    """One file of claims a provider uploaded for a settlement period (a month).

    `received` until the checker has read it; then `rejected` (the file and its error report only)
    or `accepted` (its claims and lines stored), and on through review, audit and settlement. The
    same file (SHA-256) is taken once per provider, whatever became of it: a unique constraint
    decides between two identical uploads at once.

    `number` counts the provider's own batches (1, 2, …; settlement.services.upload gives it under a lock
    per provider), so that no provider learns from its numbers that other providers upload too; the API
    still names a batch by its `id`.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("claim batch", "Received")
        REJECTED = "rejected", pgettext_lazy("claim batch", "Rejected")
        ACCEPTED = "accepted", pgettext_lazy("claim batch", "Accepted")
        REVIEWED = "reviewed", pgettext_lazy("claim batch", "Reviewed")
        UNDER_AUDIT = "under_audit", pgettext_lazy("claim batch", "Under audit")
        SETTLED = "settled", pgettext_lazy("claim batch", "Settled")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        JSON = "json", "JSON"

    # Who may make each move: the checker and the review run as the system (scheduled work);
    # audit and settlement are the settlement auditors' (their services come with the next issues).
    TRANSITIONS = {
        Status.RECEIVED: {Status.REJECTED: (SYSTEM,), Status.ACCEPTED: (SYSTEM,)},
        Status.ACCEPTED: {Status.REVIEWED: (SYSTEM,)},
        Status.REVIEWED: {Status.UNDER_AUDIT: (Role.SETTLEMENT_AUDITOR,)},
        Status.UNDER_AUDIT: {Status.SETTLED: (Role.SETTLEMENT_AUDITOR,)},
    }

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="claim_batches",
                                 verbose_name=_("provider"), db_index=False)  # claim_batch_provider_idx leads with it
    number = models.PositiveIntegerField(_("number"), help_text=_("The batch's place among its provider's batches."))
    period = models.CharField(_("period"), max_length=7, help_text=_("The settlement month, YYYY-MM."))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    version = models.PositiveIntegerField(default=1)
    file = models.FileField(_("file"), upload_to=batch_file_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField(_("size in bytes"))
    file_format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), null=True, blank=True)
    claim_count = models.PositiveIntegerField(_("claims"), null=True, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    total_claimed = models.DecimalField(_("total claimed"), max_digits=16, decimal_places=2, null=True, blank=True)
    total_deducted = models.DecimalField(_("total deducted"), max_digits=16, decimal_places=2, null=True, blank=True)
    total_fund = models.DecimalField(_("basic fund"), max_digits=16, decimal_places=2, null=True, blank=True)
    total_large_expense = models.DecimalField(_("large-expense tier"), max_digits=16, decimal_places=2, null=True,
                                              blank=True)
    total_personal = models.DecimalField(_("personal"), max_digits=16, decimal_places=2, null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim batch")
        verbose_name_plural = _("claim batches")
        ordering = ["-id"]
        constraints = [
            # The same file twice (spec: 409 duplicate_file), decided here, not by a prior read.
            models.UniqueConstraint(fields=["provider", "sha256"], name="claim_batch_file_once_per_provider"),
            # Each provider's own sequence; its index also finds the provider's highest number.
            models.UniqueConstraint(fields=["provider", "number"], name="claim_batch_number_once_per_provider"),
            models.CheckConstraint(condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
                                   name="claim_batch_period_is_a_month"),
            models.CheckConstraint(condition=Q(status__in=["received", "rejected", "accepted", "reviewed",
                                                             "under_audit", "settled"]),
                                   name="claim_batch_status_known"),
        ]
        indexes = [
            # A provider's batches, newest first (the list page and GET /batches/).
            models.Index(fields=["provider", "-id"], name="claim_batch_provider_idx"),
            # Batches still waiting for the checker (settlement.tasks.recheck_received_batches).
            models.Index(fields=["uploaded_at"], condition=Q(status="received"), name="claim_batch_received_idx"),
        ]

    def __str__(self):
        return str(self.label)

    @property
    def label(self) -> str:
        return batch_label(self.provider.code, self.number)


class BatchError(models.Model):
    """One format error of a rejected batch: the row (as a spreadsheet numbers it; empty for the file as
    a whole), the column, the value as uploaded and a stable code whose message (settlement.checking.
    messages) is worded in the reader's language, with the figures in `detail`."""

    batch = models.ForeignKey(ClaimBatch, on_delete=models.CASCADE, related_name="errors",
                              db_index=False)  # batch_error_order_idx leads with it
    row = models.PositiveIntegerField(null=True, blank=True)
    column = models.CharField(max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="The column's place in the spec, for sorting.")
    code = models.CharField(max_length=40)
    value = models.TextField(blank=True)
    detail = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("batch error")
        verbose_name_plural = _("batch errors")
        indexes = [
            # The error report in file order (pages, API, CSV download).
            models.Index(fields=["batch", "row", "position", "id"], name="batch_error_order_idx"),
        ]

    def __str__(self):
        return f"{self.batch_id} row {self.row} {self.column}: {self.code}"


class Claim(models.Model):
    """A visit or admission of an accepted batch: the claim fields every one of its lines repeats.

    claim_no is the provider's own number, unique per provider for ever (a constraint; the checker
    reports a repeat as a format error on its rows first). `total` is the sum of its lines' amounts.
    """

    class VisitType(models.TextChoices):
        INPATIENT = "INPATIENT", _("Inpatient")
        OUTPATIENT = "OUTPATIENT", _("Outpatient")
        OUTPATIENT_SPECIAL = "OUTPATIENT_SPECIAL", _("Outpatient special disease (门特)")

    # Their own indexes would double claim_batch_idx and claim_no_once_per_provider, which lead with them.
    batch = models.ForeignKey(ClaimBatch, on_delete=models.PROTECT, related_name="claims", db_index=False)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+", db_index=False)
    claim_no = models.TextField(_("claim number"))
    visit_type = models.CharField(_("visit type"), max_length=20, choices=VisitType.choices)
    patient_id_number = models.CharField(_("identity number"), max_length=18)
    patient_name = models.TextField(_("patient"))
    admission_date = models.DateField(_("admission date"))
    discharge_date = models.DateField(_("discharge date"), null=True, blank=True)
    diagnosis_code = models.TextField(_("diagnosis"))
    referral_no = models.TextField(_("referral number"), blank=True)
    emergency = models.BooleanField(_("emergency"), default=False)
    transfer_from = models.TextField(_("transferred from"), blank=True)
    line_count = models.PositiveIntegerField(_("lines"))
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    first_row = models.PositiveIntegerField(help_text="The claim's first row in the uploaded file.")
    # Filled by the review (settlement.services.review): what the findings take, and the benefit
    # calculation on what remains (spec/benefit-calculation.md), with its inputs and steps.
    deducted = models.DecimalField(_("deducted"), max_digits=16, decimal_places=2, null=True, blank=True)
    fund_payable = models.DecimalField(_("basic fund"), max_digits=16, decimal_places=2, null=True, blank=True)
    large_expense_payable = models.DecimalField(_("large-expense tier"), max_digits=16, decimal_places=2,
                                                null=True, blank=True)
    personal = models.DecimalField(_("personal"), max_digits=16, decimal_places=2, null=True, blank=True)
    calculation = models.JSONField(_("calculation"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.UniqueConstraint(fields=["provider", "claim_no"], name="claim_no_once_per_provider"),
        ]
        indexes = [
            # A batch's claims in claim_no order (pages, API, the rules' scan of a batch).
            models.Index(fields=["batch", "claim_no"], name="claim_batch_idx"),
            # A patient's claims, at one provider by date (readmissions, same-day visits, units a day, across
            # batches) or at any (referral use, what earlier batches pay).
            models.Index(fields=["patient_id_number", "provider", "admission_date"], name="claim_patient_provider_idx"),
        ]

    def __str__(self):
        return self.claim_no

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.patient_id_number)


class ClaimLine(models.Model):
    """One bill line of a claim, as uploaded, with the optional physician and department kept.

    `position` orders the lines of a claim (1, 2, …) by line_no, numerically where it is a number:
    the rules take "the last lines" and "the claim's lowest line_no" by it.
    """

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines",
                              db_index=False)  # claim_line_claim_idx leads with it
    line_no = models.TextField(_("line number"))
    position = models.PositiveIntegerField()
    row = models.PositiveIntegerField(help_text="The line's row in the uploaded file.")
    service_date = models.DateField(_("service date"))
    item_code = models.TextField(_("item code"))
    item_name = models.TextField(_("item"))
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=6)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    days_supply = models.PositiveIntegerField(_("days' supply"), null=True, blank=True)
    physician_code = models.TextField(_("physician code"), blank=True)
    department = models.TextField(_("department"), blank=True)

    class Meta:
        verbose_name = _("claim line")
        verbose_name_plural = _("claim lines")
        constraints = [
            models.UniqueConstraint(fields=["claim", "line_no"], name="claim_line_no_once"),
        ]
        indexes = [
            # A claim's lines in order (the claim page, the rules' "last lines first").
            models.Index(fields=["claim", "position"], name="claim_line_claim_idx"),
            # An item's lines by day (max per day across claims, catalogue joins).
            models.Index(fields=["item_code", "service_date"], name="claim_line_item_idx"),
        ]

    def __str__(self):
        return f"{self.claim_id}/{self.line_no}"


class Finding(models.Model):
    """What a review rule found on a claim of a batch (spec/review-rules.md): on one line, or on the whole
    claim (line empty). The amount at issue is what the rule would take; what it does to the money is the
    severity's (DEDUCT unless dismissed, REVIEW once upheld, INFO never). `explanation` is worded for the
    provider's clerk, naming the figures; `detail` keeps those figures for pages in another language."""

    class Severity(models.TextChoices):
        DEDUCT = "DEDUCT", _("Deduct")
        REVIEW = "REVIEW", _("Review")
        INFO = "INFO", _("Information")

    class Decision(models.TextChoices):
        UPHELD = "UPHELD", _("Upheld")
        DISMISSED = "DISMISSED", _("Dismissed")

    batch = models.ForeignKey(ClaimBatch, on_delete=models.CASCADE, related_name="findings",
                              db_index=False)  # finding_batch_idx leads with it
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="findings", db_index=False)
    line = models.ForeignKey(ClaimLine, on_delete=models.CASCADE, related_name="findings", null=True, blank=True,
                             db_index=False)
    rule_code = models.CharField(_("rule"), max_length=40)
    severity = models.CharField(_("severity"), max_length=6, choices=Severity.choices)
    position = models.PositiveSmallIntegerField(help_text="The rule's place in the spec's table.")
    amount_at_issue = models.DecimalField(_("amount at issue"), max_digits=16, decimal_places=2)
    explanation = models.TextField(_("explanation"))
    detail = models.JSONField(null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True,
                                default="", db_default="")  # "": not decided yet

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.UniqueConstraint(fields=["claim", "line", "rule_code"], nulls_distinct=False,
                                    name="finding_once_per_rule"),
            models.CheckConstraint(condition=Q(amount_at_issue__gte=0), name="finding_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["batch", "claim", "position", "id"], name="finding_batch_idx"),
            # A claim's findings: finding_once_per_rule leads with (claim, line).
            models.Index(fields=["line", "severity"], name="finding_line_idx"),
            # The claims of a batch that a whole-claim rule took (every review rule after them skips them).
            models.Index(fields=["batch", "claim"], name="finding_whole_claim_idx",
                         condition=Q(rule_code__in=["ELIG_NOT_INSURED", "PENALTY_DIRECT_SETTLEMENT",
                                                    "PENALTY_RESTRICTED_PROVIDER"])),
        ]

    def __str__(self):
        return f"{self.rule_code} {self.claim_id}/{self.line_id or '-'}"


class RuleSetting(models.Model):
    """A review rule's parameters and on/off switch for a period (spec/review-rules.md: rule parameters
    are data). The setting in force on a claim's admission date applies: effective_from on or before it,
    effective_to empty or on or after it. Seeded by migration with the spec's values, every rule on;
    changed only through settlement.services.rules (audited)."""

    rule_code = models.CharField(_("rule"), max_length=40)
    enabled = models.BooleanField(_("on"), default=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rule setting")
        verbose_name_plural = _("rule settings")
        constraints = [
            models.UniqueConstraint(fields=["rule_code", "effective_from"], name="rule_setting_once_per_start"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                                   name="rule_setting_period_ordered"),
        ]
        ordering = ["rule_code", "effective_from"]

    def __str__(self):
        return f"{self.rule_code} {self.effective_from}"
