"""The intake form's employer field: a search-as-you-type list of employers, with a plain-form fallback.

With JavaScript (static/js/site.js, [data-employer-picker]) the text box is a combobox: typing any
part of a name or of a credit code lists the matching employers (employer_pick), the arrow keys and
Enter or a tap pick one, and the box then holds its 18-character code. Without JavaScript, or when
a clerk submits a part of a name without picking, the field finds the employer itself: one match is
taken, several are offered as radio buttons on the returned form, none is an error.
"""

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from ..identity import normalise_id_number

CODE_LENGTH = 18
OFFERED = 10  # employers listed at most; more matches ask for more of the name


def _employer_matches(text: str, limit: int) -> list:
    from ..models import Employer
    from ..selectors.register import PatternOrder, search_employers

    employers = Employer.objects.only("id", "uscc", "name", "status").order_by(PatternOrder("name"), "id")
    return list(search_employers(employers, text)[:limit])


class EmployerPicker(forms.TextInput):
    """A text box for a credit code that lists employers as the clerk types (see the module)."""

    template_name = "enrollment/widgets/employer_picker.html"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.candidates: list = []  # offered on the returned form when a part of a name matched several

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.candidates = []
        return copy

    def choice_name(self, name: str) -> str:
        return f"{name}_choice"

    def value_from_datadict(self, data, files, name):
        """The employer picked among the offered ones, else what the box holds."""
        return data.get(self.choice_name(name)) or super().value_from_datadict(data, files, name)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        box_id = widget["attrs"].get("id") or f"id_{name}"
        widget.update({
            "list_id": f"{box_id}-list", "picked_id": f"{box_id}-picked", "hint_id": f"{box_id}-hint",
            "search_url": reverse("enrollment:employer_pick"), "choice_name": self.choice_name(name),
            "candidates": self.candidates, "picked": self._picked(widget.get("value")),
        })
        widget["attrs"].update({"data-employer-picker": "", "data-search-url": widget["search_url"],
                                "aria-controls": widget["list_id"],
                                "aria-describedby": f"{box_id}-picked {box_id}-hint"})
        return context

    def _picked(self, value):
        """The employer a complete code names, to show its name beside the box."""
        code = normalise_id_number(str(value or ""))
        if len(code) != CODE_LENGTH:
            return None
        from ..models import Employer

        return Employer.objects.filter(uscc=code).only("id", "uscc", "name").first()

    def _render(self, template_name, context, renderer=None):
        # The project's templates (templates/enrollment/widgets/), not the form renderer's own engine.
        return mark_safe(render_to_string(template_name, context))


class EmployerCodeField(forms.CharField):
    """An employer's credit code, or a part of its name or code that names exactly one employer."""

    widget = EmployerPicker
    default_error_messages = {
        "none": _("No employer's name or credit code contains “%(text)s”."),
        "several": _("Several employers match “%(text)s”: choose one below, or type more of the name."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("help_text", _("Type any part of the employer's name or of its credit code and pick it "
                                         "from the list."))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return text
        code = normalise_id_number(text)
        if len(code) == CODE_LENGTH and code.isalnum():
            return code  # a whole code: the service checks it and that the employer is registered
        matches = _employer_matches(text, OFFERED + 1)
        if len(matches) == 1:
            return matches[0].uscc
        if not matches:
            raise forms.ValidationError(self.error_messages["none"], code="none", params={"text": text})
        self.widget.candidates = matches[:OFFERED]
        raise forms.ValidationError(self.error_messages["several"], code="several", params={"text": text})
