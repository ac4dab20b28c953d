"""Resolving discrepancies from the pages: the bulk form (each kind, failures, a row someone else
closed), a discrepancy's own buttons (a stale page is refused), and what each resolution does to
the register and the ledger.

The discrepancies come from the real engine run on a small planted extract; the fixtures and
helpers at the top are shared with test_reconciliation_pages and test_reconciliation_report.
"""

import re
from datetime import date

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from core.errors import ConcurrentEdit
from core.models import AuditEntry
from core.system import system_user
from enrollment.models import Discrepancy, Person, RegisterChangeItem, RegisterChangeProposal, StatusChange
from enrollment.reconciliation.engine import reconcile_file
from enrollment.services.reconciliation import (
    confirm_proposal,
    keep_our_value,
    propose_take_agency,
    source_key,
)
from supervision.models import Problem
from tests.factories import PersonFactory

from .extracts import number, person_values, row, write

pytestmark = pytest.mark.django_db

NIGHT = date(2026, 11, 20)
SAME = number("32010219800101001")  # the same on both sides
STATUS = number("32010219850615002")  # the agency has it suspended since 2026-09-01: two FIELD_MISMATCH
NAME = number("32010219860203003")  # the agency writes the name differently
GONE = number("32010219900101003")  # ours only: MISSING_AGENCY
NEW = number("32010219950505004")  # theirs only: MISSING_LOCAL
BROKEN = SAME[:-1] + ("0" if SAME[-1] != "0" else "1")  # a wrong check character: INVALID_ROW
Kind, Resolution = Discrepancy.Kind, Discrepancy.Resolution


def planted_rows() -> list[str]:
    return [
        row(SAME),
        row(STATUS, name="钱七", status="SUSPENDED", status_date="2026-09-01"),
        row(NAME, name="李四"),
        row(NEW, name="赵六", status_date="2025-03-01"),
        row(BROKEN, name="王五"),
    ]


@pytest.fixture(name="register")
def register_fixture():
    for id_number, name in ((SAME, "张三"), (STATUS, "钱七"), (NAME, "李思"), (GONE, "孙八")):
        PersonFactory(**person_values(id_number, name))


@pytest.fixture(name="night")
def night_fixture(register, tmp_path):
    """One night's run on the planted file: {short name: the open discrepancy}."""
    reconcile_file(write(tmp_path / "enrollment-20261120.csv", planted_rows()), run_date=NIGHT, actor=system_user())
    found = {(d.kind, d.id_number, d.field): d for d in Discrepancy.objects.all()}
    return {
        "status": found[(Kind.FIELD_MISMATCH, STATUS, "status")],
        "status_date": found[(Kind.FIELD_MISMATCH, STATUS, "status_date")],
        "name": found[(Kind.FIELD_MISMATCH, NAME, "name")],
        "missing_agency": found[(Kind.MISSING_AGENCY, GONE, "")],
        "missing_local": found[(Kind.MISSING_LOCAL, NEW, "")],
        "invalid": found[(Kind.INVALID_ROW, BROKEN, "")],
    }


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def bulk(client, discrepancies, action: str, note: str = ""):
    return client.post(reverse("enrollment:discrepancy_bulk"), {
        "ids": [d.pk for d in discrepancies], "action": action, "note": note,
        "next": reverse("enrollment:discrepancy_list") + "?state=open",
    })


def resolve(client, d: Discrepancy, action: str, version: int | None = None, note: str = ""):
    return client.post(reverse("enrollment:discrepancy_resolve", args=[d.pk]), {
        "action": action, "version": d.version if version is None else version, "note": note})


def fresh(d: Discrepancy) -> Discrepancy:
    return Discrepancy.objects.get(pk=d.pk)


def take_agency(proposer, confirmer, *discrepancies, note: str = ""):
    """Take the agency's value the only way there is: proposed by one person, confirmed by another."""
    outcome = propose_take_agency(actor=proposer, chosen={d.pk: d.version for d in discrepancies}, note=note)
    assert outcome.failed == []
    return confirm_proposal(actor=confirmer, proposal=outcome.proposal)


def propose_from_preview(client, response):
    """Send the preview's form back as shown (the ids with the versions the preview was made from)."""
    page = response.content.decode()
    ids = re.findall(r'<input type="hidden" name="ids" value="([0-9]+:[0-9]+)">', page)
    note = re.search(r'<textarea name="note" id="propose-note"[^>]*>([^<]*)</textarea>', page)
    return client.post(reverse("enrollment:proposal_create"), {"ids": ids, "note": note[1] if note else ""})


def confirm(client, proposal):
    """Confirm from the proposal's page: the question first, then the answer."""
    url = reverse("enrollment:proposal_confirm", args=[proposal.pk])
    question = client.post(url, {"version": proposal.version})
    assert question.status_code == 200 and 'name="confirmed" value="1"' in question.content.decode()
    return client.post(url, {"version": proposal.version, "confirmed": "1"})


# --- the bulk form ---------------------------------------------------------------------------------

def test_taking_the_agencys_status_is_previewed_proposed_and_applied_when_a_reviewer_confirms(
        night, clerk, reviewer, client_for):
    person = Person.objects.get(id_number=STATUS)
    before = list(person.status_changes.values_list("status", "status_date"))
    clerk_client = english(client_for(clerk))
    preview = bulk(clerk_client, [night["status"]], Resolution.TAKE_AGENCY, note="agency confirmed")
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "钱七" in page and "Suspended" in page and "Active" in page and "(SUSPENDED)" not in page
    assert "2026-09-01" in page and "2020-01-01" in page  # the status and its date, before and after
    assert person.status_changes.count() == len(before) and not RegisterChangeProposal.objects.exists()

    response = propose_from_preview(clerk_client, preview)
    proposal = RegisterChangeProposal.objects.get()
    assert response.status_code == 302 and response.url == reverse("enrollment:proposal_detail", args=[proposal.pk])
    assert (proposal.status, proposal.proposed_by, proposal.note, proposal.persons) == (
        "PROPOSED", clerk, "agency confirmed", 1)
    assert sorted(proposal.items.values_list("discrepancy_id", flat=True)) == sorted(
        [night["status"].pk, night["status_date"].pk])  # the date comes along with its status
    person.refresh_from_db()
    assert person.status == "ACTIVE" and fresh(night["status"]).closed_on is None  # nothing applied yet

    response = confirm(english(client_for(reviewer)), proposal)
    assert messages_of(response) == [f"Register change #{proposal.pk} was confirmed and applied."]
    person.refresh_from_db()
    assert (person.status, person.status_date) == ("SUSPENDED", date(2026, 9, 1))
    history = list(person.status_changes.order_by("status_date").values_list("status", "status_date", "source"))
    assert history == [*[(s, d, StatusChange.Source.LOAD) for s, d in before],
                       ("SUSPENDED", date(2026, 9, 1), StatusChange.Source.RECONCILIATION)]
    for key in ("status", "status_date"):  # taken together: the status and its date
        d = fresh(night[key])
        assert d.closed_on is not None and d.close_reason == Discrepancy.CloseReason.RESOLVED
        assert d.resolution == Resolution.TAKE_AGENCY and d.resolved_by == reviewer
    assert AuditEntry.objects.filter(action="enrollment.person.changed", object_id=str(person.pk)).count() == 1
    assert AuditEntry.objects.filter(action="enrollment.discrepancy.agency_value_taken").count() == 2


def test_a_person_missing_here_is_added_only_when_another_person_confirms(night, clerk, reviewer, client_for):
    clerk_client = english(client_for(clerk))
    preview = bulk(clerk_client, [night["missing_local"]], Resolution.TAKE_AGENCY)
    assert "added to the register" in preview.content.decode() and "赵六" in preview.content.decode()
    propose_from_preview(clerk_client, preview)
    assert not Person.objects.filter(id_number=NEW).exists()
    proposal = RegisterChangeProposal.objects.get()
    assert proposal.creations == 1
    confirm(english(client_for(reviewer)), proposal)
    person = Person.objects.get(id_number=NEW)
    assert (person.name, person.status, person.status_date) == ("赵六", "ACTIVE", date(2025, 3, 1))
    assert person.status_changes.get().source == StatusChange.Source.RECONCILIATION
    assert person.status_changes.get().reference == f"proposal:{proposal.pk}"
    assert fresh(night["missing_local"]).closed_on is not None
    registered = AuditEntry.objects.get(action="enrollment.person.registered", object_id=str(person.pk))
    assert registered.actor_id == reviewer.pk


def test_a_bulk_take_previews_each_discrepancy_it_cannot_take_and_proposes_the_rest(night, clerk, client_for):
    gone, invalid, name = night["missing_agency"], night["invalid"], night["name"]
    client = english(client_for(clerk))
    preview = bulk(client, [gone, name, invalid], Resolution.TAKE_AGENCY)
    page = preview.content.decode()
    reason = "There is no agency value to take for a discrepancy of this kind; keep ours or escalate it."
    assert "2 cannot be proposed:" in page
    assert f"Discrepancy #{gone.pk} (Missing at the agency {GONE[:4]}**********{GONE[-4:]}): {reason}" in page
    assert f"Discrepancy #{invalid.pk} (Invalid row " in page
    assert page.count('name="ids"') == 1 and f'value="{name.pk}:{name.version}"' in page
    propose_from_preview(client, preview)
    assert list(RegisterChangeItem.objects.values_list("discrepancy_id", flat=True)) == [name.pk]
    assert Person.objects.get(id_number=NAME).name == "李思"
    for d in (gone, invalid):
        after = fresh(d)
        assert (after.resolution, after.closed_on, after.version) == ("", None, d.version)
    assert not AuditEntry.objects.filter(object_type="enrollment.discrepancy", object_id=str(gone.pk)).exists()


def test_keeping_ours_leaves_each_kind_open_to_be_reported_back(night, senior, client_for):
    chosen = [night["missing_agency"], night["invalid"], night["name"], night["missing_local"]]
    response = bulk(english(client_for(senior)), chosen, Resolution.KEEP_OURS, note="ours is right")
    assert messages_of(response) == ["Keep ours and report back: 4 discrepancies done."]
    for d in chosen:
        after = fresh(d)
        assert (after.resolution, after.closed_on, after.resolution_note) == (Resolution.KEEP_OURS, None,
                                                                               "ours is right")
        assert after.version == d.version + 1
    assert Person.objects.get(id_number=NAME).name == "李思"
    assert not Person.objects.filter(id_number=NEW).exists()


def test_escalating_raises_exactly_one_ledger_problem_even_when_done_twice(night, supervisor, client_for):
    client = english(client_for(supervisor))
    d = night["missing_agency"]
    assert messages_of(bulk(client, [d], Resolution.ESCALATED)) == [
        "Escalate to the problem ledger: 1 discrepancy done."]
    bulk(client, [d], Resolution.ESCALATED)
    problem = Problem.objects.get(source_key=source_key(d.pk))
    assert Problem.objects.count() == 1
    assert problem.times_reported == 2
    after = fresh(d)
    assert (after.resolution, after.problem_id, after.closed_on) == (Resolution.ESCALATED, problem.pk, None)
    page = client.get(reverse("enrollment:discrepancy_detail", args=[d.pk])).content.decode()
    assert reverse("supervision:problem_detail", args=[problem.pk]) in page


def test_a_discrepancy_someone_else_closed_meanwhile_is_reported_not_redone(night, clerk, clerk2, reviewer,
                                                                            client_for):
    take_agency(clerk2, reviewer, night["name"])
    response = bulk(english(client_for(clerk)), [night["name"], night["invalid"]], Resolution.KEEP_OURS)
    assert messages_of(response) == [
        "Keep ours and report back: 1 discrepancy done.", "1 could not be done:",
        f"Discrepancy #{night['name'].pk} (Field differs {NAME[:4]}**********{NAME[-4:]} Name): "
        "This discrepancy is “Closed”: it can no longer change.",
    ]
    assert fresh(night["name"]).resolved_by == reviewer


def test_the_bulk_form_refuses_nothing_ticked_and_unknown_actions(night, clerk, client_for):
    assert messages_of(bulk(english(client_for(clerk)), [], Resolution.KEEP_OURS)) == [
        "Tick at least one discrepancy."]
    response = english(client_for(clerk)).post(reverse("enrollment:discrepancy_bulk"), {"ids": [night["name"].pk], "action": "DELETE"})
    assert response.status_code == 302 and len(messages_of(response)) == 1
    assert fresh(night["name"]).version == night["name"].version


def test_an_unknown_id_in_the_bulk_form_is_reported_as_not_found(night, clerk, client_for):
    response = english(client_for(clerk)).post(reverse("enrollment:discrepancy_bulk"), {
        "ids": [night["name"].pk, 999999], "action": Resolution.KEEP_OURS})
    assert messages_of(response)[-1] == "Discrepancy #999999: Not found."


# --- a discrepancy's own buttons -------------------------------------------------------------------------

def test_a_stale_page_is_refused_with_the_concurrent_edit_message(night, clerk, clerk2, client_for):
    d = night["name"]
    shown = d.version  # the version the clerk's page carries
    keep_our_value(actor=clerk2, discrepancy=d, note="checked by phone")
    response = resolve(english(client_for(clerk)), d, Resolution.KEEP_OURS, version=shown)
    assert response.status_code == 302
    assert messages_of(response) == [str(ConcurrentEdit.default_message)]
    preview = resolve(english(client_for(clerk)), d, Resolution.TAKE_AGENCY, version=shown)
    page = preview.content.decode()
    assert str(ConcurrentEdit.default_message) in page and 'name="ids"' not in page  # nothing to propose
    after = fresh(d)
    assert (after.resolution, after.resolved_by, after.closed_on) == (Resolution.KEEP_OURS, clerk2, None)
    assert Person.objects.get(id_number=NAME).name == "李思"


def test_a_preview_from_a_page_shown_before_the_nights_run_is_refused_as_stale(night, clerk, client_for, tmp_path):
    d = night["name"]
    shown = d.version  # the clerk's page, shown before the night: the agency wrote 李四
    rows = [r for r in planted_rows() if not r.startswith(NAME)] + [row(NAME, name="李五")]
    reconcile_file(write(tmp_path / "enrollment-20261121.csv", rows), run_date=date(2026, 11, 21),
                   actor=system_user())
    assert fresh(d).agency_value == "李五" and fresh(d).version == shown + 1
    preview = resolve(english(client_for(clerk)), d, Resolution.TAKE_AGENCY, version=shown)
    assert str(ConcurrentEdit.default_message) in preview.content.decode()
    assert not RegisterChangeProposal.objects.exists()
    assert Person.objects.get(id_number=NAME).name == "李思"  # neither 李四 (what the page showed) nor 李五
    assert fresh(d).status == Discrepancy.Status.OPEN
    with pytest.raises(ConcurrentEdit):
        keep_our_value(actor=clerk, discrepancy=d, expected_version=shown)


def test_a_proposal_confirmed_after_the_night_changed_the_discrepancy_is_refused_as_stale(
        night, clerk, reviewer, client_for, tmp_path):
    d = night["name"]
    client = english(client_for(clerk))
    propose_from_preview(client, resolve(client, d, Resolution.TAKE_AGENCY))
    proposal = RegisterChangeProposal.objects.get()
    rows = [r for r in planted_rows() if not r.startswith(NAME)] + [row(NAME, name="李五")]
    reconcile_file(write(tmp_path / "enrollment-20261121.csv", rows), run_date=date(2026, 11, 21),
                   actor=system_user())  # the agency now writes 李五: the proposal said 李四
    listed = english(client_for(reviewer)).get(reverse("enrollment:proposal_list")).content.decode()
    assert "changed since: will be refused" in listed
    response = confirm(english(client_for(reviewer)), proposal)
    assert messages_of(response)[0].startswith("What this proposal was made from changed since")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.stale, proposal.decided_by) == ("REFUSED", True, reviewer)
    assert Person.objects.get(id_number=NAME).name == "李思"
    assert fresh(d).status == Discrepancy.Status.OPEN and fresh(d).agency_value == "李五"


def test_a_page_shown_before_a_night_that_changed_nothing_is_still_current(night, clerk, reviewer, client_for,
                                                                           tmp_path):
    d = night["name"]
    shown = d.version
    reconcile_file(write(tmp_path / "enrollment-20261121.csv", planted_rows()), run_date=date(2026, 11, 21),
                   actor=system_user())
    assert fresh(d).nights_seen == 2
    client = english(client_for(clerk))
    response = propose_from_preview(client, resolve(client, d, Resolution.TAKE_AGENCY, version=shown))
    assert response.status_code == 302
    confirm(english(client_for(reviewer)), RegisterChangeProposal.objects.get())
    assert Person.objects.get(id_number=NAME).name == "李四"


def test_the_current_page_proposes_the_agencys_value_and_the_next_night_finds_nothing_there(
        night, clerk, senior, client_for, tmp_path):
    client = english(client_for(clerk))
    preview = resolve(client, night["name"], Resolution.TAKE_AGENCY, note="as the agency has")
    assert "李思" in preview.content.decode() and "李四" in preview.content.decode()
    propose_from_preview(client, preview)
    assert RegisterChangeProposal.objects.get().note == "as the agency has"
    confirm(english(client_for(senior)), RegisterChangeProposal.objects.get())
    assert Person.objects.get(id_number=NAME).name == "李四"
    reconcile_file(write(tmp_path / "enrollment-20261121.csv", planted_rows()), run_date=date(2026, 11, 21), actor=system_user())
    assert not Discrepancy.objects.filter(id_number=NAME, closed_on__isnull=True).exists()


def test_taking_a_missing_persons_value_from_its_page_fails_with_the_reason(night, clerk, client_for):
    d = night["missing_agency"]
    preview = resolve(english(client_for(clerk)), d, Resolution.TAKE_AGENCY)
    assert "There is no agency value to take for a discrepancy of this kind; keep ours or escalate it." in \
        preview.content.decode()
    assert 'name="ids"' not in preview.content.decode()
    assert fresh(d).version == d.version and not RegisterChangeProposal.objects.exists()


def test_the_page_shows_only_the_actions_the_role_may_take(night, clerk, supervisor, client_for):
    def buttons(user, d):
        page = english(client_for(user)).get(reverse("enrollment:discrepancy_detail", args=[d.pk])).content.decode()
        return {value for value in Resolution.values if value and f'value="{value}"' in page}

    assert buttons(clerk, night["name"]) == {"TAKE_AGENCY", "KEEP_OURS", "ESCALATED"}
    assert buttons(clerk, night["missing_agency"]) == {"KEEP_OURS", "ESCALATED"}  # nothing to take
    assert buttons(supervisor, night["name"]) == {"ESCALATED"}
    keep_our_value(actor=clerk, discrepancy=night["invalid"])
    assert buttons(clerk, night["invalid"]) == {"ESCALATED"}
