"""Every page a clerk sees reads as plain Chinese (issue 14, item 4).

The demo's office (seed_demo: a case in each state with its letters, two reconciled nights), worked a
little further: discrepancies of every kind resolved each way, escalated and worked in the ledger, a
rejected, a failed and an interrupted run, a staff list with errors, a changed and a viewed person,
an admin edit and an action nobody declared. Each page is rendered in zh-hans and its visible text
(tests/plain_text.py) must hold no enum code, action code, JSON brace, hash, server path, engine
step or snake_case identifier.
"""

import io
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.audit import record
from core.models import AuditEntry, LetterRecord
from core.system import system_user
from enrollment.models import Application, Discrepancy, Employer, Person, ReconciliationRun, StatusChange
from enrollment.reconciliation.engine import reconcile_file
from enrollment.reconciliation.extract import ExtractRejected
from enrollment.services import reconciliation as recon
from enrollment.services.people import reveal_id_number
from enrollment.services.register import register_employer, update_person
from enrollment.services.roster import upload_roster
from supervision import services as ledger
from supervision.models import Problem
from tests.plain_text import leaks, project_enum_codes, visible_text

Kind = Discrepancy.Kind


def _users() -> dict:
    return {u.username: u for u in get_user_model().objects.filter(
        username__in=["clerk", "clerk2", "reviewer", "senior", "supervisor", "admin"])}


def _resolve_discrepancies(users) -> None:
    open_ones = {kind: list(Discrepancy.objects.filter(kind=kind, closed_on__isnull=True).order_by("pk"))
                 for kind in Kind.values}
    assert all(open_ones.values()), "the demo nights plant a discrepancy of every kind"
    clerk, senior = users["clerk"], users["senior"]
    taken = [open_ones[Kind.MISSING_LOCAL][0], open_ones[Kind.FIELD_MISMATCH][0]]
    proposed = recon.propose_take_agency(actor=clerk, chosen={d.pk: d.version for d in taken}, note="经办机构数据为准")
    recon.confirm_proposal(actor=senior, proposal=proposed.proposal)  # the second person
    recon.keep_our_value(actor=clerk, discrepancy=open_ones[Kind.MISSING_AGENCY][0], note="本系统记录正确")
    recon.escalate_discrepancy(actor=clerk, discrepancy=open_ones[Kind.INVALID_ROW][0], note="请稽查核实")
    recon.escalate_discrepancy(actor=clerk, discrepancy=open_ones[Kind.FIELD_MISMATCH][1])
    later = timezone.localdate() + timedelta(days=30)
    recon.escalate_aged(actor=system_user(), on=later)  # the ones left open too long: one problem each


def _work_the_ledger(users) -> None:
    supervisor, clerk = users["supervisor"], users["clerk"]
    problems = list(Problem.objects.order_by("pk")[:3])
    first, second, third = problems
    deadline = timezone.localdate() + timedelta(days=10)
    ledger.assign_problem(actor=supervisor, problem=first, assignee=clerk, responsible_unit="参保登记科",
                          deadline=deadline, note="请十日内整改")
    ledger.set_problem_deadline(actor=supervisor, problem=first, deadline=deadline + timedelta(days=5))
    ledger.record_rectification(actor=supervisor, problem=first, rectification="已与经办机构核对并更正。")
    ledger.close_problem(actor=supervisor, problem=first, note="核实无误")
    ledger.reopen_problem(actor=supervisor, problem=first, note="复查发现仍有差异")
    ledger.assign_problem(actor=supervisor, problem=second, responsible_unit="稽核科", deadline=deadline)
    ledger.close_problem(actor=supervisor, problem=third, note="无需整改")


def _runs(tmp_path, monkeypatch) -> None:
    """A rejected file, a run that failed on an error naming a server path, one killed mid-run. They are
    older than the demo's nights, as tries kept from before those nights (an older date is refused now)."""
    import enrollment.reconciliation.engine as engine

    today = timezone.localdate()
    bad = tmp_path / "enrollment-bad.csv"
    bad.write_text("id_number,name\n", encoding="utf-8")
    with monkeypatch.context() as m:
        m.setattr(engine, "latest_reconciled_date", lambda: None)
        with pytest.raises(ExtractRejected):
            reconcile_file(bad, run_date=today - timedelta(days=5), actor=system_user())
        with pytest.raises(ExtractRejected):
            reconcile_file(tmp_path / "missing.csv", run_date=today - timedelta(days=6), actor=system_user())
    ReconciliationRun.objects.create(
        run_date=today - timedelta(days=7), status=ReconciliationRun.Status.FAILED, attempts=1,
        file_name="enrollment-x.csv", started_at=timezone.now(), finished_at=timezone.now(),
        error="OperationalError: could not open file \"/tmp/pg/base/16384\": No such file or directory",
        timings={"ingest": 0.1, "match": 0.2, "mystery_step": 0.1})
    ReconciliationRun.objects.create(run_date=today - timedelta(days=8), status=ReconciliationRun.Status.RUNNING,
                                     attempts=1, file_name="enrollment-y.csv", started_at=timezone.now())


def _register_and_admin(users) -> None:
    clerk, admin = users["clerk"], users["admin"]
    person = Person.objects.filter(status="ACTIVE").order_by("pk").first()
    update_person(actor=clerk, person=person, changes={"status": "TERMINATED", "status_date": date(2026, 10, 1)},
                  source=StatusChange.Source.MANUAL, reference="更正")
    reveal_id_number(actor=admin, person=person)
    employer = register_employer(actor=clerk, uscc="91110000MA01ABCD3U", name="示范市泰和东方贸易有限公司")
    with transaction.atomic():  # an edit in the admin, and an action no app declares
        record(admin, "enrollment.employer.changed_in_admin", employer, {"name": "旧名称", "schemes": ["BASIC"]},
               {"name": employer.name, "schemes": ["BASIC", "MATERNITY"]})
        record(clerk, "enrollment.person.merged_by_hand", person, {"phone": "13800000000", "status": "ACTIVE"},
               {"phone": "13900000000", "status": "SUSPENDED", "extra": {"k": "v"}})


def _roster_with_errors(users) -> None:
    draft = Application.objects.filter(kind=Application.Kind.ADD_PERSONS, status=Application.Status.DRAFT).first()
    text = "身份证号,姓名,手机号\n123456,张三,138001\n110105194912310021,,13800138000\n"
    upload_roster(actor=users["clerk"], application=draft,
                  file=SimpleUploadedFile("花名册-有误.csv", text.encode("utf-8"), content_type="text/csv"))


@pytest.fixture
def office(db, tmp_path, monkeypatch):
    call_command("seed_demo", persons=200, stdout=io.StringIO())
    users = _users()
    _resolve_discrepancies(users)
    _work_the_ledger(users)
    _runs(tmp_path, monkeypatch)
    _register_and_admin(users)
    _roster_with_errors(users)
    return users


def _pages() -> list[tuple[str, str]]:
    """(who, url) of every page a clerk works with, over all the office's data."""
    r = reverse
    today = timezone.localdate()
    pages = [("clerk", r("home")), ("clerk", r("enrollment:application_list")),
             ("clerk", r("enrollment:application_list") + "?queue=all"),
             ("clerk", r("enrollment:application_list") + "?queue=all&q=示范"),
             ("clerk", r("enrollment:application_create")),
             ("clerk", r("enrollment:person_search") + "?q=王"), ("clerk", r("enrollment:person_search") + "?q=w"),
             ("clerk", r("enrollment:employer_list")), ("clerk", r("enrollment:employer_list") + "?q=示范"),
             ("clerk", r("enrollment:run_list")), ("reviewer", r("enrollment:run_list")),
             ("clerk", r("enrollment:run_progress") + f"?date={today.isoformat()}&after=0"),
             ("supervisor", r("supervision:problem_list")),
             ("supervisor", r("supervision:problem_list") + "?status=CLOSED&overdue=true")]
    pages += [("clerk", r("enrollment:application_create") + f"?kind={k}") for k in Application.Kind.values]
    pages += [("clerk", r("enrollment:discrepancy_list") + f"?state={s}")
              for s in ("open", "kept", "escalated", "closed")]
    pages += [("clerk", r("enrollment:discrepancy_list") + f"?kind={k}") for k in Kind.values]
    for who in ("clerk", "reviewer"):
        pages += [(who, r("enrollment:application_detail", args=[pk]))
                  for pk in Application.objects.values_list("pk", flat=True)]
    pages += [("clerk", r("enrollment:discrepancy_detail", args=[pk]))
              for pk in Discrepancy.objects.values_list("pk", flat=True)]
    pages += [("clerk", r("enrollment:run_detail", args=[pk]))
              for pk in ReconciliationRun.objects.values_list("pk", flat=True)]
    ids = set(Discrepancy.objects.values_list("id_number", flat=True))
    persons = set(Person.objects.filter(id_number__in=ids).values_list("pk", flat=True))
    persons |= set(Application.objects.exclude(person=None).values_list("person", flat=True))
    persons |= {int(pk) for pk in AuditEntry.objects.filter(object_type="enrollment.person")
                .values_list("object_id", flat=True).order_by("object_id").distinct()[:20]}
    pages += [("clerk", r("enrollment:person_detail", args=[int(pk)])) for pk in persons]
    pages += [("clerk", r("enrollment:employer_detail", args=[pk]))
              for pk in Employer.objects.filter(applications__isnull=False).values_list("pk", flat=True).distinct()]
    pages += [("clerk", r("enrollment:employer_detail", args=[Employer.objects.get(uscc="91110000MA01ABCD3U").pk]))]
    pages += [("supervisor", r("supervision:problem_detail", args=[pk]))
              for pk in Problem.objects.values_list("pk", flat=True)]
    return pages


def test_every_clerk_page_reads_as_plain_chinese(office):
    enum_codes = project_enum_codes()
    action_codes = set(AuditEntry.objects.values_list("action", flat=True).distinct())
    assert {"enrollment.discrepancy.gone", "supervision.problem.reopened", "enrollment.person.merged_by_hand",
            "enrollment.application.notice_issued"} <= action_codes
    clients = {}
    found, rendered = {}, 0
    for who, url in _pages():
        if who not in clients:
            clients[who] = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            clients[who].force_login(office[who])
        response = clients[who].get(url)
        assert response.status_code == 200, (who, url, response.status_code)
        assert response["Content-Language"] == "zh-hans"
        rendered += 1
        problems = leaks(visible_text(response.content.decode()), enum_codes=enum_codes, action_codes=action_codes)
        if problems:
            found[f"{who} {url}"] = problems
    assert rendered > 80
    assert found == {}, "codes on the pages:\n" + "\n".join(f"{page}: {what}" for page, what in found.items())


def test_the_timelines_name_staff_and_say_what_happened(office):
    """Spot checks that the sentences carry the facts: who, the letter's number, the fields by name."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(office["clerk"])

    def text(url) -> str:
        return visible_text(client.get(url).content.decode())

    incomplete = Application.objects.filter(status=Application.Status.INCOMPLETE).first()
    number = LetterRecord.objects.get(object_type="enrollment.application", object_id=str(incomplete.pk)).number
    page = text(reverse("enrollment:application_detail", args=[incomplete.pk]))
    assert any(number in line and incomplete.created_by.first_name in line for line in page.splitlines())
    merged = AuditEntry.objects.get(action="enrollment.person.merged_by_hand")
    page = text(reverse("enrollment:person_detail", args=[int(merged.object_id)]))
    assert any("王芳" in line and "电话" in line for line in page.splitlines())  # by the fields' labels
    run = ReconciliationRun.objects.get(status=ReconciliationRun.Status.FAILED)
    page = text(reverse("enrollment:run_detail", args=[run.pk]))
    assert "OperationalError" not in page and "16384" not in page
