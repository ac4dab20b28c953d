"""Forms of the application pages. They check the shape of what was typed; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import materials
from ..models import Application, Employer, Material

Kind = Application.Kind


class VersionForm(forms.Form):
    """Carries the version the user saw, so a stale page cannot overwrite someone else's change."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ApplicationForm(forms.Form):
    """Intake at the window: the fields a kind needs, and its checklist of materials handed over."""

    applicant_name = forms.CharField(label=_("Applicant"), max_length=100)
    applicant_phone = forms.CharField(label=_("Applicant's phone"), max_length=30, required=False)

    KIND_FIELDS = {
        Kind.EMPLOYER_REGISTRATION: ["uscc", "employer_name", "address", "contact_name", "contact_phone", "schemes",
                                     "effective_date"],
        Kind.ADD_PERSONS: ["employer_code", "effective_date", "note"],
        Kind.REMOVE_PERSONS: ["employer_code", "id_numbers", "reason", "effective_date"],
        Kind.CHANGE_INFO: ["person_id_number", "new_name", "new_phone", "new_address"],
        Kind.TRANSFER_IN: ["id_number", "name", "phone", "from_region", "employer_code", "effective_date"],
        Kind.TRANSFER_OUT: ["person_id_number", "to_region", "effective_date"],
    }

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in self.KIND_FIELDS[kind]:
            self.fields[name] = self._field(name)
        self.fields["provided"] = forms.MultipleChoiceField(
            label=_("Materials handed over"), required=False, widget=forms.CheckboxSelectMultiple,
            choices=[(m.code, m.label) for m in materials.checklist(kind)],
            help_text=_("Tick what the applicant handed over; anything left unticked is recorded as missing."))

    def _field(self, name: str) -> forms.Field:
        date_widget = forms.DateInput(attrs={"type": "date"})
        effective_labels = {
            Kind.ADD_PERSONS: _("Insured from"), Kind.REMOVE_PERSONS: _("Insurance ends on"),
            Kind.TRANSFER_IN: _("Insured here from"), Kind.TRANSFER_OUT: _("Insurance here ends on"),
            Kind.EMPLOYER_REGISTRATION: _("Registered from"),
        }
        fields = {
            "employer_code": lambda: forms.CharField(
                label=_("Employer's unified social credit code"), max_length=18,
                required=self.kind != Kind.TRANSFER_IN,
                help_text=_("Leave empty for a resident (城乡居民) transferring in.") if self.kind == Kind.TRANSFER_IN
                else ""),
            "person_id_number": lambda: forms.CharField(label=_("Insured person's identity number"), max_length=18),
            "effective_date": lambda: forms.DateField(label=effective_labels.get(self.kind, _("Effective date")),
                                                      widget=date_widget,
                                                      required=self.kind != Kind.EMPLOYER_REGISTRATION),
            "uscc": lambda: forms.CharField(label=_("Unified social credit code"), max_length=18),
            "employer_name": lambda: forms.CharField(label=_("Employer's name"), max_length=200),
            "address": lambda: forms.CharField(label=_("Address"), max_length=300, required=False),
            "contact_name": lambda: forms.CharField(label=_("Contact person"), max_length=50, required=False),
            "contact_phone": lambda: forms.CharField(label=_("Contact phone"), max_length=30, required=False),
            "schemes": lambda: forms.MultipleChoiceField(
                label=_("Insurance schemes"), choices=Employer.Scheme.choices, widget=forms.CheckboxSelectMultiple,
                initial=[Employer.Scheme.BASIC]),
            "note": lambda: forms.CharField(label=_("Note"), max_length=500, required=False,
                                            help_text=_("The staff list is uploaded on the case page.")),
            "id_numbers": lambda: forms.CharField(
                label=_("Identity numbers of the persons to remove"), widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("One per line.")),
            "reason": lambda: forms.CharField(label=_("Reason"), max_length=300, required=False),
            "new_name": lambda: forms.CharField(label=_("New name"), max_length=50, required=False),
            "new_phone": lambda: forms.CharField(label=_("New phone"), max_length=30, required=False),
            "new_address": lambda: forms.CharField(label=_("New address"), max_length=300, required=False),
            "id_number": lambda: forms.CharField(label=_("Identity number"), max_length=18),
            "name": lambda: forms.CharField(label=_("Name"), max_length=50),
            "phone": lambda: forms.CharField(label=_("Phone"), max_length=30, required=False),
            "from_region": lambda: forms.CharField(label=_("Transferred from (place)"), max_length=100),
            "to_region": lambda: forms.CharField(label=_("Transferred to (place)"), max_length=100),
        }
        return fields[name]()

    def service_arguments(self) -> dict:
        """The keyword arguments of create_application for the cleaned data."""
        d = self.cleaned_data
        payload_keys = {
            Kind.EMPLOYER_REGISTRATION: ["uscc", "employer_name", "address", "contact_name", "contact_phone",
                                         "schemes"],
            Kind.ADD_PERSONS: ["note"],
            Kind.REMOVE_PERSONS: ["id_numbers", "reason"],
            Kind.TRANSFER_IN: ["id_number", "name", "phone", "from_region"],
            Kind.TRANSFER_OUT: ["to_region"],
            Kind.CHANGE_INFO: [],
        }[self.kind]
        payload = {k: d.get(k) for k in payload_keys}
        if self.kind == Kind.CHANGE_INFO:
            payload = {"changes": {"name": d.get("new_name", ""), "phone": d.get("new_phone", ""),
                                   "address": d.get("new_address", "")}}
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


class ApproveForm(VersionForm):
    note = forms.CharField(label=_("Note for the letter"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(VersionForm):
    reasons = forms.MultipleChoiceField(label=_("Reasons"), widget=forms.CheckboxSelectMultiple,
                                        choices=list(materials.REJECTION_REASONS.items()))
    note = forms.CharField(label=_("Explanation"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Printed on the letter; needed with the reason “other”."))
