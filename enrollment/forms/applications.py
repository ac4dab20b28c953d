"""Forms of the application pages. They check the shape of what was typed; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import materials
from ..kinds import CASE_FIELDS, spec_for
from ..models import Material


class VersionForm(forms.Form):
    """Carries the version the user saw, so a stale page cannot overwrite someone else's change."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ApplicationForm(forms.Form):
    """Intake at the window: the fields of the kind's declaration, and its checklist of materials handed over."""

    applicant_name = forms.CharField(label=_("Applicant"), max_length=100)
    applicant_phone = forms.CharField(label=_("Applicant's phone"), max_length=30, required=False)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields.update(spec_for(kind).form_fields())
        self.fields["provided"] = forms.MultipleChoiceField(
            label=_("Materials handed over"), required=False, widget=forms.CheckboxSelectMultiple,
            choices=[(m.code, m.label) for m in materials.checklist(kind)],
            help_text=_("Tick what the applicant handed over; anything left unticked is recorded as missing."))

    def service_arguments(self) -> dict:
        """The keyword arguments of create_application for the cleaned data."""
        d = self.cleaned_data
        own = set(CASE_FIELDS) | {"applicant_name", "applicant_phone", "provided"}
        payload = spec_for(self.kind).form_payload({k: d.get(k) for k in self.fields if k not in own})
        return {
            "kind": self.kind, "applicant_name": d["applicant_name"], "applicant_phone": d.get("applicant_phone", ""),
            "employer_code": d.get("employer_code", ""), "person_id_number": d.get("person_id_number", ""),
            "effective_date": d.get("effective_date"), "payload": payload, "provided": d.get("provided", []),
        }

    def add_service_errors(self, errors: list[dict]) -> None:
        """Show a service's {column, message, line?} errors beside the fields they name."""
        for e in errors:
            message = str(e["message"])
            if e.get("line"):
                message = _("Line %(line)d: %(message)s") % {"line": e["line"], "message": message}
            column = e.get("column")
            self.add_error(column if column in self.fields else None, message)


class MaterialsForm(VersionForm):
    """The checklist: one state and note per item."""

    STATES = [(Material.State.PROVIDED, _("Provided")), (Material.State.MISSING, _("Missing")),
              (Material.State.INVALID, _("Not valid"))]

    def __init__(self, *args, items: list[Material], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"state_{item.code}"] = forms.ChoiceField(
                label=materials.material_label(item.code), choices=self.STATES, widget=forms.RadioSelect,
                required=False, initial=item.state if item.state != Material.State.PENDING else None)
            self.fields[f"note_{item.code}"] = forms.CharField(
                label=_("Note on “%(m)s”") % {"m": materials.material_label(item.code)}, max_length=300,
                required=False, initial=item.note)

    def rows(self):
        """(item, state field, note field, what to bring) for the template's table."""
        return [(item, self[f"state_{item.code}"], self[f"note_{item.code}"], materials.what_to_bring(item.code))
                for item in self.items]

    def states(self) -> dict[str, tuple[str, str]]:
        d = self.cleaned_data
        return {item.code: (d[f"state_{item.code}"], d[f"note_{item.code}"]) for item in self.items
                if d.get(f"state_{item.code}")}


class RosterForm(VersionForm):
    file = forms.FileField(label=_("Staff list (CSV or XLSX)"),
                           help_text=_("Columns: identity number (身份证号), name (姓名), phone (电话). "
                                       "UTF-8 or GB18030 text, or the first sheet of an XLSX workbook."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}))


class ConfirmForm(VersionForm):
    """An irreversible step: the first post shows what it will do on a confirmation page, whose
    form posts again with `confirmed`."""

    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ApproveForm(ConfirmForm):
    note = forms.CharField(label=_("Note for the letter"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(ConfirmForm):
    reasons = forms.MultipleChoiceField(label=_("Reasons"), widget=forms.CheckboxSelectMultiple,
                                        choices=list(materials.REJECTION_REASONS.items()))
    note = forms.CharField(label=_("Explanation"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Printed on the letter; needed with the reason “other”."))

    def clean(self):
        data = super().clean()
        if "other" in (data.get("reasons") or []) and not (data.get("note") or "").strip():
            self.add_error("note", _("Explain the reason “other” in the text."))  # before asking to confirm
        return data
