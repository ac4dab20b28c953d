"""A case's history as the pages tell it: every approved case names the letter it was approved with
(approval applies itself to the register and then keeps the letter, in one transaction)."""

import pytest
from django.urls import reverse
from django.utils import translation

from core.models import LetterRecord
from enrollment.models import Application
from enrollment.selectors.register import masked_history
from tests.plain_text import visible_text

from .test_applications import add_persons, take_to

pytestmark = pytest.mark.django_db
Status = Application.Status


def test_an_approved_case_names_its_approval_letter_in_its_history(clerk, reviewer, employer, client_for):
    app = take_to(add_persons(clerk, employer), Status.REGISTERED, clerk=clerk, reviewer=reviewer)
    letter = LetterRecord.objects.get(object_type="enrollment.application", object_id=str(app.pk))
    with translation.override("en"):
        lines = {item["action"]: item["text"] for item in masked_history(app)}
    assert lines["enrollment.application.approved"] == (
        f"张伟 approved the case and issued {letter.title} {letter.number}.")
    assert lines["enrollment.application.registered"] == "张伟 applied the case to the register."
    page = visible_text(client_for(clerk).get(reverse("enrollment:application_detail", args=[app.pk]))
                        .content.decode())
    assert f"核准了案件，出具了{letter.title} {letter.number}。" in page
