"""A date picker (`<input type="date">`) holds its value as ISO YYYY-MM-DD whatever the page's language:
Django's own DateInput writes the language's first format (zh-hans: 2026/12/15), which the browser
rejects, so the field shows empty. Every date picker of every form in the project writes ISO."""

import importlib
import pkgutil
import re
from datetime import date
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.utils import translation

from core.widgets import DateInput
from enrollment.kinds.base import case_field

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 12, 15)


def _project_forms() -> list[type[forms.BaseForm]]:
    """Every form class the project's apps define (their modules imported first)."""
    for config in apps.get_app_configs():
        if not Path(config.path).is_relative_to(ROOT):
            continue
        for module in pkgutil.walk_packages([config.path], prefix=f"{config.name}."):
            if "migrations" not in module.name and "management" not in module.name and ".tests" not in module.name:
                importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in {c.name for c in apps.get_app_configs()
                                           if Path(c.path).is_relative_to(ROOT)}:
            found.append(cls)
    return found


def _date_pickers():
    pickers = [(f"{cls.__module__}.{cls.__name__}.{name}", field)
               for cls in _project_forms() for name, field in getattr(cls, "base_fields", {}).items()
               if getattr(field.widget, "input_type", "") == "date"]
    pickers.append(("enrollment.kinds.base.case_field(effective_date)",
                    case_field("effective_date", frozenset({"effective_date"}))))
    return pickers


def test_the_forms_with_a_date_picker_are_all_found():
    names = {name for name, _field in _date_pickers()}
    assert {"supervision.forms.AssignForm.deadline", "supervision.forms.DeadlineForm.deadline",
            "enrollment.forms.reconciliation.RunStartForm.run_date", "eligibility.forms.CatalogueSearchForm.on"} <= names


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_date_picker_writes_its_value_as_iso(language):
    with translation.override(language):
        for name, field in _date_pickers():
            html = field.widget.render("d", DAY)
            assert 'value="2026-12-15"' in html, (name, html)


def test_a_date_picker_reads_back_what_it_wrote():
    class Form(forms.Form):
        day = forms.DateField(widget=DateInput())

    with translation.override("zh-hans"):
        form = Form(initial={"day": DAY})
        value = re.search(r'value="([^"]+)"', str(form["day"]))[1]
        sent = Form({"day": value})
        assert sent.is_valid() and sent.cleaned_data["day"] == DAY
