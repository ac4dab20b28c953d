"""Shapes of settlement's API (spec/claims-upload.md, REST API): output only, and the upload's fields.
Serializers check shape; the services decide."""

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.masking import mask_id_number

from ..calculations import steps
from ..checking.messages import error_message
from ..models import Claim, ClaimBatch, Finding

ZERO = Decimal("0.00")
MONEY = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)  # a decimal string or null
NOT_YET = "Null until the review (the rules, then the benefit calculation) has run on the batch; then a decimal string."


class BatchIn(serializers.Serializer):
    file = serializers.FileField(help_text="The claims file: CSV (UTF-8 or GB18030), XLSX (first sheet) or JSON "
                                           "(a list of row objects). The format is taken from the file name's "
                                           "extension (.csv, .xlsx, .json), else from the content.")
    period = serializers.CharField(max_length=20, help_text="The settlement month, YYYY-MM.")


class BatchOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="The batch's number among its provider's own batches (1, 2, …).")
    label = serializers.CharField(help_text="How pages and messages name the batch: the provider's code and the "
                                            "batch's number, H32010001-0003.")
    status = serializers.ChoiceField(choices=ClaimBatch.Status.choices, help_text=(
        "received → rejected | accepted → reviewed → under_audit → settled."))
    provider = serializers.CharField(source="provider.code")
    provider_name = serializers.CharField(source="provider.name")
    period = serializers.CharField()
    file_name = serializers.CharField(source="original_name")
    file_format = serializers.ChoiceField(choices=ClaimBatch.Format.choices)
    encoding = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField()
    checked_at = serializers.DateTimeField(allow_null=True)
    line_count = serializers.IntegerField(allow_null=True, help_text="Claim lines read; null until checked.")
    claim_count = serializers.IntegerField(allow_null=True, help_text="Claims stored; null unless accepted.")
    error_count = serializers.IntegerField(help_text="Format errors in the error report (0 unless rejected).")
    total_claimed = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True,
                                             help_text="Sum of the lines' amounts; null unless accepted.")
    deducted = serializers.SerializerMethodField(allow_null=True, help_text=(
        "Deducted by the review rules' findings (DEDUCT not dismissed, REVIEW upheld): 0.00 until the review "
        "has run; null unless accepted."))
    fund_payable = serializers.SerializerMethodField(allow_null=True, help_text=(
        "The basic fund's part (sum of the claims' F): 0.00 until the review has run; null unless accepted."))
    large_expense_payable = serializers.SerializerMethodField(allow_null=True, help_text=(
        "The large-expense tier's part (sum of the claims' G): 0.00 until the review has run; null unless "
        "accepted."))
    personal = serializers.SerializerMethodField(allow_null=True, help_text=(
        "The patients' part: null until the review has run."))
    error_report = serializers.SerializerMethodField(allow_null=True, help_text="The error report as CSV, when rejected; else null.")

    def _money(self, batch, field: str) -> Decimal | None:
        if batch.total_claimed is None:
            return None
        value = getattr(batch, field)
        return ZERO if value is None else value

    @extend_schema_field(MONEY)
    def get_deducted(self, batch) -> str | None:
        return _decimal(self._money(batch, "total_deducted"))

    @extend_schema_field(MONEY)
    def get_fund_payable(self, batch) -> str | None:
        return _decimal(self._money(batch, "total_fund"))

    @extend_schema_field(MONEY)
    def get_large_expense_payable(self, batch) -> str | None:
        return _decimal(self._money(batch, "total_large_expense"))

    @extend_schema_field(MONEY)
    def get_personal(self, batch) -> str | None:
        return _decimal(batch.total_personal)

    @extend_schema_field(OpenApiTypes.URI)
    def get_error_report(self, batch) -> str | None:
        if batch.status != ClaimBatch.Status.REJECTED:
            return None
        url = reverse("settlement_api:batch_error_report", args=[batch.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


def _decimal(value) -> str | None:
    return None if value is None else f"{value:.2f}"


class ClaimOut(serializers.Serializer):
    claim_no = serializers.CharField()
    visit_type = serializers.ChoiceField(choices=Claim.VisitType.choices)
    patient_name = serializers.CharField()
    patient_id_number = serializers.SerializerMethodField(allow_null=True, help_text="Masked.")
    admission_date = serializers.DateField()
    discharge_date = serializers.DateField(allow_null=True)
    diagnosis_code = serializers.CharField()
    referral_no = serializers.CharField()
    emergency = serializers.BooleanField()
    transfer_from = serializers.CharField()
    line_count = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Sum of the claim's lines.")
    deducted = serializers.SerializerMethodField(allow_null=True, help_text=NOT_YET)
    fund_payable = serializers.SerializerMethodField(allow_null=True, help_text=NOT_YET + " The basic fund's part (F).")
    large_expense_payable = serializers.SerializerMethodField(allow_null=True, help_text=NOT_YET + " The large-expense tier (G).")
    personal = serializers.SerializerMethodField(allow_null=True, help_text=NOT_YET + " The patient's part.")
    calculation = serializers.SerializerMethodField(allow_null=True, help_text=(
        "The benefit calculation on what remains after the findings: `policy_version_id`, its inputs "
        "(`episode`, `year_to_date`), every figure (`result`) and `steps` (code, label, amount, reason) in the "
        "request's language; null until the review has run on the batch."))

    def get_patient_id_number(self, claim) -> str:
        return mask_id_number(claim.patient_id_number)

    @extend_schema_field(MONEY)
    def get_deducted(self, claim) -> str | None:
        return _decimal(claim.deducted)

    @extend_schema_field(MONEY)
    def get_fund_payable(self, claim) -> str | None:
        return _decimal(claim.fund_payable)

    @extend_schema_field(MONEY)
    def get_large_expense_payable(self, claim) -> str | None:
        return _decimal(claim.large_expense_payable)

    @extend_schema_field(MONEY)
    def get_personal(self, claim) -> str | None:
        return _decimal(claim.personal)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_calculation(self, claim) -> dict | None:
        if not claim.calculation:
            return None
        return {**claim.calculation, "steps": steps(claim.calculation)}


class FindingOut(serializers.Serializer):
    id = serializers.IntegerField()
    rule_code = serializers.CharField(help_text="The rule's code in spec/review-rules.md.")
    severity = serializers.ChoiceField(choices=Finding.Severity.choices)
    claim_no = serializers.CharField(source="claim.claim_no")
    line_no = serializers.SerializerMethodField(help_text="Null for a whole-claim finding.")
    amount_at_issue = serializers.DecimalField(max_digits=16, decimal_places=2)
    explanation = serializers.CharField(help_text="In the office's language, naming the figures.")
    physician_code = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField(help_text="UPHELD or DISMISSED; null until an auditor decides.")

    def get_line_no(self, finding) -> str | None:
        return finding.line.line_no if finding.line_id else None

    def get_physician_code(self, finding) -> str:
        return finding.line.physician_code if finding.line_id else (finding.first_physician or "")

    def get_department(self, finding) -> str:
        return finding.line.department if finding.line_id else (finding.first_department or "")

    def get_decision(self, finding) -> str | None:
        return finding.decision or None


class BatchErrorOut(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="The row as a spreadsheet numbers it (the header is "
                                                              "row 1; for JSON the object's position); null for "
                                                              "the file as a whole.")
    column = serializers.CharField()
    value = serializers.CharField(help_text="The value as uploaded (at most 200 characters).")
    code = serializers.CharField(help_text="A stable code: required, date, visit_type, id_number_check, …")
    message = serializers.SerializerMethodField()

    def get_message(self, error) -> str:
        return error_message(error.code, error.column, error.value, error.detail)


class SettlementErrorOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField(), required=False)


class DuplicateFileOut(SettlementErrorOut):
    batch_id = serializers.IntegerField(help_text="The batch the same file was first uploaded as.")
