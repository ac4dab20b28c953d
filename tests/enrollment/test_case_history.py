"""A case's history as the pages tell it: every approved case names the letter it was approved with
(approval applies itself to the register and then keeps the letter, in one transaction); a new case is a
draft, said so, and is no case in hand (在办件) until it is submitted."""

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


def test_a_new_case_is_a_draft_in_its_history_and_not_a_case_in_hand_until_submitted(clerk, employer, client_for):
    from django.utils import timezone

    from enrollment.selectors.applications import queue_conditions, queue_counts
    from enrollment.services import applications as svc

    client = client_for(clerk)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("enrollment:application_create"), {
        "kind": "ADD_PERSONS", "applicant_name": "张经办", "employer_code": employer.uscc,
        "effective_date": "2026-12-01"})
    app = Application.objects.get()
    assert response.status_code == 302 and app.status == Status.DRAFT
    with translation.override("en"):
        [created] = [item["text"] for item in masked_history(app)]
    assert created == f"王芳 entered the case {app.number} as a draft (not submitted yet: no time limit runs)."
    conditions = queue_conditions(clerk, timezone.localdate())
    assert queue_counts(conditions, ["open", "mine", "drafts"]) == {"open": 0, "mine": 0, "drafts": 1}
    home = client.get(reverse("home")).content.decode()
    assert "My drafts (not submitted)" in home
    svc.submit_application(actor=clerk, application=app)
    assert queue_counts(conditions, ["open", "mine", "drafts"]) == {"open": 1, "mine": 1, "drafts": 0}
