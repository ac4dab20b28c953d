"""The ledger's forms check shape only; supervision.services decides (and checks the deadline,
the assignee and the move against the transitions table)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.system import staff_name
from core.widgets import DateInput

from .selectors import assignable_staff


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return staff_name(obj)


class _Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(_Versioned):
    assignee = StaffChoiceField(queryset=None, required=False, label=_("Staff member"),
                                empty_label=_("— nobody in particular —"))
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=100, required=False,
                                       help_text=_("A section or a provider, e.g. the enrollment section."))
    deadline = forms.DateField(label=_("Rectify by"), widget=DateInput())
    note = forms.CharField(label=_("Instructions"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_staff()


class DeadlineForm(_Versioned):
    deadline = forms.DateField(label=_("New deadline"), widget=DateInput())
    note = forms.CharField(label=_("Why"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RectifyForm(_Versioned):
    rectification = forms.CharField(label=_("What was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(_Versioned):
    note = forms.CharField(label=_("Why it can be closed"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReopenForm(_Versioned):
    note = forms.CharField(label=_("Why it is reopened"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "Excel")], initial="csv")
