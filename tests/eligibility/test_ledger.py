"""The fund ledger: payments appended only through the service (one INSERT, one audit entry each),
once per source, never changed; year to date for a person or a whole batch in one query."""

from datetime import date, timedelta
from decimal import Decimal as D
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction

from core.errors import Conflict, ValidationFailed
from core.models import AuditEntry
from eligibility.calculation import YearToDate
from eligibility.models import FundPayment, PolicyVersion
from eligibility.selectors.ledger import fund_payments_of, year_to_date, year_to_date_for
from eligibility.services import ledger
from eligibility.services.ledger import Payment, record_fund_payments
from tests.factories import PersonFactory, make_id_number

pytestmark = pytest.mark.django_db


def persons(n: int) -> list:
    """n persons with distinct birth dates, so their identity numbers never collide."""
    return [PersonFactory(insurance_type="EMP", id_number=make_id_number(date(1960, 1, 1) + timedelta(days=i * 37)))
            for i in range(n)]


@pytest.fixture
def emp_policy():
    return PolicyVersion.objects.get(insurance_type="EMP", effective_from=date(2020, 1, 1))


def pay(person, source_id, fund="100.00", large="0.00", on=date(2026, 3, 1), source_type="CLAIM", policy=None):
    policy_id = policy.pk if policy else PolicyVersion.objects.get(insurance_type="EMP", effective_from=date(2020, 1, 1)).pk
    return Payment(person_id=person.pk, service_date=on, source_type=source_type, source_id=source_id,
                   policy_version_id=policy_id, fund_amount=D(fund), large_expense_amount=D(large))


def test_payments_are_appended_with_their_year_source_and_one_audit_entry_each(auditor, emp_policy):
    person = PersonFactory(insurance_type="EMP")
    rows = record_fund_payments(actor=auditor, payments=[
        pay(person, 1, "4720.00", on=date(2026, 3, 1), policy=emp_policy),
        pay(person, 7, "300.00", "50.00", on=date(2025, 12, 31), source_type="DETERMINATION", policy=emp_policy),
    ])
    assert [r.pk is not None for r in rows] == [True, True]
    stored = list(FundPayment.objects.order_by("service_date").values_list(
        "year", "source_type", "source_id", "fund_amount", "large_expense_amount", "recorded_by"))
    assert stored == [(2025, "DETERMINATION", 7, D("300.00"), D("50.00"), auditor.pk),
                      (2026, "CLAIM", 1, D("4720.00"), D("0.00"), auditor.pk)]
    entries = AuditEntry.objects.filter(action="eligibility.fund_payment.recorded").order_by("seq")
    assert [(e.object_id, e.after["source"], e.after["fund"]) for e in entries] == [
        (str(rows[0].pk), "CLAIM:1", "4720.00"), (str(rows[1].pk), "DETERMINATION:7", "300.00")]


def test_recording_takes_the_same_queries_for_one_payment_or_two_hundred(auditor, django_assert_max_num_queries):
    persons_ = persons(4)
    policy = PolicyVersion.objects.get(insurance_type="EMP", effective_from=date(2020, 1, 1))
    with django_assert_max_num_queries(12) as one:
        record_fund_payments(actor=auditor, payments=[pay(persons_[0], 1, policy=policy)])
    many = [pay(persons_[i % 4], 100 + i, policy=policy) for i in range(200)]
    with django_assert_max_num_queries(len(one.captured_queries)):
        record_fund_payments(actor=auditor, payments=many)
    assert FundPayment.objects.count() == 201


def test_a_source_already_in_the_ledger_refuses_the_whole_call(auditor, english):
    person = PersonFactory(insurance_type="EMP")
    record_fund_payments(actor=auditor, payments=[pay(person, 1)])
    with pytest.raises(Conflict) as refused:
        record_fund_payments(actor=auditor, payments=[pay(person, 2), pay(person, 1)])
    assert refused.value.code == "payment_already_recorded"
    assert "CLAIM 1" in str(refused.value.message)
    assert FundPayment.objects.count() == 1
    # The same id from another source is another payment.
    record_fund_payments(actor=auditor, payments=[pay(person, 1, source_type="DETERMINATION")])
    assert FundPayment.objects.count() == 2


def test_two_settlements_of_one_source_at_once_leave_one_payment(auditor, english):
    """The unique constraint decides when the check before it saw nothing (simulated race)."""
    person = PersonFactory(insurance_type="EMP")
    record_fund_payments(actor=auditor, payments=[pay(person, 5)])
    with mock.patch.object(ledger, "_already_recorded", side_effect=[[], [("CLAIM", 5)]]), \
            pytest.raises(Conflict) as refused:
        record_fund_payments(actor=auditor, payments=[pay(person, 5)])
    assert refused.value.code == "payment_already_recorded"
    assert FundPayment.objects.count() == 1


@pytest.mark.parametrize("payments, message", [
    (lambda p: [pay(p, 1), pay(p, 1)], "listed twice"),
    (lambda p: [pay(p, 1, fund="-1.00")], "0 or more"),
    (lambda p: [pay(p, 1, large="0.005")], "in cents"),
    (lambda p: [pay(p, 1, source_type="REFUND")], "Unknown source"),
])
def test_invalid_payments_are_refused_and_nothing_is_recorded(auditor, english, payments, message):
    person = PersonFactory(insurance_type="EMP")
    with pytest.raises(ValidationFailed) as refused:
        record_fund_payments(actor=auditor, payments=payments(person))
    assert any(message in str(e["message"]) for e in refused.value.errors)
    assert not FundPayment.objects.exists()
    assert not AuditEntry.objects.filter(action="eligibility.fund_payment.recorded").exists()


@pytest.mark.parametrize("sql", [
    "UPDATE eligibility_fundpayment SET fund_amount = 0 WHERE id = %s",
    "DELETE FROM eligibility_fundpayment WHERE id = %s",
])
def test_the_database_refuses_to_change_or_remove_a_payment(auditor, sql):
    person = PersonFactory(insurance_type="EMP")
    [row] = record_fund_payments(actor=auditor, payments=[pay(person, 1, "4720.00")])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, [row.pk])
    assert FundPayment.objects.get(pk=row.pk).fund_amount == D("4720.00")


def test_year_to_date_counts_the_persons_payments_of_that_calendar_year_only(auditor):
    person, other = persons(2)
    record_fund_payments(actor=auditor, payments=[
        pay(person, 1, "1000.00", "10.00", on=date(2026, 1, 1)),
        pay(person, 2, "2500.50", "0.00", on=date(2026, 12, 31), source_type="DETERMINATION"),
        pay(person, 3, "9999.00", on=date(2025, 12, 31)),
        pay(other, 4, "7777.00", on=date(2026, 6, 1)),
    ])
    assert year_to_date(person_id=person.pk, year=2026) == YearToDate(D("3500.50"), D("10.00"))
    assert year_to_date(person_id=person.pk, year=2025) == YearToDate(D("9999.00"), D("0.00"))
    assert year_to_date(person_id=person.pk, year=2024) == YearToDate(D("0.00"), D("0.00"))
    assert [p.source_id for p in fund_payments_of(person_id=person.pk)] == [2, 1, 3]


def test_year_to_date_for_a_whole_batch_is_one_query(auditor, django_assert_num_queries):
    batch = persons(30)
    record_fund_payments(actor=auditor, payments=[
        pay(p, i * 10 + k, f"{i + 1}.00", on=date(2026, 5, 1 + k)) for i, p in enumerate(batch[:20]) for k in range(3)])
    with django_assert_num_queries(1):
        totals = year_to_date_for(person_ids=[p.pk for p in batch], year=2026)
    assert totals[batch[0].pk] == YearToDate(D("3.00"), D("0.00"))
    assert totals[batch[19].pk] == YearToDate(D("60.00"), D("0.00"))
    assert totals[batch[25].pk] == YearToDate(D("0.00"), D("0.00"))
    assert len(totals) == 30
