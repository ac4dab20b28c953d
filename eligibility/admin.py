from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdmin, AuditedAdminMixin, ReadOnlyAdmin
from core.errors import DomainError
from core.money import LEVELS

from . import calculation
from .models import CatalogueItem, DiseaseClass, FundPayment, PolicyVersion, Registration, VisitType
from .services import policies


def _rate_field(visit_type: str, level: int, what: str) -> str:
    return f"rate_{visit_type}_{level}_{what}"


def _rate_fields() -> dict:
    """A deductible and a fund ratio (%) for each visit type at each hospital level, every one required."""
    fields = {}
    for visit_type, level in policies.RATE_KEYS:
        label = VisitType(visit_type).label
        fields[_rate_field(visit_type, level, "deductible")] = forms.DecimalField(
            label=format_lazy(_("{visit}, {level}: deductible"), visit=label, level=LEVELS[level]),
            max_digits=12, decimal_places=2, min_value=0)
        fields[_rate_field(visit_type, level, "ratio")] = forms.DecimalField(
            label=format_lazy(_("{visit}, {level}: fund ratio (%)"), visit=label, level=LEVELS[level]),
            max_digits=5, decimal_places=2, min_value=0, max_value=100)
    return fields


class _PolicyVersionForm(forms.ModelForm):
    """The version's fields and its rate table as a grid (the fields of _rate_fields)."""

    class Meta:
        model = PolicyVersion
        fields = policies.FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for (visit_type, level), (deductible, ratio) in policies.rate_table(self.instance).items():
                self.initial.setdefault(_rate_field(visit_type, level, "deductible"), deductible)
                self.initial.setdefault(_rate_field(visit_type, level, "ratio"), ratio)

    def rates(self) -> dict:
        data = self.cleaned_data
        return {(v, lv): (data[_rate_field(v, lv, "deductible")], data[_rate_field(v, lv, "ratio")])
                for v, lv in policies.RATE_KEYS}

    def clean(self):
        data = super().clean()
        if self.errors or not data.get("effective_from") or not data.get("insurance_type"):
            return data
        try:
            policies.check_terms({f: data.get(f) for f in policies.FIELDS})
            policies.check_no_overlap(insurance_type=data["insurance_type"], effective_from=data["effective_from"],
                                      effective_to=data.get("effective_to"), exclude_id=self.instance.pk)
            if self.instance.pk:
                terms_changed = (bool(set(self.changed_data) & set(policies.TERMS))
                                 or self.rates() != policies.rate_table(self.instance))
                policies.check_changeable(self.instance, terms_changed=terms_changed,
                                          effective_to=data.get("effective_to"))
        except DomainError as exc:
            raise ValidationError([str(e["message"]) for e in exc.errors] or [str(exc.message)]) from exc
        return data


PolicyVersionForm = type("PolicyVersionForm", (_PolicyVersionForm,), _rate_fields())


@admin.register(PolicyVersion)
class PolicyVersionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Administrators add and change versions here; every save goes through
    eligibility.services.policies (checks, one transaction, an audit entry). Versions are not
    deleted: results refer to them. Close one with its last day in force instead."""

    form = PolicyVersionForm
    list_display = ("name", "insurance_type", "effective_from", "effective_to", "annual_cap",
                    "large_expense_ratio_percent", "large_expense_cap")
    list_filter = ("insurance_type",)
    readonly_fields = ("version", "created_at", "updated_at")

    def get_fieldsets(self, request, obj=None):
        grid = [
            (VisitType(visit_type).label, {"fields": [
                (_rate_field(visit_type, level, "deductible"), _rate_field(visit_type, level, "ratio"))
                for level in calculation.LEVELS]})
            for visit_type in calculation.VISIT_TYPES
        ]
        return [
            (None, {"fields": ["name", "insurance_type", ("effective_from", "effective_to"), "note"]}),
            (_("Caps and shares"), {"fields": [
                "annual_cap", ("large_expense_ratio_percent", "large_expense_cap"), "class_b_first_share_percent"]}),
            (_("Care outside the area (异地就医)"), {"fields": [
                "referral_adjustment_points", "out_of_area_adjustment_points", "out_of_area_other_ratio_percent"]}),
            *grid,
            (_("Record"), {"fields": ["version", "created_at", "updated_at"]}),
        ]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The service checks again under the lock; what changed in between (a payment, another version)
        # is refused as a domain error, which the page middleware shows.
        values = {f: form.cleaned_data[f] for f in policies.FIELDS}
        if change:
            policies.change_policy_version(actor=request.user, policy=obj, changes=values, rates=form.rates())
        else:
            policies.create_policy_version(actor=request.user, version=obj, rates=form.rates(), **values)

    def save_related(self, request, form, formsets, change):
        """The rates were saved with the version, by the service."""


@admin.register(FundPayment)
class FundPaymentAdmin(ReadOnlyAdmin):
    """Read-only: payments are appended by settlement and determinations, through the services."""

    list_display = ("person", "year", "source_type", "source_id", "fund_amount", "large_expense_amount",
                    "policy_version")
    list_filter = ("year", "source_type")
    list_select_related = ("person", "policy_version")
    show_full_result_count = False


# -- The catalogue, the disease classes, registrations ------------------------------------------------

@admin.register(CatalogueItem)
class CatalogueItemAdmin(AuditedAdmin):
    """Administrators correct single entries here (audited); whole catalogues come by load_catalogue."""

    list_display = ("item_code", "name", "category", "pay_class", "price_cap", "effective_from", "effective_to")
    list_filter = ("category", "pay_class")
    search_fields = ("item_code", "name")
    show_full_result_count = False


class DiseaseClassForm(forms.ModelForm):
    class Meta:
        model = DiseaseClass
        fields = ["category_from", "category_to", "disease_class", "name"]

    def clean(self):
        data = super().clean()
        low, high = (data.get("category_from") or "").upper(), (data.get("category_to") or "").upper()
        if low and high:
            data["category_from"], data["category_to"] = low, high
            self.instance.category_from, self.instance.category_to = low, high
            other = (DiseaseClass.objects.exclude(pk=self.instance.pk)
                     .filter(category_from__lte=high, category_to__gte=low).first())
            if other is not None:
                raise ValidationError(_("The range shares categories with %(other)s.") % {"other": other})
        return data


@admin.register(DiseaseClass)
class DiseaseClassAdmin(AuditedAdmin):
    form = DiseaseClassForm
    list_display = ("category_from", "category_to", "disease_class", "name")
    list_filter = ("disease_class",)


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    """Registrations change through their services (loads, applications, revocation), never here."""

    list_display = ("kind", "number", "person", "approved_on", "valid_from", "valid_to", "measure", "status")
    list_filter = ("kind", "status", "measure")
    search_fields = ("number", "person__id_number")
    list_select_related = ("person",)
    show_full_result_count = False
