"""The upload form of the provider's pages: it checks the shape; the service decides."""

from django import forms
from django.utils.translation import gettext_lazy as _


class BatchUploadForm(forms.Form):
    # The batch list's filter has a `period` too: the prefix keeps the two fields' ids apart (id_upload-period).
    prefix = "upload"

    period = forms.CharField(label=_("Settlement period"), max_length=7,
                             widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
                             help_text=_("The month the claims are settled for, YYYY-MM."))
    file = forms.FileField(label=_("Claims file"), widget=forms.ClearableFileInput(
        attrs={"accept": ".csv,.xlsx,.json,.txt"}), help_text=_(
        "CSV (UTF-8 or GB18030), XLSX (the first sheet) or JSON; one row per bill line; at most 50 MB and 500,000 "
        "lines."))
