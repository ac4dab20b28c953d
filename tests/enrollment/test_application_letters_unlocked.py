"""Issue 13, item 6: the letters of a decision render before the transition takes the audit chain's
lock (which every audited write waits for), and are kept and recorded after it."""

import pytest

from core.models import AuditEntry
from enrollment.models import Application
from enrollment.services import applications as svc
from tests.core.test_letters import chain_lock_fixture  # noqa: F401  (the fixture chain_lock_while_rendering)
from tests.enrollment.test_applications import add_persons, take_to

Status = Application.Status
# Real transactions: in a test wrapped in one transaction, the transitions before the decision would
# hold the chain's lock to the end of the test.
pytestmark = pytest.mark.django_db(transaction=True)


def _actions(app) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(app.pk), object_type="enrollment.application")
                .order_by("seq").values_list("action", flat=True))


def test_the_notice_renders_outside_the_chain_lock(clerk, employer, chain_lock_while_rendering):
    seen, _pid = chain_lock_while_rendering
    app = take_to(add_persons(clerk, employer, provided=["staff_roster"]), Status.SUBMITTED, clerk=clerk,
                  reviewer=None)
    letter = svc.issue_notice(actor=clerk, application=app)
    assert seen == [False]
    assert app.status == Status.INCOMPLETE and letter.kind == "enrollment.one_time_notice"
    assert _actions(app)[-1] == "enrollment.application.notice_issued"
    issued = AuditEntry.objects.get(action="core.letter.issued", object_id=str(letter.pk))
    assert issued.after["object"] == f"enrollment.application:{app.pk}"


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decision_letter_renders_outside_the_chain_lock(clerk, reviewer, employer, chain_lock_while_rendering,
                                                          decision):
    seen, _pid = chain_lock_while_rendering
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    if decision == "approve":
        letter = svc.approve_application(actor=reviewer, application=app, note="按期办理")
    else:
        letter = svc.reject_application(actor=reviewer, application=app, reasons=["not_eligible"])
    assert seen == [False]
    assert app.status == (Status.REGISTERED if decision == "approve" else Status.REJECTED)
    assert letter.object_id == str(app.pk)
