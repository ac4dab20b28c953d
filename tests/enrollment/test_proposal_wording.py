"""A register change's pages say what happens in the tense it happens in: the question's way back names
what is not done ("No, go back without confirming", not the ledger's "without closing"), a confirmed
change reads as done ("was added to the register"), the decided tab is named for what it holds, and the
column of counts says it counts persons."""

import re

import pytest
from django.urls import reverse

from enrollment.models import RegisterChangeProposal
from tests.plain_text import visible_text

from .test_discrepancy_resolution import (  # noqa: F401  (the fixtures night and register)
    confirm,
    english,
    night_fixture,
    register_fixture,
)
from .test_register_change_proposals import propose

pytestmark = pytest.mark.django_db
Status = RegisterChangeProposal.Status


def page(client, name, *args, query="") -> str:
    response = client.get(reverse(name, args=args) + query)
    assert response.status_code == 200
    return visible_text(response.content.decode())


@pytest.mark.parametrize(("action", "who", "back"), [
    ("confirm", "reviewer", "No, go back without confirming"),
    ("refuse", "reviewer", "No, go back without refusing"),
    ("withdraw", "clerk", "No, go back without withdrawing"),
])
def test_the_question_s_way_back_says_what_is_not_done(night, clerk, reviewer, client_for, action, who, back):
    proposal = propose(clerk, night["missing_local"])
    client = english(client_for({"clerk": clerk, "reviewer": reviewer}[who]))
    question = client.post(reverse(f"enrollment:proposal_{action}", args=[proposal.pk]),
                           {"version": proposal.version, "note": "why"})
    assert question.status_code == 200
    links = [visible_text(a).strip() for a in re.findall(r'<a class="button"[^>]*>(.*?)</a>',
                                                         question.content.decode())]
    assert back in links and "No, go back" not in links


def test_a_confirmed_change_reads_as_done(night, clerk, reviewer, client_for):
    proposal = propose(clerk, night["missing_local"])
    client = english(client_for(reviewer))
    before = page(client, "enrollment:proposal_detail", proposal.pk)
    assert "added to the register" in before and "was added to the register" not in before
    assert "Persons to add: 1." in before and "(not in the register)" in before
    confirm(client, proposal)
    proposal.refresh_from_db()
    assert proposal.status == Status.CONFIRMED
    after = page(client, "enrollment:proposal_detail", proposal.pk)
    assert "was added to the register" in after and "(was not in the register)" in after
    assert "Persons added: 1. Persons changed: 0." in after and "Persons to add" not in after
    assert "Every change made, before and after" in after


def test_the_queue_names_its_decided_tab_and_its_count_of_persons(night, clerk, reviewer, client_for):
    proposal = propose(clerk, night["missing_local"])
    confirm(english(client_for(reviewer)), proposal)
    client = english(client_for(reviewer))
    response = client.get(reverse("enrollment:proposal_list") + "?tab=decided")
    assert dict(response.context["tabs"])["decided"] == "Dealt with"
    headers = [visible_text(th).strip() for th in re.findall(r'<th scope="col"[^>]*>(.*?)</th>',
                                                             response.content.decode())]
    assert "Persons concerned" in headers and "Persons" not in headers
