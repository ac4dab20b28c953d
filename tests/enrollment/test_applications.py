"""Registration applications: intake, every transition allowed and refused, segregation of duties,
time limits, concurrent edits, registration of each kind, overdue cases in the ledger.

The helpers at the top are shared with the other test_application*/test_roster* modules.
"""

import importlib
import io
import random
from datetime import date

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from core.audit import verify_chain
from core.errors import ConcurrentEdit, Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from core.models import AuditEntry, CalendarDay, LetterRecord
from core.roles import Role
from core.system import system_user
from core.workdays import add_working_days
from enrollment import demo, materials
from enrollment.identity import with_id_check_character
from enrollment.kinds import spec_for
from enrollment.models import Application, Employer, Material, Person, PersonStatus, StatusChange
from enrollment.services import applications as svc
from enrollment.services.roster import upload_roster
from tests.factories import PersonFactory

Status, Kind = Application.Status, Application.Kind
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


# -- shared helpers ----------------------------------------------------------------------------


def new_id_numbers(n: int, birth: date = date(1990, 3, 1)) -> list[str]:
    """n valid identity numbers of nobody in the register."""
    out: list[str] = []
    seq = 0
    while len(out) < n:
        number = with_id_check_character(f"320106{birth:%Y%m%d}{seq:03d}")
        seq += 1
        if not Person.objects.filter(id_number=number).exists():
            out.append(number)
    return out


def roster_bytes(rows, header=("身份证号", "姓名", "手机号"), encoding="utf-8") -> bytes:
    text = io.StringIO()
    text.write(",".join(header) + "\n")
    for row in rows:
        text.write(",".join(row) + "\n")
    return text.getvalue().encode(encoding)


def roster_file(rows, name="花名册.csv", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, roster_bytes(rows, **kwargs), content_type="text/csv")


def good_roster(n: int = 3) -> SimpleUploadedFile:
    return roster_file([(number, f"员工{'甲乙丙丁戊己庚辛壬癸'[i % 10]}", "13800138000") for i, number in
                        enumerate(new_id_numbers(n))])


def add_persons(clerk, employer, provided=None, **extra) -> Application:
    return svc.create_application(
        actor=clerk, kind=Kind.ADD_PERSONS, applicant_name="张经办", employer_code=employer.uscc,
        effective_date=date(2026, 12, 1), provided=list(spec_for(Kind.ADD_PERSONS).checklist)
        if provided is None else provided, **extra)


def take_to(app: Application, target: str, *, clerk, reviewer, roster=True) -> Application:
    """Drive an application through the services to `target` (the shortest path)."""
    if app.kind == Kind.ADD_PERSONS and roster and target != Status.DRAFT:
        upload_roster(actor=clerk, application=app, file=good_roster())
    if target == Status.DRAFT:
        return app
    svc.submit_application(actor=clerk, application=app)
    if target == Status.SUBMITTED:
        return app
    if target in (Status.INCOMPLETE, Status.RESUBMITTED):
        code = app.materials.first().code
        svc.tick_materials(actor=clerk, application=app, states={code: ("MISSING", "")})
        svc.issue_notice(actor=clerk, application=app)
        if target == Status.INCOMPLETE:
            return app
        svc.tick_materials(actor=clerk, application=app, states={code: ("PROVIDED", "")})
        svc.resubmit_application(actor=clerk, application=app)
        return app
    svc.start_review(actor=reviewer, application=app)
    if target == Status.UNDER_REVIEW:
        return app
    if target == Status.REJECTED:
        svc.reject_application(actor=reviewer, application=app, reasons=["not_eligible"])
        return app
    if target == Status.APPROVED:
        return approved_before_one_step(app, reviewer)
    svc.approve_application(actor=reviewer, application=app)  # approves and registers, one step
    return app


def approved_before_one_step(app: Application, reviewer) -> Application:
    """A case left APPROVED and not registered, as approval left them before it registered them too
    (a database carried over may hold some): set as such, since no service leaves a case there now."""
    Application.objects.filter(pk=app.pk).update(status=Status.APPROVED, decided_by=reviewer,
                                                 decided_at=timezone.now(), version=F("version") + 1)
    app.refresh_from_db()
    return app




@pytest.fixture
def staff(employer):
    return [PersonFactory(insurance_type="EMP", employer_code=employer.uscc) for _ in range(3)]


def actions_of(app) -> list[str]:
    return list(AuditEntry.objects.filter(object_type="enrollment.application", object_id=str(app.pk))
                .order_by("seq").values_list("action", flat=True))


# -- intake --------------------------------------------------------------------------------------

def test_intake_creates_a_draft_with_the_kinds_checklist_and_an_audit_entry(clerk, employer):
    app = add_persons(clerk, employer, provided=["staff_roster", "id_copies"])
    assert app.status == Status.DRAFT and app.number.startswith("ENR-")
    assert dict(app.materials.values_list("code", "state")) == {
        "staff_roster": "PROVIDED", "id_copies": "PROVIDED", "labour_contracts": "MISSING"}
    assert actions_of(app) == ["enrollment.application.created"]
    assert app.due_date is None


def test_intake_reports_every_problem_at_once(clerk):
    with pytest.raises(ValidationFailed) as exc:
        svc.create_application(actor=clerk, kind=Kind.ADD_PERSONS, applicant_name=" ",
                               employer_code="91320106ABCDEFGH12", effective_date=None)
    columns = {e["column"] for e in exc.value.errors}
    assert columns == {"applicant_name", "employer_code", "effective_date"}
    assert Application.objects.count() == 0


@pytest.mark.parametrize("persona", ["reviewer", "supervisor", "provider_user", "auditor"])
def test_only_clerks_take_in_applications(persona, request, employer):
    with pytest.raises(PermissionDenied):
        add_persons(request.getfixturevalue(persona), employer)
    assert Application.objects.count() == 0


def test_remove_persons_checks_each_listed_number(clerk, employer, staff):
    outsider = PersonFactory()
    with pytest.raises(ValidationFailed) as exc:
        svc.create_application(actor=clerk, kind=Kind.REMOVE_PERSONS, applicant_name="张经办",
                               employer_code=employer.uscc, effective_date=date(2026, 12, 31),
                               payload={"id_numbers": [staff[0].id_number, outsider.id_number, "110105194912310021",
                                                       staff[0].id_number]})
    by_line = {e["line"]: e["message"] for e in exc.value.errors}
    assert set(by_line) == {2, 3, 4}
    assert "not on this employer" in by_line[2]
    assert "check character" in by_line[3]
    assert "twice" in by_line[4]


def test_change_of_information_must_change_something(clerk, staff):
    with pytest.raises(ValidationFailed) as exc:
        svc.create_application(actor=clerk, kind=Kind.CHANGE_INFO, applicant_name=staff[0].name,
                               person_id_number=staff[0].id_number, payload={"changes": {"name": staff[0].name}})
    assert exc.value.errors[0]["column"] == "changes"


def test_transfer_in_of_someone_already_insured_here_is_refused(clerk, staff):
    with pytest.raises(ValidationFailed) as exc:
        svc.create_application(actor=clerk, kind=Kind.TRANSFER_IN, applicant_name="李四", effective_date=date(2026, 12, 1),
                               payload={"id_number": staff[0].id_number, "name": "李四", "from_region": "上海市"})
    assert [e["column"] for e in exc.value.errors] == ["id_number"]


def test_employer_registration_refuses_a_registered_code(clerk, employer):
    with pytest.raises(ValidationFailed) as exc:
        svc.create_application(actor=clerk, kind=Kind.EMPLOYER_REGISTRATION, applicant_name="王经理",
                               payload={"uscc": employer.uscc, "employer_name": "另一家公司"})
    assert [e["column"] for e in exc.value.errors] == ["uscc"]


# -- transitions ---------------------------------------------------------------------------------

EDGES = [(frm, to) for frm, moves in Application.TRANSITIONS.items() for to in moves]
SERVICE_FOR = {
    Status.SUBMITTED: lambda a, u: svc.submit_application(actor=u, application=a),
    Status.INCOMPLETE: lambda a, u: svc.issue_notice(actor=u, application=a),
    Status.RESUBMITTED: lambda a, u: svc.resubmit_application(actor=u, application=a),
    Status.UNDER_REVIEW: lambda a, u: svc.start_review(actor=u, application=a),
    Status.APPROVED: lambda a, u: svc.approve_application(actor=u, application=a),
    Status.REJECTED: lambda a, u: svc.reject_application(actor=u, application=a, reasons=["not_eligible"]),
    Status.REGISTERED: lambda a, u: svc.register_application(actor=u, application=a),
}
PERSONAS = {"clerk": "clerk2", "reviewer": "reviewer", "senior_reviewer": "senior", "supervisor": "supervisor",
            "provider": "provider_user", "settlement_auditor": "auditor"}


def _case_in(state, clerk, reviewer, employer, *, missing=False, complete=False):
    app = take_to(add_persons(clerk, employer), state, clerk=clerk, reviewer=reviewer)
    if missing:
        svc.tick_materials(actor=clerk, application=app, states={"id_copies": ("INVALID", "复印件模糊")})
    if complete:  # the applicant brought what the notice asked for
        svc.tick_materials(actor=clerk, application=app, states={m.code: ("PROVIDED", "") for m in app.materials.all()})
    app.refresh_from_db()
    return app


@pytest.mark.parametrize("frm,to", EDGES, ids=[f"{a}->{b}" for a, b in EDGES])
@pytest.mark.parametrize("role", list(PERSONAS))
def test_every_transition_is_allowed_to_its_roles_and_refused_to_the_others(frm, to, role, request, clerk, reviewer,
                                                                            employer):
    app = _case_in(frm, clerk, reviewer, employer, missing=to == Status.INCOMPLETE, complete=to == Status.RESUBMITTED)
    actor = request.getfixturevalue(PERSONAS[role])
    allowed = role in {str(r) for r in Application.TRANSITIONS[frm][to]}
    if allowed:
        SERVICE_FOR[to](app, actor)
        app.refresh_from_db()
        assert app.status == (Status.REGISTERED if to == Status.APPROVED else to)  # approval registers too
        assert actions_of(app)[-1].startswith("enrollment.application.")
    else:
        with pytest.raises(PermissionDenied):
            SERVICE_FOR[to](app, actor)
        app.refresh_from_db()
        assert app.status == frm


WRONG_STATE = [(frm, to) for frm in Status.values for to in SERVICE_FOR
               if to not in Application.TRANSITIONS.get(frm, {})]


@pytest.mark.parametrize("frm,to", WRONG_STATE, ids=[f"{a}->{b}" for a, b in WRONG_STATE])
def test_a_move_the_table_does_not_have_is_refused(frm, to, admin_user, clerk, reviewer, employer):
    app = _case_in(frm, clerk, reviewer, employer)
    versions = app.version
    with pytest.raises(InvalidTransition):
        SERVICE_FOR[to](app, admin_user)
    app.refresh_from_db()
    assert (app.status, app.version) == (frm, versions)


# -- segregation of duties -----------------------------------------------------------------------

@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_nobody_decides_an_application_they_entered(decide, make_user, reviewer, employer):
    both = make_user("dual_role", Role.CLERK, Role.REVIEWER)
    app = take_to(add_persons(both, employer), Status.UNDER_REVIEW, clerk=both, reviewer=reviewer)
    with pytest.raises(PermissionDenied) as exc:
        if decide == "approve":
            svc.approve_application(actor=both, application=app)
        else:
            svc.reject_application(actor=both, application=app, reasons=["not_eligible"])
    assert exc.value.code == "segregation_of_duties"
    assert "segregation of duties" in str(exc.value.message)
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW and app.decided_by is None
    assert not LetterRecord.objects.filter(kind__in=["enrollment.approval", "enrollment.rejection"]).exists()
    svc.approve_application(actor=reviewer, application=app)  # another reviewer may
    assert app.status == Status.REGISTERED


def test_an_administrator_is_bound_by_segregation_too(admin_user, reviewer, employer):
    app = take_to(add_persons(admin_user, employer), Status.UNDER_REVIEW, clerk=admin_user, reviewer=reviewer)
    with pytest.raises(PermissionDenied, match="segregation"):
        svc.approve_application(actor=admin_user, application=app)


# -- guards on the moves -------------------------------------------------------------------------

def test_the_notice_needs_every_item_checked_and_something_missing(clerk, reviewer, employer):
    app = svc.create_application(actor=clerk, kind=Kind.ADD_PERSONS, applicant_name="张经办",
                                 employer_code=employer.uscc, effective_date=date(2026, 12, 1))  # all unchecked
    assert set(app.materials.values_list("state", flat=True)) == {Material.State.PENDING}
    svc.submit_application(actor=clerk, application=app)
    with pytest.raises(ValidationFailed, match="not checked"):
        svc.issue_notice(actor=clerk, application=app)
    svc.tick_materials(actor=clerk, application=app, states={c: ("PROVIDED", "") for c in
                                                             spec_for(Kind.ADD_PERSONS).checklist})
    with pytest.raises(Conflict, match="Nothing is missing"):
        svc.issue_notice(actor=clerk, application=app)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_an_invalid_material_needs_a_note(clerk, employer):
    app = add_persons(clerk, employer)
    with pytest.raises(ValidationFailed) as exc:
        svc.tick_materials(actor=clerk, application=app, states={"id_copies": ("INVALID", " ")})
    assert exc.value.errors[0]["column"] == "id_copies"
    assert app.materials.get(code="id_copies").state == Material.State.PROVIDED


def test_review_needs_all_materials_and_a_valid_staff_list(clerk, reviewer, employer):
    app = add_persons(clerk, employer, provided=["staff_roster", "id_copies"])
    svc.submit_application(actor=clerk, application=app)
    with pytest.raises(ValidationFailed, match="not all in order"):
        svc.start_review(actor=reviewer, application=app)
    svc.tick_materials(actor=clerk, application=app, states={"labour_contracts": ("PROVIDED", "")})
    with pytest.raises(ValidationFailed, match="staff list"):
        svc.start_review(actor=reviewer, application=app)
    upload_roster(actor=clerk, application=app, file=good_roster())
    svc.start_review(actor=reviewer, application=app)
    assert app.status == Status.UNDER_REVIEW and app.reviewer == reviewer


def test_a_rejection_needs_a_known_reason_and_other_needs_words(clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    for reasons, note in ([], ""), (["made_up"], ""), (["other"], ""):
        with pytest.raises(ValidationFailed):
            svc.reject_application(actor=reviewer, application=app, reasons=reasons, note=note)
    svc.reject_application(actor=reviewer, application=app, reasons=["other"], note="单位已注销")
    app.refresh_from_db()
    assert app.decision_reasons == ["other"] and app.decision_note == "单位已注销"


# -- time limits ---------------------------------------------------------------------------------

@pytest.fixture
def official_calendar(db):
    """The calendar migration 0003 seeds; a transactional (browser) test earlier in the same worker
    flushes every table, migration data included, so seed it again then."""
    if not CalendarDay.objects.filter(date__year=2026).exists():
        importlib.import_module("core.migrations.0003_seed_calendar").seed(apps, None)


def test_due_date_counts_working_days_from_submission_and_restarts_at_resubmission(monkeypatch, clerk, employer,
                                                                                  official_calendar):
    intake = "enrollment.services.applications.intake.today"
    monkeypatch.setattr(intake, lambda: date(2026, 9, 28))  # before the National Day holiday
    app = add_persons(clerk, employer, provided=["staff_roster", "id_copies"])
    upload_roster(actor=clerk, application=app, file=good_roster())
    svc.submit_application(actor=clerk, application=app)
    assert app.due_date == add_working_days(date(2026, 9, 28), 5)
    assert app.due_date > date(2026, 10, 7)  # the National Day holiday does not count
    assert app.submitted_at is not None and not app.due_date_unconfirmed
    svc.issue_notice(actor=clerk, application=app)
    assert app.due_date is None  # the clock waits for the applicant
    assert app.notice_deadline == add_working_days(date(2026, 9, 28), materials.NOTICE_REPLY_DAYS)
    monkeypatch.setattr(intake, lambda: date(2026, 12, 28))
    svc.tick_materials(actor=clerk, application=app, states={"labour_contracts": ("PROVIDED", "")})
    svc.resubmit_application(actor=clerk, application=app)
    assert app.due_date == add_working_days(date(2026, 12, 28), 5)
    assert app.due_date.year == 2027 and app.due_date_unconfirmed  # 2027's holidays are not published yet


# -- concurrent edits ----------------------------------------------------------------------------

def test_a_stale_version_is_refused(clerk, clerk2, employer):
    app = add_persons(clerk, employer)
    seen = app.version
    svc.tick_materials(actor=clerk2, application=Application.objects.get(pk=app.pk),
                       states={"id_copies": ("MISSING", "")}, expected_version=seen)
    with pytest.raises(ConcurrentEdit):
        svc.tick_materials(actor=clerk, application=app, states={"id_copies": ("PROVIDED", "")}, expected_version=seen)
    with pytest.raises(ConcurrentEdit):
        svc.submit_application(actor=clerk, application=app, expected_version=seen)
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.materials.get(code="id_copies").state == "MISSING"


# -- registration --------------------------------------------------------------------------------

def test_registering_add_persons_puts_the_roster_in_the_register_with_history_and_audit(clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.APPROVED, clerk=clerk, reviewer=reviewer)
    numbers = list(app.roster_uploads.get(is_current=True).entries.values_list("id_number", flat=True))
    assert not Person.objects.filter(id_number__in=numbers).exists()  # nothing before registration
    svc.register_application(actor=clerk, application=app)
    persons = Person.objects.filter(id_number__in=numbers)
    assert persons.count() == 3
    assert set(persons.values_list("employer_code", "status", "status_date", "insurance_type")) == {
        (employer.uscc, "ACTIVE", date(2026, 12, 1), "EMP")}
    assert StatusChange.objects.filter(person__in=persons, reference=app.number).count() == 3
    assert AuditEntry.objects.filter(action="enrollment.person.registered",
                                     object_id__in=[str(p.pk) for p in persons]).count() == 3
    assert app.status == Status.REGISTERED and app.registered_at is not None
    assert verify_chain()[1] == []


def test_registration_is_all_or_nothing(clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.APPROVED, clerk=clerk, reviewer=reviewer)
    entries = list(app.roster_uploads.get(is_current=True).entries.all())
    PersonFactory(id_number=entries[1].id_number)  # registered elsewhere since the approval
    with pytest.raises(ValidationFailed) as exc:
        svc.register_application(actor=clerk, application=app)
    assert [e["row"] for e in exc.value.errors] == [entries[1].line_no]
    assert not Person.objects.filter(id_number__in=[entries[0].id_number, entries[2].id_number]).exists()
    app.refresh_from_db()
    assert app.status == Status.APPROVED


def test_removing_persons_ends_their_insurance_on_the_date(clerk, reviewer, employer, staff):
    app = svc.create_application(actor=clerk, kind=Kind.REMOVE_PERSONS, applicant_name="张经办",
                                 employer_code=employer.uscc, effective_date=date(2026, 12, 31),
                                 payload={"id_numbers": [staff[0].id_number, staff[1].id_number]},
                                 provided=list(spec_for(Kind.REMOVE_PERSONS).checklist))
    take_to(app, Status.REGISTERED, clerk=clerk, reviewer=reviewer)
    assert {p.status for p in Person.objects.filter(pk__in=[staff[0].pk, staff[1].pk])} == {"TERMINATED"}
    assert Person.objects.get(pk=staff[2].pk).status == "ACTIVE"
    assert StatusChange.objects.filter(person=staff[0], status="TERMINATED", status_date=date(2026, 12, 31),
                                       reference=app.number).exists()


def test_change_of_information_updates_the_person(clerk, reviewer, staff):
    app = svc.create_application(actor=clerk, kind=Kind.CHANGE_INFO, applicant_name=staff[0].name,
                                 person_id_number=staff[0].id_number,
                                 payload={"changes": {"name": "单雄信", "phone": "13900000000"}},
                                 provided=list(spec_for(Kind.CHANGE_INFO).checklist))
    take_to(app, Status.REGISTERED, clerk=clerk, reviewer=reviewer)
    person = Person.objects.get(pk=staff[0].pk)
    assert (person.name, person.phone, person.name_initials) == ("单雄信", "13900000000", "sxx")


def test_transfer_in_registers_the_person_and_transfer_out_ends_the_insurance(clerk, reviewer, employer, staff):
    number = new_id_numbers(1)[0]
    app_in = svc.create_application(
        actor=clerk, kind=Kind.TRANSFER_IN, applicant_name="赵六", employer_code=employer.uscc,
        effective_date=date(2026, 12, 1), provided=list(spec_for(Kind.TRANSFER_IN).checklist),
        payload={"id_number": number, "name": "赵六", "from_region": "上海市浦东新区"})
    take_to(app_in, Status.REGISTERED, clerk=clerk, reviewer=reviewer)
    person = Person.objects.get(id_number=number)
    assert (person.status, person.employer_code, app_in.person_id) == ("ACTIVE", employer.uscc, person.pk)
    app_out = svc.create_application(
        actor=clerk, kind=Kind.TRANSFER_OUT, applicant_name=staff[0].name, person_id_number=staff[0].id_number,
        effective_date=date(2026, 12, 31), provided=list(spec_for(Kind.TRANSFER_OUT).checklist),
        payload={"to_region": "广东省深圳市"})
    take_to(app_out, Status.REGISTERED, clerk=clerk, reviewer=reviewer)
    assert Person.objects.get(pk=staff[0].pk).status == PersonStatus.TERMINATED


def test_employer_registration_registers_the_employer_and_links_it(clerk, reviewer):
    code = demo.uscc(random.Random(99))
    app = svc.create_application(
        actor=clerk, kind=Kind.EMPLOYER_REGISTRATION, applicant_name="王经理",
        provided=list(spec_for(Kind.EMPLOYER_REGISTRATION).checklist),
        payload={"uscc": code, "employer_name": "示范市新设有限公司", "schemes": ["BASIC"]})
    take_to(app, Status.REGISTERED, clerk=clerk, reviewer=reviewer)
    employer = Employer.objects.get(uscc=code)
    assert app.employer_id == employer.pk and employer.name == "示范市新设有限公司"


# -- overdue -------------------------------------------------------------------------------------

def test_overdue_cases_are_raised_in_the_ledger_once(clerk, reviewer, employer):
    from supervision.models import Problem

    late = take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer)
    waiting = take_to(add_persons(clerk, employer), Status.INCOMPLETE, clerk=clerk, reviewer=reviewer)
    on_time = take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer)
    after_due = add_working_days(late.due_date, 1)
    Application.objects.filter(pk=on_time.pk).update(due_date=add_working_days(after_due, 3))
    assert svc.report_overdue_applications(after_due, actor=system_user()) == 1
    assert svc.report_overdue_applications(after_due, actor=system_user()) == 0  # the next run adds nothing
    problem = Problem.objects.get()
    assert problem.source_key == f"enrollment.application:{late.pk}:overdue" and late.number in problem.title
    late.refresh_from_db()
    waiting.refresh_from_db()
    assert late.overdue_problem_id == problem.pk and waiting.overdue_problem_id is None
    assert "enrollment.application.overdue_reported" in actions_of(late)


def test_the_celery_task_calls_the_service(clerk, reviewer, employer):
    from enrollment.tasks import report_overdue_applications

    take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer)
    assert report_overdue_applications.delay().get() == 0  # nothing is overdue today


# -- demo data -----------------------------------------------------------------------------------

def test_demo_applications_cover_every_state_and_are_seeded_once(db):
    from core.demo_users import ensure_demo_users
    from enrollment.seed import _seed_employers, _seed_persons

    ensure_demo_users()
    _seed_persons(300, [e.uscc for e in _seed_employers()])
    created = svc.seed_demo_applications()
    assert created == Application.objects.count() > 0
    # Every state a case reaches today (approval registers, so none is left approved and unregistered).
    assert set(Application.objects.values_list("status", flat=True)) == set(Status.values) - {Status.APPROVED}
    assert set(Application.objects.values_list("kind", flat=True)) == set(Kind.values)
    assert Application.objects.filter(due_date__lt=timezone.localdate(), status__in=Application.OPEN_STATES).exists()
    assert svc.seed_demo_applications() == 0
    assert Application.objects.count() == created


def test_demo_overdue_cases_follow_the_calendar_and_reach_the_problem_ledger(db):
    from core.demo_users import ensure_demo_users
    from core.workdays import add_working_days, is_workday, working_days_between
    from enrollment.kinds import spec_for
    from enrollment.seed import _seed_employers, _seed_overdue_problems, _seed_persons
    from supervision.models import Problem

    ensure_demo_users()
    _seed_persons(300, [e.uscc for e in _seed_employers()])
    svc.seed_demo_applications()
    today = timezone.localdate()
    overdue = list(Application.objects.filter(due_date__lt=today, status__in=Application.OPEN_STATES))
    assert overdue
    for app in overdue:
        submitted = timezone.localtime(app.submitted_at).date()
        assert is_workday(app.due_date) and is_workday(submitted)
        assert app.due_date == add_working_days(submitted, spec_for(app.kind).time_limit)
    assert len({working_days_between(app.due_date, today) for app in overdue}) == len(overdue)  # not all "1 day"
    assert _seed_overdue_problems() == len(overdue)
    assert Problem.objects.filter(category="overdue_application").count() == len(overdue)
    assert _seed_overdue_problems() == 0


def test_demo_persons_work_for_an_employer_only_as_adults():
    import random
    from datetime import date

    from enrollment import demo

    today = date(2026, 11, 1)
    rows = list(demo.people(3000, [demo.uscc(random.Random(1))], today=today))
    employed = [r for r in rows if r["insurance_type"] == "EMP"]
    assert employed and all(r["employer_code"] for r in employed)
    for r in employed:
        eighteen = date(r["birth_date"].year + 18, r["birth_date"].month, min(r["birth_date"].day, 28))
        assert eighteen <= today and r["status_date"] >= eighteen
    assert all(r["employer_code"] == "" for r in rows if r["insurance_type"] == "RES")
