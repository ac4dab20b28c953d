"""The reconciliation pages' forms: start a run, filter discrepancies, resolve one or many.

Forms check the shape of what was sent; who may do what is checked by enrollment.permissions,
and what a resolution does is decided by enrollment.services.reconciliation.
"""

import re
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput

from ..models import Discrepancy
from ..reconciliation.engine import date_from_name, latest_reconciled_date, stale_date_message
from ..selectors.reconciliation import DiscrepancyState

Resolution = Discrepancy.Resolution
EXTRACT_SUFFIXES = (".csv", ".csv.gz")
MAX_DROP_FILES = 200
MAX_BULK = 500

STATE_CHOICES = [
    (DiscrepancyState.OPEN, _("Open, to be worked")),
    (DiscrepancyState.KEPT, _("Ours kept, awaiting the agency")),
    (DiscrepancyState.ESCALATED, _("Escalated to the ledger")),
    (DiscrepancyState.CLOSED, _("Closed")),
]
FIELD_LABELS = Discrepancy.FIELD_LABELS
ACTION_LABELS = {
    Resolution.TAKE_AGENCY: _("Propose taking the agency's value"),
    Resolution.KEEP_OURS: _("Keep ours and report back"),
    Resolution.ESCALATED: _("Escalate to the problem ledger"),
}
# The permission (enrollment.permissions.RECONCILIATION_ACTIONS) each resolution needs.
ACTION_PERMISSION = {Resolution.TAKE_AGENCY: "propose", Resolution.KEEP_OURS: "resolve",
                     Resolution.ESCALATED: "escalate"}
_ID_PREFIX = re.compile(r"^[0-9]{1,17}[0-9X]?$")


def drop_dir_files() -> list[tuple[str, str]]:
    """The extracts waiting in AGENCY_DROP_DIR (newest name first), as (name, label) choices."""
    folder = Path(settings.AGENCY_DROP_DIR)
    if not folder.is_dir():
        return []
    files = sorted((p for p in folder.iterdir() if p.is_file() and p.name.endswith(EXTRACT_SUFFIXES)),
                   key=lambda p: p.name, reverse=True)[:MAX_DROP_FILES]
    return [(p.name, f"{p.name} ({p.stat().st_size:,} B)") for p in files]


class RunStartForm(forms.Form):
    """Reconcile now: an uploaded extract or one from the drop folder, for a date."""

    upload = forms.FileField(label=_("Upload an extract"), required=False,
                             help_text=_("CSV in the agency's format (plain or .gz), ending with #TRAILER,<rows>."),
                             widget=forms.ClearableFileInput(attrs={"accept": ".csv,.gz"}))
    drop_file = forms.ChoiceField(label=_("Or a file in the drop folder"), required=False)
    run_date = forms.DateField(label=_("Date of the extract"), required=False,
                               help_text=_("Leave empty to take it from the file name (enrollment-YYYYMMDD.csv)."),
                               widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drop_file"].choices = [("", _("— none —")), *drop_dir_files()]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload and upload.size > settings.UPLOAD_MAX_BYTES:
            raise ValidationError(_("The file is too large (at most %(mb)d MB here); put it in the drop folder."),
                                  params={"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)})
        if upload and not upload.name.lower().endswith(EXTRACT_SUFFIXES):
            raise ValidationError(_("The extract must be a .csv or .csv.gz file."))
        return upload

    def clean(self):
        data = super().clean()
        upload, drop_file = data.get("upload"), data.get("drop_file")
        if bool(upload) == bool(drop_file):
            if not self.errors:
                raise ValidationError(_("Upload a file or choose one from the drop folder (one of the two)."))
            return data
        if not data.get("run_date"):
            data["run_date"] = date_from_name(Path(upload.name if upload else drop_file))
            if data["run_date"] is None:
                self.add_error("run_date", _("The file name carries no date: give the date of the extract."))
        if data.get("run_date") and data["run_date"] > timezone.localdate():
            self.add_error("run_date", _("The date of the extract (%(date)s) is in the future: an extract holds "
                                         "the data of a day that has passed.") % {"date": data["run_date"].isoformat()})
        elif data.get("run_date"):
            latest = latest_reconciled_date()
            if latest is not None and data["run_date"] < latest:
                self.add_error("run_date", stale_date_message(data["run_date"], latest))
        return data

    def drop_path(self) -> Path | None:
        """The chosen drop-folder file as a path inside AGENCY_DROP_DIR (the choice list guards it)."""
        name = self.cleaned_data.get("drop_file")
        return Path(settings.AGENCY_DROP_DIR) / name if name else None


class DiscrepancyFilterForm(forms.Form):
    """The discrepancy list's filters; the export takes the same ones."""

    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *Discrepancy.Kind.choices])
    field = forms.ChoiceField(label=_("Field"), required=False,
                              choices=[("", _("All fields")), *FIELD_LABELS.items()])
    min_age = forms.IntegerField(label=_("At least (days)"), required=False, min_value=0, max_value=36500,
                                 widget=forms.NumberInput(attrs={"size": 5}))
    max_age = forms.IntegerField(label=_("At most (days)"), required=False, min_value=0, max_value=36500,
                                 widget=forms.NumberInput(attrs={"size": 5}))
    id_prefix = forms.CharField(
        label=_("Identity number starts with"), required=False, max_length=18,
        widget=forms.TextInput(attrs={"type": "search", "data-search": "", "autocomplete": "off",
                                      "spellcheck": "false", "inputmode": "numeric", "size": 20}))

    def clean_state(self):
        return self.cleaned_data.get("state") or DiscrepancyState.OPEN

    def clean_id_prefix(self):
        value = re.sub(r"\s+", "", self.cleaned_data.get("id_prefix") or "").upper()
        if value and not _ID_PREFIX.match(value):
            raise ValidationError(_("Digits only (the last may be X), at most 18."))
        return value

    def filters(self) -> dict:
        """The selector's keyword arguments; an invalid form filters on nothing but the default state."""
        if not self.is_valid():
            return {"state": DiscrepancyState.OPEN}
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class DiscrepancyIdsField(forms.Field):
    """Checked rows of the list: "id:version" each (the version the page showed, so that a row a
    colleague resolved meanwhile is refused, not overwritten); a bare id carries no version.
    Cleans to {id: version or None}."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *args, most: int = MAX_BULK, **kwargs):
        super().__init__(*args, **kwargs)
        self.most = most

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        picked = {}
        try:
            for v in values:
                pk, _sep, version = str(v).partition(":")
                picked[int(pk)] = int(version) if version else None
        except (TypeError, ValueError):
            raise ValidationError(_("Unknown discrepancy."))
        if len(picked) > self.most:
            raise ValidationError(_("At most %(n)d discrepancies at once."), params={"n": self.most})
        return dict(sorted(picked.items()))

    def validate(self, value):
        if not value:
            raise ValidationError(_("Tick at least one discrepancy."))


def _action_choices(allowed):
    return [(value, label) for value, label in ACTION_LABELS.items() if value in allowed]


class BulkResolveForm(forms.Form):
    ids = DiscrepancyIdsField()
    action = forms.ChoiceField(label=_("Action"))
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000,
                           widget=forms.TextInput(attrs={"size": 40}))

    def __init__(self, *args, allowed=tuple(ACTION_LABELS), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = _action_choices(allowed)


class ProposeForm(forms.Form):
    """The previewed proposal, sent back to be made: the discrepancies and the versions the preview showed
    (each ticked one, and the field taken together with it: up to twice as many)."""

    ids = DiscrepancyIdsField(most=2 * MAX_BULK)
    note = forms.CharField(label=_("Note for the reviewer (optional)"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2, "cols": 50}))


class DecideProposalForm(forms.Form):
    """Confirm, refuse or withdraw a proposal: asked once more (`confirmed` is set by the question page)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Reason"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2, "cols": 50}))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ResolveForm(forms.Form):
    """One discrepancy's resolution from its page; `version` is the one the page showed."""

    action = forms.ChoiceField(choices=list(ACTION_LABELS.items()))
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2, "cols": 50}))
