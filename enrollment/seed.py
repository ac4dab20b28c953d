"""Demo data for enrollment (seed_demo): employers, persons, applications in every state."""

from django.db import transaction

from . import demo
from .identity import pinyin_initials
from .models import Employer, Person, StatusChange
from .services.register import record_bulk_change


def seed_enrollment(*, persons: int = 3000) -> str:
    with transaction.atomic():
        employers = _seed_employers()
        created = _seed_persons(persons, [e.uscc for e in employers])
    applications = _seed_applications()
    overdue = _seed_overdue_problems()
    nights = _seed_reconciliation()
    proposals = _seed_register_change()
    return (f"Employers: {len(employers)}. Persons added: {created}. Applications: {applications}. "
            f"Overdue cases in the problem ledger: {overdue}. "
            f"Reconciliation nights: {nights}. Register changes waiting: {proposals}.")


def _seed_employers() -> list[Employer]:
    out = []
    for row in demo.employers(20):
        employer, _ = Employer.objects.get_or_create(uscc=row["uscc"], defaults={
            **{k: row[k] for k in ("name", "address", "contact_name", "contact_phone")},
            "schemes": [Employer.Scheme.BASIC, Employer.Scheme.MATERNITY]})
        out.append(employer)
    return out


def _seed_persons(n: int, employer_codes: list[str]) -> int:
    """Bulk-insert the demo register once (skips persons already there); one audit entry."""
    rows = list(demo.people(n, employer_codes))
    existing = set(Person.objects.filter(id_number__in=[r["id_number"] for r in rows]).values_list("id_number",
                                                                                                    flat=True))
    new = [Person(name_initials=pinyin_initials(r["name"]), **r) for r in rows if r["id_number"] not in existing]
    Person.objects.bulk_create(new, batch_size=2000)
    StatusChange.objects.bulk_create(
        [StatusChange(person=p, status=p.status, status_date=p.status_date, source=StatusChange.Source.LOAD,
                      reference="seed_demo") for p in new],
        batch_size=2000, ignore_conflicts=True,
    )
    if new:
        record_bulk_change(actor=None, action="enrollment.register.seeded", scope="demo register",
                           detail={"persons": len(new)})
    return len(new)


def _seed_applications() -> int:
    """Applications in every state; filled in by the intake module when it is present."""
    from .services import applications as app_services

    seeder = getattr(app_services, "seed_demo_applications", None)
    return seeder() if seeder else 0


def _seed_overdue_problems() -> int:
    """Run the nightly overdue job once now, so that the problem ledger has the overdue demo cases in
    it from the start (as after the first night); nothing new on a second run."""
    from core.system import system_user

    from .services.applications import report_overdue_applications

    return report_overdue_applications(actor=system_user())


def _seed_reconciliation() -> int:
    """Two nights of agency extracts with planted differences in AGENCY_DROP_DIR, reconciled, so the
    reconciliation pages have something to show (once: skipped when any run exists)."""
    from datetime import timedelta
    from pathlib import Path

    from django.conf import settings
    from django.utils import timezone

    from core.system import system_user

    from .models import ReconciliationRun
    from .reconciliation.fake import write_fake_extract
    from .reconciliation.nightly import Delivered
    from .services.reconciliation import reconcile_night

    if ReconciliationRun.objects.exists():
        return 0
    drop = Path(settings.AGENCY_DROP_DIR)
    drop.mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()
    nights = []
    for offset, seed in ((1, 20261122), (0, 20261123)):
        day = today - timedelta(days=offset)
        path = drop / f"enrollment-{day:%Y%m%d}.csv"
        write_fake_extract(path, differences=0.02, seed=seed)
        nights.append(Delivered(day, path))
    return len(reconcile_night(actor=system_user(), extracts=nights))


def _seed_register_change() -> int:
    """One proposal by the demo clerk to take the agency's value of a few differing fields, waiting for a
    reviewer's confirmation (once: skipped when any proposal exists, or without the demo clerk)."""
    from django.contrib.auth import get_user_model

    from .models import Discrepancy, RegisterChangeProposal
    from .services.reconciliation import propose_take_agency

    clerk = get_user_model().objects.filter(username="clerk").first()
    if clerk is None or RegisterChangeProposal.objects.exists():
        return 0
    chosen = list(Discrepancy.objects.filter(kind=Discrepancy.Kind.FIELD_MISMATCH, field__in=["name", "paid_through"],
                                             status=Discrepancy.Status.OPEN).order_by("pk")[:3])
    if not chosen:
        return 0
    propose_take_agency(actor=clerk, chosen={d.pk: d.version for d in chosen},
                        note="经办机构数据与窗口核实一致，申请更正。")
    return 1
