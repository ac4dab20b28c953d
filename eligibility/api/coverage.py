"""GET /api/v1/eligibility/coverage/ (spec/claims-upload.md): is this person covered on this date,
under which policy, with which penalty measures, and what would apply at the asking provider.

Any provider's token may ask about any person, and so may the office's staff; every lookup is
logged (who asked about whom, when, the answer) by one plain INSERT, never on the audit chain.
"""

import re

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView
from stdnum.cn import ric

from core.authentication import TokenUserAuthentication
from core.errors import ValidationFailed

from ..permissions import access_coverage
from ..selectors.coverage import CoverageQuery, coverage_answer, provider_by_code
from ..services.coverage import log_coverage_lookup

VISIT_TYPES = ("INPATIENT", "OUTPATIENT", "OUTPATIENT_SPECIAL")
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

PARAMETER_MESSAGES = {
    "id_number": _("id_number must be an 18-character identity number with a valid check character."),
    "date": _("date must be a real date written YYYY-MM-DD."),
    "visit_type": _("visit_type must be INPATIENT, OUTPATIENT or OUTPATIENT_SPECIAL."),
    "emergency": _("emergency must be 0 or 1."),
    "provider_code": _("provider_code must be the code of a loaded provider."),
}


def _id_number(value: str) -> str | None:
    number = (value or "").strip().upper()
    if _ID_SHAPE.match(number) and ric.calc_check_digit(number) == number[-1]:
        return number
    return None


def _date(value: str):
    from datetime import date

    value = (value or "").strip()
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_query(params) -> CoverageQuery:
    """The query's parameters, or ValidationFailed with the code of the first bad one
    (`invalid_id_number`, `invalid_date`, `invalid_visit_type`, `invalid_emergency`) and every one listed."""
    values = {
        "id_number": _id_number(params.get("id_number", "")),
        "date": _date(params.get("date", "")),
        "visit_type": (params.get("visit_type", "").strip().upper() or None),
        "emergency": {"": False, "0": False, "1": True}.get(params.get("emergency", "").strip()),
    }
    if values["visit_type"] not in VISIT_TYPES:
        values["visit_type"] = None
    bad = [name for name, value in values.items() if value is None]
    if bad:
        raise ValidationFailed(PARAMETER_MESSAGES[bad[0]], code=f"invalid_{bad[0]}",
                               errors=[{"column": name, "message": PARAMETER_MESSAGES[name]} for name in bad])
    return CoverageQuery(id_number=values["id_number"], on=values["date"], visit_type=values["visit_type"],
                         emergency=values["emergency"], diagnosis_code=params.get("diagnosis_code", "").strip()[:20])


class MeasureSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["SETTLEMENT_METHOD", "RESTRICTED_PROVIDERS", "MONITORING"])
    valid_to = serializers.DateField(allow_null=True)


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("not_registered, not_yet_insured or not_active."))
    message = serializers.CharField()
    status = serializers.CharField(required=False, help_text=_("The status in force (not_active)."))


class PolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    insurance_type = serializers.CharField()
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(allow_null=True)


class ProviderSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    area = serializers.CharField()


class ReferralSerializer(serializers.Serializer):
    number = serializers.CharField()
    approved_on = serializers.DateField()
    begin_by = serializers.DateField(help_text=_("The last day an episode may begin under it."))
    follow_up_until = serializers.DateField(help_text=_("The last day of follow-ups once it was used in time."))
    first_used_on = serializers.DateField(allow_null=True)
    provider_codes = serializers.ListField(child=serializers.CharField())
    applies_here = serializers.BooleanField(allow_null=True, help_text=_(
        "It lists the asking provider (null when no provider asks)."))


class ResidenceSerializer(serializers.Serializer):
    number = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    provider_codes = serializers.ListField(child=serializers.CharField())
    applies_here = serializers.BooleanField(allow_null=True)


class SpecialDiseaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    diagnosis_categories = serializers.ListField(child=serializers.CharField())


class BenefitsSerializer(serializers.Serializer):
    insurance_type = serializers.CharField()
    visit_type = serializers.CharField()
    provider = ProviderSerializer(allow_null=True, help_text=_(
        "The asking provider (for the office's staff, the one named by provider_code); null: none."))
    rated_as = serializers.CharField(allow_null=True, help_text=_(
        "The policy row that applies: OUTPATIENT_SPECIAL without a valid registration is rated as OUTPATIENT."))
    deductible = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True, help_text=_(
        "The deductible at this provider's level; null without a provider or a policy in force."))
    ratio_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True,
                                             help_text=_("The fund ratio after the out-of-area adjustment."))
    base_ratio_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    adjustments = serializers.ListField(child=serializers.CharField(), help_text=_(
        "Reason codes of the calculation's step 5 (OUT_OF_AREA_REFERRAL, OUT_OF_AREA_NO_REFERRAL, …)."))
    explanation = serializers.CharField(allow_blank=True, help_text=_("The ratio's reason, in words."))
    fund_cap_remaining = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text=_(
        "The annual fund cap less what the ledger shows paid this year."))
    large_expense_cap_remaining = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    referrals = ReferralSerializer(many=True)
    residence_elsewhere = ResidenceSerializer(many=True)
    special_diseases = SpecialDiseaseSerializer(many=True)


class CoverageSerializer(serializers.Serializer):
    covered = serializers.BooleanField(help_text=_("Enrolled and ACTIVE on the date; a penalty does not change it."))
    policy = PolicySerializer(allow_null=True)
    measures = MeasureSerializer(many=True)
    reason = ReasonSerializer(required=False, help_text=_("Only when not covered."))
    benefits = BenefitsSerializer(allow_null=True)


# The answer as CoverageSerializer renders it, without building the serializer's fields on every
# lookup (a third of the request's time): the same fields' to_representation, built once.
# tests/eligibility/test_coverage_api.py holds the two to the same output.
_DAY, _INT = serializers.DateField(), serializers.IntegerField()
_MONEY12 = serializers.DecimalField(max_digits=12, decimal_places=2)
_MONEY14 = serializers.DecimalField(max_digits=14, decimal_places=2)
_PERCENT = serializers.DecimalField(max_digits=5, decimal_places=2)


def _or_none(field, value):
    return None if value is None else field.to_representation(value)


def _strings(values) -> list:
    return [str(v) for v in values]


def _rendered_benefits(b: dict) -> dict:
    provider = b["provider"]
    return {
        "insurance_type": str(b["insurance_type"]), "visit_type": str(b["visit_type"]),
        "provider": None if provider is None else {
            "code": str(provider["code"]), "name": str(provider["name"]), "level": _INT.to_representation(
                provider["level"]), "area": str(provider["area"])},
        "rated_as": None if b["rated_as"] is None else str(b["rated_as"]),
        "deductible": _or_none(_MONEY12, b["deductible"]),
        "ratio_percent": _or_none(_PERCENT, b["ratio_percent"]),
        "base_ratio_percent": _or_none(_PERCENT, b["base_ratio_percent"]),
        "adjustments": _strings(b["adjustments"]), "explanation": str(b["explanation"]),
        "fund_cap_remaining": _or_none(_MONEY14, b["fund_cap_remaining"]),
        "large_expense_cap_remaining": _or_none(_MONEY14, b["large_expense_cap_remaining"]),
        "referrals": [{
            "number": str(r["number"]), "approved_on": _DAY.to_representation(r["approved_on"]),
            "begin_by": _DAY.to_representation(r["begin_by"]),
            "follow_up_until": _DAY.to_representation(r["follow_up_until"]),
            "first_used_on": _or_none(_DAY, r["first_used_on"]), "provider_codes": _strings(r["provider_codes"]),
            "applies_here": r["applies_here"]} for r in b["referrals"]],
        "residence_elsewhere": [{
            "number": str(r["number"]), "valid_from": _DAY.to_representation(r["valid_from"]),
            "valid_to": _or_none(_DAY, r["valid_to"]), "provider_codes": _strings(r["provider_codes"]),
            "applies_here": r["applies_here"]} for r in b["residence_elsewhere"]],
        "special_diseases": [{
            "number": str(r["number"]), "valid_from": _DAY.to_representation(r["valid_from"]),
            "valid_to": _or_none(_DAY, r["valid_to"]),
            "diagnosis_categories": _strings(r["diagnosis_categories"])} for r in b["special_diseases"]],
    }


def render_answer(body: dict) -> dict:
    """CoverageSerializer(body).data, as plain dicts and lists."""
    policy, reason = body["policy"], body.get("reason")
    data = {
        "covered": bool(body["covered"]),
        "policy": None if policy is None else {
            "id": _INT.to_representation(policy["id"]), "name": str(policy["name"]),
            "insurance_type": str(policy["insurance_type"]),
            "effective_from": _DAY.to_representation(policy["effective_from"]),
            "effective_to": _or_none(_DAY, policy["effective_to"])},
        "measures": [{"code": str(m["code"]), "valid_to": _or_none(_DAY, m["valid_to"])} for m in body["measures"]],
    }
    if reason is not None:
        data["reason"] = {"code": str(reason["code"]), "message": str(reason["message"])}
        if "status" in reason:
            data["reason"]["status"] = None if reason["status"] is None else str(reason["status"])
    data["benefits"] = None if body["benefits"] is None else _rendered_benefits(body["benefits"])
    return data


class Coverage(APIView):
    """Is a person covered on a date? Any provider may ask about any person; every lookup is logged.

    A provider's token is read with its user, roles and provider in one query (core.authentication);
    the office's staff may use their session."""

    authentication_classes = [TokenUserAuthentication, SessionAuthentication]

    @extend_schema(
        operation_id="eligibility_coverage",
        parameters=[
            OpenApiParameter("id_number", OpenApiTypes.STR, required=True, description=_("18-character identity number.")),
            OpenApiParameter("date", OpenApiTypes.DATE, required=True, description=_("The visit or admission date.")),
            OpenApiParameter("visit_type", OpenApiTypes.STR, required=True, enum=list(VISIT_TYPES)),
            OpenApiParameter("emergency", OpenApiTypes.STR, enum=["0", "1"], description=_(
                "1 for an emergency (no out-of-area adjustment).")),
            OpenApiParameter("diagnosis_code", OpenApiTypes.STR, description=_(
                "ICD-10 code, for an outpatient special disease: its category must be registered.")),
            OpenApiParameter("provider_code", OpenApiTypes.STR, description=_(
                "The office's staff only: the provider to rate the visit at (a provider's token is rated at its own).")),
        ],
        responses={200: CoverageSerializer, 400: OpenApiResponse(description=_("A missing or malformed parameter.")),
                   401: OpenApiResponse(description=_("No token.")),
                   403: OpenApiResponse(description=_("Neither a provider nor the office's staff."))},
    )
    def get(self, request):
        provider = access_coverage(request.user)
        query = parse_query(request.query_params)
        if provider is None and request.query_params.get("provider_code"):  # the office asks for a provider
            provider = provider_by_code(request.query_params["provider_code"].strip())
            if provider is None:
                raise ValidationFailed(PARAMETER_MESSAGES["provider_code"], code="invalid_provider_code",
                                       errors=[{"column": "provider_code",
                                                "message": PARAMETER_MESSAGES["provider_code"]}])
        answer = coverage_answer(query, provider)
        data = render_answer(answer.body)
        answer.body = data
        log_coverage_lookup(actor=request.user, provider=provider, query=query, answer=answer)
        return Response(data)


urlpatterns = [path("coverage/", Coverage.as_view(), name="api_coverage")]
