"""Issue 14, item 2: the register changes only with two people. Taking the agency's value is proposed
by one user and confirmed by another, a reviewer or senior reviewer; nobody decides their own
proposal; every applied change has its audit entry; a proposal made from values that changed since is
refused as stale; a proposal's discrepancies cannot be proposed twice; the queue, the pages and their
permissions by role; query counts that do not grow with the proposal."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.models import AuditEntry
from core.system import system_user
from enrollment.models import Discrepancy, Person, RegisterChangeProposal
from enrollment.reconciliation.engine import reconcile_file
from enrollment.services.reconciliation import (
    confirm_proposal,
    propose_take_agency,
    refuse_proposal,
    withdraw_proposal,
)
from enrollment.services.register import update_person

from .extracts import number, row, write
from .test_discrepancy_resolution import (  # noqa: F401  (the fixtures night and register)
    NAME,
    NEW,
    NIGHT,
    STATUS,
    bulk,
    confirm,
    english,
    fresh,
    messages_of,
    night_fixture,
    register_fixture,
)

pytestmark = pytest.mark.django_db
Status = RegisterChangeProposal.Status
ROLES = ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "supervisor", "provider", "admin"]
STAFF = {"clerk", "reviewer", "senior_reviewer", "supervisor", "admin"}
PROPOSE = {"clerk", "reviewer", "senior_reviewer", "admin"}
CONFIRM = {"reviewer", "senior_reviewer"}


def propose(actor, *discrepancies, note=""):
    return propose_take_agency(actor=actor, chosen={d.pk: d.version for d in discrepancies}, note=note).proposal


# --- the services ---------------------------------------------------------------------------------

def test_a_proposal_changes_nothing_until_another_person_confirms_it(night, clerk):
    proposal = propose(clerk, night["name"], night["missing_local"], note="per the agency's letter")
    assert (proposal.status, proposal.persons, proposal.creations) == (Status.PROPOSED, 2, 1)
    assert Person.objects.get(id_number=NAME).name == "李思" and not Person.objects.filter(id_number=NEW).exists()
    assert fresh(night["name"]).status == Discrepancy.Status.OPEN
    entry = AuditEntry.objects.get(action="enrollment.registerchangeproposal.proposed")
    assert entry.actor_id == clerk.pk and entry.after["persons"] == 2
    name_item = proposal.items.get(discrepancy=night["name"])
    assert name_item.changes == {"name": ["李思", "李四"]} and name_item.person_version == 1


def test_nobody_confirms_or_refuses_their_own_proposal(night, reviewer, senior):
    proposal = propose(reviewer, night["name"])
    with pytest.raises(PermissionDenied) as refused:
        confirm_proposal(actor=reviewer, proposal=proposal)
    assert refused.value.code == "segregation_of_duties"
    with pytest.raises(PermissionDenied):
        refuse_proposal(actor=reviewer, proposal=proposal, note="my mistake")
    proposal.refresh_from_db()
    assert proposal.status == Status.PROPOSED and Person.objects.get(id_number=NAME).name == "李思"
    confirm_proposal(actor=senior, proposal=proposal)
    assert (proposal.status, proposal.decided_by) == (Status.CONFIRMED, senior)
    assert Person.objects.get(id_number=NAME).name == "李四"


@pytest.mark.parametrize("role", ["clerk", "supervisor", "admin"])
def test_only_a_reviewer_or_senior_reviewer_confirms(night, clerk2, personas, role):
    proposal = propose(clerk2, night["name"])
    with pytest.raises(PermissionDenied):
        confirm_proposal(actor=personas[role], proposal=proposal)
    assert fresh(night["name"]).status == Discrepancy.Status.OPEN


def test_every_applied_change_has_its_audit_entry(night, clerk, reviewer):
    proposal = propose(clerk, night["status"], night["name"], night["missing_local"])
    confirm_proposal(actor=reviewer, proposal=proposal)
    added = Person.objects.get(id_number=NEW)
    changed = Person.objects.filter(id_number__in=[STATUS, NAME])
    entries = AuditEntry.objects.filter(actor=reviewer)
    assert set(entries.filter(action="enrollment.person.changed").values_list("object_id", flat=True)) == {
        str(p.pk) for p in changed}
    assert list(entries.filter(action="enrollment.person.registered").values_list("object_id", flat=True)) == [
        str(added.pk)]
    closed = {night[k].pk for k in ("status", "status_date", "name", "missing_local")}
    taken = entries.filter(action="enrollment.discrepancy.agency_value_taken")
    assert {int(e.object_id) for e in taken} == closed
    assert all(e.after["proposal"] == proposal.pk and e.after["proposed_by"] == "alice_clerk" for e in taken)
    confirmed = entries.get(action="enrollment.registerchangeproposal.confirmed")
    assert confirmed.after["persons_added"] == 1 and confirmed.after["persons_changed"] == 2
    assert confirmed.after["discrepancies_closed"] == 4


def test_an_edit_of_the_person_after_the_proposal_makes_it_stale(night, clerk, reviewer):
    proposal = propose(clerk, night["status"])
    update_person(actor=clerk, person=Person.objects.get(id_number=STATUS), changes={"address": "人民路1号"})
    with pytest.raises(Conflict) as refused:
        confirm_proposal(actor=reviewer, proposal=proposal)
    assert refused.value.code == "stale_proposal"
    proposal.refresh_from_db()
    assert (proposal.status, proposal.stale) == (Status.REFUSED, True)
    assert Person.objects.get(id_number=STATUS).status == "ACTIVE"
    assert fresh(night["status"]).status == Discrepancy.Status.OPEN
    assert propose(clerk, fresh(night["status"])).status == Status.PROPOSED  # proposed again, from what is there now


def test_a_resolution_by_a_colleague_after_the_proposal_makes_it_stale(night, clerk, clerk2, reviewer):
    from enrollment.services.reconciliation import keep_our_value

    proposal = propose(clerk, night["name"])
    keep_our_value(actor=clerk2, discrepancy=fresh(night["name"]), note="ours is right")
    with pytest.raises(Conflict):
        confirm_proposal(actor=reviewer, proposal=proposal)
    assert Person.objects.get(id_number=NAME).name == "李思"


def test_a_discrepancy_waiting_in_a_proposal_is_not_proposed_twice(night, clerk, clerk2):
    first = propose(clerk, night["status_date"])  # brings the status along
    with pytest.raises(ValidationFailed) as refused:
        propose(clerk2, night["status"])
    assert f"Already proposed in register change #{first.pk}" in str(refused.value.errors[0]["message"]) or \
        str(first.pk) in str(refused.value.message)
    outcome = propose_take_agency(actor=clerk2, chosen={night["status"].pk: None, night["name"].pk: None})
    assert [pk for pk, _reason in outcome.failed] == [night["status"].pk]
    assert list(outcome.proposal.items.values_list("discrepancy_id", flat=True)) == [night["name"].pk]


def test_the_proposer_alone_withdraws_and_a_refusal_says_why(night, clerk, clerk2, reviewer, senior):
    proposal = propose(clerk, night["name"])
    with pytest.raises(PermissionDenied):
        withdraw_proposal(actor=clerk2, proposal=proposal)
    withdraw_proposal(actor=clerk, proposal=proposal, note="wrong person")
    assert proposal.status == Status.WITHDRAWN
    with pytest.raises(Conflict):  # decided: it can no longer change
        confirm_proposal(actor=reviewer, proposal=proposal)
    again = propose(clerk, night["name"])  # withdrawn: the discrepancy may be proposed again
    with pytest.raises(ValidationFailed):
        refuse_proposal(actor=reviewer, proposal=again, note="  ")
    refuse_proposal(actor=senior, proposal=again, note="the agency's spelling is wrong")
    assert (again.status, again.decision_note, again.decided_by) == (Status.REFUSED, "the agency's spelling is wrong",
                                                                     senior)
    assert Person.objects.get(id_number=NAME).name == "李思" and fresh(night["name"]).closed_on is None


def test_a_person_added_meanwhile_makes_a_creation_stale(night, clerk, reviewer):
    from tests.factories import PersonFactory

    from .extracts import person_values

    proposal = propose(clerk, night["missing_local"])
    PersonFactory(**person_values(NEW, "赵六"))
    with pytest.raises(Conflict):
        confirm_proposal(actor=reviewer, proposal=proposal)
    assert Person.objects.filter(id_number=NEW).count() == 1


# --- the pages and who may use them ---------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_the_queue_and_a_proposals_page_open_for_enrollment_staff_only(personas, client_for, night, clerk2, role):
    proposal = propose(clerk2, night["name"])
    client = client_for(personas[role])
    for url in (reverse("enrollment:proposal_list"), reverse("enrollment:proposal_list") + "?tab=decided",
                reverse("enrollment:proposal_detail", args=[proposal.pk])):
        response = client.get(url)
        assert response.status_code == (200 if role in STAFF else 403), url
    if role in STAFF:
        page = client.get(reverse("enrollment:proposal_detail", args=[proposal.pk])).content.decode()
        assert NAME not in page  # identity numbers masked
        assert (reverse("enrollment:proposal_confirm", args=[proposal.pk]) in page) == (role in CONFIRM)


@pytest.mark.parametrize("role", ROLES)
def test_proposing_from_the_pages_is_for_the_roles_that_may(personas, client_for, night, role):
    d = night["name"]
    response = client_for(personas[role]).post(reverse("enrollment:proposal_create"),
                                               {"ids": [f"{d.pk}:{d.version}"], "note": ""})
    if role in PROPOSE:
        assert response.status_code == 302
        assert RegisterChangeProposal.objects.get().proposed_by == personas[role]
    else:
        assert response.status_code == 403 and not RegisterChangeProposal.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_confirming_from_the_pages_is_for_a_reviewer_or_senior_reviewer_who_did_not_propose(
        personas, client_for, night, clerk2, role):
    proposal = propose(clerk2, night["name"])
    url = reverse("enrollment:proposal_confirm", args=[proposal.pk])
    response = client_for(personas[role]).post(url, {"version": proposal.version, "confirmed": "1"})
    assert response.status_code == (302 if role in CONFIRM else 403)
    proposal.refresh_from_db()
    assert (proposal.status == Status.CONFIRMED) == (role in CONFIRM)
    assert (Person.objects.get(id_number=NAME).name == "李四") == (role in CONFIRM)


def test_a_reviewer_confirming_their_own_proposal_on_the_page_is_refused(night, reviewer, client_for):
    proposal = propose(reviewer, night["name"])
    client = english(client_for(reviewer))
    page = client.get(reverse("enrollment:proposal_detail", args=[proposal.pk])).content.decode()
    assert reverse("enrollment:proposal_confirm", args=[proposal.pk]) not in page
    assert "nobody confirms their own proposal" in page
    response = client.post(reverse("enrollment:proposal_confirm", args=[proposal.pk]),
                           {"version": proposal.version, "confirmed": "1"})
    assert response.status_code == 403 and "segregation of duties" in response.content.decode()
    assert Person.objects.get(id_number=NAME).name == "李思"


def test_refusing_and_withdrawing_from_the_pages_ask_first(night, clerk, reviewer, client_for):
    proposal = propose(clerk, night["name"])
    client = english(client_for(reviewer))
    url = reverse("enrollment:proposal_refuse", args=[proposal.pk])
    assert messages_of(client.post(url, {"version": proposal.version})) == ["Say why the change is refused."]
    question = client.post(url, {"version": proposal.version, "note": "spelling"})
    assert question.status_code == 200 and "Refuse register change" in question.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Status.PROPOSED
    client.post(url, {"version": proposal.version, "note": "spelling", "confirmed": "1"})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == (Status.REFUSED, "spelling")

    again = propose(clerk, fresh(night["name"]))
    clerk_client = english(client_for(clerk))
    url = reverse("enrollment:proposal_withdraw", args=[again.pk])
    assert "Withdraw register change" in clerk_client.post(url, {"version": again.version}).content.decode()
    clerk_client.post(url, {"version": again.version, "confirmed": "1"})
    again.refresh_from_db()
    assert again.status == Status.WITHDRAWN


def test_a_stale_proposal_page_is_refused(night, clerk, reviewer, senior, client_for):
    proposal = propose(clerk, night["name"])
    shown = proposal.version
    refuse_proposal(actor=senior, proposal=proposal, note="no")
    response = english(client_for(reviewer)).post(reverse("enrollment:proposal_confirm", args=[proposal.pk]),
                                                  {"version": shown, "confirmed": "1"})
    assert response.status_code == 302 and "Someone else changed this record" in messages_of(response)[0]


def test_the_reviewers_queue_and_home_panel_count_what_waits_for_them(night, clerk, reviewer, senior, client_for):
    theirs = propose(clerk, night["name"])
    own = propose(reviewer, night["missing_local"])
    client = english(client_for(reviewer))
    queue = client.get(reverse("enrollment:proposal_list")).content.decode()
    assert f"Change #{theirs.pk}" in queue and f"Change #{own.pk}" not in queue  # waiting for *my* confirmation
    mine = client.get(reverse("enrollment:proposal_list") + "?tab=mine").content.decode()
    assert f"Change #{own.pk}" in mine and f"Change #{theirs.pk}" not in mine
    home = client.get("/").content.decode()
    assert "Register changes waiting for my confirmation" in home
    assert '?tab=for_me"><span class="num">1</span>' in home
    senior_home = english(client_for(senior)).get("/").content.decode()
    assert '?tab=for_me"><span class="num">2</span>' in senior_home
    clerk_home = english(client_for(clerk)).get("/").content.decode()
    assert "Register changes waiting for my confirmation" not in clerk_home
    page = client.get(reverse("enrollment:discrepancy_detail", args=[night["name"].pk])).content.decode()
    assert reverse("enrollment:proposal_detail", args=[theirs.pk]) in page


# --- query counts ---------------------------------------------------------------------------------

def _night_with(n: int, run_date: date, tmp_path) -> list[Discrepancy]:
    """One night with n persons missing here and n persons whose name differs: 2n discrepancies."""
    from tests.factories import PersonFactory

    from .extracts import person_values

    def numbers(prefix: str) -> list[str]:
        return [number(f"{prefix}{(i // 28) % 12 + 1:02d}{i % 28 + 1:02d}{i // 336:02d}1") for i in range(n)]

    new, renamed = numbers(f"44010619{70 + run_date.day % 10}"), numbers(f"33010619{80 + run_date.day % 10}")
    for id_number in renamed:
        PersonFactory(**person_values(id_number, "旧名"))
    rows = [row(x, name="新人") for x in new] + [row(x, name="新名") for x in renamed]
    reconcile_file(write(tmp_path / f"night-{n}.csv", rows), run_date=run_date, actor=system_user())
    return list(Discrepancy.objects.filter(id_number__in=new + renamed, closed_on__isnull=True).order_by("pk"))


def _costs(n: int, run_date: date, clerk, reviewer, client_for, tmp_path) -> dict[str, int]:
    chosen = _night_with(n, run_date, tmp_path)
    assert len(chosen) == 2 * n
    client, reviewer_client = client_for(clerk), client_for(reviewer)
    costs = {}
    with CaptureQueriesContext(connection) as preview:
        assert bulk(client, chosen, "TAKE_AGENCY").status_code == 200
    with CaptureQueriesContext(connection) as propose:
        client.post(reverse("enrollment:proposal_create"), {"ids": [f"{d.pk}:{d.version}" for d in chosen]})
    proposal = RegisterChangeProposal.objects.get(status=Status.PROPOSED)
    with CaptureQueriesContext(connection) as page:
        reviewer_client.get(reverse("enrollment:proposal_detail", args=[proposal.pk]))
    with CaptureQueriesContext(connection) as confirmed:
        confirm(reviewer_client, proposal)
    proposal.refresh_from_db()
    assert proposal.status == Status.CONFIRMED and proposal.persons == 2 * n
    for name, captured in (("preview", preview), ("propose", propose), ("page", page), ("confirm", confirmed)):
        costs[name] = len(captured.captured_queries)
    return costs


def test_previewing_proposing_and_confirming_cost_the_same_queries_for_5_and_for_50(
        clerk, reviewer, client_for, tmp_path):
    few = _costs(5, NIGHT, clerk, reviewer, client_for, tmp_path)
    many = _costs(50, NIGHT + timedelta(days=1), clerk, reviewer, client_for, tmp_path)
    assert Person.objects.filter(name__in=["新人", "新名"]).count() == 110
    for step, cost in few.items():
        assert many[step] <= cost, (step, few, many)
    print("queries, 10 vs 100 discrepancies:", few, many)


def test_the_queue_costs_the_same_queries_for_3_proposals_and_for_18(clerk, reviewer, client_for, tmp_path,
                                                                       django_assert_max_num_queries, english_pages):
    chosen = _night_with(9, NIGHT, tmp_path)
    client = client_for(reviewer)
    for d in chosen[:3]:
        propose(clerk, d)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("enrollment:proposal_list")).content.decode().count("Change #") == 3
    for d in chosen[3:]:
        propose(clerk, d)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("enrollment:proposal_list")).content.decode().count("Change #") == 18
