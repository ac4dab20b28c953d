"""Eligibility's search and filter forms, shared by the pages (django-filter)."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput

from .models import CatalogueItem, Registration
from .selectors.catalogue import search_catalogue
from .selectors.registrations import registration_list, with_state


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(label=_("Code or name"), max_length=100, required=False, widget=forms.TextInput(attrs={
        "type": "search", "autocomplete": "off", "placeholder": _("e.g. XA01… or 阿莫西林")}))
    on = forms.DateField(label=_("In force on"), required=False, widget=DateInput(),
                         help_text=_("Empty: every version."))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("All")), *CatalogueItem.Category.choices])

    def items(self):
        data = self.cleaned_data if self.is_valid() else {}
        queryset = search_catalogue(data.get("q", ""), on=data.get("on"))
        if data.get("category"):
            queryset = queryset.filter(category=data["category"])
        return queryset


class RegistrationFilter(django_filters.FilterSet):
    """Registrations by person (a whole identity number or the start of a name), kind and state."""

    STATES = [("in_force", _("In force today")), ("upcoming", _("Not yet in force")),
              ("ended", _("Ended")), ("revoked", _("Revoked"))]

    person = django_filters.CharFilter(method="filter_person", max_length=50, label=_("Person"),
                                       help_text=_("A whole identity number, or the start of a name."),
                                       widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    kind = django_filters.ChoiceFilter(choices=Registration.Kind.choices, label=_("Kind"), empty_label=_("All"))
    state = django_filters.ChoiceFilter(choices=STATES, method="filter_state", label=_("State"),
                                        empty_label=_("All"))

    class Meta:
        model = Registration
        fields = ["person", "kind", "state"]

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, registration_list(), *args, **kwargs)

    def filter_person(self, queryset, name, value):
        value = value.strip()
        if len(value) == 18:
            return queryset.filter(person__id_number=value.upper())
        return queryset.filter(person__name__startswith=value) if value else queryset

    def filter_state(self, queryset, name, value):
        return with_state(queryset, value, timezone.localdate())
