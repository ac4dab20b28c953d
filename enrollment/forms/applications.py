"""Forms of the application pages. They check the shape of what was typed; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.masking import mask_id_number

from .. import materials
from ..kinds import CASE_FIELDS, spec_for
from ..models import Employer, Material, Person

MAX_STARTED_PERSONS = 200  # persons a case can be started with from the register's pages


class VersionForm(forms.Form):
    """Carries the version the user saw, so a stale page cannot overwrite someone else's change."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _ids(values) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return list(dict.fromkeys(out))[:MAX_STARTED_PERSONS]


class ApplicationForm(forms.Form):
    """Intake at the window: the fields of the kind's declaration, and its checklist of materials handed over.

    A case started from a person's or an employer's page (?kind=…&person=<id>&employer=<id>, see
    KindSpec.started_from) comes with what the register knows: the employer's code, the applicant
    (the employer's contact, or the person), and the persons, carried as hidden ids and shown by
    name with their numbers masked. Their full identity numbers go into the kind's persons_field
    when the form is cleaned, never into the page.
    """

    applicant_name = forms.CharField(label=_("Applicant"), max_length=100)
    applicant_phone = forms.CharField(label=_("Applicant's phone"), max_length=30, required=False)

    def __init__(self, *args, kind: str, query=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        spec = spec_for(kind)
        self.fields.update(spec.form_fields())
        self.fields["provided"] = forms.MultipleChoiceField(
            label=_("Materials handed over"), required=False, widget=forms.CheckboxSelectMultiple,
            choices=[(m.code, m.label) for m in materials.checklist(kind)],
            help_text=_("Tick what the applicant handed over; anything left unticked is recorded as missing."))
        source = self.data if self.is_bound else (query or {})
        self.persons_field = spec.persons_field if spec.persons_field in self.fields else ""
        self.persons = self._started_persons(source)
        self.started_employer = self._started_employer(source)
        self._prepare_persons_field()
        if not self.is_bound:
            self._fill_in_what_is_known()

    # -- started from the register's pages ---------------------------------------------------------

    def _started_persons(self, source) -> list[Person]:
        if not self.persons_field:
            return []
        ids = _ids(source.getlist("person") if hasattr(source, "getlist") else [])
        if not ids:
            return []
        persons = {p.pk: p for p in Person.objects.filter(pk__in=ids).only(
            "id", "id_number", "name", "phone", "employer_code", "status")}
        found = [persons[i] for i in ids if i in persons]
        if self.persons_field and not self._takes_several():
            return found[:1]
        return found

    def _started_employer(self, source) -> Employer | None:
        if "employer_code" not in self.fields or self.is_bound:  # once sent, the employer field says it
            return None
        ids = _ids([source.get("employer")] if hasattr(source, "get") else [])
        codes = {p.employer_code for p in self.persons if p.employer_code}
        employers = Employer.objects.only("id", "uscc", "name", "contact_name", "contact_phone")
        if ids:
            return employers.filter(pk=ids[0]).first()
        if len(codes) == 1:  # the persons' own employer
            return employers.filter(uscc=codes.pop()).first()
        return None

    def _takes_several(self) -> bool:
        return isinstance(self.fields[self.persons_field].widget, forms.Textarea)

    def _prepare_persons_field(self) -> None:
        if not (self.persons and self.persons_field):
            return
        field = self.fields[self.persons_field]
        field.required = False
        if self._takes_several():
            field.label = _("Other persons' identity numbers")
            field.help_text = _("The persons listed above are included; add others here, one per line.")
        else:
            field.widget = forms.HiddenInput()

    def _fill_in_what_is_known(self) -> None:
        employer, persons = self.started_employer, self.persons
        if employer is not None:
            self.initial.setdefault("employer_code", employer.uscc)
        if employer is not None and "employer_code" in self.fields and employer.contact_name:
            self.initial.setdefault("applicant_name", employer.contact_name)
            self.initial.setdefault("applicant_phone", employer.contact_phone)
        elif len(persons) == 1:
            self.initial.setdefault("applicant_name", persons[0].name)
            self.initial.setdefault("applicant_phone", persons[0].phone)

    def started_persons(self) -> list[dict]:
        """The persons the case was started with, as the page shows them (numbers masked)."""
        return [{"pk": p.pk, "name": p.name, "id_number_masked": mask_id_number(p.id_number)} for p in self.persons]

    def clean(self):
        data = super().clean()
        if self.persons and self.persons_field:
            numbers = [p.id_number for p in self.persons]
            if self._takes_several():
                typed = [line for line in (data.get(self.persons_field) or "").splitlines() if line.strip()]
                # Typed lines first, so that a "line n" error points at the box; then the listed persons.
                data[self.persons_field] = "\n".join(typed + numbers)
                self._person_lines = {len(typed) + n: p for n, p in enumerate(self.persons, start=1)}
            else:
                data[self.persons_field] = numbers[0]
        return data

    # -- the service ----------------------------------------------------------------------------------

    def service_arguments(self) -> dict:
        """The keyword arguments of create_application for the cleaned data (of an invalid form: what
        it could read, a field in error left empty)."""
        d = self.cleaned_data
        own = set(CASE_FIELDS) | {"applicant_name", "applicant_phone", "provided"}
        payload = spec_for(self.kind).form_payload({k: d.get(k) for k in self.fields if k not in own})
        return {
            "kind": self.kind, "applicant_name": d.get("applicant_name", ""),
            "applicant_phone": d.get("applicant_phone", ""),
            "employer_code": d.get("employer_code", ""), "person_id_number": d.get("person_id_number", ""),
            "effective_date": d.get("effective_date"), "payload": payload, "provided": d.get("provided", []),
        }

    def data_arguments(self) -> dict:
        """service_arguments() without the checklist: what the service's data check takes."""
        return {k: v for k, v in self.service_arguments().items() if k != "provided"}

    def add_other_service_errors(self, errors: list[dict]) -> None:
        """An invalid form's other errors, found by the service's check of what it could read: those of
        the fields it has not flagged itself (a field it flagged was passed on empty, so the service's
        word on it would only repeat "give it"; errors that name no field wait for a valid form)."""
        self.add_service_errors([e for e in errors if e.get("column") in self.fields
                                 and e.get("column") not in self.errors])

    def add_service_errors(self, errors: list[dict]) -> None:
        """Show a service's {column, message, line?} errors beside the fields they name."""
        listed = getattr(self, "_person_lines", {})
        for e in errors:
            message = str(e["message"])
            person = listed.get(e.get("line"))
            if person is not None:
                message = _("%(person)s: %(message)s") % {
                    "person": f"{person.name} {mask_id_number(person.id_number)}", "message": message}
            elif e.get("line"):
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
