"""A resubmission refused while a material is missing (issue 14, item 1), in Chromium: the case page
offers no resubmission and names what the applicant still has to bring; a resubmission posted anyway
(a page left open from before) is refused naming the item, and the clock does not restart; once the
item is ticked, resubmitting is the primary button and goes through from the keyboard."""

import re

import pytest
from django.utils import translation

from enrollment import materials
from enrollment.models import Application
from enrollment.services import applications as svc
from tests.enrollment.test_applications import add_persons, take_to
from tests.factories import EmployerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resubmission_is_refused_while_a_material_is_missing(page, login, clerk, reviewer):
    employer = EmployerFactory(name="示范市泰和东方贸易有限公司")
    app = take_to(add_persons(clerk, employer), Application.Status.SUBMITTED, clerk=clerk, reviewer=reviewer)
    svc.tick_materials(actor=clerk, application=app, states={"labour_contracts": ("MISSING", "")})
    svc.issue_notice(actor=clerk, application=app)
    with translation.override("zh-hans"):  # the browser asks for Chinese
        contracts = str(materials.material_label("labour_contracts"))
    login(clerk)
    page.goto(f"/enrollment/applications/{app.pk}/")

    # No resubmission on offer: the page says what is missing, and the primary button saves the checklist.
    assert page.locator('form[action$="/resubmit/"]').count() == 0
    assert contracts in page.locator("[data-waiting]").inner_text()
    primary = page.locator("button.primary")
    assert primary.count() == 1 and primary.first.evaluate("b => b.form.action").endswith("/materials/")

    # A resubmission posted anyway, as from a page opened before the item was found missing.
    page.evaluate("""([version]) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = location.pathname + 'resubmit/';
        for (const [name, value] of [['csrfmiddlewaretoken',
                document.querySelector('input[name=csrfmiddlewaretoken]').value], ['version', version]]) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = name; input.value = value;
            form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
    }""", [str(app.version)])
    page.wait_for_load_state()
    error = page.locator(".message.error").inner_text()
    assert contracts in error
    app.refresh_from_db()
    assert (app.status, app.due_date, app.resubmitted_at) == ("INCOMPLETE", None, None)

    # The applicant brings the contracts: tick them, and resubmitting is the primary step, by keyboard.
    page.check('input[name=state_labour_contracts][value=PROVIDED]')
    with page.expect_navigation():
        page.locator('form[action$="/materials/"] button[type=submit]').click()
    resubmit = page.locator('form[action$="/resubmit/"] button[type=submit]')
    assert re.search(r"\bprimary\b", resubmit.get_attribute("class") or "")
    resubmit.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    app.refresh_from_db()
    assert app.status == "RESUBMITTED" and app.due_date is not None
