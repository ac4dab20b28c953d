"""The register's search and filter forms, shared by the pages and the API (django-filter)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Employer
from ..selectors.register import search_employers

EXPORT_FORMATS = [("csv", _("CSV (UTF-8)")), ("xlsx", _("Excel (XLSX)"))]


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, identity number (or its last four) or pinyin initials"), max_length=70, required=False,
        widget=forms.TextInput(attrs={
            "type": "search", "data-search": "", "autocomplete": "off", "spellcheck": "false", "size": 34,
            "placeholder": _("e.g. 王芳, 1234, 王 1234 or zs"),
        }),
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=EXPORT_FORMATS)


class EmployerFilter(django_filters.FilterSet):
    """Employers by any part of the code or the name and by status: the employer list page and the API."""

    # The status first: the search lists its first matches (selectors.register.search_employers), which
    # must be among the employers of the status asked for.
    status = django_filters.ChoiceFilter(choices=Employer.Status.choices, label=_("Status"),
                                         empty_label=_("All"))
    q = django_filters.CharFilter(
        method="filter_q", max_length=200, label=_("Code or name"),
        help_text=_("Any part of the name or of the unified social credit code."),
        widget=forms.TextInput(attrs={"type": "search", "data-search": "", "autocomplete": "off"}),
    )

    class Meta:
        model = Employer
        fields = ["status", "q"]

    def filter_q(self, queryset, name, value):
        return search_employers(queryset, value)
