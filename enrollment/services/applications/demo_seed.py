"""Demo applications in every state (seed_demo), made through the same services as real ones.

Runs once: the last step writes an audit entry that later runs look for. Needs the demo users
(core.demo_users) and the demo register (enrollment.seed) to exist.
"""

import io
import random
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from core.audit import record
from core.models import AuditEntry
from core.workdays import add_working_days, subtract_working_days

from ... import demo
from ...kinds import spec_for
from ...models import Application, Employer, Person, PersonStatus
from ..roster import upload_roster
from .decisions import approve_application, reject_application, start_review
from .intake import create_application, issue_notice, resubmit_application, submit_application, tick_materials

Kind, Status = Application.Kind, Application.Status
SEEDED = "enrollment.applications.seeded"

# (kind, state it is taken to, the clerk who takes it in); overdue ones are backdated afterwards.
SCENARIOS = [
    (Kind.ADD_PERSONS, Status.DRAFT, "clerk"),
    (Kind.CHANGE_INFO, Status.DRAFT, "clerk2"),
    (Kind.CHANGE_INFO, Status.SUBMITTED, "clerk"),
    (Kind.TRANSFER_OUT, Status.SUBMITTED, "clerk2"),
    (Kind.ADD_PERSONS, Status.INCOMPLETE, "clerk"),
    (Kind.EMPLOYER_REGISTRATION, Status.INCOMPLETE, "clerk2"),
    (Kind.TRANSFER_IN, Status.RESUBMITTED, "clerk2"),
    (Kind.REMOVE_PERSONS, Status.RESUBMITTED, "clerk"),
    (Kind.REMOVE_PERSONS, Status.UNDER_REVIEW, "clerk"),
    (Kind.TRANSFER_IN, Status.UNDER_REVIEW, "clerk"),
    (Kind.EMPLOYER_REGISTRATION, Status.REGISTERED, "clerk2"),
    (Kind.CHANGE_INFO, Status.REGISTERED, "clerk"),
    (Kind.TRANSFER_OUT, Status.REJECTED, "clerk"),
    (Kind.TRANSFER_IN, Status.REJECTED, "clerk2"),
    (Kind.ADD_PERSONS, Status.REGISTERED, "clerk"),
    (Kind.CHANGE_INFO, Status.REGISTERED, "clerk2"),
    (Kind.TRANSFER_OUT, Status.REGISTERED, "clerk"),
    (Kind.ADD_PERSONS, Status.SUBMITTED, "clerk2"),
]
OVERDUE = 3  # the first few submitted / under review cases are made to look older than their time limit
REGIONS = ["江苏省南京市", "上海市浦东新区", "浙江省杭州市", "广东省深圳市", "四川省成都市"]


class _Data:
    """Deterministic demo inputs drawn from the demo register, for the kinds' `demo` (enrollment.kinds)."""

    def __init__(self):
        self.rng = random.Random(2026)
        self.staff = list(Person.objects.filter(status=PersonStatus.ACTIVE, insurance_type="EMP")
                          .exclude(employer_code="").order_by("id")[:60])
        self.taken: set[str] = set()
        # Cases start on the first day of next month.
        self.start = (timezone.localdate().replace(day=28) + timedelta(days=4)).replace(day=1)

    def person(self) -> Person:
        person = next(p for p in self.staff if p.id_number not in self.taken)
        self.taken.add(person.id_number)
        return person

    def new_id_numbers(self, n: int) -> list[str]:
        out = []
        while len(out) < n:
            birth = timezone.localdate().replace(year=1975 + self.rng.randrange(0, 25))
            number = demo.id_number(self.rng, birth, self.rng.choice("12"))
            if number not in self.taken and not Person.objects.filter(id_number=number).exists():
                self.taken.add(number)
                out.append(number)
        return out

    def employer_of(self, person: Person) -> Employer:
        return Employer.objects.get(uscc=person.employer_code)

    def new_employer(self) -> dict:
        """A demo employer (as enrollment.demo.employers gives it) that is not registered yet."""
        while True:
            e = demo.employers(1, seed=self.rng.randrange(10**6))[0]
            if not Employer.objects.filter(uscc=e["uscc"]).exists():
                return e

    def person_name(self) -> str:
        return demo.person_name(self.rng)

    def phone(self, prefix: str) -> str:
        return f"{prefix}{self.rng.randrange(10**7, 10**8)}"

    def region(self) -> str:
        return self.rng.choice(REGIONS)

    def roster_file(self, n: int) -> SimpleUploadedFile:
        text = io.StringIO()
        text.write("身份证号,姓名,手机号\n")
        for number in self.new_id_numbers(n):
            text.write(f"{number},{demo.person_name(self.rng)},1{self.rng.randrange(3, 9)}{self.rng.randrange(10**8, 10**9)}\n")
        return SimpleUploadedFile("花名册.csv", text.getvalue().encode("gb18030"), content_type="text/csv")


def _create(data: _Data, kind: str, clerk, provided: list[str]) -> Application:
    phone = data.phone("139")
    return create_application(actor=clerk, kind=kind, applicant_phone=phone, provided=provided,
                              **spec_for(kind).demo(data))


def _take_to(app: Application, target: str, users: dict, data: _Data) -> None:
    clerk = users[app.created_by.username]
    if spec_for(app.kind).has_roster and target != Status.DRAFT:
        upload_roster(actor=clerk, application=app, file=data.roster_file(data.rng.randrange(3, 9)))
    if target == Status.DRAFT:
        return
    submit_application(actor=clerk, application=app)
    if target == Status.SUBMITTED:
        return
    if target in (Status.INCOMPLETE, Status.RESUBMITTED):
        issue_notice(actor=clerk, application=app)
        if target == Status.INCOMPLETE:
            return
        tick_materials(actor=clerk, application=app, states={m.code: ("PROVIDED", "") for m in app.materials.all()})
        resubmit_application(actor=clerk, application=app)
        return
    start_review(actor=users["reviewer"], application=app)
    if target == Status.UNDER_REVIEW:
        return
    if target == Status.REJECTED:
        reject_application(actor=users["senior"], application=app, reasons=["information_mismatch", "other"],
                           note="所附证明材料与登记信息不一致，请核实后重新申请。")
        return
    approve_application(actor=users["reviewer"], application=app, note="材料齐全，符合登记条件。")  # and registers


def _backdate_overdue() -> None:
    """Demo only: make a few running cases look as if they were taken in weeks ago, overdue by 1, 3, 5…
    working days, their due dates counted on the office's calendar as a real case's are."""
    running = Application.objects.filter(status__in=[Status.SUBMITTED, Status.UNDER_REVIEW]).order_by("id")[:OVERDUE]
    for n, app in enumerate(running):
        limit = spec_for(app.kind).time_limit
        submitted_on = subtract_working_days(subtract_working_days(timezone.localdate(), 2 * n + 1), limit)
        submitted = timezone.make_aware(datetime.combine(submitted_on, time(9, 30)))
        Application.objects.filter(pk=app.pk).update(
            submitted_at=submitted, due_date=add_working_days(submitted_on, limit))


def seed_demo_applications() -> int:
    """Create the demo cases once; return how many were created now (0 on a second run)."""
    if AuditEntry.objects.filter(action=SEEDED).exists():
        return 0
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["clerk", "clerk2", "reviewer", "senior"])}
    data = _Data()
    created = 0
    for kind, target, clerk_name in SCENARIOS:
        codes = spec_for(kind).checklist
        incomplete = target in (Status.INCOMPLETE, Status.RESUBMITTED)
        provided = list(codes[:-1]) if incomplete else list(codes)
        app = _create(data, kind, users[clerk_name], provided)
        _take_to(app, target, users, data)
        created += 1
    with transaction.atomic():
        _backdate_overdue()
        record(None, SEEDED, ("enrollment.application", "demo", "demo applications"), None, {"created": created})
    return created
