"""Writes of the fund ledger: payments are appended here and nowhere else (the table refuses
UPDATE and DELETE). Settlement appends a batch's payments when it settles; benefit determinations
append theirs when approved."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record_many
from core.errors import Conflict, ValidationFailed

from ..calculation import CENT
from ..models import FundPayment

Source = FundPayment.Source


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment to append: a settled claim's or a determination's (source_type, source_id), for a
    person, dated by the service (the admission date, or the visit date for outpatients)."""

    person_id: int
    service_date: date
    source_type: str
    source_id: int
    policy_version_id: int
    fund_amount: Decimal
    large_expense_amount: Decimal


def _check(payments: Sequence[Payment]) -> None:
    errors, seen = [], set()
    for i, p in enumerate(payments):
        key = (p.source_type, p.source_id)
        if p.source_type not in Source.values:
            errors.append({"row": i, "message": _("Unknown source of a payment: %(source)s.") % {"source": p.source_type}})
        if key in seen:
            errors.append({"row": i, "message": _("%(source)s %(id)s is listed twice.") % {
                "source": p.source_type, "id": p.source_id}})
        seen.add(key)
        for amount in (p.fund_amount, p.large_expense_amount):
            if amount < 0 or amount != amount.quantize(CENT):
                errors.append({"row": i, "message": _(
                    "%(source)s %(id)s: an amount must be 0 or more, in cents.") % {
                    "source": p.source_type, "id": p.source_id}})
    if errors:
        raise ValidationFailed(errors=errors, code="payments_invalid")


def _already_recorded(payments: Sequence[Payment]) -> list[tuple[str, int]]:
    """The sources among these already in the ledger (one query)."""
    by_type: dict[str, list[int]] = {}
    for p in payments:
        by_type.setdefault(p.source_type, []).append(p.source_id)
    wanted = Q()
    for source_type, ids in by_type.items():
        wanted |= Q(source_type=source_type, source_id__in=ids)
    return sorted(FundPayment.objects.filter(wanted).values_list("source_type", "source_id"))


def record_fund_payments(*, actor, payments: Sequence[Payment]) -> list[FundPayment]:
    """Append payments in one INSERT, with one audit entry each, in one transaction. A source already
    in the ledger refuses the whole call (code payment_already_recorded): a settled claim pays once."""
    payments = list(payments)
    if not payments:
        return []
    _check(payments)
    now = timezone.now()
    rows = [FundPayment(
        person_id=p.person_id, year=p.service_date.year, service_date=p.service_date, source_type=p.source_type,
        source_id=p.source_id, policy_version_id=p.policy_version_id, fund_amount=p.fund_amount,
        large_expense_amount=p.large_expense_amount, recorded_at=now, recorded_by=actor,
    ) for p in payments]
    try:
        with transaction.atomic():
            duplicates = _already_recorded(payments)
            if duplicates:
                raise _duplicates(duplicates)
            FundPayment.objects.bulk_create(rows, batch_size=5000)
            record_many(actor, "eligibility.fund_payment.recorded", [(row, None, _entry(row)) for row in rows])
    except IntegrityError as exc:
        # Two settlements of the same source at once: the unique constraint refused the second.
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) == "fund_payment_once_per_source":
            raise _duplicates(_already_recorded(payments)) from exc
        raise
    return rows


def _duplicates(sources: list[tuple[str, int]]) -> Conflict:
    listed = "、".join(f"{t} {i}" for t, i in sources[:20]) + ("…" if len(sources) > 20 else "")
    return Conflict(_("These payments are already in the fund ledger: %(sources)s. Nothing was recorded.")
                    % {"sources": listed}, code="payment_already_recorded")


def _entry(row: FundPayment) -> dict:
    return {"person": row.person_id, "year": row.year, "service_date": row.service_date,
            "source": f"{row.source_type}:{row.source_id}", "policy_version": row.policy_version_id,
            "fund": row.fund_amount, "large_expense": row.large_expense_amount}
